"""The lexical index: bm25s over every chunk's stemmed terms, saved next to the store.

bm25s has no incremental update, so ingestion rebuilds the index whenever the set of chunks
changed (a few seconds for 100k chunks) and stamps it with the catalog's generation; a
stale index is never used silently.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

from rag.text import terms

if TYPE_CHECKING:
    import bm25s


class BM25Index:
    def __init__(self, model: bm25s.BM25 | None, chunk_ids: list[str], article_ids: list[str], generation: int):
        self.model = model
        self.chunk_ids = chunk_ids
        self.article_ids = np.asarray(article_ids, dtype=object)
        self.generation = generation
        self._position = {cid: i for i, cid in enumerate(chunk_ids)}

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]], generation: int) -> BM25Index:
        """``rows``: (chunk id, article id, text) for every chunk."""
        import bm25s

        chunk_ids, article_ids, corpus = [], [], []
        for chunk_id, article_id, text in rows:
            chunk_ids.append(chunk_id)
            article_ids.append(article_id)
            corpus.append(terms(text) or ["<empty>"])
        model = bm25s.BM25()
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model, chunk_ids, article_ids, generation)

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.chunk_ids:
            self.model.save(str(tmp), show_progress=False)
        (tmp / "chunks.json").write_text(
            json.dumps({"generation": self.generation, "chunk_ids": self.chunk_ids,
                        "article_ids": self.article_ids.tolist()})
        )
        # Swap in whole: a reader never sees half an index.
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> BM25Index | None:
        import bm25s

        directory = Path(directory)
        manifest = directory / "chunks.json"
        if not manifest.is_file():
            return None
        info = json.loads(manifest.read_text())
        model = bm25s.BM25.load(str(directory), show_progress=False) if info["chunk_ids"] else None
        return cls(model, info["chunk_ids"], info["article_ids"], info["generation"])

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score, optionally only among ``allowed`` articles."""
        query_terms = [t for t in terms(query) if t in self.model.vocab_dict] if self.model else []
        if not query_terms:
            return []
        scores = self.model.get_scores(query_terms)
        if allowed is not None:
            scores = np.where(np.isin(self.article_ids, list(allowed)), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
