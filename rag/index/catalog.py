"""The catalog: article texts, their chunks' offsets and the sync state, in one SQLite file.

Chroma holds the vectors; the catalog holds what a citation needs to be shown again (the
exact article text) and what makes ingestion crash-safe: an article is marked ``pending``
in the catalog *before* its vectors change and ``ready`` only after, so a run that is
killed half-way leaves a mark the next run repairs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from rag.index.chunking import Chunk
from rag.index.sources import Article

READY, PENDING, REMOVING = "ready", "pending", "removing"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    meta TEXT NOT NULL,
    hash TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: the web app answers from several threads at once.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- info (key/value) ------------------------------------------------------------------------
    def info(self, key: str, default: str | None = None) -> str | None:
        row = self._conn().execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def generation(self) -> int:
        """Bumped on every change to the set of chunks; derived indexes compare against it."""
        return int(self.info("generation", "0"))

    # -- sync state --------------------------------------------------------------------------------
    def states(self) -> dict[str, tuple[str, str]]:
        """article id -> (hash, state) for every article the catalog knows."""
        rows = self._conn().execute("SELECT id, hash, state FROM articles")
        return {row[0]: (row[1], row[2]) for row in rows}

    def mark_pending(self, items: list[tuple[Article, list[Chunk]]]) -> None:
        """Record new article versions and their chunks before any vector is written."""
        with self._conn() as conn:
            for article, chunks in items:
                conn.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
                conn.execute(
                    "INSERT OR REPLACE INTO articles(id, title, meta, hash, text, state) VALUES (?,?,?,?,?,?)",
                    (article.id, article.title, json.dumps(article.meta), article.hash, article.text, PENDING),
                )
                conn.executemany(
                    'INSERT OR REPLACE INTO chunks(id, article_id, start, "end") VALUES (?,?,?,?)',
                    [(c.id, c.article_id, c.start, c.end) for c in chunks],
                )
            self._bump(conn)

    def mark_ready(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("UPDATE articles SET state = ? WHERE id = ?", [(READY, i) for i in article_ids])
            self._bump(conn)

    def mark_removing(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("UPDATE articles SET state = ? WHERE id = ?", [(REMOVING, i) for i in article_ids])
            self._bump(conn)

    def delete(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("DELETE FROM chunks WHERE article_id = ?", [(i,) for i in article_ids])
            conn.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in article_ids])
            self._bump(conn)

    def clear(self) -> None:
        with self._conn() as conn:
            conn.execute("DELETE FROM chunks")
            conn.execute("DELETE FROM articles")
            self._bump(conn)

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO info(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- reading -----------------------------------------------------------------------------------
    def article(self, article_id: str) -> Article | None:
        row = self._conn().execute(
            "SELECT id, title, text, hash, meta FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return None
        return Article(id=row[0], title=row[1], text=row[2], hash=row[3], meta=json.loads(row[4]))

    def articles(self, article_ids: list[str]) -> dict[str, Article]:
        return {i: a for i in dict.fromkeys(article_ids) if (a := self.article(i)) is not None}

    def article_count(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM articles WHERE state = ?", (READY,)).fetchone()[0]

    def chunk_count(self) -> int:
        return self._conn().execute(
            "SELECT COUNT(*) FROM chunks JOIN articles ON articles.id = chunks.article_id WHERE state = ?",
            (READY,),
        ).fetchone()[0]

    def ready_chunks(self) -> Iterator[tuple[str, str, str]]:
        """Every chunk of every ready article as (chunk id, article id, chunk text), in a stable order."""
        rows = self._conn().execute(
            'SELECT chunks.id, chunks.article_id, substr(articles.text, chunks.start + 1, chunks."end" - chunks.start) '
            "FROM chunks JOIN articles ON articles.id = chunks.article_id WHERE articles.state = ? "
            "ORDER BY chunks.article_id, chunks.start",
            (READY,),
        )
        yield from rows

    def chunks(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        conn = self._conn()
        for at in range(0, len(chunk_ids), 500):
            part = chunk_ids[at : at + 500]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f'SELECT chunks.id, chunks.article_id, chunks.start, chunks."end", '
                f'substr(articles.text, chunks.start + 1, chunks."end" - chunks.start) '
                f"FROM chunks JOIN articles ON articles.id = chunks.article_id WHERE chunks.id IN ({marks})",
                part,
            )
            for row in rows:
                found[row[0]] = Chunk(id=row[0], article_id=row[1], start=row[2], end=row[3], text=row[4])
        return found

    def chunk_ids_of(self, article_ids: list[str]) -> list[str]:
        conn = self._conn()
        out: list[str] = []
        for article_id in article_ids:
            out += [r[0] for r in conn.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        return out

    def list_articles(self) -> list[dict]:
        rows = self._conn().execute(
            "SELECT id, title, meta FROM articles WHERE state = ? ORDER BY id", (READY,)
        )
        return [{"article_id": r[0], "title": r[1], **json.loads(r[2])} for r in rows]
