"""The catalog: article texts, their chunks' offsets and the sync state, in one SQLite file.

Chroma holds the vectors; the catalog holds what a citation needs to be shown again (the
exact article text) and what makes ingestion crash-safe: an article is marked ``pending``
in the catalog *before* its vectors change and ``ready`` only after, so a run that is
killed half-way leaves a mark the next run repairs.

It also remembers files that could not be parsed (``failures``), with the file's hash and the
limits it failed under, so a file that failed is read again only when it or the limits change.

A damaged file (SQLite "database disk image is malformed", "file is not a database") surfaces
as ``DamagedStore`` from any method, naming the file and the repair command. The connection of
each thread follows the file: when ``rag ingest --rebuild`` has replaced it, the next call
opens the new one.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, TypeVar

from rag.index.chunking import Chunk
from rag.index.damage import DamagedStore, is_sqlite_damage
from rag.index.sources import Article

READY, PENDING, REMOVING = "ready", "pending", "removing"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    meta TEXT NOT NULL,
    hash TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    replaces_ready INTEGER NOT NULL DEFAULT 0  -- pending: a ready version existed before (an update)
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles(hash);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (id TEXT PRIMARY KEY, hash TEXT NOT NULL, limits TEXT NOT NULL, reason TEXT NOT NULL);
"""

T = TypeVar("T")


class Known(NamedTuple):
    """What the catalog knows of one article."""

    hash: str
    state: str
    replaces_ready: bool  # a pending version replaces a ready one (an update, not an addition)


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """SQLite's damage errors become DamagedStore, naming the file."""

    @functools.wraps(method)
    def call(self: Catalog, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
            if isinstance(result, Iterator):
                return _guarded_rows(self, result)
            return result
        except sqlite3.DatabaseError as err:
            if is_sqlite_damage(err):
                raise DamagedStore(self.path, str(err)) from err
            raise

    return call


def _guarded_rows(catalog: Catalog, rows: Iterator) -> Iterator:
    try:
        yield from rows
    except sqlite3.DatabaseError as err:
        if is_sqlite_damage(err):
            raise DamagedStore(catalog.path, str(err)) from err
        raise


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._create()

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: the web app answers from several threads at once. A
        # connection opened on a file that was since replaced (``--rebuild``) is reopened.
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.inode != _inode(self.path):
            conn.close()
            conn = None
        if conn is None:
            inode_before = _inode(self.path)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if inode_before is None:  # this connection created the file: set up its tables
                conn.executescript(_SCHEMA)
            self._local.conn, self._local.inode = conn, _inode(self.path)
        return conn

    @_guarded
    def _create(self) -> None:
        with self._conn() as conn:
            conn.executescript(_SCHEMA)
            # Tells this catalog from one that replaced it (``--rebuild``) at the same generation.
            conn.execute("INSERT OR IGNORE INTO info(key, value) VALUES ('catalog_id', ?)", (uuid.uuid4().hex,))
            columns = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
            if "replaces_ready" not in columns:  # a catalog written before the column existed
                conn.execute("ALTER TABLE articles ADD COLUMN replaces_ready INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @_guarded
    def quick_check(self) -> str:
        """SQLite's own consistency check of every page ("ok" when sound); reads the whole file."""
        rows = self._conn().execute("PRAGMA quick_check").fetchall()
        return "; ".join(str(r[0]) for r in rows[:5])

    # -- info (key/value) ------------------------------------------------------------------------
    @_guarded
    def info(self, key: str, default: str | None = None) -> str | None:
        row = self._conn().execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def generation(self) -> int:
        """Bumped on every change to the set of chunks; derived indexes compare against it."""
        return int(self.info("generation", "0"))

    @_guarded
    def stamp(self) -> tuple[str, int]:
        """(catalog id, generation): changes with every change, and when the file is replaced."""
        rows = dict(self._conn().execute("SELECT key, value FROM info WHERE key IN ('catalog_id', 'generation')"))
        return rows.get("catalog_id", ""), int(rows.get("generation", 0))

    # -- sync state --------------------------------------------------------------------------------
    @_guarded
    def states(self) -> dict[str, Known]:
        """article id -> what the catalog knows of it, for every article."""
        rows = self._conn().execute("SELECT id, hash, state, replaces_ready FROM articles")
        return {row[0]: Known(row[1], row[2], bool(row[3])) for row in rows}

    @_guarded
    def mark_pending(self, items: list[tuple[Article, list[Chunk]]]) -> None:
        """Record new article versions and their chunks before any vector is written."""
        with self._conn() as conn:
            for article, chunks in items:
                conn.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
                conn.execute(
                    "INSERT INTO articles(id, title, meta, hash, text, state) VALUES (?,?,?,?,?,?) "
                    "ON CONFLICT(id) DO UPDATE SET title = excluded.title, meta = excluded.meta, "
                    "hash = excluded.hash, text = excluded.text, state = excluded.state, "
                    "replaces_ready = (articles.state = 'ready' OR articles.replaces_ready)",
                    (article.id, article.title, json.dumps(article.meta), article.hash, article.text, PENDING),
                )
                conn.executemany(
                    'INSERT OR REPLACE INTO chunks(id, article_id, start, "end") VALUES (?,?,?,?)',
                    [(c.id, c.article_id, c.start, c.end) for c in chunks],
                )
            self._bump(conn)

    @_guarded
    def mark_ready(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("UPDATE articles SET state = ?, replaces_ready = 0 WHERE id = ?",
                             [(READY, i) for i in article_ids])
            conn.executemany("DELETE FROM failures WHERE id = ?", [(i,) for i in article_ids])
            self._bump(conn)

    @_guarded
    def mark_removing(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("UPDATE articles SET state = ? WHERE id = ?", [(REMOVING, i) for i in article_ids])
            self._bump(conn)

    @_guarded
    def delete(self, article_ids: list[str]) -> None:
        with self._conn() as conn:
            conn.executemany("DELETE FROM chunks WHERE article_id = ?", [(i,) for i in article_ids])
            conn.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in article_ids])
            self._bump(conn)

    # -- files that could not be parsed ------------------------------------------------------------
    @_guarded
    def failure(self, article_id: str, file_hash: str, limits: str) -> str | None:
        """Why this very file (same bytes, same limits) failed before, or None."""
        row = self._conn().execute(
            "SELECT reason FROM failures WHERE id = ? AND hash = ? AND limits = ?", (article_id, file_hash, limits)
        ).fetchone()
        return row[0] if row else None

    @_guarded
    def record_failure(self, article_id: str, file_hash: str, limits: str, reason: str) -> None:
        with self._conn() as conn:
            conn.execute("INSERT OR REPLACE INTO failures(id, hash, limits, reason) VALUES (?,?,?,?)",
                         (article_id, file_hash, limits, reason))

    @_guarded
    def forget_failures(self, keep: set[str] | None = None) -> None:
        """Drop the failure records of files not in ``keep`` (all of them when None)."""
        with self._conn() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM failures")]
            conn.executemany("DELETE FROM failures WHERE id = ?", [(i,) for i in ids if keep is None or i not in keep])

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO info(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- reading -----------------------------------------------------------------------------------
    @_guarded
    def article(self, article_id: str) -> Article | None:
        row = self._conn().execute(
            "SELECT id, title, text, hash, meta FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return None
        return Article(id=row[0], title=row[1], text=row[2], hash=row[3], meta=json.loads(row[4]))

    @_guarded
    def article_with_hash(self, file_hash: str) -> str | None:
        """The id of a ready article read from a file with exactly these bytes."""
        row = self._conn().execute(
            "SELECT id FROM articles WHERE hash = ? AND state = ? ORDER BY id LIMIT 1", (file_hash, READY)
        ).fetchone()
        return row[0] if row else None

    @_guarded
    def articles(self, article_ids: list[str]) -> dict[str, Article]:
        return {i: a for i in dict.fromkeys(article_ids) if (a := self.article(i)) is not None}

    @_guarded
    def article_count(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM articles WHERE state = ?", (READY,)).fetchone()[0]

    @_guarded
    def has_articles(self) -> bool:
        # every question asks this: one row, not a count that scans 24k articles (~20 ms)
        return self._conn().execute("SELECT 1 FROM articles WHERE state = ? LIMIT 1", (READY,)).fetchone() is not None

    @_guarded
    def chunk_count(self) -> int:
        return self._conn().execute(
            "SELECT COUNT(*) FROM chunks JOIN articles ON articles.id = chunks.article_id WHERE state = ?",
            (READY,),
        ).fetchone()[0]

    @_guarded
    def ready_chunks(self) -> Iterator[tuple[str, str, str]]:
        """Every chunk of every ready article as (chunk id, article id, chunk text), in a stable order."""
        rows = self._conn().execute(
            'SELECT chunks.id, chunks.article_id, substr(articles.text, chunks.start + 1, chunks."end" - chunks.start) '
            "FROM chunks JOIN articles ON articles.id = chunks.article_id WHERE articles.state = ? "
            "ORDER BY chunks.article_id, chunks.start",
            (READY,),
        )
        yield from rows

    @_guarded
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

    @_guarded
    def chunk_ids_of(self, article_ids: list[str]) -> list[str]:
        conn = self._conn()
        out: list[str] = []
        for article_id in article_ids:
            out += [r[0] for r in conn.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        return out

    @_guarded
    def list_articles(self) -> list[dict]:
        rows = self._conn().execute(
            "SELECT id, title, meta FROM articles WHERE state = ? ORDER BY id", (READY,)
        )
        return [{"article_id": r[0], "title": r[1], **json.loads(r[2])} for r in rows]


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None
