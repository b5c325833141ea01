"""One eval run: corpus -> store -> answers -> ragas scores -> gate -> report.

``run_suite(EvalOptions(...))`` is what ``rag eval`` and the tests call. ``chat_factory``
builds the answerer from the eval's settings (default ``SourceChat``); tests pass a
deliberately broken one to show the gate catches it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.evals import corpus as corpora
from rag.errors import UsageError
from rag.evals.dataset import Case, DatasetError, load_cases

NAMED_DATASETS = ("seeds", "realtimeqa-2025")


@dataclass
class EvalOptions:
    dataset: str = "seeds"  # a name (seeds, realtimeqa-2025) or a path to a JSONL file
    mode: str | None = None  # extractive | generative; None = the settings' default
    out_dir: Path = Path("evals/out")
    limit: int | None = None
    distractors: int = 0  # BBC articles pooled with the seeds
    pool: int | None = None  # realtimeqa: articles in all (default 1,000 with --limit)
    top_k: int | None = None
    judge: bool = True  # use the judge when one is configured
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
    report_path: Path | None = None
    json_path: Path | None = None

    @property
    def passed(self) -> bool:
        """The gate held and no metric failed on any case (a failure is never averaged away)."""
        return all(line.ok for line in self.gate_lines) and not any(s.failures for s in self.summaries)


def resolve_dataset(options: EvalOptions) -> tuple[str, list[Case] | None, Path | None]:
    """(name, cases or None for realtimeqa, path of the JSONL file)."""
    if options.dataset == "realtimeqa-2025":
        return options.dataset, None, None
    if options.dataset == "seeds":
        path = corpora.DATASETS_DIR / "seeds.jsonl"
    else:
        path = Path(options.dataset)
        if not path.is_file() and (corpora.DATASETS_DIR / f"{options.dataset}.jsonl").is_file():
            path = corpora.DATASETS_DIR / f"{options.dataset}.jsonl"
    if not path.is_file():
        raise DatasetError(
            f"dataset {options.dataset!r} not found: use {' or '.join(NAMED_DATASETS)}, a name in "
            f"{corpora.DATASETS_DIR}, or a path to a JSONL file"
        )
    return path.stem, load_cases(path), path


def profile_name(dataset: str, distractors: int, mode: str) -> str:
    base = dataset if not distractors else f"{dataset}-distractors"
    return f"{base}.{mode}"


def run_suite(options: EvalOptions, settings=None, chat_factory: Callable | None = None,
              log: Callable[[str], None] = print) -> EvalResult:
    from rag.index.embedding import get_embedder
    from rag.evals import report
    from rag.evals.runner import run_cases
    from rag.evals.scoring import judge_groups, load_thresholds, offline_groups, score_groups, summarise, gate
    from rag.settings import get_settings

    base = settings or get_settings()
    mode = options.mode or base.default_mode
    if mode not in ("extractive", "generative"):
        raise UsageError(f"unknown answer mode {mode!r}; use extractive or generative")
    if options.limit is not None and options.limit < 1:
        raise UsageError("--limit must be 1 or more")
    name, cases, _ = resolve_dataset(options)
    out_dir = Path(options.out_dir)

    if cases is None:
        from rag.evals.realtimeqa import realtimeqa

        if options.distractors:
            raise UsageError("--distractors is for golden datasets; realtimeqa-2025 takes --pool")
        cases, corpus = realtimeqa(out_dir, options.data_dir, options.limit, options.pool)
        scoring_profile = "realtimeqa"
    else:
        corpus = corpora.seed_corpus(out_dir, options.seeds_dir, options.distractors, options.data_dir)
        cases = cases[: options.limit] if options.limit else cases
        scoring_profile = "golden"
    profile = profile_name(name, options.distractors, mode)
    thresholds = load_thresholds(options.thresholds_file, profile)

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

    embedder = get_embedder(settings)
    titles = {a["article_id"]: a["title"] for a in chat.list_articles()}
    groups = offline_groups(scoring_profile, embedder, titles)
    if options.judge and settings.judge_configured:
        from rag.evals.metrics import LocalEmbeddings, make_judge

        make_judge(settings)  # a configuration error shows before any case is scored
        groups += judge_groups(lambda: make_judge(settings), LocalEmbeddings(embedder))
        log(f"judge: {settings.judge_model} at {settings.judge_base_url or 'the OpenAI API'}")
    started = time.perf_counter()
    scores = score_groups(runs, groups, _run_config(settings), log)
    score_seconds = time.perf_counter() - started

    summaries = summarise(scores)
    result = EvalResult(
        dataset=name, profile=profile, mode=mode, corpus=corpus, sync=summary, runs=runs, scores=scores,
        summaries=summaries, thresholds=thresholds, thresholds_file=Path(options.thresholds_file),
        gate_lines=gate(summaries, thresholds) if thresholds is not None else [],
        ingest_seconds=ingest_seconds, ask_seconds=ask_seconds, score_seconds=score_seconds,
    )
    label = f"{corpus.name}-{mode}" if corpus.name.startswith(name) else f"{name}-{corpus.name}-{mode}"
    folder = out_dir / "reports" / label
    result.report_path, result.json_path = report.write(result, folder)
    return result


def _source_chat(settings):
    from rag.pipeline import SourceChat

    return SourceChat(settings)


def _run_config(settings):
    from ragas.run_config import RunConfig

    # A few judge calls at a time: a local server serves one or two at once.
    return RunConfig(timeout=int(max(60, settings.llm_timeout * 4)), max_retries=max(1, settings.llm_retries),
                     max_wait=10, max_workers=4)
