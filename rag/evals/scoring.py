"""Scoring with ragas: metric groups over ``EvaluationDataset``s of ``SingleTurnSample``s.

A metric group is the cases a set of metrics applies to and how a case becomes a sample:
context recall needs a reference, citation faithfulness an answer, refusal accuracy every
case. Each group is one ``ragas.evaluate`` call; the per-case scores are merged into one table.

Offline groups run with ``raise_exceptions=True``: a failing offline metric is a bug to see,
not a NaN to average. Judge groups run with ``raise_exceptions=False`` so one bad reply does
not stop the run, and a callback records every metric error with its case; an error or a
NaN counts as a failure: it scores 0 in the aggregate and is listed per case.

The gate (``evals/thresholds.toml``): per profile (dataset and answer mode), each metric's
minimum aggregate. A metric under its minimum, with failures, or not measured fails it.
"""

from __future__ import annotations

import math
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from langchain_core.callbacks import BaseCallbackHandler

from rag.errors import SourceChatError
from rag.evals.runner import CaseRun


@dataclass
class MetricGroup:
    name: str
    applies: Callable[[CaseRun], bool]
    samples: Callable[[CaseRun], list]  # one or more SingleTurnSamples; a case scores their minimum
    metrics: list
    judged: bool = False


@dataclass
class Scores:
    metrics: list[str] = field(default_factory=list)  # in report order
    judged: set[str] = field(default_factory=set)
    per_case: dict[str, dict[str, float]] = field(default_factory=dict)  # case id -> metric -> score
    failures: dict[str, dict[str, str]] = field(default_factory=dict)  # case id -> metric -> why

    def add(self, case_id: str, metric: str, value: float) -> None:
        current = self.per_case.setdefault(case_id, {}).get(metric)
        self.per_case[case_id][metric] = value if current is None else _min(current, value)

    def fail(self, case_id: str, metric: str, why: str) -> None:
        self.failures.setdefault(case_id, {}).setdefault(metric, why)


def _min(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


@dataclass
class MetricSummary:
    name: str
    mean: float | None  # failures count as 0; None when no case was scored
    cases: int
    failures: int
    judged: bool

    def to_json(self) -> dict:
        return {"mean": None if self.mean is None else round(self.mean, 4), "cases": self.cases,
                "failures": self.failures, "judged": self.judged}


@dataclass
class GateLine:
    metric: str
    threshold: float
    value: float | None
    ok: bool
    why: str = ""

    def to_json(self) -> dict:
        return {"metric": self.metric, "threshold": self.threshold,
                "value": None if self.value is None else round(self.value, 4), "ok": self.ok, "why": self.why}


# -- samples -----------------------------------------------------------------------------


def _sample(**fields):
    from ragas.dataset_schema import SingleTurnSample

    return SingleTurnSample(**fields)


def plain_answer(run: CaseRun) -> str:
    """The answer without [n] markers (for a judge reading it as prose)."""
    if run.answer is None:
        return ""
    if run.answer.sentences:
        return " ".join(s.text for s in run.answer.sentences)
    return run.answer.answer


def retrieval_sample(run: CaseRun):
    return [_sample(
        user_input=run.case.question, response=run.response, reference=run.case.reference,
        retrieved_contexts=run.context_sentences or [""], reference_contexts=run.reference_sentences or [""],
        retrieved_context_ids=run.context_article_ids, reference_context_ids=run.case.reference_article_ids,
    )]


def answer_string_samples(run: CaseRun):
    # Case-insensitive: "Detention" at the start of a quoted sentence is the answer "detention".
    return [_sample(response=run.response.lower(), reference=wanted.lower()) for wanted in run.case.answer_contains]


def citation_sample(run: CaseRun):
    answer = run.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    return [_sample(
        user_input=run.case.question, response=answer.answer, multi_responses=answer.answer_parts(),
        retrieved_contexts=[c.quote for c in answer.citations], retrieved_context_ids=[c.article_id for c in answer.citations],
    )]


def refusal_sample(run: CaseRun):
    return [_sample(user_input=run.case.question, response=run.response, reference=run.case.reference)]


def hit_sample(run: CaseRun):
    return [_sample(reference=run.case.answer_contains[0], retrieved_contexts=run.contexts or [""])]


def cited_article_sample(run: CaseRun):
    return [_sample(reference=run.case.answer_contains[0], retrieved_contexts=run.cited_article_texts or [""])]


def judge_sample(run: CaseRun):
    return [_sample(
        user_input=run.case.question, response=plain_answer(run), reference=run.case.reference or None,
        retrieved_contexts=run.contexts or [""],
    )]


# -- metric groups -----------------------------------------------------------------------


def _legacy(name: str):
    """A metric class from ragas' ``evaluate``-compatible API (``ragas.metrics``).

    ragas 0.4 marks these imports deprecated in favour of ``ragas.metrics.collections``,
    whose metrics ``evaluate`` does not accept; we need ``evaluate`` (one table, our own
    metrics beside theirs), so we use these and silence the notice.
    """
    import ragas.metrics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(ragas.metrics, name)


def has_reference(run: CaseRun) -> bool:
    return not run.case.must_refuse and bool(run.case.reference_article_ids)


def offline_groups(profile: str, embedder, titles: dict[str, str]) -> list[MetricGroup]:
    from rag.evals.metrics import AnswerInContexts, CitationFaithfulness, RefusalAccuracy

    citation = MetricGroup("citations", lambda r: r.answered, citation_sample,
                           [CitationFaithfulness(embedder=embedder, titles=titles)])
    refusal = MetricGroup("refusals", lambda r: True, refusal_sample, [RefusalAccuracy()])
    answers = MetricGroup("answer strings", lambda r: bool(r.case.answer_contains), answer_string_samples,
                          [_legacy("StringPresence")()])
    if profile == "realtimeqa":
        return [
            MetricGroup("retrieval", has_reference, retrieval_sample, [_legacy("IDBasedContextRecall")()]),
            MetricGroup("answer hit", lambda r: bool(r.case.answer_contains), hit_sample,
                        [AnswerInContexts(name="answer_hit_at_k")]),
            answers,
            MetricGroup("cited article", lambda r: bool(r.case.answer_contains), cited_article_sample,
                        [AnswerInContexts(name="answer_in_cited_article")]),
            citation,
            refusal,
        ]
    return [
        MetricGroup("retrieval", has_reference, retrieval_sample, [
            _legacy("IDBasedContextRecall")(), _legacy("IDBasedContextPrecision")(),
            _legacy("NonLLMContextRecall")(), _legacy("NonLLMStringSimilarity")(),
        ]),
        answers,
        citation,
        refusal,
    ]


def judge_groups(make_judge: Callable[[], object], embeddings) -> list[MetricGroup]:
    """``make_judge`` is called once per group: each ``evaluate`` runs its own event loop, and
    an async HTTP client kept from an earlier loop fails with connection errors."""
    answered_with_reference = lambda r: r.answered and has_reference(r)  # noqa: E731
    answers_judge, contexts_judge, correctness_judge = make_judge(), make_judge(), make_judge()
    return [
        MetricGroup("judge: answers", lambda r: r.answered, judge_sample, [
            _legacy("Faithfulness")(llm=answers_judge),
            # One question per answer: instructor returns a single completion, not n of them.
            _legacy("ResponseRelevancy")(llm=answers_judge, embeddings=embeddings, strictness=1),
        ], judged=True),
        MetricGroup("judge: contexts", has_reference, judge_sample, [
            _legacy("LLMContextPrecisionWithReference")(llm=contexts_judge),
            _legacy("LLMContextRecall")(llm=contexts_judge, name="llm_context_recall"),
        ], judged=True),
        MetricGroup("judge: correctness", answered_with_reference, judge_sample, [
            _legacy("FactualCorrectness")(llm=correctness_judge, name="factual_correctness"),
        ], judged=True),
    ]


# -- running ragas -----------------------------------------------------------------------


class FailureRecorder(BaseCallbackHandler):
    """Collects every metric error as (row, metric, message): ragas itself only logs them."""

    def __init__(self):
        self.runs: dict = {}  # run id -> (name, parent run id)
        self.errors: list[tuple[int, str, str]] = []

    def on_chain_start(self, serialized, inputs, *, run_id, parent_run_id=None, **kwargs):
        self.runs[run_id] = ((serialized or {}).get("name", ""), parent_run_id)

    def on_chain_error(self, error, *, run_id, **kwargs):
        name, parent = self.runs.get(run_id, ("", None))
        parent_name = self.runs.get(parent, ("", None))[0]
        if parent_name.startswith("row "):  # a metric's own chain, not a prompt inside it
            message = f"{type(error).__name__}: {error}".strip()
            self.errors.append((int(parent_name[4:]), name, message[:400]))


def score_groups(runs: list[CaseRun], groups: list[MetricGroup], run_config=None,
                 log: Callable[[str], None] = print) -> Scores:
    from ragas import EvaluationDataset, evaluate

    scores = Scores()
    for group in groups:
        names = [m.name for m in group.metrics]
        scores.metrics += [n for n in names if n not in scores.metrics]
        if group.judged:
            scores.judged.update(names)
        rows: list[tuple[str, object]] = []  # (case id, sample)
        for run in runs:
            if group.applies(run):
                rows += [(run.case.id, s) for s in group.samples(run)]
        if not rows:
            continue
        recorder = FailureRecorder()
        with warnings.catch_warnings():
            # evaluate() is deprecated in ragas 0.4 in favour of experiments; it is the API that
            # scores ragas' metrics and ours in one table, and it is pinned with ragas==0.4.3.
            warnings.simplefilter("ignore", DeprecationWarning)
            result = evaluate(
                EvaluationDataset(samples=[s for _, s in rows]), metrics=group.metrics,
                llm=next((m.llm for m in group.metrics if getattr(m, "llm", None) is not None), None),
                callbacks=[recorder], run_config=run_config, raise_exceptions=not group.judged,
                show_progress=False,
            )
        for row_index, metric, message in recorder.errors:  # the reason first, then the bare NaN
            scores.fail(rows[row_index][0], metric, message)
        for (case_id, _), row in zip(rows, result.scores):
            for name, value in zip(names, row.values()):
                value = math.nan if value is None else float(value)
                scores.add(case_id, name, value)
                if math.isnan(value):
                    scores.fail(case_id, name, "no score (NaN)")
        if group.judged:
            failed = sum(len(v) for v in scores.failures.values())
            log(f"judged {group.name}: {len(rows)} samples ({failed} failures so far)")
    return scores


def summarise(scores: Scores) -> list[MetricSummary]:
    out = []
    for name in scores.metrics:
        values = [m[name] for m in scores.per_case.values() if name in m]
        failures = sum(1 for m in scores.failures.values() if name in m)
        mean = sum(0.0 if math.isnan(v) else v for v in values) / len(values) if values else None
        out.append(MetricSummary(name, mean, len(values), failures, name in scores.judged))
    return out


# -- thresholds and the gate -------------------------------------------------------------


class ThresholdError(SourceChatError, ValueError):
    pass


def load_thresholds(path: Path, profile: str) -> dict[str, float] | None:
    """``[<dataset>.<mode>]`` of the thresholds file, e.g. ``[seeds.extractive]``; None when absent."""
    path = Path(path)
    if not path.is_file():
        raise ThresholdError(f"thresholds file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ThresholdError(f"{path}: {err}") from err
    section = data
    for part in profile.split("."):
        section = section.get(part) if isinstance(section, dict) else None
    if section is None:
        return None
    values = {}
    for metric, value in section.items():
        if isinstance(value, dict):
            continue
        if not isinstance(value, (int, float)) or not 0 < value <= 1:
            # A minimum of 0 (or below) can never fail: that is no gate at all.
            raise ThresholdError(f"{path} [{profile}] {metric} = {value!r}: use a number in (0, 1]")
        values[metric] = float(value)
    return values


def gate(summaries: list[MetricSummary], thresholds: dict[str, float]) -> list[GateLine]:
    by_name = {s.name: s for s in summaries}
    lines = []
    for metric, minimum in thresholds.items():
        summary = by_name.get(metric)
        if summary is None or summary.mean is None:
            lines.append(GateLine(metric, minimum, None, False, "not measured"))
        elif summary.failures:
            lines.append(GateLine(metric, minimum, summary.mean, False, f"{summary.failures} failed case(s)"))
        elif summary.mean < minimum:
            lines.append(GateLine(metric, minimum, summary.mean, False, "under threshold"))
        else:
            lines.append(GateLine(metric, minimum, summary.mean, True))
    return lines
