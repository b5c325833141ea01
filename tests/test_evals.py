"""The evaluation suite: the golden dataset, the offline gate, and proof that the gate bites.

The gate runs the real pipeline on the seed article (and, when the shared data is beside the
repository, with BBC distractors) in the eval's own store under a temporary folder, scores it
with ragas and checks ``evals/thresholds.toml``. Deliberately broken answerers, SourceChat
subclasses, must make it fail on the metric that catches their fault.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from rag.answer.compose import refusal
from rag.answer.record import AnswerSentence
from rag.answer.citations import with_markers
from rag.evals.corpus import DATASETS_DIR, SEEDS_DIR, THRESHOLDS_FILE
from rag.evals.dataset import DatasetError, load_cases, parse_case
from rag.pipeline import SourceChat
from rag.index.sources import read_article
from rag.text import sentence_spans

SEEDS_DATASET = DATASETS_DIR / "seeds.jsonl"
# The distractor count the [seeds-distractors.extractive] thresholds were measured with.
DISTRACTORS = 300


# -- the golden dataset ----------------------------------------------------------------------


def test_every_reference_quote_is_an_exact_span_of_its_article():
    cases = load_cases(SEEDS_DATASET)
    checked = 0
    for case in cases:
        texts = [read_article(SEEDS_DIR / aid, SEEDS_DIR, 10**7).text for aid in case.reference_article_ids]
        for quote in case.reference_quotes:
            assert any(text.find(quote) >= 0 for text in texts), f"{case.id}: {quote!r} is not an exact span"
            checked += 1
        for wanted in case.answer_contains:  # a correct answer can quote it
            assert any(wanted.lower() in text.lower() for text in texts), f"{case.id}: {wanted!r} not in the article"
    assert checked >= 25


def test_the_dataset_has_answerable_refusal_and_follow_up_cases():
    cases = load_cases(SEEDS_DATASET)
    kinds = [c.kind for c in cases]
    assert len(cases) >= 25
    assert kinds.count("answerable") >= 15 and kinds.count("refusal") >= 8 and kinds.count("follow_up") >= 3
    assert all(c.reference_quotes for c in cases if not c.must_refuse)


@pytest.mark.parametrize("line, message", [
    ('{"id": "x", "kind": "answerable", "question": "Q?", "reference": "A."}', "needs 'reference_article_ids'"),
    ('{"id": "x", "kind": "maybe", "question": "Q?"}', "unknown kind 'maybe'"),
    ('{"id": "x", "kind": "refusal", "question": "Q?", "reference_quotes": ["q"]}', "refusal case has no reference"),
    ('{"id": "x", "kind": "follow_up", "question": "Q?", "reference": "A.", "reference_article_ids": ["a"]}',
     "needs 'history'"),
    ('{"id": "x", "kind": "answerable", "question": "", "reference": "A."}', "missing or empty 'question'"),
    ('{"id": "x", "kind": "answerable", "question": "Q?", "reference": "A.", "reference_article_ids": "a.txt"}',
     "'reference_article_ids' must be a list"),
    ("{not json", "not valid JSON"),
])
def test_a_malformed_case_is_refused_with_its_line_and_reason(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "kind": "refusal", "question": "Fine?"}\n' + line + "\n")
    with pytest.raises(DatasetError) as caught:
        load_cases(path)
    assert f"{path}:2" in str(caught.value) and message in str(caught.value)


def test_a_quote_that_is_not_in_its_article_is_reported(tmp_path):
    from rag.evals.dataset import quote_spans

    case = parse_case({"id": "p", "kind": "answerable", "question": "Q?", "reference": "A.",
                       "reference_article_ids": ["a.txt"], "reference_quotes": ["Mansouri signed on 12 July"]}, "here")
    with pytest.raises(DatasetError, match="not an exact span of a.txt"):
        quote_spans(case, {"a.txt": "Ali Mansouri had signed on July 12"})


def test_thresholds_are_real_minimums(tmp_path):
    from rag.evals.scoring import ThresholdError, load_thresholds

    for profile in ("seeds.extractive", "seeds-distractors.extractive", "realtimeqa-2025.extractive"):
        values = load_thresholds(THRESHOLDS_FILE, profile)
        assert values, profile
        assert all(0 < v < 1 for v in values.values()), profile  # 1.0 would fail on any slip, 0 never
    bad = tmp_path / "t.toml"
    bad.write_text("[seeds.extractive]\nrefusal_accuracy = 0\n")
    with pytest.raises(ThresholdError, match="refusal_accuracy = 0"):
        load_thresholds(bad, "seeds.extractive")


# -- the offline gate ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eval_out(tmp_path_factory) -> Path:
    """One output folder for the module: the eval store is built once, then synced (no re-embedding)."""
    return tmp_path_factory.mktemp("evals-out")


def run_seeds(out: Path, chat_class=SourceChat, distractors: int = 0, data_dir: Path | None = None):
    from rag.evals.suite import EvalOptions, run_suite
    from rag.settings import Settings

    options = EvalOptions(dataset="seeds", mode="extractive", out_dir=out, distractors=distractors, progress=False)
    if data_dir is not None:
        options.data_dir = data_dir
    settings = Settings(_env_file=None, chroma_url=None, embedding_backend="local", answer_mode="extractive",
                        openai_api_key=None, openai_base_url=None, judge_model=None)
    return run_suite(options, settings=settings, chat_factory=chat_class, log=lambda line: None)


def assert_gate_holds(result):
    failed = [line for line in result.gate_lines if not line.ok]
    assert result.thresholds, f"no thresholds for {result.profile}"
    assert not failed, "\n".join(f"{l.metric}: {l.value} < {l.threshold} ({l.why})" for l in failed)
    for case_id, scores in result.scores.per_case.items():
        assert not any(math.isnan(v) for v in scores.values()), (case_id, scores)
    assert {line.metric for line in result.gate_lines} == set(result.thresholds)
    assert result.passed


@pytest.mark.eval
def test_offline_gate_on_the_seed_dataset(eval_out):
    result = run_seeds(eval_out)
    assert_gate_holds(result)
    assert len(result.runs) == len(load_cases(SEEDS_DATASET))
    assert result.sync.articles == 1
    data = json.loads(result.json_path.read_text())
    assert data["passed"] is True and len(data["cases"]) == len(result.runs)
    assert "refusal_accuracy" in result.report_path.read_text()


@pytest.mark.eval
def test_offline_gate_with_bbc_distractors(eval_out, shared_data_dir):
    result = run_seeds(eval_out, distractors=DISTRACTORS, data_dir=shared_data_dir)
    assert result.sync.articles == 1 + DISTRACTORS - len(result.sync.skipped)  # the BBC set has duplicates
    assert result.profile == "seeds-distractors.extractive"
    assert_gate_holds(result)


# -- broken answerers make the gate fail ------------------------------------------------------


def _wrong_span(chat: SourceChat, citation):
    """Another body sentence of the cited article: far from the one that answers."""
    text = chat.article(citation.article_id).text
    spans = [(s, e) for s, e in sentence_spans(text) if len(text[s:e].split()) > 6]
    far = max(spans, key=lambda span: abs(span[0] - citation.start))
    return text, far


class AlwaysRefuses(SourceChat):
    def ask(self, question, history=None, **options):
        answer = super().ask(question, history=history, **options)
        return refusal(question, answer.mode, [], answer.standalone_question, "this answerer always refuses")


class AnswersWithAnotherSentence(SourceChat):
    """Quotes (and correctly cites) a sentence far from the one that answers."""

    def ask(self, question, history=None, **options):
        answer = super().ask(question, history=history, **options)
        if answer.refused or not answer.citations:
            return answer
        text, (s, e) = _wrong_span(self, answer.citations[0])
        citation = replace(answer.citations[0], n=1, quote=text[s:e], start=s, end=e)
        sentence = AnswerSentence(text=text[s:e], citations=[1], support=1.0)
        return replace(answer, citations=[citation], sentences=[sentence], answer=with_markers(sentence.text, [1]))


class CitesTheWrongSpan(SourceChat):
    """Says the right thing but points every citation at an unrelated sentence."""

    def ask(self, question, history=None, **options):
        answer = super().ask(question, history=history, **options)
        if answer.refused:
            return answer
        citations = []
        for citation in answer.citations:
            text, (s, e) = _wrong_span(self, citation)
            citations.append(replace(citation, quote=text[s:e], start=s, end=e))
        return replace(answer, citations=citations)


def failing_metrics(result) -> set[str]:
    return {line.metric for line in result.gate_lines if not line.ok}


@pytest.mark.eval
def test_an_answerer_that_always_refuses_fails_the_gate(eval_out):
    result = run_seeds(eval_out, AlwaysRefuses)
    assert not result.passed
    assert {"refusal_accuracy", "string_present"} <= failing_metrics(result)


@pytest.mark.eval
def test_an_answerer_quoting_the_wrong_sentence_fails_the_gate(eval_out):
    result = run_seeds(eval_out, AnswersWithAnotherSentence)
    assert not result.passed
    assert "string_present" in failing_metrics(result)
    # Its citations are honest (the quote is what it says): that metric is not what catches it.
    assert "citation_faithfulness" not in failing_metrics(result)


@pytest.mark.eval
def test_an_answerer_citing_the_wrong_span_fails_citation_faithfulness(eval_out):
    result = run_seeds(eval_out, CitesTheWrongSpan)
    assert not result.passed
    assert "citation_faithfulness" in failing_metrics(result)
    summary = {s.name: s.mean for s in result.summaries}
    assert summary["citation_faithfulness"] < 0.3
    assert summary["string_present"] > 0.8  # the text itself is still right


# -- the command -----------------------------------------------------------------------------


@pytest.mark.eval
def test_rag_eval_command_writes_reports_and_prints_the_table(run_rag, tmp_path):
    out = tmp_path / "out"
    done = run_rag(["eval", "--limit", "6", "--mode", "extractive", "--out", str(out), "--quiet", "--no-judge"],
                   timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert "refusal_accuracy" in done.stdout and "report:" in done.stdout
    results = json.loads((out / "reports" / "seeds-extractive" / "results.json").read_text())
    assert len(results["cases"]) == 6
    assert results["passed"] == (done.returncode == 0)
    assert (out / "stores" / "seeds").is_dir()  # the eval's own store, not .rag/


@pytest.mark.parametrize("args, message", [
    (["eval", "--dataset", "no-such-dataset"], "dataset 'no-such-dataset' not found"),
    (["eval", "--limit", "0"], "--limit must be 1 or more"),
])
def test_rag_eval_rejects_bad_options_with_a_clear_message(run_rag, tmp_path, args, message):
    done = run_rag(args + ["--out", str(tmp_path / "out")], timeout=120)
    assert done.returncode == 1
    assert message in done.stderr


# -- generative answers are scored the same way ------------------------------------------------


@pytest.mark.eval
def test_generative_answers_are_scored_and_an_uncited_claim_counts_against_them(eval_out):
    from fake_openai import FakeOpenAI

    from rag.evals.suite import EvalOptions, run_suite
    from rag.settings import Settings

    text = "Ali Mansouri had signed the letter backing China on July 12 [1]. Germany also signed the letter [1]."
    with FakeOpenAI([text]) as fake:
        settings = Settings(_env_file=None, chroma_url=None, embedding_backend="local", openai_base_url=fake.base_url,
                            openai_api_key="test", llm_timeout=20, llm_retries=0, judge_model=None)
        options = EvalOptions(dataset="seeds", mode="generative", out_dir=eval_out, limit=3, progress=False)
        result = run_suite(options, settings=settings, log=lambda line: None)
    assert result.profile == "seeds.generative" and result.thresholds is None  # reported, not gated
    assert all(run.answer.mode == "generative" and not run.error for run in result.runs)
    for run in result.runs:
        assert [s.unsupported for s in run.answer.sentences] == [False, True]
        assert result.scores.per_case[run.case.id]["citation_faithfulness"] == 0.5
