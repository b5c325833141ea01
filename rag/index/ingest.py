"""Incremental, crash-safe sync of the sources folder into the store.

Only new or changed files (by content hash) are parsed, chunked and embedded; chunks of
changed and deleted files are removed; unchanged files cost one hash and no embedding.
Every change goes catalog-``pending`` -> vectors -> catalog-``ready``, so a run killed at
any point (even SIGKILL) is repaired by the next one: no duplicates, no orphans.

``sync`` runs the steps in order: scan the files, remove what is gone, embed and write what
changed (in groups of ``ingest_group_chunks``), repair drift between Chroma and the catalog,
and bring the BM25 index and the mentions index (words, then the names the language layer
finds: rag/index/mentions.py) up to date.

No file can stop the run: each one is parsed in a child process under a time and memory
budget (rag/index/isolation.py) and one that fails is skipped with its reason, remembered, and
read again only when it (or the limits) change. A file with the same bytes as an indexed
article is a duplicate of it, whether it arrives through the folder or an upload. Vectors
already in Chroma for the same chunk id and text are kept, not embedded again.
"""

from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from rag.errors import UsageError
from rag.index.catalog import PENDING, READY, Known
from rag.index.chunking import Chunk
from rag.index.damage import DamagedStore, remove
from rag.index.isolation import FileParser, Limits, ParseFailure, shared_parser
from rag.index.sources import (
    Article,
    SourceError,
    article_id,
    file_hash,
    is_utf8,
    iter_source_files,
    read_bytes,
)

if TYPE_CHECKING:
    from rag.index.embedding import Embedder
    from rag.index.store import Store
    from rag.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (chunks done so far, chunks to do)
Problem = dict[str, str]  # {"path", "reason"} (+ "duplicate_of"): a skipped file or a warning


@dataclass
class FileEvent:
    """What happened to one file, as it happens (the app shows it per upload)."""

    path: str  # the article id
    stage: str  # "parsed", "skipped", "indexed"
    chunks: int = 0
    reason: str = ""


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
    reused_chunks: int = 0  # written from vectors already in Chroma (same chunk id and text)
    cancelled: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        reused = f" ({self.reused_chunks} more already in Chroma)" if self.reused_chunks else ""
        stopped = "cancelled; " if self.cancelled else ""
        return (
            f"{stopped}added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {len(self.skipped)}; "
            f"embedded {self.embedded_chunks} chunks{reused}; index: {self.articles} articles, {self.chunks} chunks"
        )


@dataclass
class Pending:
    """An article version to embed and write."""

    article: Article
    chunks: list[Chunk]
    is_new: bool  # not indexed before (added), as opposed to changed (updated)


@dataclass
class Scan:
    """What the files say should change."""

    changed: list[Pending] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # article ids that stay indexed
    unchanged: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class _Run:
    """What every step of one sync needs besides the store."""

    settings: Settings
    limits: Limits
    parser: FileParser
    cancel: threading.Event | None
    report: Callable[[FileEvent], None]

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


def sync(
    settings: Settings,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    progress: bool | Progress = True,
    store: Store | None = None,
    embedder: Embedder | None = None,
    cancel: threading.Event | None = None,
    report: Callable[[FileEvent], None] | None = None,
) -> SyncSummary:
    """Bring the store in line with the sources; ``paths`` limits the sync to those files/folders.

    ``cancel`` stops the run between files and between groups of chunks (what was written stays
    consistent); ``report`` hears about each file as it is parsed, skipped and indexed.
    """
    from rag.index.embedding import get_embedder

    root = Path(settings.sources_dir)
    embedder = embedder or get_embedder(settings)
    summary = SyncSummary()
    store, aside, damaged = _open(settings, embedder, store, rebuild)
    store.check_embedding_model()  # fails early, with a clear message, on a model mismatch
    run = _Run(settings, Limits.from_settings(settings), shared_parser(), cancel, report or (lambda event: None))

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

    with store.writing():
        known = store.catalog.states()
        scan = _scan(root, paths, scopes, known, store, run)
        summary.unchanged = scan.unchanged
        summary.skipped += scan.skipped
        summary.warnings += scan.warnings
        if not scan.cancelled:
            gone = [aid for aid in known if aid not in scan.seen and _in_scope(aid, scopes)]
            summary.removed = _remove_gone(store, gone)
        if scopes is None and not scan.cancelled:
            store.catalog.forget_failures(keep=scan.seen | {p["path"] for p in scan.skipped})

        written = _embed_and_write(store, embedder, scan.changed, settings.ingest_group_chunks, progress, run)
        summary.added = sum(1 for item in written.items if item.is_new)
        summary.updated = len(written.items) - summary.added
        summary.embedded_chunks = written.embedded
        summary.reused_chunks = written.reused
        summary.cancelled = scan.cancelled or len(written.items) < len(scan.changed)
        for item in scan.changed[len(written.items):]:
            summary.skipped.append({"path": item.article.id, "reason": "cancelled before it was indexed"})

        if not summary.cancelled:
            missing, repaired = _repair_drift(store, embedder, settings.ingest_group_chunks, progress, run)
            if missing:
                # A repair is not an update of the sources: it counts as embedding work and a warning only.
                summary.embedded_chunks += repaired.embedded
                summary.reused_chunks += repaired.reused
                summary.warnings.append({"path": "", "reason": f"re-embedded {missing} chunks missing from Chroma"})
    if aside is not None:
        if damaged:
            summary.warnings.append({"path": str(aside), "reason": "the damaged index files were moved here; "
                                                                   "delete the folder once you no longer need it"})
        else:
            remove(aside)
    return _finish(store, summary, progress)


def _open(settings: Settings, embedder: Embedder, store: Store | None, rebuild: bool) -> tuple[Store, Path | None, bool]:
    """(store, folder a rebuild moved the old files to, whether they were damaged).

    A rebuild of a sound store drops everything and embeds again. A rebuild of a damaged one
    moves only the damaged files aside, never opening them again: with a sound Chroma, the
    vectors are kept and taken back for the same chunks instead of being embedded again.
    """
    from rag.index.store import Store

    if not rebuild:
        return store or Store(settings, embedder.model_id, embedder.dimension), None, False
    damaged = damaged_files(settings)
    if not damaged:
        store = store or Store(settings, embedder.model_id, embedder.dimension)
        return store, store.reset(), False
    if store is not None:
        store.close()
    aside = Store.set_aside(settings, damaged)
    return Store(settings, embedder.model_id, embedder.dimension), aside, True


def damaged_files(settings: Settings) -> set[str]:
    """Which primary parts of the store are damaged: "catalog", "chroma" (embedded only).

    Reads the catalog in full (SQLite's quick_check) and opens Chroma's collection.
    """
    from rag.index.catalog import Catalog
    from rag.index.store import chroma_client, close_client

    damaged: set[str] = set()
    catalog_path = Path(settings.store_dir) / "catalog.sqlite3"
    if catalog_path.exists():
        catalog = None
        try:
            catalog = Catalog(catalog_path)
            if catalog.quick_check() != "ok":
                damaged.add("catalog")
        except DamagedStore:
            damaged.add("catalog")
        finally:
            if catalog is not None:
                catalog.close()
    if not settings.chroma_url and (Path(settings.store_dir) / "chroma").exists():
        from chromadb.errors import ChromaError, NotFoundError

        client = None
        try:
            client = chroma_client(settings)
            client.get_collection(settings.collection).count()
        except NotFoundError:
            pass
        except (DamagedStore, ChromaError):
            damaged.add("chroma")
        finally:
            if client is not None:
                close_client(client)
    return damaged


def _in_scope(article: str, scopes: list[str] | None) -> bool:
    if scopes is None:
        return True
    return any(article == s or article.startswith(s.rstrip("/") + "/") or s == "" for s in scopes)


# -- 1. scan the files ----------------------------------------------------------------------------


def _scan(root: Path, paths: list[Path] | None, scopes: list[str] | None, known: dict[str, Known],
          store: Store, run: _Run) -> Scan:
    """Hash every file; parse and chunk only the new and changed ones."""
    scan = Scan()
    max_bytes = int(run.settings.max_file_mb * 1024 * 1024)
    # A file with the bytes of an indexed article is a duplicate of it. Articles outside this
    # run's scope count too (an upload is compared with the whole index), as long as their file
    # is still there.
    indexed_elsewhere = {k.hash: aid for aid, k in known.items() if k.state == READY and not _in_scope(aid, scopes)}
    by_hash: dict[str, str] = {}
    files = [(path, article_id(path, root)) for path in iter_source_files(root, paths)]
    # Files already indexed go first, so a new copy of one is the duplicate, not the indexed original.
    files.sort(key=lambda item: item[1] not in known)
    to_parse: list[tuple[Path, str]] = []
    for path, aid in files:  # aid: the name in the sources folder (a symlink's own name, not its target)
        kept = " (previously indexed version kept)" if aid in known else ""
        try:
            data = read_bytes(path, max_bytes)
        except SourceError as err:
            if kept:
                scan.seen.add(aid)  # unreadable now: keep the version indexed before
            _skip(scan, run, aid, f"{err}{kept}")
            continue
        digest = file_hash(data)
        original = by_hash.get(digest) or _still_there(indexed_elsewhere.get(digest), root)
        if original is not None and original != aid:
            _skip(scan, run, aid, f"duplicate of {original}", duplicate_of=original)
            continue
        by_hash[digest] = aid
        scan.seen.add(aid)
        if aid in known and known[aid].hash == digest and known[aid].state == READY:
            scan.unchanged += 1
            continue
        failed = store.catalog.failure(aid, digest, run.limits.key())
        if failed is not None:
            if not kept:
                scan.seen.discard(aid)
            _skip(scan, run, aid, f"{failed}{kept} (not read again until the file changes)")
            continue
        if not to_parse:
            run.parser.start_soon(run.limits.memory_mb)  # warms up while the other files are hashed
        to_parse.append((path, aid))

    for path, aid in to_parse:
        if run.cancelled:
            scan.cancelled = True
            _skip(scan, run, aid, "cancelled before it was indexed")
            continue
        pending = _parse(path, aid, known, store, scan, run, max_bytes)
        if pending is not None:
            scan.changed.append(pending)
    return scan


def _parse(path: Path, aid: str, known: dict[str, Known], store: Store, scan: Scan, run: _Run,
           max_bytes: int) -> Pending | None:
    """The file as an article to write, or None (skipped, with its reason recorded)."""
    kept = " (previously indexed version kept)" if aid in known else ""
    try:
        data = read_bytes(path, max_bytes)  # again: only the hashes were kept from the first pass
        parsed = run.parser.parse(data, path.suffix, aid, run.limits)
    except SourceError as err:
        if isinstance(err, ParseFailure):  # the content failed: not tried again until it changes
            store.catalog.record_failure(aid, file_hash(data), run.limits.key(), str(err))
        if not kept:
            scan.seen.discard(aid)
        _skip(scan, run, aid, f"{err}{kept}")
        return None
    except Exception as err:  # never let one file stop the folder
        log.exception("reading %s failed", path)
        if not kept:
            scan.seen.discard(aid)
        _skip(scan, run, aid, f"could not be read ({type(err).__name__}: {err}){kept}")
        return None
    if path.suffix.lower() != ".pdf" and not is_utf8(data):
        scan.warnings.append({"path": aid, "reason": "not valid UTF-8; decoded as Windows-1252"})
    scan.warnings += [{"path": aid, "reason": note} for note in parsed.notes]
    run.report(FileEvent(aid, "parsed", len(parsed.chunks)))
    state = known.get(aid)
    is_new = state is None or (state.state == PENDING and not state.replaces_ready)
    return Pending(parsed.article, parsed.chunks, is_new=is_new)


def _skip(scan: Scan, run: _Run, aid: str, reason: str, duplicate_of: str | None = None) -> None:
    problem = {"path": aid, "reason": reason}
    if duplicate_of is not None:
        problem["duplicate_of"] = duplicate_of
    scan.skipped.append(problem)
    run.report(FileEvent(aid, "skipped", reason=reason))


def _still_there(aid: str | None, root: Path) -> str | None:
    """``aid`` if its file still exists (an indexed article whose file is gone is no original)."""
    if aid is None:
        return None
    path = Path(aid) if Path(aid).is_absolute() else root / aid
    return aid if path.exists() else None


# -- 2. remove what is gone -----------------------------------------------------------------------


def _remove_gone(store: Store, gone: list[str]) -> int:
    if gone:
        store.catalog.mark_removing(gone)
        store.delete_vectors(gone)
        store.catalog.delete(gone)
    return len(gone)


# -- 3. embed and write ---------------------------------------------------------------------------


@dataclass
class Written:
    items: list[Pending] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0


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
                     progress: bool | Progress, run: _Run) -> Written:
    """Embed and write ``pending`` group by group; returns what was written (all of it unless
    cancelled). A vector Chroma already holds for the same chunk id and text is kept."""
    written = Written()
    with _progress(progress, sum(len(item.chunks) for item in pending)) as advance:
        for group in batched(pending, group_chunks):
            if run.cancelled:
                break
            pairs = [(item.article, item.chunks) for item in group]
            records = list(store.records(pairs))
            store.catalog.mark_pending(pairs)
            stored = store.stored_metadata([chunk.id for _, chunk, _ in records])
            keep = {chunk.id for _, chunk, meta in records
                    if stored.get(chunk.id, {}).get("text_hash") == meta["text_hash"]}
            fresh = [record for record in records if record[1].id not in keep]
            vectors = _embed_in_slices(embedder, [chunk.text for _, chunk, _ in fresh], advance)
            store.delete_vectors([item.article.id for item in group], keep=keep)
            store.write_vectors(fresh, vectors)
            relabelled = [(chunk.id, meta) for _, chunk, meta in records if chunk.id in keep and stored[chunk.id] != meta]
            if relabelled:
                store.update_metadata([cid for cid, _ in relabelled], [meta for _, meta in relabelled])
            store.catalog.mark_ready([item.article.id for item in group])
            written.items += group
            written.embedded += len(fresh)
            written.reused += len(keep)
            for item in group:
                run.report(FileEvent(item.article.id, "indexed", len(item.chunks)))
            advance(len(keep))  # taken back from Chroma: done at once
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


def _repair_drift(store: Store, embedder: Embedder, group_chunks: int, progress: bool | Progress,
                  run: _Run) -> tuple[int, Written]:
    """Chroma and the catalog disagree (a wiped server, a hand-edited collection): fix it.

    Returns (chunks that were missing from Chroma, what restoring them took). Only counted when
    the totals differ, so an unchanged corpus costs one count query.
    """
    if store.vector_count() == store.catalog.chunk_count():
        return 0, Written()
    expected = {cid for cid, _, _ in store.catalog.ready_chunks()}
    present = store.vector_ids()
    store.delete_ids(list(present - expected))
    missing = expected - present
    if not missing:
        return 0, Written()
    article_ids = sorted({cid.rsplit("@", 1)[0] for cid in missing})
    articles = store.catalog.articles(article_ids)
    pending = []
    for aid in article_ids:
        chunks = store.catalog.chunks(store.catalog.chunk_ids_of([aid])).values()
        pending.append(Pending(articles[aid], sorted(chunks, key=lambda c: c.start), is_new=False))
    return len(missing), _embed_and_write(store, embedder, pending, group_chunks, progress, run)


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
