"""The store: Chroma for vectors (embedded or a server), the catalog for texts, BM25 for terms.

A collection remembers which embedding model and dimension built it. Opening it with another
model is an error that tells the user to re-ingest, so vectors from two models are never mixed.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlparse

import numpy as np

from rag.errors import SourceChatError
from rag.index.bm25 import BM25Index
from rag.index.catalog import READY, Catalog
from rag.index.chunking import Chunk
from rag.index.mentions import FILE_NAME as MENTIONS_FILE, MentionIndex, Progress as MentionsProgress
from rag.index.sources import Article

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from rag.index.embedding import Embedder
    from rag.settings import Settings


class StoreError(SourceChatError):
    """A store that cannot be used as asked; the message says what to do."""


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
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def published_day(value: str | None) -> int | None:
    """'2019-07-18...' (or '2019/07/18') -> 20190718, the form date-range filters compare."""
    match = re.match(r"(\d{4})[-/](\d{2})[-/](\d{2})", value or "")
    return int("".join(match.groups())) if match else None


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
        self.client = chroma_client(settings)
        self._collection: Collection | None = None
        self._bm25: BM25Index | None = None
        self._bm25_lock = threading.Lock()
        self._mentions: MentionIndex | None = None
        self._mentions_lock = threading.Lock()

    # -- the Chroma collection -------------------------------------------------------------------
    @property
    def collection(self) -> Collection:
        if self._collection is None:
            self._collection = self._open_collection()
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

    def check_embedding_model(self) -> None:
        """Open the collection now: raises EmbeddingMismatch before any work when the models differ."""
        self.collection

    def reset(self) -> None:
        """Drop every vector, text and index: the start of ``rag ingest --rebuild``.

        The catalog is cleared only once the vectors are gone: a catalog without a collection is
        repaired by the next sync, vectors without a catalog would be orphans.
        """
        import httpx
        from chromadb.errors import ChromaError, NotFoundError

        try:
            self.client.delete_collection(self.settings.collection)
        except NotFoundError:
            pass  # nothing to delete
        except (ChromaError, httpx.HTTPError) as err:  # a server that fails or went away
            raise StoreError(f"could not drop the vectors in Chroma ({err}); nothing was removed, try again") from err
        self._collection = None
        self.catalog.clear()
        self.save_bm25(BM25Index.build([], self.catalog.generation))

    def write_vectors(self, items: list[tuple[Article, list[Chunk]]], vectors: np.ndarray) -> None:
        ids, docs, metas = [], [], []
        for article, chunks in items:
            day = published_day(article.meta.get("published"))
            for chunk in chunks:
                ids.append(chunk.id)
                docs.append(chunk.text)
                meta = {"article_id": article.id, "start": chunk.start, "end": chunk.end, "title": article.title}
                if day:
                    meta["published_day"] = day
                metas.append(meta)
        if not ids:
            return
        # Upsert with deterministic ids: replaying a batch after a crash writes the same records.
        max_batch = getattr(self.client, "get_max_batch_size", lambda: 5000)()
        for at in range(0, len(ids), max_batch):
            end = at + max_batch
            self.collection.upsert(
                ids=ids[at:end], embeddings=vectors[at:end], documents=docs[at:end], metadatas=metas[at:end]
            )

    def delete_vectors(self, article_ids: list[str]) -> None:
        for at in range(0, len(article_ids), 500):
            part = article_ids[at : at + 500]
            self.collection.delete(where={"article_id": {"$in": part}})

    def delete_ids(self, chunk_ids: list[str]) -> None:
        """Remove these vectors (by chunk id) from Chroma; the catalog is not touched."""
        for at in range(0, len(chunk_ids), 500):
            self.collection.delete(ids=chunk_ids[at : at + 500])

    def vector_count(self) -> int:
        return self.collection.count()

    def vector_ids(self) -> set[str]:
        out: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < page:
                return out
            offset += page

    def dense_search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, cosine similarity); an empty collection answers with none.

        No count() first: on 100k vectors it costs four times the query itself.
        """
        result = self.collection.query(
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

    # -- the BM25 index --------------------------------------------------------------------------
    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    def bm25(self) -> BM25Index:
        """The lexical index, loaded once and reloaded when ingestion has replaced it."""
        with self._bm25_lock:
            generation = self.catalog.generation
            if self._bm25 is None or self._bm25.generation != generation:
                index = BM25Index.load(self.bm25_dir)
                if index is None or index.generation != generation:
                    index = self.rebuild_bm25()
                self._bm25 = index
            return self._bm25

    def rebuild_bm25(self) -> BM25Index:
        index = BM25Index.build(self.ready_chunks(), self.catalog.generation)
        self.save_bm25(index)
        return index

    def save_bm25(self, index: BM25Index) -> None:
        index.save(self.bm25_dir)
        self._bm25 = index

    def bm25_is_current(self) -> bool:
        index = BM25Index.load(self.bm25_dir)
        return index is not None and index.generation == self.catalog.generation

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
        names found so far; ``find_names`` finds the rest."""
        with self._mentions_lock:
            if self._mentions is None:
                self._mentions = MentionIndex(self.dir / MENTIONS_FILE)
            index = self._mentions
            generation = self.catalog.generation
            if index.generation != generation:
                ready = {aid: digest for aid, (digest, state) in self.catalog.states().items() if state == READY}
                index.refresh(ready, self.articles, generation, names=False, progress=progress)
        return index

    def find_names(self, article_ids: list[str] | None = None, progress: MentionsProgress | None = None) -> int:
        """Find the names (language layer) of the articles not analysed yet, all or ``article_ids``;
        returns how many texts were analysed. No lock: each text is stored once, whoever finds it."""
        return self.mentions(progress).analyse(self.articles, article_ids, progress=progress)


def open_store(settings: Settings, embedder: Embedder | None = None) -> Store:
    from rag.index.embedding import get_embedder

    embedder = embedder or get_embedder(settings)
    return Store(settings, embedder.model_id, embedder.dimension)
