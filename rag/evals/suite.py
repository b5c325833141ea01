"""One eval run: corpus -> store -> answers -> scores -> gate -> report.

``run_suite(EvalOptions(...))`` is what ``rag eval`` and the tests call. ``chat_factory``
builds the answerer from the eval's settings (default ``SourceChat``). ``rescore`` scores the
same recorded cases with each answer replaced, asking nothing again: the tests derive their
deliberately broken answerers from one honest run that way.

Profiles (sections of the thresholds file) are ``<dataset>.<mode>``, ``<dataset>-bbc<N>.<mode>``
with ``--distractors N``, and ``realtimeqa-2025.<mode>``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from rag.errors import UsageError
from rag.evals import corpus as corpora
from rag.evals.dataset import Case, load_cases, referenced_articles

NAMED_DATASETS = ("seeds", "bbc-rtqa", "realtimeqa-2025")
# Reported, never gated: Levenshtein similarity of a quoted answer to a one-line reference is low by
# nature and moves with wording, not quality (conciseness and lead_answer measure what it hinted at);
# refusal_accuracy mixes refusal_recall and answer_rate (an over-refusing answerer can stop refusing
# and keep its accuracy); string_present mixes answer_rate and lead_answer (a refusal scores 0).
# answer_string_where_article_answers likewise (over the labelled cases); refused_where_article_does_not:
# a distractor article may answer what the labelled one does not.
REPORTED_ONLY = ("non_llm_string_similarity", "refusal_accuracy", "string_present",
                 "answer_string_where_article_answers", "refused_where_article_does_not")
# On a one-article corpus every retrieved and cited chunk is the reference article: 1.0 by construction.
TRIVIAL_ON_ONE_ARTICLE = ("id_based_context_recall", "id_based_context_precision", "non_llm_context_recall",
                          "cited_reference_article")


@dataclass
class EvalOptions:
    dataset: str = "seeds"  # a name (seeds, bbc-rtqa, realtimeqa-2025) or a path to a JSONL file
    mode: str | None = None  # extractive | generative; None = the settings' default
    out_dir: Path = Path("evals/out")
    limit: int | None = None
    distractors: int = 0  # BBC articles pooled with the dataset's articles
    pool: int | None = None  # realtimeqa: articles in all (default 1,000 with --limit)
    sources: Path | None = None  # the maintainer's own folder as the corpus
    top_k: int | None = None
    judge: bool = True  # use the judge when one is configured
    baseline: Path | None = None  # results.json to compare with (default: the previous run's)
    minimums: dict[str, float] = field(default_factory=dict)  # --min overrides
    update_thresholds: bool = False  # rewrite this profile's section from the run
    data_dir: Path = corpora.SHARED_DATA
    seeds_dir: Path = corpora.SEEDS_DIR
    thresholds_file: Path = corpora.THRESHOLDS_FILE
    progress: bool = True


@dataclass
class EvalResult:
    dataset: str
    profile: str
    mode: str
    corpus: corpora.EvalCorpus
    sync: object
    runs: list
    scores: object
    summaries: list
    thresholds: dict | None
    thresholds_file: Path
    gate_lines: list = field(default_factory=list)
    ingest_seconds: float = 0.0
    ask_seconds: float = 0.0
    score_seconds: float = 0.0
    comparison: object = None
    files: object = None  # report.ReportFiles
    chat: object = field(default=None, repr=False)  # the answerer, kept so ``rescore`` can look articles up
    scoring_profile: str = "golden"

    @property
    def passed(self) -> bool:
        """The gate held and no metric failed on any case (a failure is never averaged away)."""
        return all(line.ok for line in self.gate_lines) and not any(s.failures for s in self.summaries)

    @property
    def report_path(self) -> Path | None:
        return self.files.report if self.files else None

    @property
    def json_path(self) -> Path | None:
        return self.files.results if self.files else None


def resolve_dataset(options: EvalOptions) -> tuple[str, list[Case] | None]:
    """(name, cases or None for realtimeqa-2025)."""
    if options.dataset == "realtimeqa-2025":
        return options.dataset, None
    path = Path(options.dataset)
    if not path.is_file() and (corpora.DATASETS_DIR / f"{options.dataset}.jsonl").is_file():
        path = corpora.DATASETS_DIR / f"{options.dataset}.jsonl"
    if not path.is_file():
        raise UsageError(
            f"dataset {options.dataset!r} not found: use {', '.join(NAMED_DATASETS)}, a name in "
            f"{corpora.DATASETS_DIR}, or a path to a JSONL file"
        )
    return path.stem, load_cases(path)


# The RealTime QA profile the thresholds were measured with (`--limit 100`, the default pool).
REALTIMEQA_LIMIT = 100


def profile_name(dataset: str, mode: str, distractors: int = 0, limit: int | None = None,
                 pool: int | None = None) -> str:
    """The thresholds section a run is gated by: a run of a different size is another profile."""
    if dataset == "realtimeqa-2025":
        base = dataset if (limit, pool) == (REALTIMEQA_LIMIT, None) else f"{dataset}-n{limit or 'all'}"
        base += f"-p{pool}" if pool else ""
    else:
        base = dataset if not distractors else f"{dataset}-bbc{distractors}"
        base += f"-first{limit}" if limit else ""
    return f"{base}.{mode}"


def _check(options: EvalOptions, mode: str) -> None:
    if mode not in ("extractive", "generative"):
        raise UsageError(f"unknown answer mode {mode!r}; use extractive or generative")
    if options.limit is not None and options.limit < 1:
        raise UsageError("--limit must be 1 or more")
    if options.sources is not None and options.distractors:
        raise UsageError("--sources is your own corpus as it is: --distractors does not apply")
    if options.dataset == "realtimeqa-2025" and (options.distractors or options.sources):
        raise UsageError("realtimeqa-2025 brings its own articles: use --pool, not --distractors or --sources")
    if options.update_thresholds and options.limit and options.dataset != "realtimeqa-2025":
        raise UsageError("--update-thresholds measures the whole dataset: drop --limit")


def run_suite(options: EvalOptions, settings=None, chat_factory: Callable | None = None,
              log: Callable[[str], None] = print) -> EvalResult:
    from rag.evals.runner import run_cases
    from rag.settings import get_settings

    base = settings or get_settings()
    mode = options.mode or base.default_mode
    _check(options, mode)
    name, cases = resolve_dataset(options)
    out_dir = Path(options.out_dir)

    if cases is None:
        from rag.evals.realtimeqa import realtimeqa

        cases, corpus = realtimeqa(out_dir, options.data_dir, base, options.limit, options.pool)
        scoring_profile = "realtimeqa"
    else:
        cases = cases[: options.limit] if options.limit else cases
        if options.sources is not None:
            corpus = corpora.sources_corpus(out_dir, options.sources, referenced_articles(cases), base)
        else:
            corpus_name = name if not options.distractors else f"{name}+bbc{options.distractors}"
            corpus = corpora.golden_corpus(out_dir, corpus_name, referenced_articles(cases), base, options.distractors,
                                           options.seeds_dir, options.data_dir)
        scoring_profile = "golden"
    profile = profile_name(name, mode, options.distractors, options.limit, options.pool)

    settings = corpus.settings(base)
    started = time.perf_counter()
    summary = corpora.sync_corpus(corpus, settings, log, progress=options.progress)
    ingest_seconds = time.perf_counter() - started

    chat = (chat_factory or _source_chat)(settings)
    if mode == "generative" and not settings.llm_configured:
        raise UsageError("generative mode needs a language model: set OPENAI_BASE_URL or OPENAI_API_KEY")
    log(f"[{corpus.name}] asking {len(cases)} cases ({mode})")
    started = time.perf_counter()
    runs = run_cases(chat, cases, mode, options.top_k, log)
    ask_seconds = time.perf_counter() - started

    result = EvalResult(
        dataset=name, profile=profile, mode=mode, corpus=corpus, sync=summary, runs=runs, scores=None, summaries=[],
        thresholds=None, thresholds_file=Path(options.thresholds_file), ingest_seconds=ingest_seconds,
        ask_seconds=ask_seconds, chat=chat, scoring_profile=scoring_profile,
    )
    judge = options.judge and settings.judge_configured
    _score(result, settings, judge, log)
    if options.update_thresholds:
        _update_thresholds(result, log)
    _gate(result, options.minimums)

    from rag.evals import report

    label = f"{corpus.name}-{mode}" if corpus.name.startswith(name) else f"{name}-{corpus.name}-{mode}"
    folder = out_dir / "reports" / label
    previous = Path(options.baseline) if options.baseline else folder / "results.json"
    if options.baseline or previous.is_file():
        result.comparison = report.compare(result, report.load_baseline(previous),
                                           str(options.baseline) if options.baseline else "the previous run")
    result.files = report.write(result, folder)
    return result


def rescore(result: EvalResult, transform: Callable, minimums: dict[str, float] | None = None) -> EvalResult:
    """``result``'s cases with each answer replaced by ``transform(run, chat)``, scored offline and gated.

    Nothing is asked again and no report is written: this is how a broken answerer is derived
    from one honest run. ``transform`` returns an ``Answer`` (or the run's own to keep it).
    """
    from rag.evals.runner import with_answer

    runs = []
    for run in result.runs:
        answer = transform(run, result.chat) if run.answer is not None else None
        runs.append(run if answer is None or answer is run.answer else with_answer(run, answer, result.chat))
    derived = replace(result, runs=runs, scores=None, summaries=[], gate_lines=[], comparison=None, files=None)
    _score(derived, result.chat.settings, judge=False, log=lambda line: None)
    _gate(derived, minimums or {})
    return derived


def _score(result: EvalResult, settings, judge: bool, log: Callable[[str], None]) -> None:
    from rag.evals.metrics import JudgeMeter, LocalEmbeddings, case_metrics, make_judge
    from rag.evals.scoring import Scores, judge_groups, ragas_groups, score_case_metrics, score_ragas, summarise
    from rag.index.embedding import get_embedder

    embedder = get_embedder(settings)
    titles = {a["article_id"]: a["title"] for a in result.chat.list_articles()}
    groups = ragas_groups(result.scoring_profile)
    meter = JudgeMeter()
    if judge:
        make_judge(settings)  # a configuration error shows before any case is scored
        groups += judge_groups(lambda: make_judge(settings, meter), LocalEmbeddings(embedder))
        log(f"judge: {settings.judge_model} at {settings.judge_base_url or 'the OpenAI API'}")
    started = time.perf_counter()
    scores = Scores()
    score_case_metrics(result.runs, case_metrics(result.scoring_profile, embedder, titles), scores)
    score_ragas(result.runs, groups, scores, _run_config(settings), log)
    scores.judge_calls = meter.calls
    scores.judged_cases = sum(1 for m in scores.per_case.values() if any(k in scores.judged for k in m))
    result.score_seconds = time.perf_counter() - started
    result.scores = scores
    result.summaries = summarise(scores)


def gated_metrics(result: EvalResult) -> list[str]:
    """The metrics a new thresholds section gates: all measured but the reported-only ones."""
    skip = set(REPORTED_ONLY) | (set(TRIVIAL_ON_ONE_ARTICLE) if result.sync.articles == 1 else set())
    return [s.name for s in result.summaries if not s.judged and s.name not in skip and s.mean]


def _update_thresholds(result: EvalResult, log: Callable[[str], None]) -> None:
    from rag.evals import thresholds

    commit = thresholds.current_commit(corpora.REPO)
    offline = [s for s in result.summaries if not s.judged]
    for line in thresholds.update(result.thresholds_file, result.profile, offline, commit, gated_metrics(result)):
        log(f"[{result.profile}] {line}")
    judged = [s for s in result.summaries if s.judged]
    if judged:
        names = [s.name for s in judged if s.mean]
        for line in thresholds.update(result.thresholds_file, f"{result.profile}.judge", judged, commit, names):
            log(f"[{result.profile}.judge] {line}")


def _gate(result: EvalResult, minimums: dict[str, float]) -> None:
    from rag.evals.thresholds import gate, load_thresholds

    values = load_thresholds(result.thresholds_file, result.profile)
    if result.scores.judged:
        judged = load_thresholds(result.thresholds_file, f"{result.profile}.judge")
        if judged:
            values = {**(values or {}), **judged}
    if minimums:
        values = {**(values or {}), **minimums}
    result.thresholds = values
    result.gate_lines = gate(result.summaries, values) if values is not None else []


def _source_chat(settings):
    from rag.pipeline import SourceChat

    return SourceChat(settings)


def _run_config(settings):
    from ragas.run_config import RunConfig

    # A few judge calls at a time: a local server serves one or two at once.
    return RunConfig(timeout=int(max(60, settings.llm_timeout * 4)), max_retries=max(1, settings.llm_retries),
                     max_wait=10, max_workers=4)
