"""Incremental, crash-safe sync of the sources folder into the store.

Only new or changed files (by content hash) are parsed, chunked and embedded; chunks of
changed and deleted files are removed; unchanged files cost one hash and no embedding.
Every change goes catalog-``pending`` -> vectors -> catalog-``ready``, so a run killed at
any point (even SIGKILL) is repaired by the next one: no duplicates, no orphans.

``sync`` runs the steps in order: scan the files, remove what is gone, embed and write what
changed (in groups of ``ingest_group_chunks``), repair drift between Chroma and the catalog,
and bring the BM25 index and the mentions index (words, then the names the language layer
finds: rag/index/mentions.py) up to date.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from rag.errors import UsageError
from rag.index.catalog import READY
from rag.index.chunking import Chunk, chunk_article
from rag.index.sources import Article, SourceError, article_id, file_hash, is_utf8, iter_source_files, parse_article, read_bytes

if TYPE_CHECKING:
    from rag.index.embedding import Embedder
    from rag.index.store import Store
    from rag.settings import Settings

Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)
Problem = dict[str, str]  # {"path", "reason"}: a skipped file or a warning, as the CLI prints it


@dataclass
class SyncSummary:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_chunks: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    articles: int = 0
    chunks: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {len(self.skipped)}; "
            f"embedded {self.embedded_chunks} chunks; index: {self.articles} articles, {self.chunks} chunks"
        )


@dataclass
class Pending:
    """An article version to embed and write."""

    article: Article
    chunks: list[Chunk]
    is_new: bool  # not in the catalog before (added), as opposed to changed (updated)


@dataclass
class Scan:
    """What the files say should change."""

    changed: list[Pending] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # article ids that stay indexed
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def sync(
    settings: Settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: bool | Progress = True,
    store: Store | None = None,
    embedder: Embedder | None = None,
) -> SyncSummary:
    """Bring the store in line with the sources; ``paths`` limits the sync to those files/folders."""
    from rag.index.embedding import get_embedder
    from rag.index.store import Store

    root = Path(settings.sources_dir)
    embedder = embedder or get_embedder(settings)
    if store is None:
        store = Store(settings, embedder.model_id, embedder.dimension)
    if rebuild:
        store.reset()
    store.check_embedding_model()  # fails early, with a clear message, on a model mismatch
    summary = SyncSummary()

    if paths:
        summary.skipped += [{"path": str(p), "reason": "no such file or folder"} for p in paths if not Path(p).exists()]
        paths = [Path(p) for p in paths if Path(p).exists()]
        if not paths:
            return _finish(store, summary)
        scopes: list[str] | None = [article_id(p, root) if p.resolve() != root.resolve() else "" for p in paths]
    elif not root.is_dir():
        raise UsageError(f"sources folder not found: {root} (set RAG_SOURCES_DIR)")
    else:
        scopes = None

    known = store.catalog.states()
    scan = _scan(root, paths, known, settings)
    summary.unchanged = scan.unchanged
    summary.skipped += scan.skipped
    summary.warnings += scan.warnings
    summary.removed = _remove_gone(store, [aid for aid in known if aid not in scan.seen and _in_scope(aid, scopes)])

    written = _embed_and_write(store, embedder, scan.changed, settings.ingest_group_chunks, progress)
    summary.added = sum(1 for item in written if item.is_new)
    summary.updated = len(written) - summary.added
    summary.embedded_chunks = sum(len(item.chunks) for item in written)

    missing, reembedded = _repair_drift(store, embedder, settings.ingest_group_chunks, progress)
    if missing:
        # A repair is not an update of the sources: it counts as embedding work and a warning only.
        summary.embedded_chunks += reembedded
        summary.warnings.append({"path": "", "reason": f"re-embedded {missing} chunks missing from Chroma"})
    return _finish(store, summary, progress)


def _in_scope(article: str, scopes: list[str] | None) -> bool:
    if scopes is None:
        return True
    return any(article == s or article.startswith(s.rstrip("/") + "/") or s == "" for s in scopes)


# -- 1. scan the files ----------------------------------------------------------------------------


def _scan(root: Path, paths: list[Path] | None, known: dict[str, tuple[str, str]], settings: Settings) -> Scan:
    """Hash every file; parse and chunk only the new and changed ones."""
    scan = Scan()
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    by_hash: dict[str, str] = {}
    files = [(path, article_id(path, root)) for path in iter_source_files(root, paths)]
    # Files already indexed go first, so a new copy of one is the duplicate, not the indexed original.
    files.sort(key=lambda item: item[1] not in known)
    for path, aid in files:  # aid: the name in the sources folder (a symlink's own name, not its target)
        kept = " (previously indexed version kept)" if aid in known else ""
        try:
            data = read_bytes(path, max_bytes)
        except SourceError as err:
            if kept:
                scan.seen.add(aid)  # unreadable now: keep the version indexed before
            scan.skipped.append({"path": aid, "reason": f"{err}{kept}"})
            continue
        digest = file_hash(data)
        if digest in by_hash:
            scan.skipped.append({"path": aid, "reason": f"duplicate of {by_hash[digest]}"})
            continue
        by_hash[digest] = aid
        scan.seen.add(aid)
        if known.get(aid) == (digest, READY):
            scan.unchanged += 1
            continue
        try:
            article = parse_article(data, path.suffix, aid)
        except SourceError as err:
            if not kept:
                scan.seen.discard(aid)
            scan.skipped.append({"path": aid, "reason": f"{err}{kept}"})
            continue
        if path.suffix.lower() != ".pdf" and not is_utf8(data):
            scan.warnings.append({"path": aid, "reason": "not valid UTF-8; decoded as Windows-1252"})
        chunks = chunk_article(article, settings.chunk_size, settings.chunk_overlap)
        scan.changed.append(Pending(article, chunks, is_new=aid not in known))
    return scan


# -- 2. remove what is gone -----------------------------------------------------------------------


def _remove_gone(store: Store, gone: list[str]) -> int:
    if gone:
        store.catalog.mark_removing(gone)
        store.delete_vectors(gone)
        store.catalog.delete(gone)
    return len(gone)


# -- 3. embed and write ---------------------------------------------------------------------------


def batched(items: Iterable[Pending], max_chunks: int) -> Iterator[list[Pending]]:
    """Consecutive groups of articles, each closed once it holds ``max_chunks`` chunks or more."""
    group: list[Pending] = []
    size = 0
    for item in items:
        group.append(item)
        size += len(item.chunks)
        if size >= max_chunks:
            yield group
            group, size = [], 0
    if group:
        yield group


def _embed_and_write(store: Store, embedder: Embedder, pending: list[Pending], group_chunks: int,
                     progress: bool | Progress) -> list[Pending]:
    """Embed and write ``pending`` group by group; returns what was written (all of it)."""
    written: list[Pending] = []
    with _progress(progress, sum(len(item.chunks) for item in pending)) as advance:
        for group in batched(pending, group_chunks):
            pairs = [(item.article, item.chunks) for item in group]
            store.catalog.mark_pending(pairs)
            texts = [chunk.text for item in group for chunk in item.chunks]
            vectors = _embed_in_slices(embedder, texts, advance)
            store.delete_vectors([item.article.id for item in group])
            store.write_vectors(pairs, vectors)
            store.catalog.mark_ready([item.article.id for item in group])
            written += group
    return written


# Progress moves per slice of a step, not per step: a step of 1024 chunks is ~50 s of embedding on
# 2 cores, and a corpus smaller than one step (300 BBC articles: 979 chunks) showed 0/979 until done.
PROGRESS_SLICE = 64


def _embed_in_slices(embedder: Embedder, texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
    """``embedder.embed_texts(texts)``, in slices of one length-sorted order, reporting each slice.

    Sorting the whole step once keeps the embedder's batches of similar length (little padding);
    a slice is a multiple of any batch size that divides it, so the batches are the same as in one call.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for at in range(0, len(order), PROGRESS_SLICE):
        part = order[at:at + PROGRESS_SLICE]
        vectors[part] = embedder.embed_texts([texts[i] for i in part])
        advance(len(part))
    return vectors


@contextmanager
def _progress(progress: bool | Progress, total: int) -> Iterator[Callable[[int], None]]:
    """``advance(n)``: n more chunks are done. A bar on stderr, a callback, or nothing."""
    if progress is True and total:
        from tqdm import tqdm

        with tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, dynamic_ncols=True) as bar:
            yield bar.update
    elif callable(progress):
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress(done, total)

        yield advance
    else:
        yield lambda n: None


# -- 4. repair drift ------------------------------------------------------------------------------


def _repair_drift(store: Store, embedder: Embedder, group_chunks: int, progress: bool | Progress) -> tuple[int, int]:
    """Chroma and the catalog disagree (a wiped server, a hand-edited collection): fix it.

    Returns (chunks that were missing from Chroma, chunks re-embedded to restore them: every
    chunk of their articles). Only counted when the totals differ, so an unchanged corpus costs
    one count query.
    """
    if store.vector_count() == store.catalog.chunk_count():
        return 0, 0
    expected = {cid for cid, _, _ in store.catalog.ready_chunks()}
    present = store.vector_ids()
    store.delete_ids(list(present - expected))
    missing = expected - present
    if not missing:
        return 0, 0
    article_ids = sorted({cid.rsplit("@", 1)[0] for cid in missing})
    articles = store.catalog.articles(article_ids)
    pending = []
    for aid in article_ids:
        chunks = store.catalog.chunks(store.catalog.chunk_ids_of([aid])).values()
        pending.append(Pending(articles[aid], sorted(chunks, key=lambda c: c.start), is_new=False))
    written = _embed_and_write(store, embedder, pending, group_chunks, progress)
    return len(missing), sum(len(item.chunks) for item in written)


def _finish(store: Store, summary: SyncSummary, progress: bool | Progress = False) -> SyncSummary:
    if not store.bm25_is_current():
        store.rebuild_bm25()
    _index_mentions(store, progress)
    summary.articles = store.article_count()
    summary.chunks = store.chunk_count()
    return summary


# -- 6. the mentions index ------------------------------------------------------------------------


def _index_mentions(store: Store, progress: bool | Progress) -> None:
    """Words of every changed article, then the names of every text not analysed yet (NER)."""
    if progress is True:
        from tqdm import tqdm

        bars: dict[str, tqdm] = {}

        def report(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, unit="article", desc=stage, file=sys.stderr, dynamic_ncols=True)
            bar.update(done - bar.n)

        try:
            store.find_names(progress=report)
        finally:
            for bar in bars.values():
                bar.close()
    else:
        store.find_names()
