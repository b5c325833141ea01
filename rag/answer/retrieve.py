"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank fusion.

Dense search finds paraphrases; BM25 finds exact rare names and numbers that a small
embedding model blurs. RRF needs no score calibration between the two: each list votes
1 / (k + rank) for its candidates (k=60, as in Cormack et al. 2009).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.errors import UsageError
from rag.index.chunking import Chunk
from rag.index.embedding import Embedder
from rag.index.sources import Article
from rag.index.store import Store, published_day


METHODS = ("hybrid", "dense", "bm25")


@dataclass
class Filters:
    article_ids: list[str] | None = None  # only these articles
    published_from: str | None = None  # ISO date, inclusive
    published_to: str | None = None

    def __post_init__(self) -> None:
        # A date the filter cannot read would otherwise be ignored and every article searched.
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value and published_day(value) is None:
                raise UsageError(f"{name} must be an ISO date like 2019-07-18, not {value!r}")
        if isinstance(self.article_ids, str):
            raise UsageError("article_ids must be a list of article ids, not one string")

    def is_empty(self) -> bool:
        return not (self.article_ids or self.published_from or self.published_to)


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

    def _chroma_where(self, filters: Filters | None) -> dict | None:
        if filters is None or filters.is_empty():
            return None
        clauses = []
        if filters.article_ids:
            clauses.append({"article_id": {"$in": list(filters.article_ids)}})
        if (day := published_day(filters.published_from)) is not None:
            clauses.append({"published_day": {"$gte": day}})
        if (day := published_day(filters.published_to)) is not None:
            clauses.append({"published_day": {"$lte": day}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _allowed_articles(self, filters: Filters | None) -> set[str] | None:
        if filters is None or filters.is_empty():
            return None
        allowed = None
        if filters.article_ids:
            allowed = set(filters.article_ids)
        if filters.published_from or filters.published_to:
            low = published_day(filters.published_from) or 0
            high = published_day(filters.published_to) or 99999999
            dated = {
                a["article_id"] for a in self.store.list_articles()
                if low <= (published_day(a.get("published")) or -1) <= high
            }
            allowed = dated if allowed is None else allowed & dated
        return allowed

    def vocabulary(self) -> frozenset[str]:
        """The keyword index's terms (stems), for reading a misspelt question before retrieval."""
        return self.store.bm25().vocabulary()

    def dense(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return self.store.dense_search(self.embedder.embed_query(query), k, self._chroma_where(filters))

    def lexical(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return self.store.bm25().search(query, k, self._allowed_articles(filters))

    def retrieve(self, query: str, k: int = 6, filters: Filters | None = None, method: str = "hybrid") -> list[Hit]:
        """The ``k`` best chunks for ``query``; ``method`` is hybrid, dense or bm25."""
        if method not in METHODS:
            raise UsageError(f"unknown retrieval method {method!r}; use one of {', '.join(METHODS)}")
        pool = max(k * 4, 20)  # fuse from deeper lists than we return
        dense = self.dense(query, pool, filters) if method in ("hybrid", "dense") else []
        lexical = self.lexical(query, pool, filters) if method in ("hybrid", "bm25") else []
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
