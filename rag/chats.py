"""Saved conversations and readers' feedback, in one SQLite file in the store folder.

A conversation belongs to one owner (``user:<login>`` when the app asks for a login,
``browser:<random id>`` otherwise) and holds its answered turns in order. A turn is the whole
``Answer`` (its citations keep the quote and its offsets) plus the hash of every article it
quoted at the time, so a conversation reopened after a re-ingest can tell which articles
changed since and still show the exact sentence it cited.

Feedback is a rating ("up" or "down") and an optional note on one turn; it keeps its own copy
of the question, the earlier questions and the answer, so it outlives the conversation (a
deleted conversation must not delete what a reader reported). ``rag feedback export`` turns
it into evaluation cases (rag.evals.feedback).

Used by the web app and the CLI; reads nothing but its own file.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rag.sqlite import ThreadConnections
from rag.answer.record import Answer, AnswerSentence, Citation, Source

FILE_NAME = "chats.sqlite3"
RATINGS = ("up", "down")
TITLE_LIMIT = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chats_by_owner ON chats(owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    answer TEXT NOT NULL,
    llm_error TEXT,
    hashes TEXT NOT NULL,
    asked TEXT NOT NULL,
    PRIMARY KEY (chat_id, position)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    owner TEXT NOT NULL,
    rating TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (chat_id, position, owner)
);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def title_from(question: str) -> str:
    """A conversation's first title: its first question on one line, clipped at a word."""
    text = " ".join((question or "").split()) or "New conversation"
    if len(text) <= TITLE_LIMIT:
        return text
    cut = text.rfind(" ", 0, TITLE_LIMIT - 1)
    return text[: cut if cut > TITLE_LIMIT // 2 else TITLE_LIMIT - 1].rstrip(" ,;:") + "…"


# -- answers as JSON and back ------------------------------------------------------------------


def _known(cls, data: dict) -> dict:
    """Only the fields ``cls`` has: a record saved by an older or newer version still loads."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def answer_to_dict(answer: Answer) -> dict:
    return dataclasses.asdict(answer)


def answer_from_dict(data: dict) -> Answer:
    fields = _known(Answer, data)
    fields["citations"] = [Citation(**_known(Citation, c)) for c in data.get("citations", [])]
    fields["sources"] = [Source(**_known(Source, s)) for s in data.get("sources", [])]
    fields["sentences"] = [AnswerSentence(**_known(AnswerSentence, s)) for s in data.get("sentences", [])]
    return Answer(**fields)


# -- records -----------------------------------------------------------------------------------


@dataclass
class SavedTurn:
    answer: Answer
    llm_error: str | None = None  # the generative answer failed and ``answer`` is the fallback
    hashes: dict[str, str] = field(default_factory=dict)  # article id -> its hash when answered
    asked: str = ""


@dataclass
class ChatSummary:
    id: str
    title: str
    created: str
    updated: str
    shared: bool


@dataclass
class SavedChat:
    id: str
    owner: str
    title: str
    created: str
    updated: str
    shared: bool
    turns: list[SavedTurn] = field(default_factory=list)

    def readable_by(self, viewer: str, *, needs_consent: bool) -> bool:
        """The owner always; anyone else only once the owner shared it, when ``needs_consent``."""
        return viewer == self.owner or not needs_consent or self.shared


@dataclass
class Feedback:
    id: int
    chat_id: str
    position: int  # which turn of the conversation, from 0
    rating: str  # "up" | "down"
    note: str
    question: str
    history: list[str]  # the questions asked before it in the same conversation
    answer: Answer
    created: str
    updated: str


# -- the store ---------------------------------------------------------------------------------


class ChatStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path, timeout=30, pragmas=("foreign_keys=ON",))
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    @classmethod
    def in_folder(cls, store_dir: Path) -> ChatStore:
        return cls(Path(store_dir) / FILE_NAME)

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    # -- conversations -------------------------------------------------------------------------
    def create(self, owner: str, title: str) -> str:
        chat_id = secrets.token_urlsafe(12)  # 96 random bits: a link cannot be guessed
        stamp = now()
        with self._conn() as conn:
            conn.execute("INSERT INTO chats(id, owner, title, created, updated) VALUES (?,?,?,?,?)",
                         (chat_id, owner, title_from(title), stamp, stamp))
        return chat_id

    def add_turn(self, chat_id: str, owner: str, turn: SavedTurn) -> int:
        """Append ``turn``; returns its position. Raises KeyError when ``owner`` has no such chat."""
        stamp = turn.asked or now()
        with self._conn() as conn:
            if not self._owns(conn, chat_id, owner):
                raise KeyError(chat_id)
            # The position is taken in the INSERT itself: two tabs answering in the same
            # conversation at once get the next two positions, never the same one.
            position = conn.execute(
                "INSERT INTO turns(chat_id, position, answer, llm_error, hashes, asked) "
                "SELECT ?, COALESCE(MAX(position) + 1, 0), ?, ?, ?, ? FROM turns WHERE chat_id = ? "
                "RETURNING position",
                (chat_id, json.dumps(answer_to_dict(turn.answer), ensure_ascii=False), turn.llm_error,
                 json.dumps(turn.hashes), stamp, chat_id),
            ).fetchone()[0]
            conn.execute("UPDATE chats SET updated = ? WHERE id = ?", (stamp, chat_id))
        return position

    def get(self, chat_id: str) -> SavedChat | None:
        conn = self._conn()
        row = conn.execute("SELECT id, owner, title, created, updated, shared FROM chats WHERE id = ?",
                           (chat_id or "",)).fetchone()
        if row is None:
            return None
        turns = [
            SavedTurn(answer_from_dict(json.loads(answer)), llm_error, json.loads(hashes), asked)
            for answer, llm_error, hashes, asked in conn.execute(
                "SELECT answer, llm_error, hashes, asked FROM turns WHERE chat_id = ? ORDER BY position", (chat_id,))
        ]
        return SavedChat(*row[:5], shared=bool(row[5]), turns=turns)

    def chats_of(self, owner: str, limit: int = 200) -> list[ChatSummary]:
        """``owner``'s conversations, the most recently used first."""
        rows = self._conn().execute(
            "SELECT id, title, created, updated, shared FROM chats WHERE owner = ? "
            "ORDER BY updated DESC, created DESC LIMIT ?", (owner, limit))
        return [ChatSummary(*row[:4], shared=bool(row[4])) for row in rows]

    def rename(self, chat_id: str, owner: str, title: str) -> bool:
        title = " ".join((title or "").split())[:200]
        if not title:
            return False
        with self._conn() as conn:
            return conn.execute("UPDATE chats SET title = ? WHERE id = ? AND owner = ?",
                                (title, chat_id, owner)).rowcount == 1

    def delete(self, chat_id: str, owner: str) -> bool:
        with self._conn() as conn:
            return conn.execute("DELETE FROM chats WHERE id = ? AND owner = ?", (chat_id, owner)).rowcount == 1

    def set_shared(self, chat_id: str, owner: str, shared: bool = True) -> bool:
        with self._conn() as conn:
            return conn.execute("UPDATE chats SET shared = ? WHERE id = ? AND owner = ?",
                                (int(shared), chat_id, owner)).rowcount == 1

    @staticmethod
    def _owns(conn: sqlite3.Connection, chat_id: str, owner: str) -> bool:
        return conn.execute("SELECT 1 FROM chats WHERE id = ? AND owner = ?", (chat_id, owner)).fetchone() is not None

    # -- feedback ------------------------------------------------------------------------------
    def rate(self, chat_id: str, position: int, owner: str, rating: str | None, note: str | None = None) -> int | None:
        """Record (or change) ``owner``'s rating of one turn; ``rating=None`` withdraws it.

        ``note=None`` keeps the note given before. Returns the feedback id (None once withdrawn).
        Raises KeyError when ``owner`` has no such turn.
        """
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        conn = self._conn()
        with conn:
            if not self._owns(conn, chat_id, owner):
                raise KeyError(chat_id)
            if rating is None:
                conn.execute("DELETE FROM feedback WHERE chat_id = ? AND position = ? AND owner = ?",
                             (chat_id, position, owner))
                return None
            rows = conn.execute("SELECT answer FROM turns WHERE chat_id = ? ORDER BY position", (chat_id,)).fetchall()
            if not 0 <= position < len(rows):
                raise KeyError(f"{chat_id}#{position}")
            answers = [json.loads(r[0]) for r in rows[: position + 1]]
            stamp = now()
            conn.execute(
                "INSERT INTO feedback(chat_id, position, owner, rating, note, question, history, answer, created, updated) "
                "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(chat_id, position, owner) DO UPDATE SET "
                "rating = excluded.rating, note = COALESCE(?, feedback.note), updated = excluded.updated",
                (chat_id, position, owner, rating, (note or "").strip(), answers[-1]["question"],
                 json.dumps([a["question"] for a in answers[:-1]], ensure_ascii=False),
                 json.dumps(answers[-1], ensure_ascii=False), stamp, stamp,
                 None if note is None else note.strip()),
            )
            return conn.execute("SELECT id FROM feedback WHERE chat_id = ? AND position = ? AND owner = ?",
                                (chat_id, position, owner)).fetchone()[0]

    def ratings(self, chat_id: str, owner: str) -> dict[int, tuple[str, str]]:
        """position -> (rating, note) that ``owner`` gave in this conversation."""
        rows = self._conn().execute("SELECT position, rating, note FROM feedback WHERE chat_id = ? AND owner = ?",
                                    (chat_id, owner))
        return {position: (rating, note) for position, rating, note in rows}

    def feedback(self) -> list[Feedback]:
        """Every rating given, oldest first."""
        rows = self._conn().execute(
            "SELECT id, chat_id, position, rating, note, question, history, answer, created, updated "
            "FROM feedback ORDER BY created, id")
        return [Feedback(id=r[0], chat_id=r[1], position=r[2], rating=r[3], note=r[4], question=r[5],
                         history=json.loads(r[6]), answer=answer_from_dict(json.loads(r[7])),
                         created=r[8], updated=r[9]) for r in rows]

    # -- small settings the app keeps with its data ------------------------------------------------
    def secret(self, key: str) -> str:
        """A random value made once and kept: the same after a restart."""
        conn = self._conn()
        with conn:
            conn.execute("INSERT OR IGNORE INTO info(key, value) VALUES (?, ?)", (key, secrets.token_urlsafe(24)))
            return conn.execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()[0]
