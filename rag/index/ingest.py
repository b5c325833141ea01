"""Incremental, crash-safe sync of the sources folder into the store.

Only new or changed files (by content hash) are parsed, chunked and embedded; chunks of
changed and deleted files are removed; unchanged files cost one hash and no embedding.
Every change goes catalog-``pending`` -> vectors -> catalog-``ready``, so a run killed at
any point (even SIGKILL) is repaired by the next one: no duplicates, no orphans.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from rag.index.catalog import READY
from rag.index.chunking import Chunk, chunk_article
from rag.index.sources import Article, SourceError, article_id, file_hash, is_utf8, iter_source_files, parse_article, read_bytes

Progress = Callable[[int, int], None]


@dataclass
class SyncSummary:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_chunks: int = 0
    skipped: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    articles: int = 0
    chunks: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        text = (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {len(self.skipped)}; "
            f"embedded {self.embedded_chunks} chunks; index: {self.articles} articles, {self.chunks} chunks"
        )
        return text


def _in_scope(article: str, scopes: list[str] | None) -> bool:
    if scopes is None:
        return True
    return any(article == s or article.startswith(s.rstrip("/") + "/") or s == "" for s in scopes)


def sync(
    settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: bool | Progress = True,
    store=None,
    embedder=None,
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
    store.collection  # fails early, with a clear message, on an embedding-model mismatch
    catalog = store.catalog
    summary = SyncSummary()

    if paths:
        missing = [p for p in paths if not Path(p).exists()]
        for p in missing:
            summary.skipped.append({"path": str(p), "reason": "no such file or folder"})
        paths = [Path(p) for p in paths if Path(p).exists()]
        scopes = [article_id(Path(p), root) if Path(p).resolve() != root.resolve() else "" for p in paths]
        if not paths:
            return _finish(store, summary)
    elif not root.is_dir():
        raise FileNotFoundError(f"sources folder not found: {root} (set RAG_SOURCES_DIR)")
    else:
        scopes = None

    known = catalog.states()
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    seen_ids: set[str] = set()
    by_hash: dict[str, str] = {}
    todo: list[tuple[Article, list[Chunk], bool]] = []  # (article, chunks, is_new)

    files = [(path, article_id(path, root)) for path in iter_source_files(root, paths)]
    # Files already indexed go first, so a new copy of one is the duplicate, not the indexed original.
    files.sort(key=lambda item: item[1] not in known)
    for path, aid in files:
        shown = aid  # the name in the sources folder (a symlink's own name, not its target)
        try:
            data = read_bytes(path, max_bytes)
        except SourceError as err:
            reason = str(err)
            if aid in known:
                seen_ids.add(aid)  # unreadable now: keep the version indexed before
                reason += " (previously indexed version kept)"
            summary.skipped.append({"path": shown, "reason": reason})
            continue
        digest = file_hash(data)
        if digest in by_hash:
            summary.skipped.append({"path": shown, "reason": f"duplicate of {by_hash[digest]}"})
            continue
        by_hash[digest] = shown
        seen_ids.add(aid)
        if known.get(aid) == (digest, READY):
            summary.unchanged += 1
            continue
        try:
            article = parse_article(data, path.suffix, aid)
        except SourceError as err:
            if aid in known:
                summary.skipped.append({"path": shown, "reason": f"{err} (previously indexed version kept)"})
            else:
                seen_ids.discard(aid)
                summary.skipped.append({"path": shown, "reason": str(err)})
            continue
        if path.suffix.lower() not in (".pdf",) and not is_utf8(data):
            summary.warnings.append({"path": shown, "reason": "not valid UTF-8; decoded as Windows-1252"})
        todo.append((article, chunk_article(article, settings.chunk_size, settings.chunk_overlap), aid not in known))

    gone = [aid for aid in known if aid not in seen_ids and _in_scope(aid, scopes)]
    if gone:
        catalog.mark_removing(gone)
        store.delete_vectors(gone)
        catalog.delete(gone)
        summary.removed = len(gone)

    _embed_and_write(store, embedder, todo, summary, progress)
    _repair_drift(store, embedder, summary, progress)
    return _finish(store, summary)


def _embed_and_write(store, embedder, todo, summary: SyncSummary, progress) -> None:
    total = sum(len(chunks) for _, chunks, _ in todo)
    bar = None
    if progress is True and total:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, dynamic_ncols=True)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if bar is not None:
            bar.update(count)
        elif callable(progress):
            progress(done, total)

    group: list[tuple[Article, list[Chunk], bool]] = []
    size = 0
    for item in todo + [None]:  # the None sentinel flushes the last group
        if item is not None:
            group.append(item)
            size += len(item[1])
            if size < store.settings.ingest_group_chunks:
                continue
        if not group:
            break
        pairs = [(article, chunks) for article, chunks, _ in group]
        store.catalog.mark_pending(pairs)
        texts = [chunk.text for _, chunks in pairs for chunk in chunks]
        vectors = _embed_in_slices(embedder, texts, advance)
        store.delete_vectors([article.id for article, _ in pairs])
        store.write_vectors(pairs, vectors)
        store.catalog.mark_ready([article.id for article, _ in pairs])
        summary.embedded_chunks += len(texts)
        summary.added += sum(1 for _, _, new in group if new)
        summary.updated += sum(1 for _, _, new in group if not new)
        group, size = [], 0
    if bar is not None:
        bar.close()


# Progress moves per slice of a step, not per step: a step of 1024 chunks is ~50 s of embedding on
# 2 cores, and a corpus smaller than one step (300 BBC articles: 979 chunks) showed 0/979 until done.
PROGRESS_SLICE = 64


def _embed_in_slices(embedder, texts: list[str], advance: Callable[[int], None]):
    """``embedder.embed_texts(texts)``, in slices of one length-sorted order, reporting each slice.

    Sorting the whole step once keeps the embedder's batches of similar length (little padding);
    a slice is a multiple of any batch size that divides it, so the batches are the same as in one call.
    """
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = None
    for at in range(0, len(order), PROGRESS_SLICE):
        part = order[at:at + PROGRESS_SLICE]
        embedded = embedder.embed_texts([texts[i] for i in part])
        if vectors is None:
            vectors = np.zeros((len(texts), embedded.shape[1]), dtype=embedded.dtype)
        vectors[part] = embedded
        advance(len(part))
    return vectors


def _repair_drift(store, embedder, summary: SyncSummary, progress) -> None:
    """Chroma and the catalog disagree (a wiped server, a hand-edited collection): fix it.

    Only counted when the totals differ, so an unchanged corpus costs one count query.
    """
    if store.vector_count() == store.catalog.chunk_count():
        return
    expected = {cid for cid, _, _ in store.catalog.ready_chunks()}
    present = store.vector_ids()
    extra = list(present - expected)
    store.delete_ids(extra)
    missing = expected - present
    if missing:
        article_ids = sorted({cid.rsplit("@", 1)[0] for cid in missing})
        articles = store.catalog.articles(article_ids)
        todo = []
        for aid in article_ids:
            article = articles[aid]
            chunks = list(store.catalog.chunks(store.catalog.chunk_ids_of([aid])).values())
            todo.append((article, sorted(chunks, key=lambda c: c.start), False))
        before = summary.updated
        _embed_and_write(store, embedder, todo, summary, progress)
        summary.updated = before  # a repair is not an update of the sources
        summary.warnings.append({"path": "", "reason": f"re-embedded {len(missing)} chunks missing from Chroma"})


def _finish(store, summary: SyncSummary) -> SyncSummary:
    if not store.bm25_is_current():
        store.rebuild_bm25()
    summary.articles = store.catalog.article_count()
    summary.chunks = store.catalog.chunk_count()
    return summary
