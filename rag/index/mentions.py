"""The mentions index: which articles hold a word, and the names the language layer found in each.

Listing every article that mentions a name must be complete (not top-k) and fast on ~100k
chunks, so it never scans every text per query. Two parts, kept in step with the catalog by
``refresh`` (incremental, by article id and content hash; stamped with the catalog generation):

* words: each lower-cased word (a run of letters and digits, so "Blair's" holds "blair" and
  "s") -> the articles holding it. The articles that can match a query are those holding all
  its words; the caller confirms each match in the text, so this only has to be a superset.
* names: the language layer's ``Name``s of each text (NER pipeline), keyed by the text's hash
  so a text is analysed once however often it is re-ingested, and every ``language.name_keys``
  key ("tony blair", "mr blair", "surname:blair", "eu") -> its names. A query's
  ``language.query_keys`` then find "Mr Blair" and "Blair" where an article calls Tony Blair so.

Costs (`python bench/mentions.py --articles 1000`: 1,000 RealTime QA 2025 + Reuters articles,
4,131 chunks, 2 shared cores under load): the words in 6.5 s, the names in 308 s (the NER
pipeline), so most of an hour for all of RealTime QA + Reuters. ``rag ingest`` brings both up
to date after embedding; a query analyses the few texts still missing (an index deleted or
built by an older version of the language layer rebuilds itself that way).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection, Iterable

from rag.sqlite import ThreadConnections
from rag.index.sources import Article

FILE_NAME = "mentions.sqlite3"
# Bump when what is stored per text changes (with the language layer's versions, in ``_names_version``).
NAMES_FORMAT = 2  # 2: names the text defines by bracketed initials ("Athletics Kenya (AK)")
_BATCH = 256  # articles loaded and written per transaction

_WORD = re.compile(r"[^\W_]+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    words TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles(hash);
CREATE TABLE IF NOT EXISTS words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS postings (
    word INTEGER NOT NULL,
    article INTEGER NOT NULL,
    PRIMARY KEY (word, article)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS analysed (hash TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS names (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    canonical TEXT NOT NULL,
    label TEXT NOT NULL,
    mentions TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS names_by_hash ON names(hash);
CREATE TABLE IF NOT EXISTS name_keys (
    key TEXT NOT NULL,
    name INTEGER NOT NULL,
    PRIMARY KEY (key, name)
) WITHOUT ROWID;
"""

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Loader = Callable[[list[str]], dict[str, Article]]


def words_of(text: str) -> list[str]:
    """The index's words of ``text``, in order: lower-cased runs of letters and digits."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class NameInText:
    """A name one article gives, with every mention of it (exact offsets into the article text)."""

    article_id: str
    canonical: str
    label: str
    mentions: tuple[tuple[int, int, str], ...]  # (start, end, form) as rag.language.Mention gives them


@dataclass
class RefreshReport:
    indexed: int = 0  # articles whose words were (re)indexed
    removed: int = 0
    analysed: int = 0  # texts whose names were found


def _names_version() -> str:
    from rag import language

    return f"{NAMES_FORMAT}/{language.ANNOTATION_VERSION}/{language.MODEL_NAME}-{language.MODEL_VERSION}"


class MentionIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path, timeout=60, pragmas=("synchronous=NORMAL",))
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def _info(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def generation(self) -> str:
        """The catalog stamp whose articles the words cover ("": never refreshed)."""
        return self._info("generation") or ""

    # -- keeping up with the catalog -------------------------------------------------------------
    def refresh(self, ready: dict[str, str], load: Loader, generation: str, *, names: bool = True,
                progress: Progress | None = None) -> RefreshReport:
        """Index the words of every article in ``ready`` (article id -> hash) not indexed with that
        hash, drop the others, and (``names``) find the names of every text not yet analysed.
        ``load(ids)`` gives the articles' texts. Safe to interrupt: the next call goes on."""
        report = RefreshReport()
        conn = self._conn()
        indexed = {row[0]: row[1] for row in conn.execute("SELECT article_id, hash FROM articles")}
        stale = [aid for aid, digest in indexed.items() if ready.get(aid) != digest]
        if stale:
            with conn:
                for aid in stale:
                    self._drop(conn, aid)
            report.removed = len(stale)
        todo = [aid for aid, digest in ready.items() if indexed.get(aid) != digest]
        vocabulary = dict(conn.execute("SELECT word, id FROM words")) if todo else {}
        for at in range(0, len(todo), _BATCH):
            articles = load(todo[at:at + _BATCH])
            with conn:
                for article in articles.values():
                    self._add(conn, article, vocabulary)
            report.indexed += len(articles)
            if progress:
                progress("words", min(at + _BATCH, len(todo)), len(todo))
        with conn:
            conn.execute("INSERT INTO info(key, value) VALUES ('generation', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(generation),))
            # Names of texts no article has any more: a re-ingest replaced them.
            conn.execute("DELETE FROM name_keys WHERE name IN (SELECT id FROM names WHERE hash NOT IN "
                         "(SELECT hash FROM articles))")
            conn.execute("DELETE FROM names WHERE hash NOT IN (SELECT hash FROM articles)")
            conn.execute("DELETE FROM analysed WHERE hash NOT IN (SELECT hash FROM articles)")
        if names:
            report.analysed = self.analyse(load, progress=progress)
        return report

    def _drop(self, conn: sqlite3.Connection, article_id: str) -> None:
        row = conn.execute("SELECT id, words FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        if row is None:
            return
        conn.executemany("DELETE FROM postings WHERE word = ? AND article = ?",
                         [(int(w), row[0]) for w in row[1].split()])
        conn.execute("DELETE FROM articles WHERE id = ?", (row[0],))

    def _add(self, conn: sqlite3.Connection, article: Article, vocabulary: dict[str, int]) -> None:
        self._drop(conn, article.id)
        ids = []
        for word in dict.fromkeys(words_of(article.text)):
            if word not in vocabulary:
                vocabulary[word] = conn.execute("INSERT INTO words(word) VALUES (?) ON CONFLICT(word) DO UPDATE "
                                                "SET word = word RETURNING id", (word,)).fetchone()[0]
            ids.append(vocabulary[word])
        rowid = conn.execute("INSERT INTO articles(article_id, hash, words) VALUES (?,?,?) RETURNING id",
                             (article.id, article.hash, " ".join(map(str, ids)))).fetchone()[0]
        conn.executemany("INSERT OR IGNORE INTO postings(word, article) VALUES (?, ?)", [(w, rowid) for w in ids])

    def analyse(self, load: Loader, article_ids: Collection[str] | None = None,
                progress: Progress | None = None) -> int:
        """Find the names of the indexed texts not analysed yet (only those of ``article_ids`` when
        given); returns how many texts were analysed."""
        from rag import language

        conn = self._conn()
        version = _names_version()
        if self._info("names_version") != version:
            with conn:  # names found by another version of the language layer are not mixed in
                conn.execute("DELETE FROM name_keys")
                conn.execute("DELETE FROM names")
                conn.execute("DELETE FROM analysed")
                conn.execute("INSERT INTO info(key, value) VALUES ('names_version', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (version,))
        rows = conn.execute("SELECT article_id, hash FROM articles WHERE hash NOT IN (SELECT hash FROM analysed)")
        wanted = set(article_ids) if article_ids is not None else None
        one_per_text = {digest: aid for aid, digest in rows if wanted is None or aid in wanted}
        todo = list(one_per_text.values())
        done = 0
        for at in range(0, len(todo), _BATCH // 4):
            articles = list(load(todo[at:at + _BATCH // 4]).values())
            analyses = language.analyze_many([a.text for a in articles], language.Pipes.NER)
            with conn:
                for article, analysis in zip(articles, analyses):
                    self._add_names(conn, article.hash, analysis.names)
            done += len(articles)
            if progress:
                progress("names", done, len(todo))
        return done

    @staticmethod
    def _add_names(conn: sqlite3.Connection, digest: str, names) -> None:
        from rag import language

        if conn.execute("SELECT 1 FROM analysed WHERE hash = ?", (digest,)).fetchone():
            return  # another process analysed it meanwhile
        for name in names:
            mentions = [[m.start, m.end, m.form] for m in name.mentions]
            name_id = conn.execute("INSERT INTO names(hash, canonical, label, mentions) VALUES (?,?,?,?) RETURNING id",
                                   (digest, name.canonical, name.label, json.dumps(mentions))).fetchone()[0]
            conn.executemany("INSERT OR IGNORE INTO name_keys(key, name) VALUES (?, ?)",
                             [(key, name_id) for key in language.name_keys(name)])
        conn.execute("INSERT INTO analysed(hash) VALUES (?)", (digest,))

    # -- reading ---------------------------------------------------------------------------------
    def articles_with(self, words: Iterable[str]) -> set[str]:
        """Ids of the articles that hold every one of ``words`` (index words: ``words_of``)."""
        conn = self._conn()
        found: set[int] | None = None
        for word in sorted(set(words), key=len, reverse=True):  # longer words are usually rarer
            row = conn.execute("SELECT id FROM words WHERE word = ?", (word,)).fetchone()
            if row is None:
                return set()
            holding = {r[0] for r in conn.execute("SELECT article FROM postings WHERE word = ?", (row[0],))}
            found = holding if found is None else found & holding
            if not found:
                return set()
        if found is None:
            return set()
        return self._article_ids(found)

    def _article_ids(self, rowids: set[int]) -> set[str]:
        conn = self._conn()
        out: set[str] = set()
        ordered = sorted(rowids)
        for at in range(0, len(ordered), 900):
            part = ordered[at:at + 900]
            marks = ",".join("?" * len(part))
            out.update(r[0] for r in conn.execute(f"SELECT article_id FROM articles WHERE id IN ({marks})", part))
        return out

    def names_with_keys(self, keys: Iterable[str]) -> list[NameInText]:
        """Every name, in every indexed article, that has one of ``keys`` (``language.query_keys``)."""
        keys = sorted(set(keys))
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self._conn().execute(
            f"SELECT DISTINCT names.id, articles.article_id, names.canonical, names.label, names.mentions "
            f"FROM name_keys JOIN names ON names.id = name_keys.name JOIN articles ON articles.hash = names.hash "
            f"WHERE name_keys.key IN ({marks})", keys)
        return [NameInText(aid, canonical, label, tuple((s, e, form) for s, e, form in json.loads(mentions)))
                for _, aid, canonical, label, mentions in rows]

    def unanalysed(self, article_ids: Collection[str]) -> list[str]:
        """Which of ``article_ids`` have a text whose names are not found yet."""
        ids = sorted(set(article_ids))
        out: list[str] = []
        conn = self._conn()
        for at in range(0, len(ids), 900):
            part = ids[at:at + 900]
            marks = ",".join("?" * len(part))
            out += [r[0] for r in conn.execute(
                f"SELECT article_id FROM articles WHERE article_id IN ({marks}) "
                f"AND hash NOT IN (SELECT hash FROM analysed)", part)]
        return out

    def names_current(self) -> bool:
        """Every indexed text's names are found, by this version of the language layer."""
        if self._info("names_version") != _names_version():
            return False
        return self._conn().execute(
            "SELECT 1 FROM articles WHERE hash NOT IN (SELECT hash FROM analysed) LIMIT 1").fetchone() is None
