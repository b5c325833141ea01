"""Mentions at scale: build time of the mentions index and the latency of ``find_mentions``.

Listing every mention reads only the catalog (texts) and the mentions index (words, names),
never Chroma, so this measures them on a catalog-only store: ``--articles N`` articles spread
over RealTime QA 2025 + Reuters-21578 pooled, parsed and chunked as ``rag ingest`` does, with
no vectors. bench/latency.py measures the same path on the full ~100k-chunk pooled index.

Queries: names the language layer found, in 5..500 articles each (the issue's goal: p95 <
500 ms for a name with <= 500 mentions), drawn evenly from that range; WARM_UP not measured.

    python bench/mentions.py [--articles 3000] [--queries 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401
from bench.corpora import OUT, bench_settings, peak_rss_mb, unpacked  # noqa: E402

WARM_UP = 5


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def catalog_only_store(n: int):
    """A store whose catalog holds ``n`` pooled articles (ready, no vectors)."""
    from rag.evals.corpus import evenly_spread
    from rag.index.chunking import chunk_article
    from rag.index.sources import SourceError, read_article
    from rag.index.store import Store

    folder = OUT / "stores" / f"mentions-{n}"
    rtqa, reuters = unpacked("realtimeqa-2025"), unpacked("reuters21578")
    settings = bench_settings(sources_dir=OUT / "src", store_dir=folder)
    store = Store(settings, "none", 0)
    if store.article_count() < n:
        files = evenly_spread(sorted(rtqa.glob("*.md")) + sorted(reuters.glob("*.txt")), n)
        items = []
        for path in files:
            try:
                article = read_article(path, OUT / "src", max_bytes=20_000_000)
            except SourceError:
                continue
            items.append((article, chunk_article(article, settings.chunk_size, settings.chunk_overlap)))
        for at in range(0, len(items), 500):
            store.catalog.mark_pending(items[at:at + 500])
            store.catalog.mark_ready([a.id for a, _ in items[at:at + 500]])
    return store


def query_names(store, count: int) -> list[tuple[str, int]]:
    """(name, articles holding it) for ``count`` names found in 5..500 articles, spread over that range."""
    conn = store.mentions()._conn()
    rows = conn.execute(
        "SELECT canonical, COUNT(DISTINCT hash) AS n FROM names WHERE label IN ('PERSON', 'ORG', 'GPE') "
        "GROUP BY canonical HAVING n BETWEEN 5 AND 500 ORDER BY n, canonical").fetchall()
    if len(rows) <= count:
        return rows
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()

    from rag.answer.mentions import find_mentions

    started = time.perf_counter()
    store = catalog_only_store(args.articles)
    chunks = store.chunk_count()
    print(f"catalog: {store.article_count()} articles, {chunks} chunks ({time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    store.mentions()
    print(f"mentions index, words: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    analysed = store.find_names()
    print(f"mentions index, names: {analysed} texts in {time.perf_counter() - started:.0f} s")

    from rag.errors import UsageError

    def listable(name: str) -> bool:
        try:
            find_mentions(name, store)
        except UsageError:  # a name that is also a stop word ("May") is refused, as the CLI refuses it
            return False
        return True

    names = [row for row in query_names(store, args.queries + WARM_UP + 10) if listable(row[0])][:args.queries + WARM_UP]
    for name, _ in names[:WARM_UP]:
        find_mentions(name, store)
    timings, sizes = [], []
    for name, _ in names[WARM_UP:]:
        start = time.perf_counter()
        result = find_mentions(name, store)
        timings.append((time.perf_counter() - start) * 1000)
        sizes.append((result.total_articles, result.total_mentions))
    print(f"\n{len(timings)} names, {min(s[0] for s in sizes)}-{max(s[0] for s in sizes)} articles and "
          f"{min(s[1] for s in sizes)}-{max(s[1] for s in sizes)} mentions each; {WARM_UP} warm-up names not measured")
    print("| path | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| find_mentions | {percentile(timings, 50):.0f} | {percentile(timings, 95):.0f} | {max(timings):.0f} |")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
