"""Latency and memory at scale: RealTime QA 2025 + Reuters-21578 pooled (~100k chunks).

Measured side by side in one run over the same questions (after WARM_UP other questions that
load the ONNX session, the BM25 index and Chroma's segments, and are not measured):
  * plain Chroma: embed the query + one Chroma query (what a dense-only app does);
  * hybrid retrieval: the same + BM25 + fusion + catalog look-ups;
  * a full extractive ask: retrieval + sentence ranking + the answer record;
  * mentions: every article mentioning a name (rag.answer.mentions) for names the language layer
    found in 5..500 articles (bench/mentions.py picks them), from the mentions index and catalog.
Goals: hybrid p95 <= 1.5x plain Chroma; extractive ask p95 < 300 ms; mentions p95 < 500 ms;
peak RSS < 1.5 GB.

    python bench/latency.py [--questions 200]

The pooled index starts as a copy of bench/out/stores/rtqa (see bench/retrieval.py) with
Reuters added (~25 minutes of embedding the first time). ``--store DIR`` measures an existing
index as it is, without building anything.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401
from bench.corpora import OUT, answerable_questions, bench_settings, peak_rss_mb, unpacked  # noqa: E402

WARM_UP = 5


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def build_pooled_store():
    from rag.index.ingest import sync

    rtqa = unpacked("realtimeqa-2025")
    reuters = unpacked("reuters21578")
    rtqa_store, pooled_store = OUT / "stores" / "rtqa", OUT / "stores" / "pooled"
    settings = bench_settings(sources_dir=rtqa, store_dir=pooled_store)
    if not pooled_store.exists():
        sync(bench_settings(sources_dir=rtqa, store_dir=rtqa_store), progress=True)
        shutil.copytree(rtqa_store, pooled_store)
    summary = sync(settings, paths=[reuters], progress=True)  # Reuters joins, ids outside the sources dir
    return settings, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--k", type=int, help="chunks per question (default: the RAG_TOP_K default)")
    parser.add_argument("--sources", type=Path, help="measure this folder's existing index instead")
    parser.add_argument("--store", type=Path, help="... kept in this store (no pooled build)")
    args = parser.parse_args()

    if args.store:
        settings = bench_settings(sources_dir=args.sources or unpacked("realtimeqa-2025"), store_dir=args.store)
    else:
        settings, _ = build_pooled_store()
    from rag.pipeline import SourceChat

    args.k = args.k or settings.top_k
    chat = SourceChat(settings)
    store = chat.store
    chunks = store.vector_count()
    asked = [q["question"] for q in answerable_questions(unpacked("realtimeqa-2025"))]
    warm_up, questions = asked[:WARM_UP], asked[WARM_UP : WARM_UP + args.questions]
    for q in warm_up:
        chat.ask(q, mode="extractive", top_k=args.k)

    def timed(call) -> float:
        chat.embedder.forget_queries()  # each path embeds its question itself, as a new question would
        start = time.perf_counter()
        call()
        return (time.perf_counter() - start) * 1000

    plain, hybrid, ask = [], [], []
    for i, q in enumerate(questions):
        measures = [
            (plain, lambda: store.dense_search(chat.embedder.embed_query(q), args.k)),
            (hybrid, lambda: chat.retriever.retrieve(q, k=args.k)),
            (ask, lambda: chat.ask(q, mode="extractive", top_k=args.k)),
        ]
        # Rotate the order so no path always runs first (cold) or last (warm).
        for values, call in measures[i % 3:] + measures[: i % 3]:
            values.append(timed(call))

    print(f"\n{len(questions)} questions over {chunks} chunks "
          f"({chat.article_count()} articles), k={args.k}; {WARM_UP} warm-up questions not measured\n")
    print("| path | p50 ms | p95 ms | mean ms |")
    print("|---|---|---|---|")
    for name, values in (("plain Chroma query", plain), ("hybrid retrieval", hybrid), ("extractive ask", ask)):
        print(f"| {name} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} | {statistics.mean(values):.1f} |")
    from bench.mentions import query_names
    from rag.answer.mentions import find_mentions

    names = [name for name, _ in query_names(store, min(60, args.questions) + WARM_UP)]
    for name in names[:WARM_UP]:
        find_mentions(name, store)
    mentions = [timed(lambda: find_mentions(name, store)) for name in names[WARM_UP:]]
    print(f"| mentions ({len(mentions)} names, 5-500 articles each) | {percentile(mentions, 50):.1f} | "
          f"{percentile(mentions, 95):.1f} | {statistics.mean(mentions):.1f} |")
    print(f"\nhybrid / plain p95 ratio: {percentile(hybrid, 95) / percentile(plain, 95):.2f} (goal <= 1.5)")
    print(f"extractive ask p95: {percentile(ask, 95):.0f} ms (goal < 300)")
    print(f"mentions p95: {percentile(mentions, 95):.0f} ms (goal < 500)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (goal < 1536)")


if __name__ == "__main__":
    main()
