"""Every article that mentions a name or phrase, grouped per article: complete, not top-k.

``find_mentions(query, store, filters)``:
  1. candidates: the articles holding every word of the query without its titles ("Blair" for
     "Mr Blair"), from the mentions index (rag/index/mentions.py), never a scan of every text;
  2. in each candidate text, every match of the query as written, case-insensitively and on word
     boundaries, possessives included ("Microsoft's"), and whitespace between its words free;
  3. the mentions of every name the language layer links the query to in that text
     (``language.query_keys``): "Mr Blair" and "Blair" where it says "Tony Blair", "EU" where it
     spells out the "European Union";
  4. overlapping matches merged into one; each one with the sentence it is in, exact offsets
     (``quote == article.text[start:end]``), sentences in text order, articles newest first.

A query made only of stop words ("the", "said") would list nearly every article and is refused.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rag.answer.filters import Filters
from rag.errors import UsageError
from rag.index.mentions import words_of
from rag.index.store import published_day
from rag.text import sentence_spans, stopwords

if TYPE_CHECKING:
    from rag.index.sources import Article
    from rag.index.store import Store

_QUOTES = "\"'“”‘’«»"
_POSSESSIVE = re.compile(r"['’]s(?![^\W_])", re.IGNORECASE)


@dataclass
class Match:
    """One mention of the name: its words as the article writes them."""

    text: str
    start: int
    end: int
    form: str  # "exact", "possessive", or how the language layer linked it: "full", "surname", "title", "acronym", "short"


@dataclass
class MentionSentence:
    quote: str  # the sentence, == article.text[start:end]
    start: int
    end: int
    matches: list[Match] = field(default_factory=list)


@dataclass
class ArticleMentions:
    article_id: str
    source: str
    title: str
    published: str | None
    url: str | None
    count: int  # mentions in this article
    mentions: list[MentionSentence] = field(default_factory=list)


@dataclass
class MentionsResult:
    query: str
    articles: list[ArticleMentions]  # newest first; undated articles last
    scope: dict | None = None  # what the filters kept (rag.answer.filters.Scope.to_json), when filtered

    @property
    def total_articles(self) -> int:
        return len(self.articles)

    @property
    def total_mentions(self) -> int:
        return sum(a.count for a in self.articles)

    def forms(self) -> list[tuple[str, int]]:
        """How the articles write it, most frequent first: [("Microsoft", 31), ("Microsoft's", 4)]."""
        counts: dict[str, int] = {}
        for article in self.articles:
            for sentence in article.mentions:
                for match in sentence.matches:
                    counts[match.text] = counts.get(match.text, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def to_json(self) -> dict:
        return {
            "kind": "mentions",
            "query": self.query,
            "total_articles": self.total_articles,
            "total_mentions": self.total_mentions,
            "forms": [{"text": text, "count": count} for text, count in self.forms()],
            "scope": self.scope,
            "articles": [asdict(a) for a in self.articles],
        }

    @classmethod
    def from_json(cls, data: dict) -> MentionsResult:
        articles = [ArticleMentions(**{**a, "mentions": [
            MentionSentence(**{**m, "matches": [Match(**x) for x in m.get("matches", [])]}) for m in a["mentions"]]})
            for a in data.get("articles", [])]
        return cls(data.get("query", ""), articles, data.get("scope"))


def clean_query(query: str) -> str:
    """The query without surrounding quotation marks and spaces."""
    return " ".join((query or "").strip().strip(_QUOTES).split())


def find_mentions(query: str, store: Store, filters: Filters | None = None) -> MentionsResult:
    """Every mention of ``query`` in the articles ``filters`` keep (all articles without filters)."""
    from rag import language

    query = clean_query(query)
    if not words_of(query):
        raise UsageError("give a name or phrase to look for, such as Microsoft or \"Tony Blair\"")
    written = _without_possessive(query)
    bare = _bare(written)
    common = all(w in stopwords() for w in words_of(bare))
    # "US", "WHO", "IT": an acronym spelling a common word is matched as written, capitals and all.
    acronym = common and bare.isupper() and len(bare) > 1
    if common and not acronym:
        raise UsageError(f"{query!r} is too common to list every mention of: look for a name or a phrase")
    index = store.mentions()
    candidates = index.articles_with(words_of(bare))
    if filters is not None and not filters.is_empty():
        allowed = filters.allowed(store.list_articles())
        candidates &= allowed
    if not candidates:
        return MentionsResult(query, [])
    missing = index.unanalysed(candidates)
    if missing:
        store.find_names(missing)
    linked: dict[str, list] = {}
    for name in index.names_with_keys(language.query_keys(query)):
        if name.article_id in candidates:
            linked.setdefault(name.article_id, []).append(name)
    pattern = _pattern(written, case_sensitive=acronym)
    found = []
    articles = store.articles(sorted(candidates))
    for aid, article in articles.items():
        matches = _exact(article.text, pattern) + [
            Match(article.text[s:e], s, e, form) for name in linked.get(aid, []) for s, e, form in name.mentions]
        matches = _merged(article.text, matches)
        if matches:
            found.append(_article_mentions(article, matches))
    found.sort(key=_newest_first)
    return MentionsResult(query, found)


def _without_possessive(query: str) -> str:
    return re.sub(r"['’]s?$", "", query) if re.search(r"\w['’]s?$", query) else query


def _bare(query: str) -> str:
    """The query without a leading article or titles: the words every mention of it holds."""
    from rag import language

    words = query.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in language.TITLES | {"the", "a", "an"}:
        words = words[1:]
    return " ".join(words)


def _pattern(query: str, case_sensitive: bool = False) -> re.Pattern:
    words = [re.escape(w) for w in query.split()]
    core = r"\s+".join(words)
    # Word boundaries where the query starts or ends with a letter or digit: "Blair" not in "Blairite".
    left = r"(?<![^\W_])" if re.match(r"[^\W_]", query) else ""
    right = r"(?![^\W_])" if re.search(r"[^\W_]$", query) else ""
    return re.compile(left + core + right, 0 if case_sensitive else re.IGNORECASE)


def _exact(text: str, pattern: re.Pattern) -> list[Match]:
    out = []
    for m in pattern.finditer(text):
        start, end, form = m.start(), m.end(), "exact"
        possessive = _POSSESSIVE.match(text, end)
        if possessive:
            end, form = possessive.end(), "possessive"
        out.append(Match(text[start:end], start, end, form))
    return out


def _merged(text: str, matches: list[Match]) -> list[Match]:
    """One match per stretch of text: overlapping ones ("Blair" inside "Tony Blair") become the longer."""
    out: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if out and match.start < out[-1].end:
            last = out[-1]
            if match.end > last.end:
                out[-1] = Match(text[last.start:match.end], last.start, match.end, last.form)
            continue
        out.append(match)
    return out


def _article_mentions(article: Article, matches: list[Match]) -> ArticleMentions:
    sentences: list[MentionSentence] = []
    lines: dict[int, list[tuple[int, int]]] = {}
    for match in matches:
        start, end = _sentence_around(article.text, match.start, match.end, lines)
        if sentences and start < sentences[-1].end:  # the same sentence (or one the match runs into)
            last = sentences[-1]
            end = max(end, last.end)
            last.quote, last.end = article.text[last.start:end], end
            last.matches.append(match)
        else:
            sentences.append(MentionSentence(article.text[start:end], start, end, [match]))
    return ArticleMentions(article.id, article.source, article.title, article.meta.get("published"),
                           article.meta.get("url"), len(matches), sentences)


def _sentence_around(text: str, start: int, end: int, lines: dict[int, list[tuple[int, int]]]) -> tuple[int, int]:
    """The sentence(s) holding text[start:end]; each line is split into sentences once."""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start not in lines:
        line_end = text.find("\n", start)
        lines[line_start] = sentence_spans(text, line_start, len(text) if line_end < 0 else line_end)
    spans = [s for s in lines[line_start] if s[0] < end and start < s[1]] or [(start, end)]
    return min(spans[0][0], start), max(spans[-1][1], end)


def _newest_first(article: ArticleMentions) -> tuple:
    day = published_day(article.published)
    return (day is None, -(day or 0), article.title.casefold(), article.article_id)
