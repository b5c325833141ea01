"""Costs of the language layer (rag/language.py): model load, parse speed, memory, one question.

    python bench/language.py [--bbc 200] [--rtqa 100] [--questions 100] [--repeat 3]

Measures, each load in a fresh process so nothing is cached:
  * import of spaCy, and load time of each pipeline (FULL, NER, LEMMAS);
  * resident memory after import and after load (and the peak after parsing);
  * parse speed in words/s (whitespace-separated words) with ``analyze_many``, FULL and NER, on
    --bbc BBC News articles and --rtqa RealTime QA 2025 articles spread over each corpus, and FULL
    with one ``analyze`` call per article;
  * the size of the compact JSON form, and the time to rebuild an Analysis from it;
  * the time to parse one question (median and p95 over --questions RealTime QA 2025 questions).
The box is shared (2 cores, other work running): the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401
from bench.corpora import DATA, unpacked  # noqa: E402
from rag.evals.corpus import evenly_spread  # noqa: E402  (the evaluation suite's sample, not a copy)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bbc_texts(n: int) -> list[str]:
    files = evenly_spread(sorted(unpacked("bbc-news").rglob("*.txt")), n)
    return [f.read_bytes().decode("utf-8", "replace") for f in files]


def rtqa_texts(n: int) -> list[str]:
    import frontmatter

    files = evenly_spread(sorted(unpacked("realtimeqa-2025").glob("*.md")), n)
    return [frontmatter.loads(f.read_text(encoding="utf-8", errors="replace")).content for f in files]


def questions(n: int) -> list[str]:
    with gzip.open(DATA / "realtimeqa-2025-questions.jsonl.gz", "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [row["question"] for row in rows[:n]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def child_load(pipes: str) -> None:
    """Run in a fresh process: time ``import spacy`` and loading one pipeline; print JSON."""
    from rag import language

    assert "spacy" not in sys.modules, "importing rag.language must not import spaCy"
    before = rss_mb()
    start = time.perf_counter()
    import spacy  # noqa: F401

    imported = time.perf_counter()
    after_import = rss_mb()
    language.model(language.Pipes(pipes))
    loaded = time.perf_counter()
    print(json.dumps({"import_s": imported - start, "load_s": loaded - imported,
                      "rss_base_mb": before, "rss_import_mb": after_import, "rss_loaded_mb": rss_mb()}))


def measure_loads(repeat: int) -> dict[str, dict[str, float]]:
    results = {}
    for pipes in ("full", "ner", "lemmas"):
        runs = []
        for _ in range(repeat):
            out = subprocess.run([sys.executable, __file__, "--child-load", pipes], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        results[pipes] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return results


def parse_speed(texts: list[str], pipes) -> tuple[float, float, list]:
    from rag.language import analyze_many

    words = sum(len(t.split()) for t in texts)
    start = time.perf_counter()
    analyses = list(analyze_many(texts, pipes))
    seconds = time.perf_counter() - start
    return words / seconds, seconds, analyses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bbc", type=int, default=200)
    parser.add_argument("--rtqa", type=int, default=100)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process loads per pipeline")
    parser.add_argument("--child-load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_load:
        child_load(args.child_load)
        return

    from rag import language
    from rag.language import Analysis, Pipes, analyze

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores, shared)")
    loads = measure_loads(args.repeat)
    print(f"\nload (median of {args.repeat} fresh processes; import spacy is paid once per process):")
    for pipes, r in loads.items():
        print(f"  {pipes:6}  import spacy {r['import_s']:.2f} s  load {r['load_s']:.2f} s  "
              f"RSS {r['rss_base_mb']:.0f} -> {r['rss_import_mb']:.0f} (import) -> {r['rss_loaded_mb']:.0f} MB (loaded)")

    corpora = {"BBC": bbc_texts(args.bbc), "RTQA25": rtqa_texts(args.rtqa)}
    for pipes in (Pipes.FULL, Pipes.NER):
        language.model(pipes)
    rss_before_parse = rss_mb()
    print("\nparse speed (analyze_many, batch 64), words = whitespace-separated words:")
    for name, texts in corpora.items():
        words = sum(len(t.split()) for t in texts)
        chars = sum(len(t) for t in texts)
        for pipes in (Pipes.FULL, Pipes.NER):
            speed, seconds, analyses = parse_speed(texts, pipes)
            print(f"  {name:6} {len(texts):4} articles {words:7} words  {pipes.name:4}  {speed:7.0f} words/s "
                  f"({seconds:.1f} s, {seconds / len(texts) * 1000:.0f} ms/article)")
            if pipes is Pipes.FULL:
                full = analyses
        start = time.perf_counter()
        for text in texts:
            analyze(text)
        one_by_one = words / (time.perf_counter() - start)
        print(f"  {name:6} FULL one analyze() call per article: {one_by_one:7.0f} words/s")
        start = time.perf_counter()
        for a in full:  # the derived views the answer layer would use
            a.clauses, a.names, a.quotes, a.possessives  # noqa: B018
        derived = time.perf_counter() - start
        blobs = [json.dumps(a.to_json(), separators=(",", ":")) for a in full]
        size = sum(len(b) for b in blobs)
        zipped = sum(len(zlib.compress(b.encode("utf-8"))) for b in blobs)
        start = time.perf_counter()
        for text, blob in zip(texts, blobs):
            Analysis.from_json(text, json.loads(blob))
        rebuild = time.perf_counter() - start
        print(f"  {name:6} derived views (clauses, names, quotes, possessives): {derived / len(texts) * 1000:.1f} ms/article; "
              f"compact JSON {size / chars:.2f} bytes per text char ({size / len(texts) / 1024:.1f} KiB/article, "
              f"{zipped / chars:.2f} zlib-compressed), "
              f"rebuilt in {rebuild / len(texts) * 1000:.1f} ms/article")
    print(f"  RSS {rss_mb():.0f} MB after parsing (FULL+NER loaded: {rss_before_parse:.0f} MB), peak {peak_mb():.0f} MB")

    qs = questions(args.questions)
    print(f"\none question ({len(qs)} RealTime QA 2025 questions, median / p95):")
    for pipes in (Pipes.FULL, Pipes.LEMMAS, Pipes.NER):
        language.model(pipes)
        analyze(qs[0], pipes)  # warm
        times = []
        for q in qs:
            start = time.perf_counter()
            analyze(q, pipes)
            times.append((time.perf_counter() - start) * 1000)
        print(f"  {pipes.name:6} {statistics.median(times):5.1f} ms / {percentile(times, 95):5.1f} ms")
    times = []
    for q in qs:
        start = time.perf_counter()
        a = analyze(q)
        language.answer_labels(a)
        a.clauses, a.names  # noqa: B018
        times.append((time.perf_counter() - start) * 1000)
    print(f"  FULL + answer_labels + clauses + names: {statistics.median(times):5.1f} ms / {percentile(times, 95):5.1f} ms")
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
