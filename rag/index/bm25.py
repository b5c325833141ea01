"""The lexical index: bm25s over every chunk's stemmed terms, saved next to the store.

bm25s has no incremental update, so ingestion rebuilds the index whenever the set of chunks
changed (a few seconds for 100k chunks) and stamps it with the catalog's generation; a
stale index is never used silently.

It is derived data: the manifest (``chunks.json``) records a SHA-256 of every file, and an
index that is missing a file, fails its checksum or cannot be parsed raises ``UnreadableIndex``;
the store then rebuilds it from the catalog, without embedding anything.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

from rag.text import TERMS_VERSION, terms

if TYPE_CHECKING:
    import bm25s


MANIFEST = "chunks.json"


class UnreadableIndex(Exception):
    """The saved index is damaged or incomplete; ``str(err)`` says which file and how."""


class OutdatedIndex(UnreadableIndex):
    """The saved index holds terms of an older ``rag.text.terms``: questions would no longer
    meet its words ("guantanamo" asked, "guant" and "namo" saved)."""


class BM25Index:
    def __init__(self, model: bm25s.BM25 | None, chunk_ids: list[str], article_ids: list[str], generation: int,
                 catalog_id: str = ""):
        self.model = model
        self.chunk_ids = chunk_ids
        self.article_ids = np.asarray(article_ids, dtype=object)
        self.generation = generation
        self.catalog_id = catalog_id  # the catalog it was built from (Catalog.stamp)
        self._position = {cid: i for i, cid in enumerate(chunk_ids)}

    @property
    def stamp(self) -> tuple[str, int]:
        return self.catalog_id, self.generation

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]], generation: int, catalog_id: str = "") -> BM25Index:
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
        return cls(model, chunk_ids, article_ids, generation, catalog_id)

    def save(self, directory: Path) -> None:
        """Write the index next to ``directory`` and swap it in whole: a reader never sees half an
        index, and two processes saving at once (the app and ``rag ingest``) never share a folder."""
        directory = Path(directory)
        tag = uuid.uuid4().hex[:8]
        tmp = directory.with_name(f"{directory.name}.tmp-{tag}")
        tmp.mkdir(parents=True)
        if self.chunk_ids:
            self.model.save(str(tmp), show_progress=False)
        files = {path.name: _sha256(path) for path in sorted(tmp.iterdir())}
        (tmp / MANIFEST).write_text(
            json.dumps({"generation": self.generation, "catalog_id": self.catalog_id, "terms_version": TERMS_VERSION,
                        "chunk_ids": self.chunk_ids,
                        "article_ids": self.article_ids.tolist(), "files": files})
        )
        old = directory.with_name(f"{directory.name}.old-{tag}")
        for _ in range(3):
            try:
                if directory.exists():
                    directory.rename(old)
                tmp.rename(directory)
                break
            except OSError:  # the other process swapped its own in meanwhile: try again
                continue
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> BM25Index | None:
        """The saved index; None when none was saved; UnreadableIndex when it is damaged."""
        import bm25s

        directory = Path(directory)
        manifest = directory / MANIFEST
        if not directory.exists():
            return None
        try:
            info = json.loads(manifest.read_text())
            chunk_ids, article_ids, generation = info["chunk_ids"], info["article_ids"], int(info["generation"])
        except FileNotFoundError:
            raise UnreadableIndex(f"{manifest} is missing") from None
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise UnreadableIndex(f"{manifest} cannot be read ({err})") from None
        if info.get("terms_version", 1) != TERMS_VERSION:
            raise OutdatedIndex(f"{directory} was built with an older word splitting")
        for name, digest in (info.get("files") or {}).items():  # indexes saved before checksums have none
            path = directory / name
            if not path.is_file():
                raise UnreadableIndex(f"{path} is missing")
            if _sha256(path) != digest:
                raise UnreadableIndex(f"{path} is damaged (checksum mismatch)")
        try:
            model = bm25s.BM25.load(str(directory), show_progress=False) if chunk_ids else None
        except Exception as err:  # whatever numpy/orjson make of a damaged file
            raise UnreadableIndex(f"{directory} cannot be loaded ({type(err).__name__}: {err})") from None
        if len(chunk_ids) != len(article_ids):
            raise UnreadableIndex(f"{manifest} is inconsistent (chunk and article lists differ)")
        return cls(model, chunk_ids, article_ids, generation, str(info.get("catalog_id", "")))

    def vocabulary(self) -> frozenset[str]:
        """Every term (stemmed word) the index holds."""
        return frozenset(self.model.vocab_dict) if self.model is not None else frozenset()

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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
