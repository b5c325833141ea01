"""Retrieval quality on RealTime QA 2025: dense vs BM25 vs hybrid, side by side.

All 5,366 articles pooled in one index; the 385 questions whose gold answer string occurs in
their own articles. answer-hit@k: a top-k chunk contains a gold answer string; MRR over the
first such chunk (top 10).

    python bench/retrieval.py [--limit N]

The index is built (incrementally) in bench/out/stores/rtqa; the first build embeds ~66k
chunks (about 50 minutes on 2 cores). ``--sources DIR --store DIR`` scores an existing index
of a subset instead (e.g. the one ``rag eval --dataset realtimeqa-2025 --limit 100`` builds:
its questions' own articles plus distractors); only questions whose answer is in an
article there count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401
from bench.corpora import OUT, answerable_questions, bench_settings, peak_rss_mb, unpacked  # noqa: E402

METHODS = ("dense", "bm25", "hybrid")
KS = (1, 5, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N answerable questions")
    parser.add_argument("--sources", type=Path, help="a folder of RealTime QA articles (default: all)")
    parser.add_argument("--store", type=Path, help="its index (default bench/out/stores/rtqa)")
    args = parser.parse_args()

    from rag.answer.retrieve import Retriever
    from rag.index.embedding import get_embedder
    from rag.index.ingest import sync
    from rag.index.store import open_store

    articles = unpacked("realtimeqa-2025")
    sources = args.sources or articles
    settings = bench_settings(sources_dir=sources, store_dir=args.store or OUT / "stores" / "rtqa")
    summary = sync(settings, progress=True)
    print(f"index: {summary.articles} articles, {summary.chunks} chunks "
          f"(embedded now: {summary.embedded_chunks})", file=sys.stderr)

    questions = answerable_questions(sources)
    if args.limit:
        questions = questions[: args.limit]
    embedder = get_embedder(settings)
    retriever = Retriever(open_store(settings, embedder), embedder, settings.rrf_k)

    hits = {m: {k: 0 for k in KS} for m in METHODS}
    rr = {m: 0.0 for m in METHODS}
    started = time.perf_counter()
    for q in questions:
        golds = [q["answer"].lower()]
        for method in METHODS:
            found = retriever.retrieve(q["question"], k=max(KS), method=method)
            first = next((rank for rank, hit in enumerate(found, 1)
                          if any(g in hit.chunk.text.lower() for g in golds)), None)
            for k in KS:
                hits[method][k] += first is not None and first <= k
            rr[method] += 1.0 / first if first else 0.0
    n = len(questions)
    print(f"\nRealTime QA 2025: {n} answerable questions, {summary.articles} articles pooled, "
          f"{summary.chunks} chunks ({time.perf_counter() - started:.0f} s)\n")
    print(f"| method | hit@1 | hit@5 | hit@10 | MRR@10 |")
    print(f"|---|---|---|---|---|")
    for method in METHODS:
        cells = " | ".join(f"{hits[method][k] / n:.3f}" for k in KS)
        print(f"| {method} | {cells} | {rr[method] / n:.3f} |")
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
