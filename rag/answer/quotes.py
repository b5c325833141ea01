"""Quote checks: was this phrase said, word for word, where, when and by whom?

``check_quote(text, store, filters, speaker)`` gives a verdict first:

* ``verbatim``: the quote's words occur in an article in the same order (case, punctuation and
  quotation marks aside);
* ``close``: a passage differs by a few words (``differences`` lists them);
* ``not_found``: nothing close; ``matches`` then holds the closest passages, marked as not a match.

Candidates come from the index, never a scan of every text: the articles holding every word of
the quote (the mentions index) plus the best BM25 chunks for it (a close quote need not hold
every word). In each candidate the best-aligned run of words is found with rapidfuzz on the
word sequence, so offsets are exact (``quote == article.text[start:end]``).

When a speaker is named ("Did Blair say '...'?"), the language layer's quotes of the matching
article say who the sentence attributes the words to, and ``speaker_matches`` whether that is
the named speaker (by the name keys the mentions index uses: "Blair" = "Tony Blair" = "Mr Blair").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rag.answer.filters import Filters
from rag.errors import UsageError
from rag.index.mentions import words_of

if TYPE_CHECKING:
    from rag.index.sources import Article
    from rag.index.store import Store

# A close quote differs by a few words: at most CLOSE_EDITS words changed, dropped or added, or
# CLOSE_SHARE of its words when it is long. `python bench/quotes.py --quotes 150` on the seed + 359
# BBC articles: every quote with one word changed or dropped is called close; of 150 made-up quotes
# (halves of two real ones: 2-16 edits) 2 are, against 26 with a word-similarity threshold of 0.75
# (made-up quotes score up to 0.86 when half of them is real).
CLOSE_EDITS = 2
CLOSE_SHARE = 0.1
MIN_WORDS = 3  # shorter phrases are names, not quotes: use mentions
_CANDIDATE_CHUNKS = 30
_SHOWN = 5

_ARTICLE_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_QUOTES = "\"'“”‘’«»"


@dataclass
class QuoteMatch:
    article_id: str
    source: str
    title: str
    published: str | None
    url: str | None
    quote: str  # == article.text[start:end]
    start: int
    end: int
    similarity: float  # 0..1 over words
    edits: int  # words changed, dropped or added between the quote and the passage
    speaker: str | None = None  # who the article attributes the words to, when it says
    differences: list[str] = field(default_factory=list)  # 'asked "passion" / article "appetite"'


@dataclass
class QuoteCheck:
    text: str
    verdict: str  # "verbatim" | "close" | "not_found"
    matches: list[QuoteMatch]
    speaker_asked: str | None = None
    speaker_matches: bool | None = None  # None: no speaker named, or no match to check
    scope: dict | None = None

    @property
    def summary(self) -> str:
        """One line, the verdict first."""
        if self.verdict == "not_found":
            return (f"Not found: no article has these words or a close version of them. "
                    f"The closest passages below are not a match.")
        best = self.matches[0]
        where = f"“{best.title}” ({best.source}{', ' + best.published[:10] if best.published else ''})"
        head = ("Verbatim: found word for word in " if self.verdict == "verbatim"
                else f"Close: found with small differences ({'; '.join(best.differences)}) in ")
        line = head + where + "."
        if self.speaker_asked:
            if best.speaker is None:
                line += f" The article does not say who said it, so it is not confirmed as {self.speaker_asked}'s."
            elif self.speaker_matches:
                line += f" It is attributed to {best.speaker}."
            else:
                line += f" It is attributed to {best.speaker}, not {self.speaker_asked}."
        elif best.speaker:
            line += f" Attributed to {best.speaker}."
        return line

    def to_json(self) -> dict:
        return {"kind": "quote", "text": self.text, "verdict": self.verdict, "summary": self.summary,
                "speaker_asked": self.speaker_asked, "speaker_matches": self.speaker_matches,
                "scope": self.scope, "matches": [asdict(m) for m in self.matches]}


def check_quote(text: str, store: Store, filters: Filters | None = None, speaker: str | None = None,
                bm25=None) -> QuoteCheck:
    """The verdict on ``text``; ``speaker`` (as the reader names them) is checked on the best match."""
    text = " ".join((text or "").strip().strip(_QUOTES).split())
    words = words_of(text)
    if len(words) < MIN_WORDS:
        raise UsageError(f"give a quote of at least {MIN_WORDS} words (for a name, use mentions)")
    allowed = filters.allowed(store.list_articles()) if filters is not None and not filters.is_empty() else None
    candidates = store.mentions().articles_with(words)
    index = bm25 if bm25 is not None else store.bm25()
    chunks = store.chunks([cid for cid, _ in index.search(text, _CANDIDATE_CHUNKS, allowed)])
    candidates |= {chunk.article_id for chunk in chunks.values()}
    if allowed is not None:
        candidates &= allowed
    matches = [m for m in (_best_in(words, article) for article in store.articles(sorted(candidates)).values()) if m]
    matches.sort(key=lambda m: (m.edits, -m.similarity, m.article_id))
    matches = matches[:_SHOWN]
    allowed_edits = max(CLOSE_EDITS, int(CLOSE_SHARE * len(words)))
    if not matches or matches[0].edits > allowed_edits:
        return QuoteCheck(text, "not_found", matches, speaker)
    verdict = "verbatim" if matches[0].edits == 0 else "close"
    confirmed = [m for m in matches if m.edits <= allowed_edits]
    _attribute(confirmed, store)
    check = QuoteCheck(text, verdict, confirmed, speaker)
    if speaker:
        check.speaker_matches = any(_same_person(speaker, m.speaker) for m in confirmed if m.speaker)
        if check.speaker_matches:  # the attributed match first
            confirmed.sort(key=lambda m: (not _same_person(speaker, m.speaker), -m.similarity, m.article_id))
    return check


def _article_words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower().replace("’", "'"), m.start(), m.end()) for m in _ARTICLE_WORD.finditer(text)]


def _best_in(query_words: list[str], article: Article) -> QuoteMatch | None:
    """The run of the article's words closest to the quote's, by word-level edit distance."""
    from rapidfuzz.distance import Levenshtein

    # The index's words split "don't" into "don" and "t"; compare on the same split.
    words = [(w, s, e) for token, s0, _ in _article_words(article.text)
             for w, s, e in _split(token, s0)]
    if not words:
        return None
    seq = [w for w, _, _ in words]
    n = len(query_words)
    anchors = {i for i, w in enumerate(seq) if w in set(query_words)}
    best: tuple[float, int, int] | None = None
    # Windows starting near a word the quote holds, n-2..n+2 words long: a few words dropped or added.
    for i in sorted(anchors):
        for start in range(max(0, i - 2), i + 1):
            for length in range(max(1, n - 2), n + 3):
                stop = min(len(seq), start + length)
                score = Levenshtein.normalized_similarity(query_words, seq[start:stop])
                if best is None or score > best[0]:
                    best = (score, start, stop)
    if best is None:
        return None
    score, i, j = best
    edits = Levenshtein.distance(query_words, seq[i:j])
    start, end = words[i][1], words[j - 1][2]
    differences = _differences(query_words, seq[i:j])
    return QuoteMatch(article.id, article.source, article.title, article.meta.get("published"),
                      article.meta.get("url"), article.text[start:end], start, end, round(score, 4),
                      edits, differences=differences)


def _split(token: str, start: int) -> list[tuple[str, int, int]]:
    out = []
    for m in re.finditer(r"[^\W_]+", token):
        out.append((m.group(), start + m.start(), start + m.end()))
    return out


def _differences(asked: list[str], found: list[str]) -> list[str]:
    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=asked, b=found, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        said, wrote = " ".join(asked[a0:a1]), " ".join(found[b0:b1])
        if op == "replace":
            out.append(f'asked "{said}", article "{wrote}"')
        elif op == "delete":
            out.append(f'"{said}" not in the article')
        else:
            out.append(f'article adds "{wrote}"')
    return out


def _attribute(matches: list[QuoteMatch], store: Store) -> None:
    """Fill each match's speaker from the language layer's quotes of its article."""
    from rag import language

    articles = store.articles(sorted({m.article_id for m in matches}))
    for match in matches:
        article = articles.get(match.article_id)
        if article is None:
            continue
        analysis = language.analyze(article.text)
        for quote in analysis.quotes:
            if quote.start <= match.end and match.start <= quote.end:
                match.speaker = quote.speaker_name or (quote.speaker.text if quote.speaker else None)
                break


def _same_person(asked: str, said_by: str | None) -> bool:
    """"Blair", "Mr Blair" and "Tony Blair" are the same person; "Gordon Brown" is not Blair."""
    if not said_by:
        return False
    a, b = _bare_name(asked), _bare_name(said_by)
    return bool(a and b) and (a == b or a[-1] == b[-1])


def _bare_name(name: str) -> list[str]:
    """The words of a name without titles or a possessive (language.query_keys' bare key)."""
    from rag import language

    keys = [k for k in language.query_keys(name) if not k.startswith("surname:")]
    return min(keys, key=len).split() if keys else []
