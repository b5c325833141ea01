"""The store: Chroma for vectors (embedded or a server), the catalog for texts, BM25 for terms.

A collection remembers which embedding model and dimension built it. Opening it with another
model is an error that tells the user to re-ingest, so vectors from two models are never mixed.

Every vector carries a ``text_hash`` of its chunk's text. Ingestion keeps a vector whose id
and text hash are already in Chroma instead of embedding it again (only its metadata is
rewritten if that changed): a replica with an empty catalog (same sources, same Chroma server)
embeds nothing, and an edited article embeds only its changed chunks.

Several processes may use one store folder: the app answers while ``rag ingest`` runs in
another process. Embedded Chroma keeps its vector index in memory and does not see another
process's writes, so the store reopens its Chroma client when the catalog's stamp (its id and
generation) moved without it; the catalog's connections and the keyword index follow the same
stamp. Damaged files raise ``DamagedStore`` (rag/index/damage.py); a damaged or missing keyword
index is rebuilt from the catalog, with a notice in ``notices``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlparse

import numpy as np

from rag.index.bm25 import BM25Index, OutdatedIndex, UnreadableIndex
from rag.index.catalog import READY, Catalog
from rag.index.chunking import Chunk
from rag.index.damage import DamagedStore, StoreError, is_chroma_damage, set_aside
from rag.index.mentions import FILE_NAME as MENTIONS_FILE, MentionIndex, Progress as MentionsProgress
from rag.index.sources import Article

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from rag.index.embedding import Embedder
    from rag.settings import Settings

__all__ = ["DamagedStore", "EmbeddingMismatch", "Store", "StoreError", "open_store"]

log = logging.getLogger(__name__)

CATALOG_FILES = ["catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm"]


class EmbeddingMismatch(StoreError):
    pass


def chroma_client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import ChromaError

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except (ValueError, ChromaError) as err:  # the client checks the server on construction
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {err}") from err
    path = Path(settings.store_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    spelling = _spellings.take(path)
    try:
        client = chromadb.PersistentClient(path=spelling, settings=chroma_settings)
    except Exception as err:
        # The spelling is not given back: Chroma may keep the failed System under it.
        if is_chroma_damage(err):
            raise DamagedStore(path / "chroma.sqlite3", str(err)) from err
        raise
    return client


class _Spellings:
    """A distinct spelling of one folder's path for each open embedded client.

    Chroma shares one in-memory System (and its vector index) among all clients of a process
    that name the same path, and a System never sees writes made by another one. A store that
    must reopen its client to see another process's writes needs a System of its own, so each
    client names the folder differently: ``chroma``, ``chroma/.``, ``chroma/./.`` ...
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: set[str] = set()

    def take(self, path: Path) -> str:
        with self._lock:
            n = 0
            while (spelling := str(path) + "/." * n) in self._taken:
                n += 1
            self._taken.add(spelling)
            return spelling

    def give_back(self, spelling: str) -> None:
        with self._lock:
            self._taken.discard(spelling)


_spellings = _Spellings()


def _close_boxed(box: list) -> None:
    if box and box[0] is not None:
        close_client(box[0])
        box[0] = None


def close_client(client: ClientAPI) -> None:
    """Release an embedded client's System (its files and memory); a server client has none."""
    settings = client.get_settings()
    close = getattr(client, "close", None)
    if close is not None:
        close()
    if settings.is_persistent and settings.persist_directory:
        _spellings.give_back(settings.persist_directory)


def published_day(value: str | None) -> int | None:
    """'2019-07-18...' (or '2019/07/18') -> 20190718, the form date-range filters compare."""
    match = re.match(r"(\d{4})[-/](\d{2})[-/](\d{2})", value or "")
    return int("".join(match.groups())) if match else None


def text_hash(text: str) -> str:
    """What a stored vector stands for: same text, same model (the collection's), same vector."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _SharedLock:
    """Shared by queries and writes, exclusive while the Chroma client is reopened; a waiting
    reopen goes before new queries, so a busy app cannot put it off forever."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._users = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive or self._waiting:
                self._cond.wait()
            self._users += 1
        try:
            yield
        finally:
            with self._cond:
                self._users -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._exclusive or self._users:
                self._cond.wait()
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class Store:
    """The index facade: vectors (Chroma), texts and sync state (catalog), terms (BM25).

    The other layers use its methods, never ``catalog`` or ``collection`` directly.
    """

    def __init__(self, settings: Settings, embedder_id: str, dimension: int):
        self.settings = settings
        self.embedder_id = embedder_id
        self.dimension = dimension
        self.dir = Path(settings.store_dir)
        self.catalog = Catalog(self.dir / "catalog.sqlite3")
        # The current client in a box the finalizer shares: a store dropped without close()
        # still releases its Chroma System (see _Spellings).
        self._client_box: list[ClientAPI] = [chroma_client(settings)]
        weakref.finalize(self, _close_boxed, self._client_box)
        self.notices: list[str] = []  # what the store repaired by itself, for the CLI and the app to show
        self._collection: Collection | None = None
        self._stamp_seen: tuple[str, int] | None = None  # catalog stamp the open Chroma client reflects
        self._writing = 0  # syncs in this process: their own changes need no reopen
        self._chroma_lock = _SharedLock()
        self._reopen_lock = threading.Lock()
        self._bm25: BM25Index | None = None
        self._bm25_lock = threading.Lock()
        self._mentions: MentionIndex | None = None
        self._mentions_lock = threading.Lock()

    @property
    def client(self) -> ClientAPI:
        return self._client_box[0]

    @client.setter
    def client(self, client: ClientAPI) -> None:
        self._client_box[0] = client

    @property
    def local_chroma(self) -> bool:
        return not self.settings.chroma_url

    @property
    def chroma_path(self) -> Path:
        return self.dir / "chroma" / "chroma.sqlite3"

    def notice(self, message: str) -> None:
        """Something the store repaired by itself; the CLI and the app show these."""
        log.info(message)
        self.notices.append(message)

    # -- the Chroma collection -------------------------------------------------------------------
    @property
    def collection(self) -> Collection:
        if self._collection is None:
            with self._chroma():
                self._collection = self._open_collection()
                if self._stamp_seen is None:
                    self._stamp_seen = self.catalog.stamp()
        return self._collection

    def _open_collection(self) -> Collection:
        # get_or_create never changes an existing collection's metadata, so the check below sees
        # the model that built it. Cosine space must be chosen at creation; Chroma's default (l2)
        # cannot be changed later.
        collection = self.client.get_or_create_collection(
            self.settings.collection,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": self.embedder_id, "embedding_dim": self.dimension},
        )
        meta = collection.metadata or {}
        built_with = (meta.get("embedding_model"), meta.get("embedding_dim"))
        if built_with != (self.embedder_id, self.dimension):
            raise EmbeddingMismatch(
                f"the index was built with embedding model {built_with[0]!r} ({built_with[1]} dims) "
                f"but this run uses {self.embedder_id!r} ({self.dimension} dims). "
                "Re-ingest with `rag ingest --rebuild` (or set RAG_EMBEDDING_BACKEND back)."
            )
        return collection

    @contextmanager
    def _chroma(self) -> Iterator[None]:
        """Chroma's errors as the project's: a damaged file names itself, a lost server says so."""
        import httpx
        from chromadb.errors import ChromaError

        try:
            yield
        except StoreError:
            raise
        except (ChromaError, httpx.HTTPError, OSError) as err:
            if self.local_chroma and is_chroma_damage(err):
                raise DamagedStore(self.chroma_path, str(err)) from err
            if not self.local_chroma and isinstance(err, (httpx.HTTPError, OSError)):
                raise StoreError(f"the Chroma server at {self.settings.chroma_url} did not answer ({err}); "
                                 "check that it runs, then try again") from err
            raise

    @contextmanager
    def _reading(self) -> Iterator[Collection]:
        """The collection for one query or write, current with the catalog."""
        self._follow_outside_changes()
        with self._chroma_lock.shared(), self._chroma():
            yield self.collection

    def _follow_outside_changes(self) -> None:
        """Reopen embedded Chroma when another process changed the index since it was opened."""
        if not self.local_chroma or self._collection is None or self._writing:
            return
        stamp = self.catalog.stamp()
        if stamp == self._stamp_seen:
            return
        with self._reopen_lock:
            if stamp == self._stamp_seen:
                return
            with self._chroma_lock.exclusive():
                self._close_chroma()
                self.client = chroma_client(self.settings)
                self._stamp_seen = stamp
            log.info("the index changed outside this process; reopened Chroma")

    def _close_chroma(self) -> None:
        self._collection = None
        _close_boxed(self._client_box)

    def close(self) -> None:
        """Release the Chroma client and this thread's catalog connection."""
        with self._reopen_lock, self._chroma_lock.exclusive():
            self._close_chroma()
            self.catalog.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around a sync in this process: its own changes are already visible to its client."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
            if not self._writing:
                self._stamp_seen = self.catalog.stamp()

    def check_embedding_model(self) -> None:
        """Open the collection now: raises EmbeddingMismatch before any work when the models differ."""
        self.collection

    def reset(self) -> Path | None:
        """Drop every vector, text and index: the start of ``rag ingest --rebuild``.

        With a Chroma server the collection is dropped first: if that fails nothing else is
        touched. The catalog and keyword index (and embedded Chroma's folder) are then moved
        aside, never opened, so a damaged file cannot stop the rebuild. Returns the folder they
        went to (None when there was nothing), for the caller to delete or report.
        """
        if not self.local_chroma:
            import httpx
            from chromadb.errors import ChromaError, NotFoundError

            try:
                self.client.delete_collection(self.settings.collection)
            except NotFoundError:
                pass  # nothing to delete
            except (ChromaError, httpx.HTTPError) as err:  # a server that fails or went away
                raise StoreError(
                    f"could not drop the vectors in Chroma ({err}); nothing was removed, try again"
                ) from err
        with self._reopen_lock, self._chroma_lock.exclusive():
            names = CATALOG_FILES + ["bm25"]
            if self.local_chroma:
                self._close_chroma()
                names.append("chroma")
            self.catalog.close()
            aside = set_aside(self.dir, names)
            self.catalog = Catalog(self.dir / "catalog.sqlite3")
            if self.local_chroma:
                self.client = chroma_client(self.settings)
            self._collection = None
            self._stamp_seen = None
            self._bm25 = None
        return aside

    @staticmethod
    def set_aside(settings: Settings, parts: set[str]) -> Path | None:
        """Move parts of a store ("catalog", "chroma") out of the way without opening them.

        The keyword index goes with the catalog it was built from.
        """
        names = []
        if "catalog" in parts:
            names += CATALOG_FILES + ["bm25"]
        if "chroma" in parts and not settings.chroma_url:
            names.append("chroma")
        return set_aside(Path(settings.store_dir), names)

    # -- vectors -----------------------------------------------------------------------------------
    def write_vectors(self, records: list[tuple[Article, Chunk, dict]], vectors: np.ndarray) -> None:
        """Write one vector per record of ``records()``, in order."""
        if not records:
            return
        ids = [chunk.id for _, chunk, _ in records]
        docs = [chunk.text for _, chunk, _ in records]
        metas = [meta for _, _, meta in records]
        # Upsert with deterministic ids: replaying a batch after a crash writes the same records.
        with self._reading() as collection:
            max_batch = getattr(self.client, "get_max_batch_size", lambda: 5000)()
            for at in range(0, len(ids), max_batch):
                end = at + max_batch
                collection.upsert(
                    ids=ids[at:end], embeddings=vectors[at:end], documents=docs[at:end], metadatas=metas[at:end]
                )

    @staticmethod
    def records(items: list[tuple[Article, list[Chunk]]]) -> Iterator[tuple[Article, Chunk, dict]]:
        """(article, chunk, its Chroma metadata) for every chunk of ``items``, in order."""
        for article, chunks in items:
            day = published_day(article.meta.get("published"))
            for chunk in chunks:
                meta = {"article_id": article.id, "start": chunk.start, "end": chunk.end, "title": article.title,
                        "text_hash": text_hash(chunk.text)}
                if day:
                    meta["published_day"] = day
                yield article, chunk, meta

    def stored_metadata(self, chunk_ids: list[str]) -> dict[str, dict]:
        """chunk id -> its metadata in Chroma, for the ids Chroma holds."""
        found: dict[str, dict] = {}
        with self._reading() as collection:
            for at in range(0, len(chunk_ids), 1000):
                got = collection.get(ids=chunk_ids[at : at + 1000], include=["metadatas"])
                for cid, meta in zip(got["ids"], got["metadatas"] or []):
                    found[cid] = dict(meta or {})
        return found

    def update_metadata(self, chunk_ids: list[str], metadatas: list[dict]) -> None:
        """New metadata for vectors that stay as they are."""
        with self._reading() as collection:
            for at in range(0, len(chunk_ids), 1000):
                collection.update(ids=chunk_ids[at : at + 1000], metadatas=metadatas[at : at + 1000])

    def delete_vectors(self, article_ids: list[str], keep: set[str] | None = None) -> None:
        """Remove these articles' vectors, except the chunk ids in ``keep``."""
        with self._reading() as collection:
            for at in range(0, len(article_ids), 500):
                part = article_ids[at : at + 500]
                if not keep:
                    collection.delete(where={"article_id": {"$in": part}})
                    continue
                ids = collection.get(where={"article_id": {"$in": part}}, include=[])["ids"]
                drop = [cid for cid in ids if cid not in keep]
                for start in range(0, len(drop), 500):
                    collection.delete(ids=drop[start : start + 500])

    def delete_ids(self, chunk_ids: list[str]) -> None:
        """Remove these vectors (by chunk id) from Chroma; the catalog is not touched."""
        with self._reading() as collection:
            for at in range(0, len(chunk_ids), 500):
                collection.delete(ids=chunk_ids[at : at + 500])

    def vector_count(self) -> int:
        with self._reading() as collection:
            return collection.count()

    def vector_ids(self) -> set[str]:
        out: set[str] = set()
        offset, page = 0, 5000
        with self._reading() as collection:
            while True:
                got = collection.get(include=[], limit=page, offset=offset)
                out.update(got["ids"])
                if len(got["ids"]) < page:
                    return out
                offset += page

    def dense_search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, cosine similarity); an empty collection answers with none.

        No count() first: on 100k vectors it costs four times the query itself.
        """
        with self._reading() as collection:
            result = collection.query(
                query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
            )
        return [(cid, 1.0 - dist) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    # -- what the other layers read (the catalog stays an implementation detail) ------------------
    def article(self, article_id: str) -> Article | None:
        return self.catalog.article(article_id)

    def articles(self, article_ids: list[str]) -> dict[str, Article]:
        return self.catalog.articles(article_ids)

    def article_count(self) -> int:
        return self.catalog.article_count()

    def has_articles(self) -> bool:
        return self.catalog.has_articles()

    def chunk_count(self) -> int:
        return self.catalog.chunk_count()

    def list_articles(self) -> list[dict]:
        """Every ready article as {"article_id", "title", and its metadata}, by id."""
        return self.catalog.list_articles()

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        return self.catalog.chunks(chunk_ids)

    def ready_chunks(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, article id, chunk text) of every indexed chunk, by article and offset."""
        return self.catalog.ready_chunks()

    def indexed_as(self, file_hash: str) -> str | None:
        """The id of an indexed article whose file has exactly these bytes, if any."""
        return self.catalog.article_with_hash(file_hash)

    def generation(self) -> tuple[str, int]:
        """Changes whenever the indexed articles change, in this process or another."""
        return self.catalog.stamp()

    # -- the BM25 index --------------------------------------------------------------------------
    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    def bm25(self) -> BM25Index:
        """The lexical index, loaded once and reloaded when the catalog changed; rebuilt from
        the catalog (with a notice) when it is missing, damaged or stale."""
        with self._bm25_lock:
            stamp = self.catalog.stamp()
            if self._bm25 is None or self._bm25.stamp != stamp:
                index = self._load_bm25()
                if index is None or index.stamp != stamp:
                    index = self.rebuild_bm25()
                self._bm25 = index
            return self._bm25

    def _load_bm25(self) -> BM25Index | None:
        try:
            index = BM25Index.load(self.bm25_dir)
        except OutdatedIndex as err:
            self.notice(f"the keyword index was out of date ({err}); rebuilt it from the catalog")
            return None
        except UnreadableIndex as err:
            self.notice(f"the keyword index was unreadable ({err}); rebuilt it from the catalog")
            return None
        if index is None and self.catalog.chunk_count():
            self.notice(f"the keyword index was missing ({self.bm25_dir}); rebuilt it from the catalog")
        return index

    def rebuild_bm25(self) -> BM25Index:
        catalog_id, generation = self.catalog.stamp()
        index = BM25Index.build(self.ready_chunks(), generation, catalog_id)
        self.save_bm25(index)
        return index

    def save_bm25(self, index: BM25Index) -> None:
        index.save(self.bm25_dir)
        self._bm25 = index

    def bm25_is_current(self) -> bool:
        try:
            index = BM25Index.load(self.bm25_dir)
        except UnreadableIndex:
            return False
        return index is not None and index.stamp == self.catalog.stamp()

    def chunk_ids_at(self, places: list[tuple[str, int]]) -> list[str]:
        """The id of the chunk holding each (article id, character offset); "" where none does."""
        ids = self.catalog.chunk_ids_of(sorted({aid for aid, _ in places}))
        by_article: dict[str, list[Chunk]] = {}
        for chunk in self.catalog.chunks(ids).values():
            by_article.setdefault(chunk.article_id, []).append(chunk)
        return [next((c.id for c in sorted(by_article.get(aid, []), key=lambda c: c.start) if c.start <= at < c.end), "")
                for aid, at in places]

    # -- the mentions index (rag/index/mentions.py) ------------------------------------------------
    def mentions(self, progress: MentionsProgress | None = None) -> MentionIndex:
        """The words of every ready article (brought up to date with the catalog first) and the
        names found so far; ``find_names`` finds the rest. Derived data: a damaged file is
        dropped and built again."""
        import sqlite3

        with self._mentions_lock:
            try:
                return self._current_mentions(progress)
            except sqlite3.DatabaseError as err:
                self.notice(f"the mentions index was unreadable ({err}); rebuilding it")
                if self._mentions is not None:
                    self._mentions.close()
                self._mentions = None
                for path in self.dir.glob(MENTIONS_FILE + "*"):
                    path.unlink(missing_ok=True)
                return self._current_mentions(progress)

    def _current_mentions(self, progress: MentionsProgress | None) -> MentionIndex:
        if self._mentions is None:
            self._mentions = MentionIndex(self.dir / MENTIONS_FILE)
        index = self._mentions
        stamp = "%s:%d" % self.catalog.stamp()
        if index.generation != stamp:
            ready = {aid: known.hash for aid, known in self.catalog.states().items() if known.state == READY}
            index.refresh(ready, self.articles, stamp, names=False, progress=progress)
        return index

    def find_names(self, article_ids: list[str] | None = None, progress: MentionsProgress | None = None) -> int:
        """Find the names (language layer) of the articles not analysed yet, all or ``article_ids``;
        returns how many texts were analysed. No lock: each text is stored once, whoever finds it."""
        return self.mentions(progress).analyse(self.articles, article_ids, progress=progress)


def open_store(settings: Settings, embedder: Embedder | None = None) -> Store:
    from rag.index.embedding import get_embedder

    embedder = embedder or get_embedder(settings)
    return Store(settings, embedder.model_id, embedder.dimension)
