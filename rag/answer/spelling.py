"""Misspelt question words, read as the words the sources hold ("waht did ryanar orderd from boing").

A word is taken as misspelt when it is written in lower case, is at least four letters long, is
neither a stop word nor English (the lemmatizer's tables, ``language.is_english_word``) and the
sources do not hold it. It is then read as the closest word they do hold: at most one edit away
(two from eight letters; a swap of two letters is one edit), with the same first letter, the
closest by Jaro-Winkler similarity among those ("waht" -> "what" rather than "want", "boing" ->
"boeing" rather than "being"). A word written with a capital is a name the reader chose and is
taken as written, so a name the sources lack is still refused, not bent into another; the refusal
suggests the closest name they write (``closest_name``). Only a name of several words, one of them
as the sources write it and the others a letter off ("Meet the Fokers"), is read as theirs
(``misspelt_name``), and the answer shows the question as read.

Two vocabularies: before retrieval, the keyword index's terms (stems: enough to find the
article); after it, the words of the retrieved articles (whole words, to read the question).
"""

from __future__ import annotations

import re
from typing import Collection, Iterable

from rag import language
from rag.text import fold_accents, stem, stopwords

MIN_LENGTH = 4
# How alike (Jaro-Winkler) a name the sources write must be to one they lack to be suggested for it.
SUGGESTION_SIMILARITY = 0.9
LONG_WORD = 8  # from this length two edits are allowed
# letters of any alphabet: "Guantánamo" is one word (and a name), not "Guant" and a misspelt "namo"
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def correct(text: str, vocabulary: Collection[str], *, stemmed: bool = False) -> str:
    """``text`` with each misspelt word replaced by its closest word of ``vocabulary`` (lower-case
    words, or with ``stemmed`` the keyword index's stems) or by a stop word; unchanged otherwise."""
    from rapidfuzz.distance import OSA, JaroWinkler

    stop = stopwords()
    out, last = [], 0
    by_letter: dict[str, list[str]] | None = None
    for match in _WORD.finditer(text):
        word = match.group()
        lower = fold_accents(word.lower())  # the vocabularies are of folded words (rag.text.words)
        key = stem(lower) if stemmed else lower
        if (len(word) < MIN_LENGTH or not word.islower() or key in vocabulary or lower in stop
                or language.is_english_word(lower)):
            continue
        if by_letter is None:
            by_letter = _by_first_letter(list(vocabulary) + sorted(stop))
        allowed = 1 if len(lower) < LONG_WORD else 2

        def forms(c: str) -> list[str]:
            """A stem as the words it stands for ("qanta" as "qantas": "qantass" is one edit away):
            the endings that stem back to it, giving an English word or the stem of none (a
            name's); a stop word only as itself ("isues" is no "is")."""
            if not stemmed or c in stop:
                return [c]
            plain = not language.is_english_word(c)
            return [c] + [c + e for e in _STEM_ENDINGS
                          if stem(c + e) == c and (plain or language.is_english_word(c + e))]

        def distance(c: str) -> int:
            return min((OSA.distance(lower, f, score_cutoff=allowed + 1) for f in forms(c)
                        if abs(len(f) - len(lower)) <= allowed), default=allowed + 1)
        near = [c for c in by_letter.get(lower[0], ()) if -allowed <= len(lower) - len(c) <= allowed + _LONGEST_ENDING
                and distance(c) <= allowed]
        if not near:
            continue

        def likeness(c: str) -> tuple[float, bool, str]:
            # the closest; of two as close, one an English word ("prices" rather than "pryces")
            score, form = max((JaroWinkler.similarity(lower, f), f) for f in forms(c))
            return round(score, 6), language.is_english_word(form), c
        best = max(near, key=likeness)
        out.append(text[last:match.start()] + best)
        last = match.end()
    return "".join(out) + text[last:] if out else text


# What the keyword index's stemmer takes off a noun ("qantas" -> "qanta", "prices" -> "price"); not
# "-ing" or "-ed", which would read "boing" as "boy" + "ing".
_STEM_ENDINGS = ("s", "e", "es")
_LONGEST_ENDING = max(len(e) for e in _STEM_ENDINGS)


def _by_first_letter(words: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for w in words:
        if w:
            index.setdefault(w[0], []).append(w)
    return index



def closest_name(name: str, written: Collection[str], known: Collection[str]) -> str | None:
    """The name the sources write that ``name`` most likely misspells, word by word under the same
    rules as ``correct`` ("Liam Neesen" -> "Liam Neeson", "Whitbred" -> "Whitbread"); ``written``
    holds the sources' capitalised words as written, ``known`` their lower-case words. None when a
    word has no close one or nothing would change: a suggestion, read in the name's place only
    when ``misspelt_name`` is sure of it."""
    from rapidfuzz.distance import OSA, JaroWinkler

    if name.isupper():
        return None  # "NASA" is no misspelt "Nash"
    # alike enough that an ordinary word opening a sentence ("Many" for "Mary") or another name
    # ("Osama" for "Obama") is not offered
    names = {w.removesuffix("'s") for w in written if w[:1].isupper() and not w.isupper()}
    by_letter = _by_first_letter(sorted(names, key=str.lower))
    out, changed = [], False
    for word in name.split():
        lower = fold_accents(word.lower())
        if lower in known or len(word) < MIN_LENGTH:
            out.append(word)
            continue
        allowed = 1 if len(lower) < LONG_WORD else 2
        near = [c for c in by_letter.get(word[0].upper(), ()) if abs(len(c) - len(lower)) <= allowed
                and OSA.distance(lower, fold_accents(c.lower()), score_cutoff=allowed) <= allowed
                and JaroWinkler.similarity(lower, fold_accents(c.lower())) >= SUGGESTION_SIMILARITY]
        if not near:
            return None
        out.append(max(near, key=lambda c: (JaroWinkler.similarity(lower, fold_accents(c.lower())), c)))
        changed = True
    return " ".join(out) if changed else None


def misspelt_name(name: str, written: Collection[str], known: Collection[str]) -> str | None:
    """The name the sources write that ``name`` surely misspells, to be read in its place ("Meet the
    Fokers" -> "Meet the Fockers", "Liam Neesen" -> "Liam Neeson"): the suggestion of
    ``closest_name`` when the name has two words or more, at least one of them written as the
    sources write it, and each other word is one edit from its reading and five letters or more.
    Anything less sure ("Whitbred", "Obama" / "Osama") stays a suggestion in the refusal."""
    from rapidfuzz.distance import OSA

    reading = closest_name(name, written, known)
    if reading is None:
        return None
    mine, theirs = name.split(), reading.split()
    changed = [(a, b) for a, b in zip(mine, theirs) if a != b]
    if len(mine) < 2 or len(mine) != len(theirs) or len(changed) == len(mine):
        return None
    if all(len(a) >= 5 and OSA.distance(fold_accents(a.lower()), fold_accents(b.lower())) <= 1 for a, b in changed):
        return reading
    return None
