"""The evaluation suite: golden datasets, the offline gate, and proof that the gate bites.

The gate runs the real pipeline over each profile's corpus in the eval's own store, scores it
with ragas and our metrics and checks ``evals/thresholds.toml``: the figures written there must
still be what a fresh run measures. Stores are cached between test sessions in pytest's cache
folder (``.pytest_cache/d/sourcechat-evals``; ``pytest --cache-clear`` empties it) and keyed on the
indexing code, so a second session embeds nothing.

Each deliberately broken answerer is derived from the honest run's own answers (nothing is
asked again) and must fail the gate on exactly the metric meant to catch it.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from rag.answer.citations import with_markers
from rag.answer.compose import REFUSAL_TEXT
from rag.answer.record import AnswerSentence, Citation
from rag.evals import thresholds as gatefile
from rag.evals.corpus import DATASETS_DIR, REPO, SEEDS_DIR, THRESHOLDS_FILE, CorpusError, resolve_articles
from rag.evals.dataset import DatasetError, load_cases, parse_case, referenced_articles
from rag.index.sources import parse_article
from rag.text import sentence_spans

# The first session on a machine builds each profile's store (bbc-rtqa with 300 distractors: 1,054
# chunks, ~1 minute on 2 idle cores, 10 under heavy load); the suite's 600 s per test is too short then.
pytestmark = pytest.mark.timeout(1800)

SEEDS_DATASET = DATASETS_DIR / "seeds.jsonl"
GOLDEN_DATASET = DATASETS_DIR / "bbc-rtqa.jsonl"
# The BBC pool the [*-bbc300.*] thresholds were measured with.
DISTRACTORS = 300


def _settings():
    from rag.settings import Settings

    return Settings(_env_file=None, chroma_url=None, embedding_backend="local", answer_mode="extractive",
                    openai_api_key=None, openai_base_url=None, judge_model=None)


# -- the golden datasets -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def golden_texts(shared_data_dir) -> dict[str, str]:
    """The text the pipeline indexes for every article the golden set refers to."""
    cases = load_cases(GOLDEN_DATASET)
    files = resolve_articles(referenced_articles(cases), SEEDS_DIR, shared_data_dir)
    return {aid: parse_article(data, Path(aid).suffix, aid).text for aid, data in files}


def _check_quotes(cases, texts: dict[str, str]) -> int:
    checked = 0
    for case in cases:
        for quote in case.reference_quotes:
            assert any(quote in texts[a] for a in case.reference_article_ids), f"{case.id}: {quote!r} is not an exact span"
            checked += 1
        for wanted in case.answer_contains:  # a correct answer can quote it
            assert any(wanted.lower() in texts[a].lower() for a in case.reference_article_ids), f"{case.id}: {wanted!r}"
    return checked


def test_every_seed_reference_quote_is_an_exact_span_of_its_article():
    cases = load_cases(SEEDS_DATASET)
    texts = {aid: parse_article(data, Path(aid).suffix, aid).text
             for aid, data in resolve_articles(referenced_articles(cases), SEEDS_DIR, SEEDS_DIR)}
    assert _check_quotes(cases, texts) >= 25


def test_every_golden_reference_quote_is_an_exact_span_of_its_article(golden_texts):
    assert _check_quotes(load_cases(GOLDEN_DATASET), golden_texts) >= 70


def test_the_seed_dataset_has_answerable_refusal_and_follow_up_cases():
    cases = load_cases(SEEDS_DATASET)
    kinds = [c.kind for c in cases]
    assert len(cases) >= 25
    assert kinds.count("answerable") >= 15 and kinds.count("refusal") >= 8 and kinds.count("follow_up") >= 3
    assert all(c.reference_quotes for c in cases if not c.must_refuse)


def test_the_golden_set_covers_both_corpora_and_every_kind_of_question():
    cases = load_cases(GOLDEN_DATASET)
    tags = [t for c in cases for t in c.tags]
    kinds = [c.kind for c in cases]
    assert len(cases) >= 70
    assert kinds.count("answerable") >= 40 and kinds.count("follow_up") >= 8
    assert tags.count("near_miss") >= 15 and kinds.count("refusal") >= tags.count("near_miss")
    assert tags.count("who_said") >= 8 and tags.count("broad") >= 4 and tags.count("typo") >= 2
    assert all(c.reference_quotes for c in cases if not c.must_refuse)
    articles = referenced_articles(cases)
    assert sum(a.startswith("bbc/") for a in articles) >= 20 and sum(a.startswith("realtimeqa-2025/") for a in articles) >= 5
    # A who-said question is answered with the speaker's name.
    assert all(c.answer_contains for c in cases if "who_said" in c.tags)
    questions = {c.question for c in cases}
    for example in ("What did David Davis say about control orders?", "How much did Time Warner's profits rise?",
                    "Who said a wrongly given control order would act as a recruiting sergeant?",
                    "waht did ryanar orderd from boing", "Summarize the news about Yukos"):
        assert example in questions  # the examples of issue 9


def test_the_realtimeqa_evidence_labels_are_whole_and_exact(shared_data_dir, rtqa_dir):
    from rag.evals.realtimeqa import ANSWERS_TAG, MENTIONS_TAG, answerable_cases, evidence_labels, labelled, \
        load_questions

    labels = evidence_labels()
    cases = answerable_cases(load_questions(shared_data_dir), rtqa_dir, len(labels))
    assert [case.id for case, _ in cases] == list(labels)  # the first answerable questions, in order
    for case, _ in cases:
        label = labels[case.id]
        if label["verdict"] == "answers":
            assert label["quote"] in (rtqa_dir / label["article"]).read_text(encoding="utf-8"), case.id
        case = labelled(case, label, rtqa_dir)
        assert case.tags[0] == (ANSWERS_TAG if label["verdict"] == "answers" else MENTIONS_TAG)
    verdicts = [label["verdict"] for label in labels.values()]
    # both kinds are well represented: the string match alone says nothing of either
    assert verdicts.count("answers") >= 50 and verdicts.count("mentions") + verdicts.count("substring") >= 30


def test_a_label_that_does_not_say_what_answers_is_refused(tmp_path):
    from rag.evals.dataset import DatasetError
    from rag.evals.realtimeqa import evidence_labels

    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"id": "x", "verdict": "answers", "article": "a.md", "quote": null}\n')
    with pytest.raises(DatasetError, match="needs the sentence that answers"):
        evidence_labels(bad)
    bad.write_text('{"id": "x", "verdict": "maybe"}\n')
    with pytest.raises(DatasetError, match="verdict must be one of"):
        evidence_labels(bad)


def test_no_article_of_the_held_out_slice_is_used():
    for case in load_cases(GOLDEN_DATASET):
        assert not any("2026" in a for a in case.reference_article_ids), case.id


@pytest.mark.parametrize("line, message", [
    ('{"id": "x", "kind": "answerable", "question": "Q?", "reference": "A."}', "needs 'reference_article_ids'"),
    ('{"id": "x", "kind": "maybe", "question": "Q?"}', "unknown kind 'maybe'"),
    ('{"id": "x", "kind": "refusal", "question": "Q?", "reference_quotes": ["q"]}', "refusal case has no reference"),
    ('{"id": "x", "kind": "follow_up", "question": "Q?", "reference": "A.", "reference_article_ids": ["a"]}',
     "needs 'history'"),
    ('{"id": "x", "kind": "answerable", "question": "", "reference": "A."}', "missing or empty 'question'"),
    ('{"id": "x", "kind": "answerable", "question": "Q?", "reference": "A.", "reference_article_ids": "a.txt"}',
     "'reference_article_ids' must be a list"),
    ('{"id": "x", "kind": "refusal", "question": "Q?", "tags": "broad"}', "'tags' must be a list"),
    ("{not json", "not valid JSON"),
])
def test_a_malformed_case_is_refused_with_its_line_and_reason(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "kind": "refusal", "question": "Fine?"}\n' + line + "\n")
    with pytest.raises(DatasetError) as caught:
        load_cases(path)
    assert f"{path}:2" in str(caught.value) and message in str(caught.value)


def test_a_refusal_case_expects_the_answer_layers_refusal_text():
    case = parse_case({"id": "r", "kind": "refusal", "question": "Q?"}, "here")
    assert case.reference == REFUSAL_TEXT


def test_a_quote_that_is_not_in_its_article_is_reported():
    from rag.evals.dataset import quote_spans

    case = parse_case({"id": "p", "kind": "answerable", "question": "Q?", "reference": "A.",
                       "reference_article_ids": ["a.txt"], "reference_quotes": ["Mansouri signed on 12 July"]}, "here")
    with pytest.raises(DatasetError, match="not an exact span of a.txt"):
        quote_spans(case, {"a.txt": "Ali Mansouri had signed on July 12"})


# -- corpora ---------------------------------------------------------------------------------


def test_an_unknown_article_id_names_where_ids_come_from(shared_data_dir):
    with pytest.raises(CorpusError, match=r"1 reference article\(s\) not found: bbc/tech/999\.txt.*--sources"):
        resolve_articles(["bbc/tech/001.txt", "bbc/tech/999.txt"], SEEDS_DIR, shared_data_dir)


def test_a_golden_corpus_is_its_articles_plus_a_pool_without_duplicates(tmp_path, shared_data_dir):
    from rag.evals.corpus import golden_corpus

    corpus = golden_corpus(tmp_path, "c", ["bbc/politics/014.txt", "realtimeqa-2025/116534fda6f8.md"], _settings(),
                           distractors=DISTRACTORS, data_dir=shared_data_dir)
    files = sorted(p.relative_to(corpus.sources_dir).as_posix() for p in corpus.sources_dir.rglob("*") if p.is_file())
    assert "bbc/politics/014.txt" in files and "realtimeqa-2025/116534fda6f8.md" in files
    assert all(f.startswith(("bbc/", "realtimeqa-2025/")) for f in files)
    contents = [(corpus.sources_dir / f).read_bytes() for f in files]
    assert len(set(contents)) == len(contents)  # byte-identical BBC stories left out: sync would skip them
    assert DISTRACTORS - 2 <= len(files) <= DISTRACTORS + 2
    # Asked again with fewer distractors, the folder holds exactly the new corpus.
    smaller = golden_corpus(tmp_path, "c", ["bbc/politics/014.txt"], _settings(), distractors=5, data_dir=shared_data_dir)
    assert len([p for p in smaller.sources_dir.rglob("*") if p.is_file()]) <= 6


def test_a_store_is_rebuilt_when_chunking_settings_change(tmp_path):
    from rag.evals.corpus import store_dir

    first = store_dir(tmp_path, "c", _settings())
    first.mkdir(parents=True)
    other = store_dir(tmp_path, "c", _settings().model_copy(update={"chunk_size": 100}))
    assert other != first and not first.exists()  # the stale store went
    assert store_dir(tmp_path, "c", _settings().model_copy(update={"chunk_size": 100})) == other


def test_sources_must_hold_every_reference_article(tmp_path):
    from rag.evals.corpus import sources_corpus

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("A title\n\nSome text.\n")
    with pytest.raises(CorpusError, match=r"1 reference article\(s\) are not in .*: b\.txt"):
        sources_corpus(tmp_path / "out", tmp_path / "mine", ["a.txt", "b.txt"], _settings())
    with pytest.raises(CorpusError, match="folder not found"):
        sources_corpus(tmp_path / "out", tmp_path / "nowhere", ["a.txt"], _settings())


# -- the thresholds file ---------------------------------------------------------------------------

PROFILES = ("seeds.extractive", "bbc-rtqa-bbc300.extractive", "seeds-bbc300.extractive", "realtimeqa-2025.extractive")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)


def test_every_minimum_follows_the_margin_policy_from_a_measured_figure_and_commit():
    in_git = _git("rev-parse", "--git-dir").returncode == 0
    for profile in PROFILES:
        lines = gatefile.figures(THRESHOLDS_FILE, profile)
        assert lines, f"[{profile}] gates nothing"
        for line in lines:
            assert 0 < line.minimum < 1, (profile, line)  # 1.0 would fail on any slip, 0 never
            assert line.minimum == gatefile.minimum_for(line.measured, line.cases), (profile, line)
            if in_git:
                assert _git("cat-file", "-e", f"{line.commit}^{{commit}}").returncode == 0, (profile, line.commit)
        assert not {line.metric for line in lines} & {"non_llm_string_similarity", "refusal_accuracy", "string_present"}


def test_the_one_article_profile_does_not_gate_what_it_cannot_fail():
    gated = {line.metric for line in gatefile.figures(THRESHOLDS_FILE, "seeds.extractive")}
    assert not gated & {"id_based_context_recall", "id_based_context_precision", "non_llm_context_recall",
                        "cited_reference_article"}


def test_a_run_of_another_size_is_another_profile():
    from rag.evals.suite import profile_name

    assert profile_name("seeds", "extractive") == "seeds.extractive"
    assert profile_name("bbc-rtqa", "extractive", 300) == "bbc-rtqa-bbc300.extractive"
    assert profile_name("seeds", "extractive", limit=6) == "seeds-first6.extractive"  # not gated by [seeds.extractive]
    assert profile_name("realtimeqa-2025", "extractive", limit=100) == "realtimeqa-2025.extractive"
    assert profile_name("realtimeqa-2025", "extractive", limit=20) == "realtimeqa-2025-n20.extractive"
    assert profile_name("realtimeqa-2025", "extractive", limit=100, pool=2000) == "realtimeqa-2025-n100-p2000.extractive"


def test_margin_policy():
    assert gatefile.margin(100) == 0.02 and gatefile.margin(40) == 0.05
    assert gatefile.minimum_for(0.943, 35) == 0.88  # 0.943 - 2/35 = 0.886 -> 0.88
    assert gatefile.minimum_for(1.0, 200) == 0.98


def test_a_zero_minimum_and_bad_overrides_are_refused(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text("[seeds.extractive]\nrefusal_accuracy = 0\n")
    with pytest.raises(gatefile.ThresholdError, match="refusal_accuracy = 0"):
        gatefile.load_thresholds(bad, "seeds.extractive")
    assert gatefile.parse_overrides(["lead_answer=0.8"]) == {"lead_answer": 0.8}
    for item in ("lead_answer", "lead_answer=0", "lead_answer=x", "=0.5"):
        with pytest.raises(gatefile.ThresholdError, match="METRIC=VALUE"):
            gatefile.parse_overrides([item])


def test_update_rewrites_one_section_and_keeps_the_rest(tmp_path):
    from rag.evals.scoring import MetricSummary

    path = tmp_path / "t.toml"
    path.write_text("# policy\n\n# the seeds\n[a.extractive]\nlead_answer = 0.5  # measured 0.600 (6/10 cases) @ 1234567\n"
                    "\n[b.extractive]\nlead_answer = 0.7  # measured 0.800 (8/10 cases) @ 1234567\n")
    summaries = [MetricSummary("lead_answer", 0.9, 40, 0, False, binary=True),
                 MetricSummary("conciseness", 0.97, 40, 0, False)]
    gatefile.update(path, "a.extractive", summaries, "abcdef0")
    gatefile.update(path, "c.extractive", summaries, "abcdef0", ["lead_answer", "conciseness"])
    text = path.read_text()
    assert "lead_answer = 0.85" in text and "# measured 0.900 (36/40 cases) @ abcdef0" in text
    assert "lead_answer = 0.7  # measured 0.800 (8/10 cases) @ 1234567" in text  # [b] untouched
    assert "# the seeds" in text and "conciseness" not in text.split("[c.extractive]")[0]
    assert gatefile.load_thresholds(path, "c.extractive") == {"lead_answer": 0.85, "conciseness": 0.92}
    assert [f.commit for f in gatefile.figures(path, "c.extractive")] == ["abcdef0", "abcdef0"]


# -- the offline gate: one honest run per profile ------------------------------------------------


@pytest.fixture(scope="session")
def eval_out(request, tmp_path_factory) -> Path:
    """Eval output kept between sessions (pytest's cache folder): stores are synced, not rebuilt."""
    cache = getattr(request.config, "cache", None)
    return cache.mkdir("sourcechat-evals") if cache is not None else tmp_path_factory.mktemp("evals-out")


def run_profile(out: Path, dataset: str = "seeds", distractors: int = 0, data_dir: Path | None = None, **options):
    from rag.evals.suite import EvalOptions, run_suite

    eval_options = EvalOptions(dataset=dataset, mode="extractive", out_dir=out, distractors=distractors, progress=False,
                               **options)
    if data_dir is not None:
        eval_options.data_dir = data_dir
    return run_suite(eval_options, settings=_settings(), log=lambda line: None)


def assert_gate_holds(result):
    failed = [line for line in result.gate_lines if not line.ok]
    assert result.thresholds, f"no thresholds for {result.profile}"
    assert not failed, "\n".join(f"{l.metric}: {l.value} < {l.threshold} ({l.why})" for l in failed)
    for case_id, scores in result.scores.per_case.items():
        assert not any(math.isnan(v) for v in scores.values()), (case_id, scores)
    assert {line.metric for line in result.gate_lines} == set(result.thresholds)
    assert result.passed


def assert_figures_are_current(result):
    stale = gatefile.drift(THRESHOLDS_FILE, result.profile, result.summaries)
    assert not stale, (f"{THRESHOLDS_FILE.name} [{result.profile}] no longer says what the code measures; re-measure "
                       "with `rag eval ... --update-thresholds` (see the file's header):\n" + "\n".join(stale))


@pytest.fixture(scope="session")
def seeds_run(eval_out):
    return run_profile(eval_out)


@pytest.fixture(scope="session")
def golden_run(eval_out, shared_data_dir):
    return run_profile(eval_out, "bbc-rtqa", DISTRACTORS, shared_data_dir)


@pytest.mark.eval
def test_offline_gate_on_the_seed_dataset(seeds_run):
    assert_gate_holds(seeds_run)
    assert_figures_are_current(seeds_run)
    assert len(seeds_run.runs) == len(load_cases(SEEDS_DATASET)) and seeds_run.sync.articles == 1
    data = json.loads(seeds_run.files.results.read_text())
    assert data["passed"] is True and len(data["cases"]) == len(seeds_run.runs)


@pytest.mark.eval
def test_offline_gate_on_the_golden_set_with_the_bbc_pool(golden_run):
    assert golden_run.profile == "bbc-rtqa-bbc300.extractive"
    assert not golden_run.sync.skipped  # every reference article made it into the store
    assert golden_run.sync.articles > DISTRACTORS
    assert_gate_holds(golden_run)
    assert_figures_are_current(golden_run)


@pytest.mark.eval
def test_refusals_are_read_from_the_answer_not_its_wording(golden_run):
    for run in golden_run.runs:
        if run.answer is not None:
            assert golden_run.scores.per_case[run.case.id]["refusal_accuracy"] == float(run.answer.refused == run.case.must_refuse)


@pytest.mark.eval
def test_the_report_puts_failing_cases_first_with_question_answer_and_expected(golden_run):
    report = golden_run.files.report.read_text()
    failing = report.index("### Failing cases")
    assert failing < report.index("## All cases")
    data = json.loads(golden_run.files.results.read_text())
    failed = [c for c in data["cases"] if c["verdict"] == "fail"]
    passed = [c for c in data["cases"] if c["verdict"] == "pass"]
    assert failed and passed
    first = failed[0]
    assert first["case"]["question"] in report and first["faults"]
    for case in failed:  # a failing case fails on a metric it was scored on, under 1
        assert all(m in case["failures"] or case["scores"][m] < 1 for m in case["faults"])
    for case in passed:
        assert all(v >= 1 for m, v in case["scores"].items() if m in {l.metric for l in golden_run.gate_lines})
    junit = ET.parse(golden_run.files.junit).getroot()
    cases = [t for t in junit.iter("testcase") if t.get("classname", "").startswith("bbc-rtqa.")]
    assert len(cases) == len(golden_run.runs)
    assert sum(t.find("failure") is not None for t in cases) == len(failed)
    summary = golden_run.files.summary.read_text()
    assert summary.startswith("## ✅ rag eval `bbc-rtqa-bbc300.extractive`") and "| `lead_answer` |" in summary


# -- broken answerers, derived from the honest run's answers ----------------------------------------


_CLOSED = re.compile(r"[.!?…:;][”\"’')\]]*$")


def quoting(answer, chat, spans: list[tuple[str, int, int]]):
    """``answer`` replaced by the sentences at ``spans`` (article id, start, end), each citing itself,
    closed with a full stop where a headline has none, as the answer layer writes them."""
    articles = chat.articles(sorted({a for a, _, _ in spans}))
    citations, sentences = [], []
    for n, (article_id, start, end) in enumerate(spans, start=1):
        article = articles[article_id]
        quote = article.text[start:end]
        citations.append(Citation(n=n, article_id=article_id, source=article.source, title=article.title, url=None,
                                  published=None, quote=quote, start=start, end=end, support=1.0, chunk_id=""))
        sentences.append(AnswerSentence(text=quote if _CLOSED.search(quote) else quote + ".", citations=[n], support=1.0))
    text = " ".join(with_markers(s.text, s.citations) for s in sentences)
    return replace(answer, answer=text, refused=False, citations=citations, sentences=sentences)


def _cited(answer) -> list[tuple[str, int, int]]:
    return [(c.article_id, c.start, c.end) for c in answer.citations]


def dumps_the_whole_article(run, chat):
    """The honest answer as it is (its lead phrase too), then every other sentence of the article it
    cites first."""
    if not run.answered:
        return run.answer
    first = run.answer.citations[0].article_id
    text = chat.article(first).text
    cited = _cited(run.answer)
    rest = quoting(run.answer, chat, [(first, s, e) for s, e in sentence_spans(text) if (first, s, e) not in cited])
    shift = len(run.answer.citations)
    citations = list(run.answer.citations) + [replace(c, n=c.n + shift) for c in rest.citations]
    sentences = list(run.answer.sentences) + [replace(t, citations=[n + shift for n in t.citations])
                                              for t in rest.sentences]
    text = run.answer.answer + " " + " ".join(with_markers(t.text, t.citations) for t in sentences[len(run.answer.sentences):])
    return replace(run.answer, answer=text, citations=citations, sentences=sentences)


def leads_with_another_sentence(run, chat):
    """The honest sentences, after a sentence of the same article that states none of the answer."""
    if not run.answered:
        return run.answer
    first = run.answer.citations[0]
    text = chat.article(first.article_id).text
    wanted = [w.lower() for w in run.case.answer_contains]
    others = [(s, e) for s, e in sentence_spans(text)
              if len(text[s:e].split()) >= 6 and (s, e) != (first.start, first.end)
              and not any(w in text[s:e].lower() for w in wanted)]
    if not others:
        return run.answer
    s, e = min(others, key=lambda span: span[1] - span[0])  # the shortest: the answer grows least
    return quoting(run.answer, chat, [(first.article_id, s, e)] + _cited(run.answer))


@pytest.fixture(scope="session")
def corpus_sentences(golden_run):
    """Every sentence of the golden corpus: (article id, start, end, text)."""
    chat = golden_run.chat
    articles = chat.articles([a["article_id"] for a in chat.list_articles()])
    return [(aid, s, e, a.text[s:e]) for aid, a in articles.items() for s, e in sentence_spans(a.text)]


def answers_from_another_article(corpus_sentences):
    """A sentence that states the short answer, quoted from an article that is not a reference one."""

    def transform(run, chat):
        if not run.answered or not run.case.answer_contains:
            return run.answer
        wanted = [w.lower() for w in run.case.answer_contains]
        references = set(run.case.reference_article_ids)
        for article_id, start, end, text in corpus_sentences:
            if article_id not in references and all(w in text.lower() for w in wanted):
                return quoting(run.answer, chat, [(article_id, start, end)])
        return run.answer

    return transform


def answers_the_unanswerable(run, chat):
    """Where the honest answerer rightly refused, the first sentence of the best retrieved chunk."""
    if not (run.refused and run.case.must_refuse and run.answer.sources):
        return run.answer
    top = run.answer.sources[0]
    text = chat.article(top.article_id).text
    span = next(((s, e) for s, e in sentence_spans(text, top.start, top.end) if len(text[s:e].split()) >= 4), None)
    if span is None:
        return run.answer
    return quoting(run.answer, chat, [(top.article_id, *span)])


def refuses_the_answerable(result):
    """Refuses every other question it answered, alike among right and wrong leads (so the quality of
    what it still answers stays the same)."""
    from rag.evals.metrics import lead_answer

    answered = [r for r in result.runs if r.answered and not r.case.must_refuse]
    right = [r.case.id for r in answered if r.case.answer_contains and lead_answer(r)]
    rest = [r.case.id for r in answered if r.case.id not in right]
    refused = set(right[::2] + rest[::2])

    def transform(run, chat):
        return refused_answer(run.answer) if run.case.id in refused else run.answer

    return transform


def refused_answer(answer):
    """A refusal in place of ``answer``, showing the same closest sources (retrieval is unchanged)."""
    return replace(answer, answer=f"{REFUSAL_TEXT} (This answerer refuses.)", refused=True, citations=[], sentences=[])


def always_refuses(run, chat):
    return refused_answer(run.answer)


def cites_the_wrong_span(run, chat):
    """Says the right thing but points every citation at the sentence farthest from it."""
    if not run.answered:
        return run.answer
    citations = []
    for citation in run.answer.citations:
        text = chat.article(citation.article_id).text
        spans = [(s, e) for s, e in sentence_spans(text) if len(text[s:e].split()) > 6]
        s, e = max(spans, key=lambda span: abs(span[0] - citation.start))
        citations.append(replace(citation, quote=text[s:e], start=s, end=e))
    return replace(run.answer, citations=citations)


def failing_metrics(result) -> set[str]:
    return {line.metric for line in result.gate_lines if not line.ok}


def _lines(result) -> list:
    return [(line.metric, round(line.value or 0, 3), line.threshold) for line in result.gate_lines]


@pytest.mark.eval
@pytest.mark.parametrize("broken, caught_by", [
    (dumps_the_whole_article, "conciseness"),
    (leads_with_another_sentence, "lead_answer"),
    (answers_the_unanswerable, "refusal_recall"),
    (cites_the_wrong_span, "citation_faithfulness"),
], ids=lambda v: getattr(v, "__name__", v))
def test_each_broken_answerer_fails_the_gate_on_its_metric_alone(golden_run, broken, caught_by):
    from rag.evals.suite import rescore

    derived = rescore(golden_run, broken)
    assert failing_metrics(derived) == {caught_by}, _lines(derived)


@pytest.mark.eval
def test_an_answerer_quoting_another_article_fails_on_the_cited_article_alone(golden_run, corpus_sentences):
    from rag.evals.suite import rescore

    derived = rescore(golden_run, answers_from_another_article(corpus_sentences))
    changed = sum(1 for a, b in zip(golden_run.runs, derived.runs) if a.answer is not b.answer)
    assert changed >= 10  # enough cases have a look-alike sentence elsewhere for the test to mean something
    assert failing_metrics(derived) == {"cited_reference_article"}, _lines(derived)


@pytest.mark.eval
def test_an_answerer_refusing_what_it_could_answer_fails_on_the_answer_rate_alone(golden_run):
    from rag.evals.suite import rescore

    derived = rescore(golden_run, refuses_the_answerable(golden_run))
    assert failing_metrics(derived) == {"answer_rate"}, _lines(derived)
    everything = rescore(golden_run, always_refuses)
    assert "answer_rate" in failing_metrics(everything) and not everything.passed
    assert {l.why for l in everything.gate_lines if l.metric == "lead_answer"} == {"not measured"}


@pytest.mark.eval
def test_the_seed_profile_catches_broken_answerers_too(seeds_run):
    from rag.evals.suite import rescore

    assert failing_metrics(rescore(seeds_run, dumps_the_whole_article)) == {"conciseness"}
    assert failing_metrics(rescore(seeds_run, leads_with_another_sentence)) == {"lead_answer"}
    assert failing_metrics(rescore(seeds_run, answers_the_unanswerable)) == {"refusal_recall"}


# -- the long profiles (`.ci/run` runs them after `make test`) --------------------------------------


@pytest.mark.eval
@pytest.mark.slow
def test_offline_gate_on_the_seeds_with_bbc_distractors(eval_out, shared_data_dir):
    result = run_profile(eval_out, "seeds", DISTRACTORS, shared_data_dir)
    assert result.profile == "seeds-bbc300.extractive" and not result.sync.skipped
    assert_gate_holds(result)
    assert_figures_are_current(result)


@pytest.mark.eval
@pytest.mark.slow
@pytest.mark.timeout(5400)  # a first run embeds 13,279 chunks: 12 minutes on 2 idle cores, 34 under load
def test_offline_gate_on_realtimeqa_2025_limit_100(eval_out, shared_data_dir):
    from rag.evals.suite import rescore

    result = run_profile(eval_out, "realtimeqa-2025", data_dir=shared_data_dir, limit=100)
    assert result.profile == "realtimeqa-2025.extractive" and len(result.runs) == 100
    assert_gate_holds(result)
    assert_figures_are_current(result)
    # the labelled metrics catch what they exist for
    assert "answer_in_cited_sentence" in failing_metrics(rescore(result, cites_the_wrong_span))
    assert "answered_where_article_answers" in failing_metrics(rescore(result, refuses_the_answerable(result)))


# -- the command -------------------------------------------------------------------------------


@pytest.mark.eval
def test_a_maintainer_runs_their_own_cases_over_their_own_folder(run_rag, tmp_path, capsys):
    """`rag eval --dataset mycases.jsonl --sources ./my-articles --format junit`, as evals/README shows."""
    articles = tmp_path / "my-articles"
    (articles / "2024").mkdir(parents=True)
    seed = next(SEEDS_DIR.glob("*.txt"))
    (articles / "2024" / "qatar.txt").write_bytes(seed.read_bytes())
    cases = [c for c in map(json.loads, SEEDS_DATASET.read_text().splitlines()) if c["kind"] != "follow_up"][:5]
    cases += [c for c in map(json.loads, SEEDS_DATASET.read_text().splitlines()) if c["kind"] == "refusal"][:2]
    for case in cases:
        if case.get("reference_article_ids"):
            case["reference_article_ids"] = ["2024/qatar.txt"]
    dataset = tmp_path / "mycases.jsonl"
    dataset.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    out = tmp_path / "out"
    args = ["eval", "--dataset", str(dataset), "--sources", str(articles), "--out", str(out), "--quiet"]

    done = run_rag(args + ["--format", "junit", "--min", "refusal_accuracy=0.5"], timeout=300)
    assert done.returncode == 0, done.stderr
    suites = ET.fromstring(done.stdout)
    gate = [t for t in suites.iter("testcase") if t.get("classname") == "mycases.extractive.gate"]
    assert [t.get("name") for t in gate] == ["refusal_accuracy >= 0.5"] and gate[0].find("failure") is None
    assert len([t for t in suites.iter("testcase") if t.get("classname", "").startswith("mycases.")]) == len(cases) + 1
    folder = Path(re.search(r"junit: (.*)", done.stderr).group(1)).parent
    assert (folder / "junit.xml").read_text() == done.stdout and (folder / "summary.md").is_file()
    assert not (out / "corpora").exists()  # the folder is used as it is, not copied

    # Again (in-process: the subprocess above showed the command end to end): a Markdown summary
    # against the previous run, and a minimum the run misses fails it.
    from rag.cli import main

    status = main(args + ["--format", "markdown", "--min", "lead_answer=1.0"])
    summary = capsys.readouterr().out
    assert summary.startswith("## ") and "Change against the previous run." in summary
    assert "| `lead_answer` |" in summary and "±0" in summary
    lead = json.loads((folder / "results.json").read_text())["aggregate"]["lead_answer"]["mean"]
    assert status == (0 if lead == 1.0 else 1)


@pytest.mark.eval
def test_a_baseline_shows_metric_deltas_and_flipped_cases(seeds_run, tmp_path):
    from rag.evals import report

    baseline = json.loads(seeds_run.files.results.read_text())
    flipped = next(c for c in baseline["cases"] if c["verdict"] == "pass" and "lead_answer" in c["scores"])
    flipped["verdict"], flipped["scores"]["lead_answer"] = "fail", 0.0
    baseline["aggregate"]["lead_answer"]["mean"] -= 0.1
    comparison = report.compare(seeds_run, baseline, "baseline.json")
    assert comparison.fixed == [flipped["case"]["id"]] and not comparison.newly_failing
    assert comparison.deltas["lead_answer"] == pytest.approx(0.1, abs=1e-3)
    assert any(line.startswith(f"{flipped['case']['id']}: 0 → 1") for line in comparison.metric_flips["lead_answer"])
    shown = report.summary_markdown(replace(seeds_run, comparison=comparison))
    assert "+0.100" in shown and f"Fixed: `{flipped['case']['id']}`" in shown


@pytest.mark.parametrize("args, message", [
    (["--dataset", "no-such-dataset"], "dataset 'no-such-dataset' not found"),
    (["--limit", "0"], "--limit must be 1 or more"),
    (["--min", "lead_answer"], "use METRIC=VALUE"),
    (["--sources", "/no/such/folder"], "--sources: folder not found"),
    (["--sources", ".", "--distractors", "3"], "--distractors does not apply"),
    (["--dataset", "realtimeqa-2025", "--distractors", "3"], "use --pool"),
    (["--limit", "3", "--update-thresholds"], "measures the whole dataset"),
])
def test_rag_eval_rejects_bad_options_with_a_clear_message(tmp_path, capsys, args, message):
    from rag.cli import main

    assert main(["eval", "--quiet", "--out", str(tmp_path / "out"), *args]) == 1
    assert message in capsys.readouterr().err


# -- generative answers are scored the same way ------------------------------------------------


@pytest.mark.eval
def test_generative_answers_are_scored_and_an_uncited_claim_counts_against_them(eval_out):
    from fake_openai import FakeOpenAI, Reply

    from rag.evals.suite import EvalOptions, run_suite
    from rag.settings import Settings

    text = "Ali Mansouri had signed the letter backing China on July 12 [1]. Germany also signed the letter [1]."
    with FakeOpenAI([text, text, Reply(status=500)]) as fake:
        settings = Settings(_env_file=None, chroma_url=None, embedding_backend="local", openai_base_url=fake.base_url,
                            openai_api_key="test", llm_timeout=20, llm_retries=0, judge_model=None,
                            verify="local")  # the scripted replies are the answers; no second opinion is asked
        options = EvalOptions(dataset="seeds", mode="generative", out_dir=eval_out, limit=3, progress=False)
        result = run_suite(options, settings=settings, log=lambda line: None)
    assert result.profile == "seeds-first3.generative" and result.thresholds is None  # reported, not gated
    answered, failed = result.runs[:2], result.runs[2]
    assert all(run.answer.mode == "generative" and not run.error for run in answered)
    for run in answered:
        assert [s.unsupported for s in run.answer.sentences] == [False, True]
        assert result.scores.per_case[run.case.id]["citation_faithfulness"] == 0.5
    # The model failed on the third: neither an answer nor a refusal, a failure that fails the run.
    assert failed.error and set(result.scores.failures[failed.case.id]) == {"answer_rate", "refusal_accuracy"}
    assert all(why.startswith("no answer: ") for why in result.scores.failures[failed.case.id].values())
    assert not result.passed


def test_a_quoted_sentence_shown_with_its_quotation_marks_paired_is_still_verbatim():
    from rag.answer.extractive import balanced_quotes
    from rag.evals.metrics import _verbatim

    quote = "Career sexism goes both ways.\""
    assert _verbatim(balanced_quotes(quote), quote)
    assert _verbatim(quote, quote)
    assert not _verbatim("Career sexism goes one way.\"", quote)
