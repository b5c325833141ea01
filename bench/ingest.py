"""Ingestion benchmark on BBC News: pipeline throughput against the raw embedder, memory, re-sync time.

    .venv/bin/python bench/ingest.py              # all 2,225 articles (~10 minutes on 2 cores)
    .venv/bin/python bench/ingest.py --limit 200  # a quick run on 200 articles spread over the topics

Everything happens in a temporary folder: the tarball is unpacked there and synced into a fresh
store with embedded Chroma. Figures:

- pipeline chunks/s: ``sync()`` from files to a ready index (read, parse, chunk, embed, Chroma,
  catalog, BM25), divided into the chunks it embedded;
- raw embedder chunks/s: ``embed_texts()`` alone on the very same chunk texts, in the same process;
  the ratio pipeline/raw is the share of time spent embedding (goal >= 0.9), in wall time and in
  CPU time (the latter is steadier when other processes compete for the CPUs);
- peak RSS (``resource.getrusage``) after the sync and at the end;
- re-sync of the unchanged corpus, in process and through the CLI (goal < 2 s, 0 embeddings).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import rag  # noqa: E402,F401  (offline environment first)
from bench.corpora import bench_settings, peak_rss_mb  # noqa: E402
from rag.evals.corpus import evenly_spread  # noqa: E402  (the evaluation suite's sample, not a copy)

DEFAULT_TARBALL = REPO.parent / "shared" / "data" / "bbc-news.tar.gz"


def unpack(tarball: Path, target: Path, limit: int | None) -> list[str]:
    """Unpack the article files (all, or ``limit`` spread evenly over the sorted list)."""
    with tarfile.open(tarball) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")),
                         key=lambda m: m.name)
        if limit:
            members = evenly_spread(members, limit)
        tar.extractall(target, members=members, filter="data")
    return [m.name for m in members]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only N articles (spread over the corpus)")
    parser.add_argument("--data", type=Path, default=DEFAULT_TARBALL, help="the bbc-news.tar.gz tarball")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI re-sync (interpreter start included)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"corpus not found: {args.data}", file=sys.stderr)
        return 2

    from rag.index.embedding import get_embedder
    from rag.index.ingest import sync
    from rag.index.store import open_store

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        names = unpack(args.data, tmp / "corpus", args.limit)
        unpack_s = time.perf_counter() - started
        sources = tmp / "corpus" / "bbc-news"
        settings = bench_settings(sources_dir=sources, store_dir=tmp / "store", chroma_url=None,
                                  embedding_backend="local")
        embedder = get_embedder(settings)
        embedder.embed_texts(["warm-up: load the ONNX session before any clock starts"] * 4)
        rss_before = peak_rss_mb()

        # 1. The pipeline: files -> ready index, in a fresh store.
        before = embedder.texts_embedded
        started, cpu = time.perf_counter(), time.process_time()
        summary = sync(settings, progress=False, embedder=embedder)
        sync_s, sync_cpu = time.perf_counter() - started, time.process_time() - cpu
        embedded = embedder.texts_embedded - before
        assert embedded == summary.embedded_chunks, (embedded, summary.embedded_chunks)
        rss_after_sync = peak_rss_mb()

        # 2. The raw embedder on the very same chunk texts.
        store = open_store(settings, embedder)
        texts = [text for _, _, text in store.ready_chunks()]
        assert len(texts) == summary.embedded_chunks
        started, cpu = time.perf_counter(), time.process_time()
        embedder.embed_texts(texts)
        raw_s, raw_cpu = time.perf_counter() - started, time.process_time() - cpu

        # 3. Re-sync of the unchanged corpus, in process, then as a user runs it.
        before = embedder.texts_embedded
        started = time.perf_counter()
        again = sync(settings, progress=False, embedder=embedder)
        resync_s = time.perf_counter() - started
        resync_embedded = embedder.texts_embedded - before
        cli_s = cli_embedded = None
        if not args.no_cli:
            env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
            env.update(RAG_SOURCES_DIR=str(sources), RAG_STORE_DIR=str(settings.store_dir))
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", "--json", "--quiet"],
                                    env=env, cwd=REPO, capture_output=True, text=True)
            cli_s = time.perf_counter() - started
            if result.returncode == 0:
                cli_embedded = json.loads(result.stdout.strip().splitlines()[-1])["embedded_chunks"]
            else:
                print(result.stderr, file=sys.stderr)
        rss_end = peak_rss_mb()

    pipeline_rate = summary.embedded_chunks / sync_s
    raw_rate = len(texts) / raw_s
    ratio = pipeline_rate / raw_rate
    figures = {
        "articles": len(names),
        "indexed_articles": summary.articles,
        "chunks": summary.chunks,
        "skipped": len(summary.skipped),
        "warnings": len(summary.warnings),
        "unpack_s": round(unpack_s, 2),
        "sync_s": round(sync_s, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 2),
        "raw_embed_s": round(raw_s, 2),
        "raw_chunks_per_s": round(raw_rate, 2),
        "ratio": round(ratio, 3),
        "sync_cpu_s": round(sync_cpu, 1),
        "raw_embed_cpu_s": round(raw_cpu, 1),
        "cpu_ratio": round(raw_cpu / sync_cpu, 3),
        "peak_rss_mb_before_sync": round(rss_before),
        "peak_rss_mb_after_sync": round(rss_after_sync),
        "peak_rss_mb_end": round(rss_end),
        "resync_s": round(resync_s, 3),
        "resync_embedded": resync_embedded,
        "resync_unchanged": again.unchanged,
        "cli_resync_s": None if cli_s is None else round(cli_s, 2),
        "cli_resync_embedded": cli_embedded,
        "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }

    def goal(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"BBC News ingest benchmark: {len(names)} articles -> {summary.chunks} chunks "
          f"({len(summary.skipped)} skipped, {len(summary.warnings)} warnings), {os.cpu_count()} CPUs")
    print(f"  pipeline (sync into a fresh store) {sync_s:8.1f} s  {pipeline_rate:7.2f} chunks/s")
    print(f"  raw embedder, same chunks          {raw_s:8.1f} s  {raw_rate:7.2f} chunks/s")
    print(f"  ratio pipeline / raw               {ratio:8.3f}     goal >= 0.9: {goal(ratio >= 0.9)}")
    print(f"  CPU time: pipeline {sync_cpu:.1f} s, raw {raw_cpu:.1f} s, ratio {raw_cpu / sync_cpu:.3f} "
          "(steadier than wall time when other processes compete for the CPUs)")
    print(f"  peak RSS: {rss_before:.0f} MB before sync, {rss_after_sync:.0f} MB after sync, {rss_end:.0f} MB at the end")
    print(f"  re-sync unchanged (in process)     {resync_s:8.3f} s  {resync_embedded} embedded, "
          f"{again.unchanged} unchanged   goal < 2 s and 0: {goal(resync_s < 2 and resync_embedded == 0)}")
    if cli_s is not None:
        print(f"  re-sync unchanged (rag ingest CLI) {cli_s:8.3f} s  {cli_embedded} embedded (interpreter start included)")
    print(f"  load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
