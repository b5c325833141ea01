"""The gate: ``evals/thresholds.toml`` read, applied, checked against fresh runs and rewritten.

One section per profile, ``[<dataset>.<mode>]`` (``[seeds.extractive]``,
``[bbc-rtqa-bbc300.extractive]``), each line a metric's minimum aggregate with the measurement
it came from in its comment::

    lead_answer = 0.85  # measured 0.912 (31/34 cases) @ 1a2b3c4

Judge metrics have their own section, ``[<dataset>.<mode>.judge]``, applied only when a judge
is configured. The margin policy (``margin``) decides how far below the measured figure a
minimum sits, and how far a fresh run may drift from the figure before the file is stale
(``drift``): the tests fail then, so a comment cannot go on claiming what the code no longer does.
``rag eval ... --update-thresholds`` re-measures a section and rewrites its lines.
"""

from __future__ import annotations

import math
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rag.errors import UsageError

# A minimum sits two cases below the measured figure (one case may flip without failing the gate,
# three fail it), and at least MIN_MARGIN below it on large sets.
MARGIN_CASES = 2
MIN_MARGIN = 0.02

_FIGURE = re.compile(
    r"#\s*measured\s+(?P<value>\d+(?:\.\d+)?)\s*\((?:(?P<hits>\d+)/)?(?P<cases>\d+)\s+cases?\)\s*@\s*(?P<commit>[0-9a-f]{7,40})"
)


class ThresholdError(UsageError):
    """The thresholds file cannot be read or a minimum in it can never fail."""


@dataclass
class Figure:
    """What a threshold line's comment says was measured."""

    metric: str
    minimum: float
    measured: float
    cases: int
    commit: str


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


def margin(cases: int) -> float:
    return max(MIN_MARGIN, MARGIN_CASES / cases) if cases else MIN_MARGIN


def minimum_for(measured: float, cases: int) -> float:
    """``measured - margin``, rounded down to 0.01."""
    return math.floor(round((measured - margin(cases)) * 100, 6)) / 100


# -- reading -------------------------------------------------------------------------------


def _section(data: dict, profile: str):
    section = data
    for part in profile.split("."):
        section = section.get(part) if isinstance(section, dict) else None
    return section


def _read(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ThresholdError(f"thresholds file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ThresholdError(f"{path}: {err}") from err


def load_thresholds(path: Path, profile: str) -> dict[str, float] | None:
    """``[<profile>]`` of the thresholds file (``seeds.extractive``, ``seeds.extractive.judge``); None when
    absent or empty (a section with no minimums gates nothing: the run is reported, not "passed")."""
    section = _section(_read(path), profile)
    if section is None:
        return None
    values = {}
    for metric, value in section.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            # A minimum of 0 (or below) can never fail: that is no gate at all.
            raise ThresholdError(f"{path} [{profile}] {metric} = {value!r}: use a number in (0, 1]")
        values[metric] = float(value)
    return values or None


def parse_overrides(items: list[str]) -> dict[str, float]:
    """``["lead_answer=0.8", ...]`` (``--min``) as minimums."""
    out = {}
    for item in items:
        metric, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not metric.strip() or not 0 < number <= 1:
            raise ThresholdError(f"--min {item!r}: use METRIC=VALUE with VALUE in (0, 1], e.g. --min lead_answer=0.8")
        out[metric.strip()] = number
    return out


def figures(path: Path, profile: str) -> list[Figure]:
    """Every line of ``[<profile>]`` with the figure its comment gives; a line without one is an error."""
    path = Path(path)
    minimums = load_thresholds(path, profile) or {}
    out, current = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip()
            continue
        if current != profile or "=" not in stripped or stripped.startswith("#"):
            continue
        metric = stripped.split("=", 1)[0].strip()
        match = _FIGURE.search(line)
        if metric not in minimums:
            continue
        if match is None:
            raise ThresholdError(f"{path}:{number}: [{profile}] {metric} has no '# measured V (K/N cases) @ COMMIT' comment")
        out.append(Figure(metric, minimums[metric], float(match["value"]), int(match["cases"]), match["commit"]))
    return out


# -- the gate ------------------------------------------------------------------------------


def gate(summaries, thresholds: dict[str, float]) -> list[GateLine]:
    """One line per threshold: not measured, failed cases, or under the minimum all fail."""
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


def drift(path: Path, profile: str, summaries) -> list[str]:
    """Lines of ``[<profile>]`` whose measured figure a fresh run no longer matches within the margin."""
    by_name = {s.name: s for s in summaries}
    stale = []
    for figure in figures(path, profile):
        summary = by_name.get(figure.metric)
        if summary is None or summary.mean is None:
            stale.append(f"{figure.metric}: measured {figure.measured:.3f} @ {figure.commit}, not measured now")
            continue
        allowed = margin(summary.cases)
        if abs(summary.mean - figure.measured) > allowed + 1e-9:
            stale.append(f"{figure.metric}: measured {figure.measured:.3f} @ {figure.commit}, now {summary.mean:.3f} "
                         f"({summary.cases} cases; margin {allowed:.3f})")
    return stale


# -- rewriting -----------------------------------------------------------------------------


def current_commit(repo: Path) -> str:
    """The short commit of the code being measured; refuses when that code has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        dirty = git("status", "--porcelain", "--", "rag", "evals/datasets", "prompts")
        commit = git("rev-parse", "--short=7", "HEAD")
    except (OSError, subprocess.CalledProcessError) as err:
        raise ThresholdError(f"--update-thresholds needs a git checkout to name the measured commit ({err})") from err
    if dirty:
        raise ThresholdError("--update-thresholds measures committed code: commit your changes to rag/, prompts/ "
                             "and evals/datasets/ first, so each figure names the commit it came from")
    return commit


def figure_comment(summary, commit: str) -> str:
    if summary.binary:
        hits = round(summary.mean * summary.cases)
        return f"# measured {summary.mean:.3f} ({hits}/{summary.cases} cases) @ {commit}"
    return f"# measured {summary.mean:.3f} ({summary.cases} cases) @ {commit}"


def update(path: Path, profile: str, summaries, commit: str, metrics: list[str] | None = None) -> list[str]:
    """Rewrite the lines of ``[<profile>]`` from ``summaries``; a new section gets ``metrics``.

    Returns the lines written. Lines of other sections and every comment line are kept.
    """
    path = Path(path)
    by_name = {s.name: s for s in summaries}
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = text.splitlines()

    def render(metric: str) -> str:
        summary = by_name[metric]
        if summary.mean is None or summary.failures:
            raise ThresholdError(f"cannot set [{profile}] {metric}: it has failed cases or was not measured")
        minimum = minimum_for(round(summary.mean, 3), summary.cases)  # from the figure the comment shows
        if minimum <= 0:
            raise ThresholdError(f"[{profile}] {metric} measured {summary.mean:.3f}: too low to gate (minimum would be "
                                 f"{minimum}); remove the line")
        return f"{metric} = {minimum:.2f}".ljust(33) + " " + figure_comment(summary, commit)

    written, out, current, header = [], [], None, None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip()
            if current == profile:
                header = len(out)
        elif current == profile and "=" in stripped and not stripped.startswith("#"):
            metric = stripped.split("=", 1)[0].strip()
            if metric in by_name:
                line = render(metric)
                written.append(line)
        out.append(line)
    if not written:  # a new or empty section: every metric asked for
        names = [m for m in (metrics or []) if m in by_name]
        if not names:
            raise ThresholdError(f"no metrics to put in [{profile}] of {path}")
        written = [render(m) for m in names]
        if header is None:
            out += ["", f"[{profile}]"] + written
        else:
            out[header + 1:header + 1] = written
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")
    return written


def required_minimums(profile: str, path: Path | None = None) -> dict[str, float]:
    """The minimums of a profile that must be gated (the claims and generative gates): an error
    when the thresholds file has no section for it."""
    from rag.evals.corpus import THRESHOLDS_FILE

    minimums = load_thresholds(path or THRESHOLDS_FILE, profile)
    if not minimums:
        raise ValueError(f"{path or THRESHOLDS_FILE} has no [{profile}] section")
    return minimums
