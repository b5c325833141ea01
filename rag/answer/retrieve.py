"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank fusion.

Dense search finds paraphrases; BM25 finds exact rare names and numbers that a small
embedding model blurs. RRF needs no score calibration between the two: each list votes
1 / (k + rank) for its candidates (k=60, as in Cormack et al. 2009).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answer.filters import Filters
from rag.errors import UsageError
from rag.index.chunking import Chunk
from rag.index.embedding import Embedder
from rag.index.sources import Article
from rag.index.store import Store, published_day


METHODS = ("hybrid", "dense", "bm25")


@dataclass
class Hit:
    chunk: Chunk
    article: Article
    score: float  # fused score
    dense: float | None = None  # cosine similarity, when dense search found it
    lexical: float | None = None  # BM25 score, when BM25 found it
    ranks: dict[str, int | None] = field(default_factory=dict)  # rank in each list, 1-based


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, rrf_k: int = 60):
        self.store = store
        self.embedder = embedder
        self.rrf_k = rrf_k

    def allowed_articles(self, filters: Filters | None) -> set[str] | None:
        """The article ids ``filters`` keep (None: all of them)."""
        if filters is None or filters.is_empty():
            return None
        return filters.allowed(self.store.list_articles())

    @staticmethod
    def _chroma_where(filters: Filters | None, allowed: set[str] | None) -> dict | None:
        if filters is None or filters.is_empty() or allowed is None:
            return None
        clauses = []
        if filters.article_ids or filters.sources:
            clauses.append({"article_id": {"$in": sorted(allowed)}})
        # Dates as a range on the vectors' own metadata: a date range alone may keep thousands of ids.
        if (day := published_day(filters.published_from)) is not None:
            clauses.append({"published_day": {"$gte": day}})
        if (day := published_day(filters.published_to)) is not None:
            clauses.append({"published_day": {"$lte": day}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def dense(self, query: str, k: int, filters: Filters | None = None,
              allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` by cosine; ``allowed`` (when the caller resolved ``filters`` already) is reused."""
        allowed = self.allowed_articles(filters) if allowed is None else allowed
        if allowed is not None and not allowed:
            return []
        return self.store.dense_search(self.embedder.embed_query(query), k, self._chroma_where(filters, allowed))

    def vocabulary(self) -> frozenset[str]:
        """The keyword index's terms (stems), for reading a misspelt question before retrieval."""
        return self.store.bm25().vocabulary()

    def lexical(self, query: str, k: int, filters: Filters | None = None,
                allowed: set[str] | None = None) -> list[tuple[str, float]]:
        allowed = self.allowed_articles(filters) if allowed is None else allowed
        if allowed is not None and not allowed:
            return []
        return self.store.bm25().search(query, k, allowed)

    def retrieve(self, query: str, k: int = 6, filters: Filters | None = None, method: str = "hybrid") -> list[Hit]:
        """The ``k`` best chunks for ``query``; ``method`` is hybrid, dense or bm25."""
        if method not in METHODS:
            raise UsageError(f"unknown retrieval method {method!r}; use one of {', '.join(METHODS)}")
        pool = max(k * 4, 20)  # fuse from deeper lists than we return
        allowed = self.allowed_articles(filters)
        dense = self.dense(query, pool, filters, allowed) if method in ("hybrid", "dense") else []
        lexical = self.lexical(query, pool, filters, allowed) if method in ("hybrid", "bm25") else []
        fused = reciprocal_rank_fusion([[c for c, _ in dense], [c for c, _ in lexical]], self.rrf_k)
        top = sorted(fused, key=lambda cid: -fused[cid])[:k]
        chunks = self.store.chunks(top)
        articles = self.store.articles([chunks[c].article_id for c in top if c in chunks])
        dense_of, lexical_of = dict(dense), dict(lexical)
        dense_rank = {c: r for r, (c, _) in enumerate(dense, 1)}
        lexical_rank = {c: r for r, (c, _) in enumerate(lexical, 1)}
        hits = []
        for cid in top:
            chunk = chunks.get(cid)
            if chunk is None or chunk.article_id not in articles:
                continue  # removed between the two look-ups
            hits.append(Hit(
                chunk=chunk, article=articles[chunk.article_id], score=fused[cid],
                dense=dense_of.get(cid), lexical=lexical_of.get(cid),
                ranks={"dense": dense_rank.get(cid), "bm25": lexical_rank.get(cid)},
            ))
        return hits
