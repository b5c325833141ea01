"""Small text helpers shared by retrieval, answers and citations: sentences, terms, numbers."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'’][A-Za-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PARAGRAPH = re.compile(r"[^\n]+")


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


def stem(word: str) -> str:
    """The stem keyword search keeps of a lower-case word ("ordered" -> "order")."""
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def _is_acronym(word: str) -> bool:
    """"US", "IT", "WHO": written in capitals, a name, even when the lower-case word is a stop word."""
    return len(word) >= 2 and word.isalpha() and word.isupper()


def _content_words(text: str) -> list[str]:
    stop = stopwords()
    found = words(text)
    # In a text written in capitals ("BREAKING: THE PM RESIGNS") capitals tell nothing.
    shouting = sum(1 for w in found if _is_acronym(w)) * 2 > len(found)
    kept = []
    for word in found:
        lower = word.lower()
        if lower.endswith("'s"):
            word, lower = word[:-2], lower[:-2]
        if (lower not in stop and len(lower) > 1) or lower.isdigit() or (_is_acronym(word) and not shouting):
            kept.append(lower)
    return kept


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words (stop words dropped; a word in capitals such as "US" is a
    name and kept): the unit of keyword search."""
    return _stemmer().stemWords(_content_words(text))


def match_terms(text: str) -> list[str]:
    """``terms`` with irregular forms first brought to their base form ("wrote" and "write" both give
    "write", "rose" and "rise" "rise"): the unit the answer layer matches questions and sentences on.
    The stemmer alone keeps "wrote" and "write" apart. Keyword search keeps ``terms``, the form its
    saved index was built with."""
    from rag.language import base_form

    return _stemmer().stemWords([base_form(w) for w in _content_words(text)])


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
            if i > 0 and token[:1].isupper() and (token.lower() not in stopwords() or _is_acronym(token)):
                found.add(re.sub(r"'s$", "", token.lower().replace("’", "'")))
    return found
