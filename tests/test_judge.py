"""Judge metrics (ragas Faithfulness, ResponseRelevancy, LLM context precision and recall,
FactualCorrectness) against a real HTTP server on 127.0.0.1 speaking the OpenAI API.

The server's replies are scripted by ``scripted_judge``: it reads the ragas prompt it is sent
(the instruction, then ``input: {...}``), and answers with the JSON that prompt asks for. A
statement is supported when it is a span of the context, so a correct extractive answer
scores high and an answer with a changed figure scores low. The answerer is the real
pipeline on the seed article; the one that contradicts is a SourceChat subclass.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from fake_openai import FakeOpenAI, Reply

from rag.answer.citations import with_markers
from rag.pipeline import SourceChat

MARK = "Now perform the same with the following input\ninput: "

CASES = [
    {"id": "signer", "kind": "answerable", "question": "Who signed the letter backing China's human rights record on behalf of Qatar?",
     "reference": "Ali Mansouri signed the letter.", "answer_contains": ["Ali Mansouri"],
     "reference_article_ids": ["000_7d40094ea373a31e.txt"], "reference_quotes": ["Ali Mansouri had signed on July 12"]},
    {"id": "trade", "kind": "answerable", "question": "How much was the trade between China and Qatar last year?",
     "reference": "A total of $13 billion.", "answer_contains": ["$13 billion"],
     "reference_article_ids": ["000_7d40094ea373a31e.txt"], "reference_quotes": ["with a total $13 billion"]},
    {"id": "informed", "kind": "answerable", "question": "Whom did Qatar inform that it was withdrawing its support for China?",
     "reference": "Coly Seck, President of the UN Human Rights Council.", "answer_contains": ["Coly Seck"],
     "reference_article_ids": ["000_7d40094ea373a31e.txt"], "reference_quotes": ["Human Rights Council President Coly Seck"]},
    {"id": "france", "kind": "refusal", "question": "What is the capital of France?", "reference": "The sources don't say."},
]
QUESTION_ABOUT = {"Mansouri": CASES[0]["question"], "billion": CASES[1]["question"], "Coly Seck": CASES[2]["question"]}


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[“”\"’']", "", text).lower().split()).rstrip(".")


def _sentences(text: str) -> list[str]:
    # An extractive answer leads with its short answer ("**Ali Mansouri**: <quoted sentence>"): a
    # judge reads the quoted sentence, which states the short answer too, as the statement.
    text = re.sub(r"^\*\*[^*]+\*\*:\s*", "", text.strip())
    return [s.strip() for s in re.split(r"(?<=[.!?”])\s+(?=[A-Z“])", text) if s.strip()]


def ragas_input(body: dict) -> tuple[str, dict]:
    prompt = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    instruction, _, rest = prompt.rpartition(MARK)
    return instruction, json.loads(rest.rsplit("\nOutput:", 1)[0])


def scripted_judge(body: dict, malformed_when: str | None = None):
    instruction, data = ragas_input(body)
    if malformed_when and malformed_when in data.get("question", ""):
        return "The statements look fine to me."  # prose where JSON was asked for
    if "Break down each sentence into one or more fully understandable statements" in instruction:
        return json.dumps({"statements": _sentences(data["answer"])})
    if "Decompose and break down each of the input sentences" in instruction:
        return json.dumps({"claims": _sentences(data["response"])})
    if "judge the faithfulness of a series of statements" in instruction:
        context = _plain(data["context"])
        return json.dumps({"statements": [
            {"statement": s, "reason": "scripted", "verdict": int(_plain(s) in context)} for s in data["statements"]
        ]})
    if "Generate a question for the given answer" in instruction:
        question = next((q for key, q in QUESTION_ABOUT.items() if key in data["response"]), "What happened?")
        return json.dumps({"question": question, "noncommittal": 0})
    if "verify if the context was useful" in instruction:
        return json.dumps({"reason": "scripted", "verdict": int("Qatar" in data["context"])})
    if "classify if the sentence can be attributed to the given context" in instruction:
        return json.dumps({"classifications": [
            {"statement": s, "reason": "scripted", "attributed": 1} for s in _sentences(data["answer"])
        ]})
    return Reply(status=400, text=f"unscripted prompt: {instruction[:80]}")


class ContradictingChat(SourceChat):
    """Answers the trade question with the wrong figure, keeping the real citation."""

    def ask(self, question, history=None, **options):
        answer = super().ask(question, history=history, **options)
        if "$13 billion" not in answer.answer:
            return answer
        sentences = [replace(s, text=s.text.replace("$13 billion", "$31 billion")) for s in answer.sentences]
        return replace(answer, sentences=sentences,
                       answer=" ".join(with_markers(s.text, s.citations) for s in sentences))


@pytest.fixture
def judge_dataset(tmp_path):
    path = tmp_path / "judge-cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CASES) + "\n")
    return path


def run_judged(make_settings, tmp_path, dataset, fake, chat_class=SourceChat, thresholds=None, judge=True):
    from rag.evals.suite import EvalOptions, run_suite

    settings = make_settings(judge_model="judge-model" if judge else None, judge_base_url=fake.base_url,
                             judge_api_key="test", llm_timeout=20, llm_retries=0)
    options = EvalOptions(dataset=str(dataset), mode="extractive", out_dir=tmp_path / "out", progress=False)
    if thresholds is not None:
        options.thresholds_file = thresholds
    return run_suite(options, settings=settings, chat_factory=chat_class, log=lambda line: None)


JUDGE_METRICS = ("faithfulness", "answer_relevancy", "llm_context_precision_with_reference",
                 "llm_context_recall", "factual_correctness")


def test_judge_scores_supported_answers_high_and_a_contradicted_one_low(make_settings, tmp_path, judge_dataset):
    with FakeOpenAI(scripted_judge) as fake:
        result = run_judged(make_settings, tmp_path, judge_dataset, fake, ContradictingChat)
    scores = result.scores.per_case
    assert not result.scores.failures, result.scores.failures
    for case in ("signer", "informed"):
        assert scores[case]["faithfulness"] == 1.0
        assert scores[case]["answer_relevancy"] > 0.9
        assert scores[case]["llm_context_recall"] == 1.0
    assert scores["trade"]["faithfulness"] == 0.0  # "$31 billion" is in no retrieved chunk
    assert scores["trade"]["citation_faithfulness"] == 0.0  # and our own check agrees
    assert "faithfulness" not in scores["france"]  # a refusal has no claims to judge
    summary = {s.name: s for s in result.summaries}
    assert set(JUDGE_METRICS) <= {s.name for s in result.summaries if s.judged}
    assert summary["faithfulness"].mean == pytest.approx(2 / 3)
    # The judge saw ragas' prompts in JSON mode, with the model we configured.
    assert fake.requests and all(r["model"] == "judge-model" for r in fake.requests)
    assert all(r.get("response_format", {}).get("type") == "json_object" for r in fake.requests)
    # Its run-time cost is measured per judged case (the three answerable ones; a refusal has nothing to judge).
    assert result.scores.judge_calls == len(fake.requests) and result.scores.judged_cases == 3
    assert result.scores.judge_seconds > 0
    data = json.loads(result.json_path.read_text())
    assert data["judge"] == {"calls": len(fake.requests), "seconds": round(result.scores.judge_seconds, 2), "cases": 3}
    assert f"judge: {len(fake.requests)} calls in" in result.files.summary.read_text()


def test_judge_thresholds_come_from_the_judge_section_only_when_a_judge_is_configured(make_settings, tmp_path,
                                                                                     judge_dataset):
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("[judge-cases.extractive]\nrefusal_accuracy = 0.9\n\n"
                          "[judge-cases.extractive.judge]\nfaithfulness = 0.9\nanswer_relevancy = 0.5\n")
    with FakeOpenAI(scripted_judge) as fake:
        judged = run_judged(make_settings, tmp_path, judge_dataset, fake, ContradictingChat, thresholds)
        offline = run_judged(make_settings, tmp_path, judge_dataset, fake, ContradictingChat, thresholds, judge=False)
    lines = {line.metric: line for line in judged.gate_lines}
    assert set(lines) == {"refusal_accuracy", "faithfulness", "answer_relevancy"}
    assert not lines["faithfulness"].ok and lines["faithfulness"].value == pytest.approx(2 / 3)  # the contradicted case
    assert lines["answer_relevancy"].ok and lines["refusal_accuracy"].ok
    assert not judged.passed
    assert {line.metric for line in offline.gate_lines} == {"refusal_accuracy"} and offline.passed


def test_a_malformed_judge_reply_is_reported_per_case_not_averaged_away(make_settings, tmp_path, judge_dataset):
    with FakeOpenAI(lambda body: scripted_judge(body, malformed_when="Whom did Qatar inform")) as fake:
        result = run_judged(make_settings, tmp_path, judge_dataset, fake)
    failures = result.scores.failures
    assert set(failures) == {"informed"}, failures
    assert "faithfulness" in failures["informed"]
    assert "faithfulness" not in failures.get("signer", {})
    summary = {s.name: s for s in result.summaries}
    # Two good cases (1.0 each) and one failure counted as 0, not a mean over the two that parsed.
    assert summary["faithfulness"].failures == 1
    assert summary["faithfulness"].mean == pytest.approx(2 / 3)
    assert not result.passed
    report = result.report_path.read_text()
    informed_section = report.split("### `informed`", 1)[1].split("###", 1)[0]
    assert "**fails on:**" in informed_section and "faithfulness:" in informed_section
    data = json.loads(result.json_path.read_text())
    informed = next(c for c in data["cases"] if c["case"]["id"] == "informed")
    assert "faithfulness" in informed["failures"]
