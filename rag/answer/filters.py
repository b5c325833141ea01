"""Which articles a question, a mentions list or a quote check may use: sources, dates, chosen articles.

``Filters`` holds what the reader chose: source paths or folder globs (``tech/*``; article ids
are paths relative to the sources folder), a published date range, chosen article ids. Empty
fields do not narrow. ``Filters.allowed`` resolves them against the index's article list into
the set of article ids every search path (dense, BM25, mentions, quotes) keeps to.

``period_in`` reads an explicit period from a question ("in June 2005", "since March 2005",
"on 14 May 2024") so a date question can use the articles' ``published`` dates; the pipeline
applies it only when some article is dated in that period (``scope_of`` then says so).
``Scope`` is what is shown on an answer: "searched 60 tech articles, 2005-01 to 2005-03".
"""

from __future__ import annotations

import calendar
import fnmatch
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

from rag.errors import UsageError
from rag.index.store import published_day


@dataclass
class Filters:
    article_ids: list[str] | None = None  # only these articles
    published_from: str | None = None  # ISO date, inclusive
    published_to: str | None = None
    sources: list[str] | None = None  # source paths, folders or globs ("tech/*", "tech/", "tech/001.txt")

    def __post_init__(self) -> None:
        # A date the filter cannot read would otherwise be ignored and every article searched.
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value and published_day(value) is None:
                raise UsageError(f"{name} must be an ISO date like 2019-07-18, not {value!r}")
        if isinstance(self.article_ids, str):
            raise UsageError("article_ids must be a list of article ids, not one string")
        if isinstance(self.sources, str):
            raise UsageError("sources must be a list of paths or globs, not one string")
        low, high = published_day(self.published_from), published_day(self.published_to)
        if low is not None and high is not None and low > high:
            raise UsageError(f"the date range is empty: {self.published_from} is after {self.published_to}")

    def is_empty(self) -> bool:
        return not (self.article_ids or self.published_from or self.published_to or self.sources)

    @property
    def has_dates(self) -> bool:
        return bool(self.published_from or self.published_to)

    def allowed(self, articles: Iterable[dict]) -> set[str] | None:
        """The ids of ``articles`` (``Store.list_articles()`` rows) these filters keep; None when
        they keep everything. An article without a readable date is left out by a date range."""
        if self.is_empty():
            return None
        low = published_day(self.published_from) or 0
        high = published_day(self.published_to) or 99999999
        chosen = set(self.article_ids) if self.article_ids else None
        kept = set()
        for row in articles:
            aid = row["article_id"]
            if chosen is not None and aid not in chosen:
                continue
            if self.sources and not any(source_matches(aid, pattern) for pattern in self.sources):
                continue
            if self.has_dates and not low <= (published_day(row.get("published")) or -1) <= high:
                continue
            kept.add(aid)
        return kept

    def to_json(self) -> dict:
        return {"sources": self.sources or [], "published_from": self.published_from,
                "published_to": self.published_to, "article_ids": self.article_ids or []}


def source_matches(article_id: str, pattern: str) -> bool:
    """``tech/*`` and ``tech/**`` (a glob), ``tech`` or ``tech/`` (a folder) or a path itself."""
    pattern = pattern.strip()
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    if not pattern:
        return False
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(article_id, pattern)
    folder = pattern.rstrip("/")
    return article_id == folder or article_id.startswith(folder + "/")


def folders_of(article_ids: Iterable[str]) -> list[str]:
    """Every folder of the sources tree that holds an article ("tech", "2024/may"), sorted."""
    found: set[str] = set()
    for aid in article_ids:
        parts = aid.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.add("/".join(parts[:depth]))
    return sorted(f for f in found if f and not f.startswith("/"))


# -- dates asked for in a question ---------------------------------------------------------------

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
# The shapes a period is written in: "14 May 2024", "May 14, 2024", "2024-05-14", "June 2005", "2005".
_DATES = [re.compile(p, re.IGNORECASE) for p in (
    rf"\b{_DAY}\s+{_MONTH}\s*,?\s+{_YEAR}\b",
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",
    rf"\b{_YEAR}-(?P<mnum>\d\d)-(?P<dnum>\d\d)\b",
    rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b",
    rf"\b{_YEAR}\b",
)]
# Only after a preposition of time: "in June 2005" scopes the question, "the 2005 budget" does not.
_LEAD = re.compile(r"\b(in|during|on|from|since|after|before|until|till|by|throughout)\s+(?:early\s+|late\s+|mid-?)?$",
                   re.IGNORECASE)
_OPEN_END = {"since": "from", "after": "from", "from": "from", "before": "to", "until": "to", "till": "to", "by": "to"}


@dataclass(frozen=True)
class Period:
    start: str  # ISO date, inclusive
    end: str
    text: str  # as written in the question ("June 2005")
    open_end: str = ""  # "from" (since June 2005) or "to" (before 2005): only one side bounds it

    @property
    def published_from(self) -> str | None:
        return None if self.open_end == "to" else self.start

    @property
    def published_to(self) -> str | None:
        return None if self.open_end == "from" else self.end


def period_in(question: str) -> Period | None:
    """The period a question is about when it names one after a preposition of time ("what
    happened in June 2005", "since 3 March 2005"); None otherwise."""
    for pattern in _DATES:
        for match in pattern.finditer(question):
            lead = _LEAD.search(question[:match.start()])
            if lead is None:
                continue
            period = _period(match)
            if period is None:
                continue
            word = lead.group(1).lower()
            start, end = period
            if word in ("before",):
                start = end = _shift(start, -1)
            elif word == "after":
                start = end = _shift(end, 1)
            return Period(start, end, match.group(0), _OPEN_END.get(word, ""))
    return None


def _period(match: re.Match) -> tuple[str, str] | None:
    groups = match.groupdict()
    year = int(groups["year"])
    month = _MONTHS.get((groups.get("month") or "").lower().rstrip(".")) or (
        int(groups["mnum"]) if groups.get("mnum") else None)
    day = groups.get("day") or groups.get("dnum")
    if month is None:
        return f"{year}-01-01", f"{year}-12-31"
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last:02d}"
    if not 1 <= int(day) <= last:
        return None
    return (f"{year}-{month:02d}-{int(day):02d}",) * 2


def _shift(iso: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()


# -- what an answer says it searched -------------------------------------------------------------


@dataclass
class Scope:
    """What a filtered answer searched, shown with it: "searched 60 tech articles, 2005-01 to 2005-03"."""

    articles: int  # how many articles the filters kept
    filters: Filters = field(default_factory=Filters)
    period: str = ""  # the period read from the question, when it set the dates ("June 2005")
    note: str = ""  # e.g. why a period in the question was not applied

    @property
    def text(self) -> str:
        what = "article" if self.articles == 1 else "articles"
        folders = ", ".join(s.rstrip("/*") or s for s in self.filters.sources or [])
        chosen = "chosen " if self.filters.article_ids else ""
        parts = [f"searched {self.articles} {chosen}{folders + ' ' if folders else ''}{what}"]
        low, high = self.filters.published_from, self.filters.published_to
        if low or high:
            dates = _span(low, high)
            parts.append(f"published {dates}" + (f" (from the question: {self.period})" if self.period else ""))
        text = ", ".join(parts)
        return f"{text}; {self.note}" if self.note else text

    def to_json(self) -> dict:
        return {"articles": self.articles, "text": self.text, "period": self.period or None,
                **self.filters.to_json()}


def _span(low: str | None, high: str | None) -> str:
    def short(day: str, end: bool) -> str:
        # A whole month reads as "2005-01"; a whole year as "2005".
        if day.endswith("-01-01") and not end or day.endswith("-12-31") and end:
            return day[:4]
        if day.endswith("-01") and not end:
            return day[:7]
        if end and int(day[8:10]) == calendar.monthrange(int(day[:4]), int(day[5:7]))[1]:
            return day[:7]
        return day[:10]

    if low and high:
        a, b = short(low, False), short(high, True)
        return a if a == b else f"{a} to {b}"
    if low:
        return f"from {low[:10]}"
    return f"until {high[:10]}"


def with_period(filters: Filters | None, period: Period) -> Filters:
    """``filters`` with the question's period as its date range (the reader's own range wins)."""
    base = filters or Filters()
    if base.has_dates:
        return base
    return replace(base, published_from=period.published_from, published_to=period.published_to)


def scope_of(question: str, filters: Filters | None, articles: list[dict]) -> tuple[Filters | None, Scope | None]:
    """The filters a question is answered with, and what to show about them (None: no filter).

    A period in the question ("in June 2005") becomes the date range when the reader set none and
    some article is dated in it; otherwise every date is searched, and the scope says why when some
    article has a date at all (of undated articles, such as BBC News files, it would be said of
    every question with a year)."""
    period = period_in(question) if question else None
    applied, note = filters, ""
    if period is not None and not (filters and filters.has_dates):
        dated = with_period(filters, period)
        if dated.allowed(articles):
            applied = dated
        else:
            if any(published_day(a.get("published")) for a in articles):
                note = f"no article is dated {period.text}, so every date was searched"
            period = None
    elif period is not None:
        period = None  # the reader's own range wins over the question's
    if applied is None or applied.is_empty():
        return None, (Scope(len(articles), Filters(), "", note) if note else None)
    kept = applied.allowed(articles) or set()
    return applied, Scope(len(kept), applied, period.text if period else "", note)
