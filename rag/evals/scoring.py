"""Scoring: ragas metric groups over ``EvaluationDataset``s, our case metrics, one table.

A ragas metric group is the cases a set of ragas metrics applies to and how a case becomes a
``SingleTurnSample``: context recall needs a reference, the judge's faithfulness an answer.
Each group is one ``ragas.evaluate`` call. Our own metrics (``rag.evals.metrics``) read the
recorded case directly. Per-case scores of both go into one ``Scores`` table.

Offline groups run with ``raise_exceptions=True``: a failing offline metric is a bug to see,
not a NaN to average. Judge groups run with ``raise_exceptions=False`` so one bad reply does
not stop the run, and a callback records every metric error with its case; an error or a
NaN counts as a failure: it scores 0 in the aggregate and is listed per case. A case whose
answer failed (the model was down) neither answered nor refused: a failure of the refusal metrics.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

from langchain_core.callbacks import BaseCallbackHandler

from rag.evals.metrics import CaseMetric
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
    judge_calls: int = 0  # HTTP requests to the judge
    judge_seconds: float = 0.0
    judged_cases: int = 0

    def add(self, case_id: str, metric: str, value: float) -> None:
        current = self.per_case.setdefault(case_id, {}).get(metric)
        self.per_case[case_id][metric] = value if current is None else _min(current, value)

    def fail(self, case_id: str, metric: str, why: str) -> None:
        self.failures.setdefault(case_id, {}).setdefault(metric, why)

    def register(self, names: list[str], judged: bool = False) -> None:
        self.metrics += [n for n in names if n not in self.metrics]
        if judged:
            self.judged.update(names)


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
    binary: bool = False  # every case scored 0 or 1: the mean is a share of cases

    def to_json(self) -> dict:
        return {"mean": None if self.mean is None else round(self.mean, 4), "cases": self.cases,
                "failures": self.failures, "judged": self.judged}


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


def judge_sample(run: CaseRun):
    return [_sample(
        user_input=run.case.question, response=plain_answer(run), reference=run.case.reference or None,
        retrieved_contexts=run.contexts or [""],
    )]


# -- metric groups -----------------------------------------------------------------------


def _legacy(name: str):
    """A metric class from ragas' ``evaluate``-compatible API (``ragas.metrics``).

    ragas 0.4 marks these imports deprecated in favour of ``ragas.metrics.collections``,
    whose metrics ``evaluate`` does not accept; we need ``evaluate`` (one table, ragas'
    metrics beside the judge's), so we use these and silence the notice.
    """
    import ragas.metrics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(ragas.metrics, name)


def has_reference(run: CaseRun) -> bool:
    return not run.case.must_refuse and bool(run.case.reference_article_ids)


def _answer_strings(run: CaseRun) -> bool:
    return bool(run.case.answer_contains) and not run.error


def ragas_groups(profile: str) -> list[MetricGroup]:
    """ragas' offline metrics for a scoring profile ("golden" or "realtimeqa")."""
    answers = MetricGroup("answer strings", _answer_strings, answer_string_samples, [_legacy("StringPresence")()])
    if profile == "realtimeqa":
        return [MetricGroup("retrieval", has_reference, retrieval_sample, [_legacy("IDBasedContextRecall")()]), answers]
    return [
        MetricGroup("retrieval", lambda r: has_reference(r) and not r.error, retrieval_sample, [
            _legacy("IDBasedContextRecall")(), _legacy("IDBasedContextPrecision")(),
            _legacy("NonLLMContextRecall")(), _legacy("NonLLMStringSimilarity")(),
        ]),
        answers,
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


# -- running -----------------------------------------------------------------------------


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


def score_case_metrics(runs: list[CaseRun], metrics: list[CaseMetric], scores: Scores) -> None:
    scores.register([m.name for m in metrics])
    for run in runs:
        for metric in metrics:
            if not metric.applies(run):
                continue
            if run.error:  # only the refusal metrics apply to a case with no answer
                scores.add(run.case.id, metric.name, math.nan)
                scores.fail(run.case.id, metric.name, f"no answer: {run.error}")
            else:
                scores.add(run.case.id, metric.name, float(metric.score(run)))


def score_ragas(runs: list[CaseRun], groups: list[MetricGroup], scores: Scores, run_config=None,
                log: Callable[[str], None] = print) -> None:
    from ragas import EvaluationDataset, evaluate

    for group in groups:
        names = [m.name for m in group.metrics]
        scores.register(names, group.judged)
        rows: list[tuple[str, object]] = []  # (case id, sample)
        for run in runs:
            if group.applies(run):
                rows += [(run.case.id, s) for s in group.samples(run)]
        if not rows:
            continue
        recorder = FailureRecorder()
        started = time.perf_counter()
        with warnings.catch_warnings():
            # evaluate() is deprecated in ragas 0.4 in favour of experiments; it is the API that
            # scores many metrics in one table, and it is pinned with ragas==0.4.3.
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
            scores.judge_seconds += time.perf_counter() - started
            failed = sum(len(v) for v in scores.failures.values())
            log(f"judged {group.name}: {len(rows)} samples ({failed} failures so far)")


def summarise(scores: Scores) -> list[MetricSummary]:
    out = []
    for name in scores.metrics:
        values = [m[name] for m in scores.per_case.values() if name in m]
        failures = sum(1 for m in scores.failures.values() if name in m)
        mean = sum(0.0 if math.isnan(v) else v for v in values) / len(values) if values else None
        binary = bool(values) and all(v in (0.0, 1.0) for v in values if not math.isnan(v))
        out.append(MetricSummary(name, mean, len(values), failures, name in scores.judged, binary))
    return out
