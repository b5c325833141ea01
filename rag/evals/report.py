"""What an eval run leaves behind: ``report.md`` for people, ``results.json`` for tools, and
the summary table printed at the end of ``rag eval``."""

from __future__ import annotations

import json
import math
from pathlib import Path


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.3f}"


def summary_table(result) -> str:
    thresholds = {line.metric: line for line in result.gate_lines}
    rows = [("metric", "score", "cases", "failed", "minimum", "")]
    for s in result.summaries:
        line = thresholds.get(s.name)
        verdict = ("ok" if line.ok else f"FAIL ({line.why})") if line else ("judge" if s.judged else "")
        rows.append((s.name, _fmt(s.mean), str(s.cases), str(s.failures), _fmt(line.threshold) if line else "—", verdict))
    for line in result.gate_lines:
        if line.metric not in {s.name for s in result.summaries}:
            rows.append((line.metric, "—", "0", "0", _fmt(line.threshold), f"FAIL ({line.why})"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def verdict_line(result) -> str:
    if result.thresholds is None:
        gate = f"no thresholds for [{result.profile}] in {result.thresholds_file.name}: not gated"
    else:
        failed = [line.metric for line in result.gate_lines if not line.ok]
        gate = "gate passed" if not failed else f"gate FAILED: {', '.join(failed)}"
    failures = sum(s.failures for s in result.summaries)
    extra = f"; {failures} metric failure(s), see the report" if failures else ""
    return f"{result.profile}: {gate}{extra}"


def to_json(result) -> dict:
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
        "cases": [
            {**run.to_json(),
             "scores": {k: (None if math.isnan(v) else round(v, 4)) for k, v in result.scores.per_case.get(run.case.id, {}).items()},
             "failures": result.scores.failures.get(run.case.id, {})}
            for run in result.runs
        ],
    }


def markdown(result) -> str:
    out = [f"# Evaluation: {result.dataset} ({result.mode})", ""]
    out.append(f"**{verdict_line(result)}**")
    out.append("")
    out.append(f"Corpus `{result.corpus.name}`: {'; '.join(result.corpus.notes)}; "
               f"index {result.sync.articles} articles, {result.sync.chunks} chunks.")
    out.append(f"Time: ingest {result.ingest_seconds:.0f} s, answering {result.ask_seconds:.0f} s, "
               f"scoring {result.score_seconds:.0f} s.")
    out += ["", "## Aggregate", "", "```", summary_table(result), "```", ""]
    out += ["Failures (errors, NaN, unusable judge replies) count as 0 in the aggregate.", ""]
    failing = [run for run in result.runs if result.scores.failures.get(run.case.id)]
    if failing:
        out += ["## Metric failures", "", "| case | metric | why |", "|---|---|---|"]
        for run in failing:
            for metric, why in result.scores.failures[run.case.id].items():
                out.append(f"| {run.case.id} | {metric} | {_cell(why)} |")
        out.append("")
    out += ["## Cases", ""]
    metrics = [s.name for s in result.summaries]
    out.append("| case | kind | answer | " + " | ".join(metrics) + " |")
    out.append("|---|---|---|" + "---|" * len(metrics))
    for run in result.runs:
        scores = result.scores.per_case.get(run.case.id, {})
        shown = f"error: {run.error}" if run.error else run.response
        cells = [_fmt(scores.get(m)) if m in scores else "" for m in metrics]
        out.append(f"| {run.case.id} | {run.case.kind} | {_cell(shown, 160)} | " + " | ".join(cells) + " |")
    out.append("")
    return "\n".join(out)


def _cell(text: str, limit: int = 300) -> str:
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write(result, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / "report.md", folder / "results.json"
    md.write_text(markdown(result), encoding="utf-8")
    js.write_text(json.dumps(to_json(result), indent=1, ensure_ascii=False), encoding="utf-8")
    return md, js
