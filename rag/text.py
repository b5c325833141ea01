"""Small text helpers shared by retrieval, answers and citations: sentences, terms, numbers."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'’][A-Za-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PARAGRAPH = re.compile(r"[^\n]+")
# Terminal escape sequences (CSI "\x1b[31m", OSC "\x1b]0;title\x07", two-byte "\x1bc") and the
# remaining C0/C1 control characters: "\x1b[31m" pasted into a question was read as the number 31.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """``text`` without terminal escape sequences; other control characters become spaces."""
    return _CONTROL.sub(" ", _ESCAPE.sub("", text))


@lru_cache(maxsize=1)
def _punkt():
    from llama_index.core.utils import globals_helper

    globals_helper.wait_for_nltk_check()  # puts llama-index's bundled nltk data on the path
    from nltk.tokenize.punkt import PunktTokenizer

    return PunktTokenizer("english")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in ``text``, trimmed of surrounding whitespace.

    Lines are split first: a headline or a one-line paragraph without a full stop is a
    sentence of its own instead of being glued to the next one.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _PARAGRAPH.finditer(text, start, end):
        base = line.start()
        for s, e in _punkt().span_tokenize(line.group()):
            s, e = base + s, base + e
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                spans.append((s, e))
    return spans


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from llama_index.core.utils import globals_helper

    return frozenset(globals_helper.stopwords) | {
        "said", "says", "say", "would", "could", "also", "one", "us", "mr", "mrs", "ms",
        "what", "which", "who", "whom", "when", "where", "why", "how", "many", "much",
        "did", "does", "do", "according", "year", "new",
    }


def words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words (stop words dropped): the unit of lexical matching."""
    stop = stopwords()
    kept = [w.lower() for w in words(text)]
    kept = [w[:-2] if w.endswith("'s") else w for w in kept]
    kept = [w for w in kept if w not in stop and len(w) > 1 or w.isdigit()]
    return _stemmer().stemWords(kept)


_MONTHS = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.IGNORECASE,
)


def numbers(text: str) -> set[str]:
    """Numbers as written, normalised ("13,000" -> "13000"), and month names ("Jul" -> "jul").

    These are the facts a paraphrase must not change: a date, an amount, a count.
    """
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    for match in _MONTHS.finditer(text):
        word = match.group(1)
        # "may" and "march" are also ordinary words; count them only when capitalised.
        if word.lower() in ("may", "march", "mar") and not word[0].isupper():
            continue
        found.add(word[:3].lower())
    return found


def names(text: str) -> set[str]:
    """Capitalised words not at a sentence start: a cheap stand-in for named entities."""
    found: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        tokens = words(sentence)
        for i, token in enumerate(tokens):
            if i > 0 and token[:1].isupper() and token.lower() not in stopwords():
                found.add(re.sub(r"'s$", "", token.lower().replace("’", "'")))
    return found
