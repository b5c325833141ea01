"""Small text helpers shared by retrieval, answers and citations: sentences, terms, numbers."""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,'’][A-Za-z0-9]+)*")
# What ``terms`` makes of a text. Saved keyword indexes record it and are rebuilt when it changes.
# 2: accents folded ("Guantánamo" was "guant" and "namo").
# 3: initialisms written with full stops are the same word as without ("U.S." and "US").
# 4: "won" and "don" are words ("Who won the final?", "Don King"), not stop words.
TERMS_VERSION = 4
# "U.S", "D.C", "a.m" as _WORD finds them: single letters joined by full stops
_DOTTED_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
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
def _nltk_data() -> Path | None:
    """The NLTK data llama-index ships (punkt, stop words), found without importing llama-index:
    its import costs ~2.5 s of a cold ``rag ask`` (measured with ``python -X importtime``)."""
    if os.environ.get("NLTK_DATA"):
        return Path(os.environ["NLTK_DATA"])
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "_static" / "nltk_cache"
    return path if (path / "tokenizers").is_dir() and (path / "corpora").is_dir() else None


def _import_punkt():
    """``nltk.tokenize.punkt``. nltk's package import pulls in scipy.stats for one collocation test
    we never use (1.4 of its 2.3 s here); while nltk loads, scipy.stats reads as missing, which nltk
    handles (``nltk.metrics.association``), and is importable again right after."""
    import sys

    if "nltk" in sys.modules or "scipy.stats" in sys.modules:
        from nltk.tokenize import punkt
        return punkt
    with _IMPORT_LOCK:
        sys.modules["scipy.stats"] = None  # type: ignore[assignment]
        try:
            from nltk.tokenize import punkt
        finally:
            if sys.modules.get("scipy.stats", 0) is None:
                del sys.modules["scipy.stats"]
    return punkt


_IMPORT_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _punkt():
    data = _nltk_data()
    if data is None:  # no bundled data where we expect it: let llama-index find or fetch it
        from llama_index.core.utils import globals_helper

        globals_helper.wait_for_nltk_check()
        data = Path(globals_helper._nltk_data_dir)
    punkt = _import_punkt()
    import nltk.data

    if str(data) not in nltk.data.path:
        nltk.data.path.append(str(data))
    tokenizer = punkt.PunktTokenizer("english")
    # titles and abbreviations American news writes before a name or a number, which the English
    # model splits after ("Gov. | Gavin Newsom", "Mt. | Everest"); none of them ends a sentence.
    # Punkt keeps its learnt abbreviations in ``_params.abbrev_types`` (nltk 3.9-3.10), a set of
    # lower-case words without their full stop.
    tokenizer._params.abbrev_types.update(_MORE_ABBREVIATIONS)
    return tokenizer


_MORE_ABBREVIATIONS = {"gov", "govs", "mt", "dept", "govt", "approx", "vol", "vols", "fig", "figs",
                       "capt", "sgt", "cmdr", "supt", "atty", "sens", "rev", "hon", "pres"}
# "No." before a number is "number" ("Red No. 3"); elsewhere "no." may end a sentence ("She said no.")
_NUMBER_SIGN_END = re.compile(r"\bNos?\.$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in ``text``, trimmed of surrounding whitespace.

    Lines are split first: a headline or a one-line paragraph without a full stop is a
    sentence of its own instead of being glued to the next one.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _PARAGRAPH.finditer(text, start, end):
        base = line.start()
        in_line = len(spans)
        for s, e in _punkt().span_tokenize(line.group()):
            s, e = base + s, base + e
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e <= s:
                continue
            if len(spans) > in_line and text[s].isdigit() and _NUMBER_SIGN_END.search(text, max(spans[-1][0], spans[-1][1] - 5), spans[-1][1]):
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
    return spans


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _nltk_stopwords() -> list[str]:
    data = _nltk_data()
    listed = data / "corpora" / "stopwords" / "english" if data is not None else None
    if listed is not None and listed.is_file():
        return [w.strip() for w in listed.read_text(encoding="utf-8").splitlines() if w.strip()]
    from llama_index.core.utils import globals_helper

    return list(globals_helper.stopwords)


# The NLTK list keeps what is left of a contraction split at its apostrophe ("won" of "won't",
# "don" of "don't"); ``words`` keeps "won't" whole, and these two are English words of their own.
_NOT_STOPWORDS = frozenset({"won", "don"})


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return (frozenset(_nltk_stopwords()) - _NOT_STOPWORDS) | {
        "said", "says", "say", "would", "could", "also", "one", "us", "mr", "mrs", "ms",
        "what", "which", "who", "whom", "when", "where", "why", "how", "many", "much",
        "did", "does", "do", "according", "year", "new",
    }


def stem(word: str) -> str:
    """The stem keyword search keeps of a lower-case word ("ordered" -> "order")."""
    return _stemmer().stemWord(word)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold_accents(text: str) -> str:
    """``text`` with its letters' accents dropped ("Guantánamo" -> "Guantanamo", "José" -> "Jose"):
    news writes a name both ways, and a reader types it either way."""
    if text.isascii():
        return text
    # Only the non-ASCII runs can change, and the same few recur (curly quotes, "é"): folding them
    # alone is ~3x faster on a news article than decomposing the whole text character by character.
    return _NON_ASCII.sub(lambda run: _fold_run(run.group()), text)


@lru_cache(maxsize=4096)
def _fold_run(run: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", run) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text`` as written; initials with full stops are joined ("U.S." -> "US")."""
    return [w.replace(".", "") if _DOTTED_INITIALS.fullmatch(w) else w.replace("’", "'")
            for w in _WORD.findall(fold_accents(text))]


def _is_acronym(word: str) -> bool:
    """"US", "IT", "WHO": written in capitals, a name, even when the lower-case word is a stop word."""
    return len(word) >= 2 and word.isalpha() and word.isupper()


def _content_words(text: str | list[str]) -> list[str]:
    stop = stopwords()
    found = words(text) if isinstance(text, str) else text
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


def match_term_set(written: list[str]) -> frozenset[str]:
    """The distinct ``match_terms`` of a text given as its ``words``: each distinct word is brought
    to its base form and stemmed once (an article repeats most of its words)."""
    from rag.language import base_form

    return frozenset(_stemmer().stemWords([base_form(w) for w in dict.fromkeys(_content_words(written))]))


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
