"""What an eval run leaves behind, for people and for CI.

* ``results.json``  - everything, per case and aggregate (the baseline of the next run);
* ``summary.md``    - verdict, metric table with the change since the baseline, the failing
                      and flipped cases: short enough for a CI job summary;
* ``report.md``     - the summary, then every failing case in full, then all cases;
* ``junit.xml``     - one test per gate line and one per case, for CI test views (the gate
                      alone decides the exit status; a case fails when it scores under 1 on a
                      gated metric or a metric failed on it).

The baseline is ``--baseline FILE`` or else the previous run's ``results.json`` of the same
report folder (kept as ``results.previous.json``).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

# What a case verdict looks at when nothing is gated (with a gate: the gated metrics).
CASE_METRICS = ("refusal_accuracy", "lead_answer", "conciseness", "cited_reference_article", "citation_faithfulness")
SHOWN_FAILING = 15  # failing cases listed in the summary (all of them are in report.md)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.3f}"


def _delta(value: float | None) -> str:
    if value is None:
        return ""
    return "±0" if abs(value) < 5e-4 else f"{value:+.3f}"


def _cell(text: str, limit: int = 300) -> str:
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- per-case verdicts -------------------------------------------------------------------------


def verdict_metrics(result) -> list[str]:
    if result.gate_lines:
        return [line.metric for line in result.gate_lines]
    return [m for m in CASE_METRICS if m in {s.name for s in result.summaries}]


def case_faults(result, case_id: str) -> dict[str, str]:
    """Metric -> why, for each verdict metric the case scored under 1 on (or failed)."""
    scores = result.scores.per_case.get(case_id, {})
    failures = result.scores.failures.get(case_id, {})
    faults = {}
    for metric in verdict_metrics(result):
        if metric in failures:
            faults[metric] = failures[metric]
        elif metric in scores and not math.isnan(scores[metric]) and scores[metric] < 1.0:
            faults[metric] = _fmt(scores[metric])
    for metric, why in failures.items():
        faults.setdefault(metric, why)
    return faults


def expected(case) -> str:
    if case.must_refuse:
        return "a refusal"
    text = case.reference
    if case.answer_contains:
        text += f" (must state: {', '.join(case.answer_contains)})"
    return text


def shown_answer(run) -> str:
    if run.error:
        return f"error: {run.error}"
    return run.response


# -- comparison with a baseline ------------------------------------------------------------


@dataclass
class Comparison:
    source: str  # where the baseline came from
    deltas: dict[str, float | None] = field(default_factory=dict)  # metric -> current - baseline
    newly_failing: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    metric_flips: dict[str, list[str]] = field(default_factory=dict)  # "case: metric 1 -> 0" lines
    only_now: list[str] = field(default_factory=list)  # cases the baseline did not have

    def to_json(self) -> dict:
        return {"baseline": self.source, "deltas": {k: None if v is None else round(v, 4) for k, v in self.deltas.items()},
                "newly_failing": self.newly_failing, "fixed": self.fixed, "metric_flips": self.metric_flips,
                "new_cases": self.only_now}


def compare(result, baseline: dict, source: str) -> Comparison:
    comparison = Comparison(source)
    before = baseline.get("aggregate", {})
    for summary in result.summaries:
        old = (before.get(summary.name) or {}).get("mean")
        comparison.deltas[summary.name] = None if old is None or summary.mean is None else summary.mean - old
    old_cases = {c["case"]["id"]: c for c in baseline.get("cases", [])}
    for run in result.runs:
        case_id = run.case.id
        old = old_cases.get(case_id)
        if old is None:
            comparison.only_now.append(case_id)
            continue
        failing_now = bool(case_faults(result, case_id))
        failing_then = old.get("verdict", "pass") != "pass"
        if failing_now and not failing_then:
            comparison.newly_failing.append(case_id)
        elif failing_then and not failing_now:
            comparison.fixed.append(case_id)
        now_scores = result.scores.per_case.get(case_id, {})
        for metric, then in (old.get("scores") or {}).items():
            now = now_scores.get(metric)
            if then is None or now is None or math.isnan(now):
                continue
            if (then >= 1.0) != (now >= 1.0):
                comparison.metric_flips.setdefault(metric, []).append(f"{case_id}: {then:g} → {now:.3g}")
    return comparison


def load_baseline(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        from rag.errors import UsageError

        raise UsageError(f"--baseline {path}: not a results.json of rag eval ({err})") from err


# -- text ------------------------------------------------------------------------------------


def summary_table(result) -> str:
    thresholds = {line.metric: line for line in result.gate_lines}
    deltas = result.comparison.deltas if result.comparison else {}
    rows = [("metric", "score", "cases", "failed", "minimum", "change", "")]
    for s in result.summaries:
        line = thresholds.get(s.name)
        verdict = ("ok" if line.ok else f"FAIL ({line.why})") if line else ("judge" if s.judged else "")
        rows.append((s.name, _fmt(s.mean), str(s.cases), str(s.failures), _fmt(line.threshold) if line else "—",
                     _delta(deltas.get(s.name)), verdict))
    for line in result.gate_lines:
        if line.metric not in {s.name for s in result.summaries}:
            rows.append((line.metric, "—", "0", "0", _fmt(line.threshold), "", f"FAIL ({line.why})"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    text.insert(1, "  ".join("-" * w for w in widths).rstrip())
    return "\n".join(text)


def verdict_line(result) -> str:
    if result.thresholds is None:
        gate = f"no thresholds for [{result.profile}] in {result.thresholds_file.name} (or --min): not gated"
    else:
        failed = [line.metric for line in result.gate_lines if not line.ok]
        gate = "gate passed" if not failed else f"gate FAILED: {', '.join(failed)}"
    failures = sum(s.failures for s in result.summaries)
    extra = f"; {failures} metric failure(s), see the report" if failures else ""
    return f"{result.profile}: {gate}{extra}"


def judge_cost(result) -> str | None:
    scores = result.scores
    if not scores.judged:
        return None
    cases = max(1, scores.judged_cases)
    return (f"judge: {scores.judge_calls} calls in {scores.judge_seconds:.1f} s for {scores.judged_cases} cases "
            f"({scores.judge_calls / cases:.1f} calls, {scores.judge_seconds / cases:.2f} s per case)")


# -- JSON ------------------------------------------------------------------------------------


def to_json(result) -> dict:
    scores = result.scores
    return {
        "dataset": result.dataset,
        "profile": result.profile,
        "mode": result.mode,
        "corpus": {"name": result.corpus.name, "notes": result.corpus.notes,
                   "articles": result.sync.articles, "chunks": result.sync.chunks},
        "passed": result.passed,
        "aggregate": {s.name: s.to_json() for s in result.summaries},
        "gate": [line.to_json() for line in result.gate_lines],
        "seconds": {"ingest": round(result.ingest_seconds, 1), "ask": round(result.ask_seconds, 1),
                    "score": round(result.score_seconds, 1)},
        "judge": None if not scores.judged else {
            "calls": scores.judge_calls, "seconds": round(scores.judge_seconds, 2), "cases": scores.judged_cases},
        "comparison": result.comparison.to_json() if result.comparison else None,
        "cases": [
            {**run.to_json(),
             "verdict": "fail" if (faults := case_faults(result, run.case.id)) else "pass",
             "faults": faults,
             "scores": {k: (None if math.isnan(v) else round(v, 4)) for k, v in scores.per_case.get(run.case.id, {}).items()},
             "failures": scores.failures.get(run.case.id, {})}
            for run in result.runs
        ],
    }


# -- Markdown ----------------------------------------------------------------------------------


def summary_markdown(result) -> str:
    """Verdict, metrics with their change, failing and flipped cases: fit for a CI job summary."""
    passed = result.passed if result.thresholds is not None else None
    mark = {True: "✅", False: "❌", None: "ℹ️"}[passed]
    out = [f"## {mark} rag eval `{result.profile}`", "", f"**{verdict_line(result)}**", ""]
    out.append(f"{len(result.runs)} cases over corpus `{result.corpus.name}` ({'; '.join(result.corpus.notes)}; "
               f"{result.sync.articles} articles, {result.sync.chunks} chunks).")
    if result.comparison:
        out.append(f"Change against {result.comparison.source}.")
    out += ["", "| metric | score | minimum | change | cases | failed | |", "|---|---|---|---|---|---|---|"]
    lines = {line.metric: line for line in result.gate_lines}
    deltas = result.comparison.deltas if result.comparison else {}
    for s in result.summaries:
        line = lines.get(s.name)
        state = ("ok" if line.ok else f"**FAIL** ({line.why})") if line else ("judge" if s.judged else "reported")
        out.append(f"| `{s.name}` | {_fmt(s.mean)} | {_fmt(line.threshold) if line else '—'} | "
                   f"{_delta(deltas.get(s.name))} | {s.cases} | {s.failures} | {state} |")
    if cost := judge_cost(result):
        out += ["", cost]
    failing = [run for run in result.runs if case_faults(result, run.case.id)]
    out += ["", f"### Failing cases ({len(failing)} of {len(result.runs)})", ""]
    if failing:
        out += ["| case | question | answer | expected | fails on |", "|---|---|---|---|---|"]
        for run in failing[:SHOWN_FAILING]:
            faults = case_faults(result, run.case.id)
            out.append(f"| `{run.case.id}` | {_cell(run.case.question, 120)} | {_cell(shown_answer(run), 160)} | "
                       f"{_cell(expected(run.case), 120)} | {_cell(', '.join(f'{m} {w}' for m, w in faults.items()), 120)} |")
        if len(failing) > SHOWN_FAILING:
            out.append(f"\n… and {len(failing) - SHOWN_FAILING} more in report.md.")
    else:
        out.append("None.")
    if result.comparison:
        c = result.comparison
        out += ["", "### Changed since the baseline", ""]
        out.append(f"Newly failing: {', '.join(f'`{i}`' for i in c.newly_failing) or 'none'}.  ")
        out.append(f"Fixed: {', '.join(f'`{i}`' for i in c.fixed) or 'none'}.")
        for metric, flips in c.metric_flips.items():
            out.append(f"- `{metric}`: {'; '.join(flips[:10])}{' …' if len(flips) > 10 else ''}")
        if c.only_now:
            out.append(f"- not in the baseline: {len(c.only_now)} case(s)")
    return "\n".join(out) + "\n"


def markdown(result) -> str:
    out = [summary_markdown(result)]
    out.append(f"Time: ingest {result.ingest_seconds:.0f} s, answering {result.ask_seconds:.0f} s, "
               f"scoring {result.score_seconds:.0f} s. Failures (errors, NaN, unusable judge replies) count as 0 "
               "in the aggregate.\n")
    failing = [run for run in result.runs if case_faults(result, run.case.id)]
    if failing:
        out += ["## Failing cases in full", ""]
        for run in failing:
            faults = case_faults(result, run.case.id)
            tags = f" [{', '.join(run.case.tags)}]" if run.case.tags else ""
            out += [f"### `{run.case.id}` ({run.case.kind}{tags})", "",
                    f"- **question:** {run.case.question}"]
            if run.case.history:
                out.append(f"- **after:** {' / '.join(run.case.history)}")
            out += [f"- **answer:** {_cell(shown_answer(run), 1200)}",
                    f"- **expected:** {expected(run.case)}",
                    f"- **reference articles:** {', '.join(run.case.reference_article_ids) or '—'}; "
                    f"**cited:** {', '.join(run.cited_article_ids) or '—'}",
                    f"- **fails on:** {'; '.join(f'{m}: {w}' for m, w in faults.items())}", ""]
    out += ["## All cases", ""]
    metrics = [s.name for s in result.summaries]
    out.append("| case | kind | question | answer | expected | verdict | " + " | ".join(metrics) + " |")
    out.append("|---|---|---|---|---|---|" + "---|" * len(metrics))
    for run in result.runs:
        scores = result.scores.per_case.get(run.case.id, {})
        cells = [_fmt(scores.get(m)) if m in scores else "" for m in metrics]
        verdict = "fail" if case_faults(result, run.case.id) else "pass"
        out.append(f"| {run.case.id} | {run.case.kind} | {_cell(run.case.question, 100)} | {_cell(shown_answer(run), 160)} "
                   f"| {_cell(expected(run.case), 100)} | {verdict} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


# -- JUnit -------------------------------------------------------------------------------------


def junit(result) -> str:
    root = ET.Element("testsuites", name=f"rag eval {result.profile}")
    gate_suite = ET.SubElement(root, "testsuite", name=f"{result.profile} gate")
    for line in result.gate_lines:
        case = ET.SubElement(gate_suite, "testcase", classname=f"{result.profile}.gate", name=f"{line.metric} >= {line.threshold:g}")
        if not line.ok:
            ET.SubElement(case, "failure", message=f"{line.metric} {_fmt(line.value)} < {line.threshold:g}: {line.why}")
    cases_suite = ET.SubElement(root, "testsuite", name=f"{result.profile} cases")
    for run in result.runs:
        label = run.case.tags[0] if run.case.tags else run.case.kind
        case = ET.SubElement(cases_suite, "testcase", classname=f"{result.dataset}.{label}", name=run.case.id,
                             time=f"{run.seconds:.3f}")
        faults = case_faults(result, run.case.id)
        body = f"question: {run.case.question}\nanswer: {shown_answer(run)}\nexpected: {expected(run.case)}"
        if faults:
            failure = ET.SubElement(case, "failure", message="; ".join(f"{m}: {w}" for m, w in faults.items()))
            failure.text = body
        else:
            ET.SubElement(case, "system-out").text = body
    for suite in (gate_suite, cases_suite):
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    root.set("tests", str(sum(int(s.get("tests")) for s in (gate_suite, cases_suite))))
    root.set("failures", str(sum(int(s.get("failures")) for s in (gate_suite, cases_suite))))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# -- files ---------------------------------------------------------------------------------------


@dataclass
class ReportFiles:
    folder: Path
    report: Path
    summary: Path
    results: Path
    junit: Path


def write(result, folder: Path) -> ReportFiles:
    folder.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(folder, folder / "report.md", folder / "summary.md", folder / "results.json", folder / "junit.xml")
    if files.results.is_file():
        files.results.replace(folder / "results.previous.json")
    files.report.write_text(markdown(result), encoding="utf-8")
    files.summary.write_text(summary_markdown(result), encoding="utf-8")
    files.results.write_text(json.dumps(to_json(result), indent=1, ensure_ascii=False), encoding="utf-8")
    files.junit.write_text(junit(result), encoding="utf-8")
    return files
