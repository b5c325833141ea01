"""The claim checker: does the source sentence a claim cites say what the claim says, fact by fact?

Support scoring (support.py) measures how much of a claim's wording and meaning a span shares.
A sentence that keeps the words and changes one fact shares nearly all of it, so the verifier
(citations.py) also asks this module, which reads the claim and the span(s) with the language
layer (rag/language.py: entities, lemmas, clauses with voice-independent agents and patients,
negation, possessives) and reports what differs, each as a ``Problem`` with a reason in plain
words for the reader:

* ``number``: a number, date or amount of the claim that neither the span nor its headline
  gives ("the source says "six-part", not "eight-part"");
* ``name``: a person, organisation or place the span does not mention, unless the span refers
  to it by a pronoun or a surname and the article names it just before;
* ``negation``: a predicate the span negates and the claim does not, or the reverse (negators and
  negative verbs: "not", "never", "refused to", "denied that" ..., and what the layer leaves
  unmarked: "Neither does it cover", "not all", "unable to", "are not opposed", "has yet to"), "with"
  or another preposition of the same verb against "without" before the same noun ("without an
  agreement"), and an adjective's own "not" ("pleaded not guilty");
* ``opposite``: the span says the opposite verb about the same participants ("withdrawing", not
  "increased": ``language.OPPOSITE_VERBS``; "disallowed", not "allowed": a verb undone by its
  prefix; "mocked", not "admired": two verbs the sentiment lexicon rates clearly good and
  clearly bad, ``language.are_opposite_in_valence``), or the opposite noun or adjective in the
  same place ("on the decline", not "on the rise"; "a disaster", not "a triumph");
* ``roles``: who did what to whom differs: another named participant in the same role ("Kate
  Martin delivered 16 points", not Hannah Stuelke; "chains like CVS", not "chains like Rite
  Aid"), participants swapped ("in the source, Airbus overtook Boeing, not the reverse"; "from a
  national level to a local level"), or a possessive relation reversed ("in the source, China
  is Qatar's partner, not the reverse");
* ``planned``: an act the claim tells as done that the span only plans, expects or attempts
  ("attended the ceremony" against "had been scheduled to attend the ceremony");
* ``addition``: a clause of the claim (a reason, consequence or reaction) whose content words
  the span does not have, or a reason ("because ...", "due to ...") where the span gives none.

A predicate of the claim is compared with the span's predicate of the same verb (lemma) whose
participants agree best; participants are compared by their names (proper nouns, with spelling
slips allowed) or, without names, by head noun; a pronoun agrees with anything. Everything is
read from the parse: no word list here is taken from an article, and the English word lists
live in rag/language.py.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from rag import language
from rag.text import numbers, sentence_spans, stopwords, terms

if TYPE_CHECKING:
    from rag.answer.citations import SentenceSpan
    from rag.index.embedding import Embedder
    from rag.language import Analysis, Clause, Phrase, Token

# Entity labels that name a thing (the others are amounts, dates and ordinals).
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "EVENT", "WORK_OF_ART", "PRODUCT", "LAW",
                         "LANGUAGE"})
_RELATIVE = frozenset({"who", "whom", "which", "that", "whose"})
# Words that are part of how a name is written, not of what it names.
_NAME_GLUE = frozenset({"the", "of", "and", "&", "for", "de", "la", "a", "an"})
_PERSON_PRONOUNS = frozenset({"he", "him", "his", "she", "her", "hers", "i", "me", "my"})
_THING_PRONOUNS = frozenset({"it", "its", "they", "them", "their", "we", "our", "us"})
# How many sentences before a span an antecedent of its pronoun may be named (as in
# rag/language.py, which looks three sentences back for he/she).
ANTECEDENT_SENTENCES = 3
# Two spellings of a name word are one name when this similar (difflib ratio): "Sociedad" and
# "Socieded" (0.875), "Beyonce" and "Beyoncé" after accents are stripped (1.0); "Royals" and
# "Rovers" (0.67) are two. Only for words of five letters or more.
SPELLING_SIMILARITY = 0.85
# A clause is an addition when at least this many of its content words are not in the span,
# and they are most of its words (measured on the dev split of evals/datasets/claims.jsonl).
ADDITION_MIN_MISSING = 2
ADDITION_MAX_COVERED = 0.5
SNIPPET_CHARS = 100
# An addition is forgiven when a span sentence embeds this close to the clause (MiniLM cosine):
# on the dev split, clauses of true claims flagged by words alone sat at 0.35-0.90 (paraphrases
# "annual limit" / "capped every year" from 0.70), those of false claims at -0.03-0.62 (one date
# change at 0.95 is caught by its number).
PARAPHRASE_COSINE = 0.65


# Problems that say the span states something else (as opposed to not stating the claim).
CONTRADICTIONS = frozenset({"negation", "opposite", "roles"})


@dataclass(frozen=True)
class Problem:
    """Why a span does not support a claim: ``kind`` (see the module docstring) and a reason in
    plain words, as shown to the reader."""

    kind: str
    reason: str
    quoted: str = ""  # the claim's clause an addition is about, when a paraphrase may excuse it

    @property
    def contradiction(self) -> bool:
        return self.kind in CONTRADICTIONS


# -- reading a text once -----------------------------------------------------------------------


def _key(word: str) -> str:
    """A word as compared: accents stripped, case folded, possessive dropped ("Beyoncé's" -> "beyonce")."""
    word = unicodedata.normalize("NFKD", word)
    word = "".join(ch for ch in word if not unicodedata.combining(ch)).casefold().replace("’", "'")
    return re.sub(r"'s?$", "", word)


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= SPELLING_SIMILARITY


# How English makes a people's name from a place's: Italy/Italians, China/Chinese, Iran/Iranian,
# Iraq/Iraqi, Kenya/Kenyans; a plain "s" only after a place in "-y" (Germany/Germans).
_DEMONYM_ENDINGS = frozenset({"an", "ans", "ian", "ians", "ese", "i", "is"})


def _is_demonym(place: str, people: str) -> bool:
    """Whether ``people`` is the people of ``place`` ("the Italians" are Italy's side). Spelling
    alone, so only ever asked of two participants' names (``_relation``), never of any two words."""
    if len(place) < 4 or len(people) <= len(place) - 1:
        return False
    stem = place[:-1] if place[-1] in "aeiouy" else place
    ending = people[len(stem):] if people.startswith(stem) else None
    return ending in _DEMONYM_ENDINGS or (ending == "s" and place.endswith("y") and stem.endswith("n"))


def written_numbers(text: str) -> set[str]:
    """``rag.text.numbers`` plus numbers written as words ("Eighteen" -> "18"), without a parse:
    what a source sentence states, for support scoring (which only asks whether the claim's
    digits are there)."""
    found = numbers(text)
    for word in re.findall(r"[A-Za-z]+", text):
        value = language.NUMBER_WORDS.get(word.lower())
        if value is not None:
            found.add(str(value))
    return found


def _number_values(a: Analysis) -> dict[str, str]:
    """Normalised number -> how the text writes it: digits and months (rag.text.numbers), number
    words ("Eighteen" -> "18"), ordinal entities ("second" -> "2": "the second season" is "season 2")
    and days of the week ("Tuesday")."""
    found: dict[str, str] = {}
    for value in numbers(a.text):
        found.setdefault(value, value)
    for t in a.tokens:
        if t.lower in ("one", "ones") and t.dep not in ("nummod", "quantmod", "compound") \
                and any(a.tokens[c].dep in ("det", "poss", "amod") for c in a.children(t.i)):
            continue  # "one" standing for a noun, the head of its phrase: "his current one", "the old ones"
        for part in re.split(r"[-–]", t.lower):
            if part in language.NUMBER_WORDS and (t.pos == "NUM" or t.ent_type in ("CARDINAL", "QUANTITY", "DATE")):
                found.setdefault(str(language.NUMBER_WORDS[part]), t.text)
        if t.lower in language.ORDINAL_WORDS and t.ent_type == "ORDINAL":
            found.setdefault(str(language.ORDINAL_WORDS[t.lower]), t.text)
        if t.lower in language.SPAN_WORDS and any(a.tokens[c].lower in ("a", "one") for c in a.children(t.i)):
            # "over a decade" is ten years, "half a dozen" six
            half = t.i >= 2 and a.tokens[t.i - 2].lower == "half"
            value = language.SPAN_WORDS[t.lower] // (2 if half else 1)
            found.setdefault(str(value), t.text)
        if t.lower.rstrip("s") in language.WEEKDAYS and t.text[:1].isupper():  # "on Monday", "Mondays"
            found.setdefault(t.lower.rstrip("s"), t.text)
    return found


class _Text:
    """One analysed text with the lookups the checks need."""

    def __init__(self, analysis: Analysis):
        self.a = analysis
        tokens = analysis.tokens
        self.children: list[list[int]] = [[] for _ in tokens]
        for t in tokens:
            if t.head != t.i:
                self.children[t.head].append(t.i)
        self.clause_of_verb = {c.verb_token: c for c in analysis.clauses}
        self.words = {_key(t.text) for t in tokens}
        self.lemmas = {_key(t.lemma or t.text) for t in tokens} | self.words
        self.stems = set(terms(analysis.text))
        self.numbers = _number_values(analysis)
        self.has_quote = bool(re.search(r"[\"“”‘]", analysis.text))
        self.reports = any(c.verb.split()[0] in language.REPORTING_VERBS for c in analysis.clauses)

    def owner(self, i: int) -> int | None:
        """The verb token of the clause a token belongs to (its nearest predicate ancestor)."""
        seen = set()
        while i not in self.clause_of_verb and i not in seen:
            seen.add(i)
            i = self.a.tokens[i].head
        return i if i in self.clause_of_verb else None

    def subtree(self, head: int, stop: frozenset[str] = frozenset()) -> list[int]:
        out, stack = [], [head]
        while stack:
            i = stack.pop()
            out.append(i)
            stack.extend(c for c in self.children[i] if self.a.tokens[c].dep not in stop)
        return sorted(out)

    def snippet(self, start: int, end: int) -> str:
        text = " ".join(self.a.text[start:end].split())
        return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


@lru_cache(maxsize=2048)
def _read(text: str) -> _Text:
    """Source sentences recur across answers (the same article cited again): parse each once."""
    return _Text(language.analyze(text))


# -- participants ------------------------------------------------------------------------------

# Branches of a noun phrase that name something else than the phrase itself: "Qatar's" envoy,
# envoy "in Geneva", the man "who wrote", "and China".
_NOT_THE_THING = frozenset({"prep", "poss", "relcl", "acl", "advcl", "conj", "cc", "punct", "case", "det", "amod",
                            "nummod", "quantmod", "npadvmod"})


# Branches outside a participant's phrase as shown to the reader (and searched for numbers).
_NOT_THE_PHRASE = frozenset({"relcl", "acl", "advcl", "conj", "cc", "prep", "appos", "punct"})


@dataclass(frozen=True)
class _Arg:
    role: str  # "agent", "patient", "attr" or "prep:<preposition>"
    names: tuple[str, ...]  # the name words of the phrase itself (keys), in order; () for a common noun
    key: str  # the head noun with its compounds, as lemmas ("trade partner")
    text: str
    pronoun: bool
    inferred: bool = False  # read through a relative or personal pronoun: never a "different" name
    figures: frozenset[str] = frozenset()  # the numbers in it ("May 2003": 2003)
    kinds: frozenset[str] = frozenset()  # the adjectives of its head noun, as lemmas ("national" level)
    kin: frozenset[str] = frozenset()  # the adjectives of the other nouns of that lemma in its sentence
    # every name word of the phrase with all it holds ("Enron" in "Enron's shareholders", "Citigroup"
    # in "defendants including Citigroup"), relative clauses left out
    deep: frozenset[str] = frozenset()
    head: int = -1


def _is_name_token(t: Token) -> bool:
    if t.ent_type and t.ent_type not in NAME_LABELS:
        return False  # "May" in "May 2003", "Sunday"
    # a title word is part of an organisation's or a place's name ("the Justice Department", "the
    # Home Office"), not of a person's ("Justice Smith")
    titled = t.lower.rstrip(".") in language.TITLES and t.ent_type in ("", "PERSON")
    return (t.pos == "PROPN" or (t.ent_type in NAME_LABELS and t.text[:1].isupper())) and not titled \
        and t.lower not in _NAME_GLUE and sum(ch.isalpha() for ch in t.text) >= 2


def _name_words(text: _Text, head: int) -> tuple[str, ...]:
    """The name a noun phrase's head is, with the name words compounded to it ("Real Sociedad",
    "Ablikim Yusuf"; not "Tottenham" in "Tottenham sporting director Frank Arnesen"); for a common
    noun, the name in apposition ("the host Indianapolis Olympians"); () otherwise."""
    a = text.a
    if not _is_name_token(a.tokens[head]):
        named = [c for c in text.children[head] if a.tokens[c].dep == "appos" and _is_name_token(a.tokens[c])]
        if named:
            return _name_words(text, named[0])
        # the examples a class is given by: "chains like CVS and Walgreens", "defendants including
        # Citigroup", "rivals such as Teva" stand for the names they list
        listed = [o for c in text.children[head] if a.tokens[c].dep == "prep" and _introduces_examples(text, c)
                  for o in text.children[c] if a.tokens[o].dep == "pobj" and _is_name_token(a.tokens[o])]
        return tuple(w for o in listed for x in [o] + _conjuncts(text, o) if _is_name_token(a.tokens[x])
                     for w in _name_words(text, x))
    found, stack = [head], [head]
    while stack:
        i = stack.pop()
        for c in text.children[i]:
            if a.tokens[c].dep in ("compound", "flat") and _is_name_token(a.tokens[c]):
                found.append(c)
                stack.append(c)
    return tuple(_key(a.tokens[i].text) for i in sorted(found))


def _introduces_examples(text: _Text, prep: int) -> bool:
    word = text.a.tokens[prep].lower
    return word in ("like", "including") or (word == "as" and any(
        text.a.tokens[c].lower == "such" for c in text.children[prep] + [prep - 1] if c >= 0))


def _noun_key(text: _Text, head: int) -> str:
    """A common noun with its compounds, as lemmas: "fed fund rate", "trade partner"."""
    a = text.a
    words = [c for c in text.children[head] if a.tokens[c].dep == "compound" and c < head]
    return " ".join(_key(a.tokens[i].lemma or a.tokens[i].text) for i in sorted(words) + [head])


def _arg(text: _Text, phrase: Phrase, role: str, clause: Clause) -> list[_Arg]:
    """The participant(s) a phrase stands for: a relative pronoun stands for the noun (and the
    nouns coordinated with it) its clause describes; he/she for the person named before."""
    a = text.a
    heads, inferred = [phrase.head], False
    noun = a.tokens[clause.verb_token].head
    if clause.dep in ("relcl", "acl") and (a.tokens[phrase.head].lower in _RELATIVE or phrase.head == noun):
        # "Rosneft, which was bought": Rosneft (the layer may have resolved the pronoun already)
        heads, inferred = [noun] + _conjuncts(text, noun), True
    elif phrase.pronoun:
        resolved = a.resolve(phrase)
        heads, inferred = [resolved.head], resolved.head != phrase.head
        if not inferred:
            carried = _relative_it(text, phrase, clause)
            if carried is not None:
                heads, inferred = [carried], True
    elif role == "agent" and not clause.passive and a.tokens[phrase.head].head != clause.verb_token \
            and a.tokens[clause.verb_token].dep != "pcomp":
        # a subject the layer carried over ("urged Doha not to deport": Doha); the gerund after a
        # preposition has its clause's subject by the grammar ("won after beating Leeds")
        inferred = True
    out = []
    for head in heads:
        tok = a.tokens[head]
        names = _name_words(text, head)
        examples = bool(names) and not _is_name_token(tok) and not any(
            a.tokens[c].dep == "appos" for c in text.children[head])
        # shown with the examples that name it ("chains like CVS and Walgreens")
        whole = text.subtree(head, frozenset({"relcl", "acl", "advcl", "appos"}) if examples else _NOT_THE_PHRASE)
        shown = a.text[a.tokens[whole[0]].start:a.tokens[whole[-1]].end].strip(" ,;:-—–")
        figures = frozenset(n for n in written_numbers(shown) if n[:1].isdigit())
        kinds, kin = _adjectives(text, head), set()
        for other in a.tokens:
            if other.i != head and other.pos == "NOUN" and other.lemma == tok.lemma:
                kin |= _adjectives(text, other.i)
        deep = frozenset(_key(a.tokens[i].text) for i in text.subtree(head, frozenset({"relcl", "acl", "advcl"}))
                         if _is_name_token(a.tokens[i]))
        out.append(_Arg(role, names, _noun_key(text, head), shown,
                        # "some of its businesses, including Elixir": named by its examples, no pronoun
                        (tok.pos == "PRON" or tok.lower in _RELATIVE) and not names, inferred, figures, kinds,
                        frozenset(kin),
                        deep, head))
    return out


def _relative_it(text: _Text, phrase: Phrase, clause: Clause) -> int | None:
    """The subject "it"/"they" of a relative clause stands for the subject of the clause the
    relative clause's noun belongs to: "Rite Aid plans to sell Elixir, which it bought in 2015"
    (it: Rite Aid). Only a subject that is a name and no person."""
    a = text.a
    if a.tokens[phrase.head].lower not in ("it", "they") or clause.dep not in ("relcl", "acl") \
            or clause.parent is None:
        return None
    above = a.clauses[clause.parent]
    subject = above.subjects[0] if above.subjects else None
    if subject is None or subject.pronoun:
        return None
    tok = a.tokens[subject.head]
    if not tok.text[:1].isupper() or tok.pos == "PRON" or tok.ent_type == "PERSON" or subject.start == 0 and \
            tok.i == 0:
        return None
    return subject.head


def _adjectives(text: _Text, head: int) -> frozenset[str]:
    return frozenset(_key(text.a.tokens[c].lemma or text.a.tokens[c].text) for c in text.children[head]
                     if text.a.tokens[c].dep == "amod")


def _conjuncts(text: _Text, head: int) -> list[int]:
    out, stack = [], [head]
    while stack:
        i = stack.pop()
        more = [c for c in text.children[i] if text.a.tokens[c].dep == "conj"]
        out += more
        stack += more
    return out


def _args(text: _Text, clause: Clause) -> list[_Arg]:
    a = text.a
    out = [x for p in clause.agents for x in _arg(text, p, "agent", clause)]
    for p in clause.patients:
        # "gave the party £500,000" is "gave £500,000 to the party": the dative is a "to" object
        role = "prep:to" if a.tokens[p.head].dep == "dative" else "patient"
        out += _arg(text, p, role, clause)
    for p in clause.attributes:
        out += _arg(text, p, "attr", clause)
        # "is higher than the prime rate": the comparison hangs off the adjective
        for prep in text.children[p.head]:
            if a.tokens[prep].dep == "prep":
                for obj in text.children[prep]:
                    if a.tokens[obj].dep == "pobj":
                        out += _arg(text, _phrase_at(text, obj), f"prep:{a.tokens[prep].lower}", clause)
    for p in clause.prepositions:
        out += _arg(text, p.object, f"prep:{p.prep}", clause)
    return out


def _phrase_at(text: _Text, head: int) -> Phrase:
    a = text.a
    span = text.subtree(head, _NOT_THE_THING)
    tok = a.tokens[head]
    start, end = a.tokens[span[0]].start, a.tokens[span[-1]].end
    return language.Phrase(a.text[start:end], start, end, head, a.text[tok.start:tok.end], tok.lemma, tok.ent_type,
                           tok.pos == "PRON")


def _relation(x: _Arg, y: _Arg) -> str:
    """"same", "different" (two different names, or numbers: "in May 2002" and "in May 2003") or
    "unknown"."""
    if x.pronoun or y.pronoun:
        return "unknown"
    if x.figures and y.figures and not x.names and not y.names:
        if x.figures & y.figures:
            return "same"
        # a relative pronoun the parse hung on the wrong noun ("$155m of which will be covered":
        # the $168m settlement) is no evidence of another amount
        return "unknown" if x.inferred or y.inferred else "different"
    if x.names and y.names:
        xs, ys = set(x.names), set(y.names)
        a, b = x.names[-1], y.names[-1]
        if _covers(xs, ys) or _covers(ys, xs) or _same_word(a, b) or _is_demonym(a, b) or _is_demonym(b, a) \
                or _initials_of(x, y) or _initials_of(y, x):
            return "same"
        return "unknown" if x.inferred or y.inferred else "different"
    if not x.names and not y.names and x.key == y.key:
        return "same"
    # a name one parse read as a common noun ("Rite Aid" tagged as a verb and a noun)
    for named, bare in ((x, y), (y, x)):
        if named.names and not bare.names and _capitalised(bare) and bare.key.split()[-1] == named.names[-1]:
            return "same"
    return "unknown"


def _initials_of(short: _Arg, named: _Arg) -> bool:
    """"GM" for "General Motors", "BBC" for "British Broadcasting Corporation": a one-word name in
    capitals that is the initials of the other's name words."""
    word = short.text.split()[-1] if short.text else ""
    return len(short.names) == 1 and len(named.names) >= 2 and word.isupper() and len(word) >= 2 \
        and short.names[0] == "".join(w[0] for w in named.names)


def _capitalised(x: _Arg) -> bool:
    return any(w[:1].isupper() for w in x.text.split()[-2:])


def _relation_among(x: _Arg, y: _Arg, theirs: Sequence[_Arg]) -> str:
    """``_relation``, where the span tells two things of one noun apart by an adjective ("from a
    national level to a local level"): there, "a local level" is not "a national level". Only
    then: elsewhere an adjective more or less ("bigger chains", "large chains") is the same thing."""
    relation = _relation(x, y)
    if relation == "same" and not x.names and not y.names and x.kinds and y.kinds and not (x.kinds & y.kinds) \
            and x.kinds <= y.kin:
        return "different"
    return relation


def _covers(words: set[str], other: set[str]) -> bool:
    return all(any(_same_word(w, o) for o in other) for w in words)


# -- the checks --------------------------------------------------------------------------------


@dataclass
class _Source:
    texts: list[_Text]  # the cited sentence(s)
    title: _Text | None
    article: str  # the whole article text ("" when unknown)
    context: str  # the article sentences just before the span (antecedents of its pronouns)
    words: set[str] = field(default_factory=set)
    lemmas: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    numbers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for t in self.texts + ([self.title] if self.title else []):
            self.words |= t.words
            self.lemmas |= t.lemmas
            self.stems |= t.stems
            self.numbers.update(t.numbers)

    @property
    def clauses(self) -> list[tuple[_Text, Clause]]:
        return [(t, c) for t in self.texts for c in t.a.clauses]


class ClaimChecker:
    """Checks claims against the sentence spans they cite. ``titles`` and ``texts`` map article
    ids to headlines and whole article texts (for pronoun antecedents and full names)."""

    def __init__(self, titles: Mapping[str, str] | None = None, texts: Mapping[str, str] | None = None,
                 embedder: Embedder | None = None):
        self.titles = dict(titles or {})
        self.texts = dict(texts or {})
        self.embedder = embedder

    def check(self, claim: str, spans: Sequence[SentenceSpan]) -> list[Problem]:
        """The problems of ``claim`` against ``spans`` (one sentence, or two neighbours), most
        specific first; empty when the spans say what the claim says."""
        if not spans:
            return [Problem("unsupported", "no source sentence is cited")]
        source = self._source(spans)
        text = _read(claim)
        additions = _addition_problems(text, source)
        if additions and self.embedder is not None:
            additions = self._said_otherwise(additions, source)
        additions += _reason_problems(text, source)
        alignments = _alignments(text, source)
        problems = (_number_problems(text, source) + _name_problems(text, source) + _clause_problems(text, source)
                    + _quote_speaker_problems(text, source) + _preference_problems(text, source)
                    + _word_polarity_problems(text, source) + _substituted_opposites(alignments)
                    + _possessive_problems(text, source) + _planned_problems(text, source)
                    + _crossed_attachment_problems(text, source) + _traded_places_problems(alignments)
                    + _turned_comparison_problems(text, source) + additions)
        if any(a.converse for a in alignments) or _converse_comparison(text, source):
            # "Corvo had fewer votes than Halden" for "Halden had more votes than Corvo", and
            # nothing else changed: the opposite word and the traded places undo each other
            problems = [p for p in problems if p.kind not in ("opposite", "roles")]
        unique: dict[str, Problem] = {}
        for problem in problems:
            unique.setdefault(problem.reason, problem)
        return list(unique.values())

    def _said_otherwise(self, additions: list[Problem], source: _Source) -> list[Problem]:
        """Drop the additions a span says in other words ("he knew of nothing" for "he was unaware
        of anything"): the clause embeds close to a span sentence or to one of its clauses."""
        rescuable = [p for p in additions if p.quoted]
        if not rescuable:
            return additions
        clauses = [p.quoted for p in rescuable]
        passages = [t.a.text for t in source.texts] + [w for t in source.texts for w in clause_windows(t.a.text)]
        vectors = self.embedder.embed_texts(clauses + passages)
        cosines = vectors[: len(clauses)] @ vectors[len(clauses):].T
        said = {p.quoted for p, c in zip(rescuable, cosines.max(axis=1)) if c >= PARAPHRASE_COSINE}
        return [p for p in additions if not p.quoted or p.quoted not in said]

    def _source(self, spans: Sequence[SentenceSpan]) -> _Source:
        first = min(spans, key=lambda s: s.start)
        article = self.texts.get(first.article_id, "")
        context = ""
        if article:
            before = [(s, e) for s, e in _sentences(article) if e <= first.start]
            context = " ".join(article[s:e] for s, e in before[-ANTECEDENT_SENTENCES:])
        title = self.titles.get(first.article_id)
        return _Source([_read(s.text) for s in sorted(spans, key=lambda s: s.start)],
                       _read(title) if title else None, article, context)


@lru_cache(maxsize=256)
def _sentences(article: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(article))


def _number_problems(claim: _Text, source: _Source) -> list[Problem]:
    problems = []
    for value, written in claim.numbers.items():
        if value in source.numbers or (value == "2" and _both_of(claim, source)):
            continue  # "the two fires" for "both fires"
        if _key(written) in language.SPAN_WORDS and value == str(language.SPAN_WORDS[_key(written)]) \
                and _bare_span_word(source, _key(written)):
            continue  # "in a decade" for "in the past decade"
        # as the claim writes it: "3,000" for the value 3000, "May" for the month
        entity = next((e for e in claim.a.entities if written in e.text or value in numbers(e.text)), None)
        shown = entity.text if entity is not None else written
        rival = _rival_entity(entity, source) if entity is not None else None
        reason = (f'the source says "{rival}", not "{shown}"' if rival else f'the source does not say "{shown}"')
        problems.append(Problem("number", reason))
    theirs = _scales(source.texts)
    for value, scales in _scales([claim]).items():
        if value in source.numbers and theirs.get(value) and not scales & theirs[value]:
            problems.append(Problem("number", f'the source says "{value} {min(theirs[value])}", '
                                              f'not "{value} {min(scales)}"'))
    return problems


# How news writes the scale of an amount after its number ("4 billion", "$4bn", "£3.5m", "20k").
_SCALE_WORDS = {"thousand": "thousand", "k": "thousand", "million": "million", "mn": "million", "m": "million",
                "billion": "billion", "bn": "billion", "trillion": "trillion", "tn": "trillion"}
_SCALED = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?(" + "|".join(_SCALE_WORDS) + r")\b", re.IGNORECASE)


def _scales(texts: Sequence[_Text]) -> dict[str, set[str]]:
    """Each number written with a scale -> its scales: "4 billion" and "$4bn" -> {"4": {"billion"}};
    "four million" -> {"4": {"million"}}. A claim's "4 billion" against a span's "4 million" is
    the same digit and another amount."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for number, scale in _SCALED.findall(text.a.text):
            found.setdefault(number.replace(",", ""), set()).add(_SCALE_WORDS[scale.lower()])
        tokens = text.a.tokens
        for t, after in zip(tokens, tokens[1:]):
            if t.lower in language.NUMBER_WORDS and after.lower in _SCALE_WORDS and len(after.lower) > 2:
                found.setdefault(str(language.NUMBER_WORDS[t.lower]), set()).add(_SCALE_WORDS[after.lower])
    return found


def _bare_span_word(source: _Source, word: str) -> bool:
    """The span says "decade" (one, with no number of its own: "the past decade", not "two decades")."""
    return any(t.lower == word and not any(x.a.tokens[c].dep == "nummod" for c in x.children[t.i])
               for x in source.texts for t in x.a.tokens)


def _both_of(claim: _Text, source: _Source) -> bool:
    """Whether the claim's "two" counts a noun the span says "both" of: "the two fires" for "both
    fires" (not a 2% for a span that says "in both cities")."""
    counted = {_key(claim.a.tokens[t.head].lemma) for t in claim.a.tokens
               if t.lower in ("two", "2") and t.dep == "nummod"}
    both = {_key(text.a.tokens[t.head].lemma) for text in source.texts for t in text.a.tokens
            if t.lower == "both" and t.dep in ("det", "predet", "preconj")}
    return bool(counted & both)


def _rival_entity(entity, source: _Source) -> str | None:
    """The span's entity of the same kind that shares most words with the claim's ("July 12" for "July 18")."""
    words = {_key(w) for w in entity.text.split()}
    best, best_shared = None, -1
    for t in source.texts:
        for e in t.a.entities:
            if e.label != entity.label or e.text == entity.text:
                continue
            shared = len(words & {_key(w) for w in e.text.split()})
            if shared > best_shared:
                best, best_shared = e.text, shared
    return best


def _claim_names(claim: _Text) -> list[tuple[str, list[str], list[Token]]]:
    """(as written, name words, tokens) for each named thing of the claim: entities with a name
    label, and runs of proper nouns the model left untagged."""
    a = claim.a
    found: list[tuple[str, list[str], list[Token]]] = []
    taken: set[int] = set()
    for e in a.entities:
        if e.label not in NAME_LABELS:
            continue
        tokens = a.tokens[e.token_start:e.token_end]
        words = [_key(t.text) for t in tokens if _is_name_token(t)]
        taken.update(range(e.token_start, e.token_end))
        if words:
            found.append((e.text, words, list(tokens)))
    run: list[Token] = []
    for t in list(a.tokens) + [None]:
        if t is not None and t.i not in taken and t.pos == "PROPN" and _is_name_token(t):
            run.append(t)
            continue
        if run:
            found.append((a.text[run[0].start:run[-1].end], [_key(x.text) for x in run], run))
            run = []
    return found


def _acronym_of(word: str, text: str) -> bool:
    """"UN" for "United Nations", "BBC" for "British Broadcasting Corporation" in ``text``."""
    if not (2 <= len(word) <= 6 and word.isalpha()):
        return False
    capitals = re.findall(r"\b[A-Z][\w'’-]*", text)
    initials = "".join(w[0] for w in capitals).casefold()
    return word.casefold() in initials


def _words_of(text: str) -> set[str]:
    words = re.findall(r"[\w'’-]+", text)
    return {_key(w) for w in words} | set(terms(text))


def _name_problems(claim: _Text, source: _Source) -> list[Problem]:
    """Names of the claim the span does not give. A span may refer to a name without writing it
    in full: "Levy" for "Andrea Levy" (the article gives the full name), "He said" for the
    person named in the sentences just before, "The airline" for the company named earlier in
    the article, "The mission" for "the DART mission"."""
    problems = []
    span_text = " ".join(t.a.text for t in source.texts)
    title_text = source.title.a.text if source.title else ""
    span_words = source.words | source.stems
    # the span's pronouns that may stand for a name of the sentences before, each for one name
    pronouns = [_key(t.text) for x in source.texts for t in x.a.tokens
                if _key(t.text) in _PERSON_PRONOUNS | _THING_PRONOUNS]
    first = source.texts[0].a.text if source.texts else ""
    before = source.article[: source.article.find(first)] if first and first in source.article else ""
    before_words = _words_of(before)
    context_words = _words_of(source.context)
    # the people the sentences before name: a short claim's parse may take "Vance said" for an organisation
    context = _read(source.context).a if source.context else None
    people = {_key(x.text) for e in (context.entities if context else ()) if e.label == "PERSON"
              for x in context.tokens[e.token_start:e.token_end]}
    for written, words, tokens in _claim_names(claim):
        in_span = [any(_same_word(w, s) for s in span_words) or (terms(w) and terms(w)[0] in span_words)
                   or _acronym_of(w, span_text + " " + title_text) for w in words]
        if all(in_span):
            continue
        if any(in_span) and _written_in(written, source.article) and not _variant_in(words, source):
            continue  # "Levy" or "the Charter" in the span, "Andrea Levy" or "the Energy Charter Treaty" in the article
        stand_in = _stand_in(pronouns, tokens, people)
        if stand_in is not None and _is_participant(claim, tokens) and all(w in context_words for w in words):
            pronouns.remove(stand_in)
            continue  # "He said ...", the person named in the sentences just before
        if all(w in before_words for w in words) and (
                _describes(claim, tokens, source) or _has_definite_noun_subject(source)
                or _described_in_its_place(claim, tokens, source, context)):
            continue
        problems.append(Problem("name", f"the source does not mention {written}"))
    return problems


def _stand_in(pronouns: list[str], tokens: Sequence[Token], people: set[str] = frozenset()) -> str | None:
    """A pronoun of the span that can stand for the name: he/she/I for a person (tagged so in the
    claim, or named as a person in ``people``, the sentences before), it/they for anything else
    ("its" is no stand-in for Coly Seck)."""
    named = [_key(t.text) for t in tokens if _is_name_token(t)]
    person = any(t.ent_type == "PERSON" for t in tokens) or (bool(named) and all(w in people for w in named))
    return next((p for p in pronouns if (p in _PERSON_PRONOUNS) == person), None)


def _written_in(name: str, text: str) -> bool:
    bare = re.sub(r"^(?:the|an?)\s+", "", name.strip(), flags=re.IGNORECASE)
    return bool(bare) and _key(bare) in _key(" ".join(text.split()))


def _variant_in(words: list[str], source: _Source) -> bool:
    """The span names something else with some of the same words: "the Italian Space Agency" for
    a claim's "European Space Agency"."""
    for text in source.texts:
        for e in text.a.entities:
            if e.label not in NAME_LABELS:
                continue
            theirs = [_key(t.text) for t in text.a.tokens[e.token_start:e.token_end] if _is_name_token(t)]
            if set(theirs) & set(words) and not _covers(set(theirs), set(words)):
                return True
    return False


def attribution_terms(claim: str) -> set[str]:
    """Stems of the claim's reporting verbs that report something ("said", "told"): who said it
    is for the checker to judge by names, so support scoring can leave these words out."""
    text = _read(claim)
    return {stem for t in text.a.tokens
            if t.pos == "VERB" and _key(t.lemma) in language.REPORTING_VERBS and _reports(text, t)
            for stem in terms(t.text)}


def reported_content(claim: str) -> str | None:
    """What a claim of the form "X said Y" reports (Y), or None: compared on its own, Y is not
    drowned by the attribution (a quote seldom names its speaker inside the marks)."""
    text = _read(claim)
    for c in text.a.clauses:
        if c.dep == "ROOT" and c.verb.split()[0] in language.REPORTING_VERBS:
            said = [i for i in text.children[c.verb_token] if text.a.tokens[i].dep in ("ccomp", "parataxis")]
            if said:
                tokens = text.subtree(said[0])
                return text.a.text[text.a.tokens[tokens[0]].start:text.a.tokens[tokens[-1]].end]
    return None


def clause_windows(sentence: str, min_words: int = 4) -> list[str]:
    """The sentence's clauses as passages of their own (each clause with what hangs off it): a
    claim that sums up one clause of a long sentence embeds closer to that clause than to the
    whole ("around 2 million Uighurs ... in Xinjiang province" out of a sentence about a letter)."""
    text = _read(sentence)
    a = text.a
    windows = []
    for c in a.clauses:
        # the clause with all it governs, and without the clauses coordinated with it
        for tokens in (text.subtree(c.verb_token), text.subtree(c.verb_token, frozenset({"conj", "cc"}))):
            if min_words <= len(tokens) < len(a.tokens) - 2:
                windows.append(a.text[a.tokens[tokens[0]].start:a.tokens[tokens[-1]].end].strip(" ,;:“”\"'"))
    return list(dict.fromkeys(windows))


def _is_participant(claim: _Text, tokens: Sequence[Token]) -> bool:
    """The name is a clause's subject or object, or a possessor: where a span may say "he", "it" or
    "his" instead (not "her song with Miley Cyrus")."""
    inside = {t.i for t in tokens}
    heads = [t for t in tokens if t.head not in inside or t.head == t.i]
    return any(t.dep in ("nsubj", "nsubjpass", "dobj", "poss", "dative") or (
        t.dep == "pobj" and claim.a.tokens[t.head].dep == "agent") for t in heads)


def _describes(claim: _Text, tokens: Sequence[Token], source: _Source) -> bool:
    """The name only modifies a noun the span has: "the DART mission" for the span's "the mission"."""
    heads = {t.head for t in tokens} - {t.i for t in tokens}
    return len(heads) == 1 and all(t.dep in ("compound", "nmod", "amod") for t in tokens) and \
        _key(claim.a.tokens[heads.pop()].lemma) in source.lemmas


def _described_in_its_place(claim: _Text, tokens: Sequence[Token], source: _Source, context) -> bool:
    """The span has a description ("the paper") where the claim has the name, as the same kind of
    participant of the same verb: "told the Daily Telegraph" for the span's "told the paper", when
    the sentences just before the span name it and no other name of its kind (two newspapers, two
    people: the description could be either)."""
    if context is None:
        return False
    written = {_key(t.text) for t in tokens}
    named = [e for e in context.entities if e.label in NAME_LABELS]
    ours = [e for e in named if written <= {_key(x.text) for x in context.tokens[e.token_start:e.token_end]}]
    if not ours:
        return False
    # the small model labels one paper LAW in a sentence and PRODUCT in the next: compare the kind
    kind = _name_kind(ours[0].label)
    others = {e.text.casefold() for e in named if _name_kind(e.label) == kind} - {e.text.casefold() for e in ours}
    if others:
        return False
    inside = {t.i for t in tokens}
    heads = [t for t in tokens if t.head not in inside and t.head != t.i]
    if len(heads) != 1:
        return False
    name, verb = heads[0], claim.a.tokens[heads[0].head]
    if verb.pos not in ("VERB", "AUX"):
        return False
    for text in source.texts:
        for u in text.a.tokens:
            above = text.a.tokens[u.head]
            if u.dep == name.dep and u.pos == "NOUN" and _key(above.lemma) == _key(verb.lemma) and any(
                    text.a.tokens[c].lower in ("the", "this", "that") for c in text.children[u.i]):
                return True
    return False


def _name_kind(label: str) -> str:
    """A person, a place, or an organisation or work (the small model mixes up ORG, PRODUCT, LAW)."""
    return "person" if label == "PERSON" else "place" if label in ("GPE", "LOC", "NORP") else "thing"


def _has_definite_noun_subject(source: _Source) -> bool:
    """The span's main subject is a description ("The airline", "The former military chief")
    that may stand for a name the article gave earlier."""
    for t in source.texts:
        for c in t.a.clauses:
            for s in c.subjects:
                first = t.a.tokens_in(s.start, s.end)[:1]
                if first and first[0].lower in ("the", "this", "that") and t.a.tokens[s.head].pos == "NOUN":
                    return True
    return False


def _negated(text: _Text, clause: Clause) -> bool:
    """The clause's polarity, also where the layer leaves it unmarked (its known gaps):

    * under a noun of a negative verb: "his failure to deliver", "their refusal to pay" negate as
      "failed to deliver" and "refused to pay" do;
    * under "without": "left without paying" does not pay; the gerund object of a negative verb:
      "denied lying" as "denied that he had lied";
    * a verb joined by "or"/"nor" to a negated one: "did not sign or support" does not support;
    * a subject under "neither ... nor": "Neither Qatar nor Oman signed" signs nothing, and an
      inverted "Neither does it cover X" (the parse makes "Neither" a subject) covers nothing;
    * "not all" / "not every" on a subject: "not all analysts were convinced" is not "all were";
    * the infinitive under an adjective that says it did not happen: "was unable to secure a deal"
      (``language.NEGATING_ADJECTIVES``; the layer negates only under verbs such as "fail to");
    * a predicate adjective or participle under a negated copula: "we are not opposed to it"
      (the layer puts the "not" on "are", the participle "opposed" is a clause of its own);
    * "has yet to" / "is yet to": "the drug has yet to be approved" is not approved;
    * a clause under "unless", which says "if not": "unless it started releasing prisoners" is
      "if it did not start releasing them";
    * an inverted "Nor has it made me a champion" (the layer reads "nor" only after a "not");
    * the clause an opinion verb with "not" reports (``language.NEG_RAISING_VERBS``): "I don't think
      we deserved it" says they did not deserve it.
    """
    a = text.a
    verb = a.tokens[clause.verb_token]
    governor = a.tokens[verb.head]
    lemma = _key(governor.lemma or governor.text)
    by_noun = governor.pos == "NOUN" and any(lemma[:4] == v[:4] and len(lemma) > len(v) - 2
                                             for v in language.NEGATING_VERBS)
    without = verb.dep == "pcomp" and governor.lower == "without"
    # "denied lying", "avoided paying": the gerund object of a negative verb, as its "to" or "that" clause
    gerund = verb.dep == "dobj" and governor.pos == "VERB" and _key(governor.lemma) in language.NEGATING_VERBS
    # "did not sign or support": a verb sharing the negated verb's subject (one with a subject of its
    # own, "... no exemptions for children ..., or who already have accounts", is another statement)
    carried = (clause.dep == "conj" and clause.parent is not None and a.clauses[clause.parent].negated
               and not clause.negated
               and not any(a.tokens[c].dep in ("nsubj", "nsubjpass") for c in text.children[verb.i])
               and any(a.tokens[c].lower in ("or", "nor") for c in text.children[verb.head] + text.children[verb.i]
                       if a.tokens[c].dep == "cc"))
    neither = any(a.tokens[d].lower == "neither" for s in clause.subjects for d in [s.head] + text.children[s.head]) \
        or any(a.tokens[d].lower == "neither" and d < verb.i for d in text.children[verb.i])
    not_all = _not_all(text, clause)
    unable = verb.dep == "xcomp" and governor.pos == "ADJ" and _key(governor.lemma) in language.NEGATING_ADJECTIVES
    copula = (verb.dep in ("acomp", "attr") and verb.head in text.clause_of_verb and verb.head != verb.i
              and text.clause_of_verb[verb.head].negated and not clause.negated)
    # "has yet to be approved", "is yet to decide": not so far
    yet = verb.dep == "xcomp" and _key(governor.lemma or governor.text) in ("have", "be") and any(
        a.tokens[c].lower == "yet" for c in text.children[governor.i])
    unless = verb.dep == "advcl" and any(a.tokens[c].lower == "unless" and a.tokens[c].dep == "mark"
                                         for c in text.children[verb.i])
    nor = not clause.negated and any(a.tokens[c].lower == "nor" and c < verb.i for c in text.children[verb.i])
    raised = (verb.dep == "ccomp" and clause.parent is not None and _key(governor.lemma) in language.NEG_RAISING_VERBS
              and _not_on(text, governor.i))
    # the opinion verb's own "not" is the reported clause's ("does not think they deserved it" is
    # "thinks they did not deserve it")
    lent = _key(verb.lemma) in language.NEG_RAISING_VERBS and _not_on(text, verb.i) and any(
        a.tokens[c].dep == "ccomp" and a.tokens[c].pos in ("VERB", "AUX") for c in text.children[verb.i])
    return clause.negated != (by_noun or without or gerund or carried or neither or not_all or unable or copula
                              or yet or unless or nor or raised or lent)


def _own_negation(text: _Text, clause: Clause) -> bool:
    """A "not"/"n't"/"never" on the clause's verb itself."""
    tokens = text.a.tokens
    return any(tokens[i].dep == "neg" or tokens[i].lower == "never" for i in text.children[clause.verb_token])


def _not_on(text: _Text, verb: int) -> bool:
    """The verb carries "not" / "n't" itself (not "never", not a "nobody" subject)."""
    return any(text.a.tokens[c].dep == "neg" and text.a.tokens[c].lower.replace("’", "'") in ("not", "n't")
               for c in text.children[verb])


# Quantifiers that "not" turns from all to some ("not all", "not every", "not everyone").
_UNIVERSAL = frozenset({"all", "every", "everyone", "everybody", "everything", "each"})


def _not_all(text: _Text, clause: Clause) -> bool:
    """The clause says "not all X" / "not every X" (wherever the parse hangs the "not": on the
    noun, the quantifier or an auxiliary)."""
    tokens = text.a.tokens
    return any(t.lower == "not" and t.i + 1 < len(tokens) and tokens[t.i + 1].lower in _UNIVERSAL
               and text.owner(t.i) == clause.verb_token for t in tokens)


def _verb_words(clause: Clause) -> set[str]:
    return {clause.verb, clause.verb.split()[0]}


def _saying(clause: Clause) -> bool:
    return clause.verb.split()[0] in language.SAYING_VERBS


def _reported_verbs(text: _Text, clause: Clause) -> set[str]:
    """The verbs of what a clause reports (its "that" clause): "argued [it is] worth" -> {"be"}."""
    return {c.verb.split()[0] for c in text.a.clauses
            if c.dep == "ccomp" and c.parent is not None and text.a.clauses[c.parent] is clause}


def _says_the_same(claim: _Text, c: Clause, text: _Text, s: Clause) -> bool:
    """A claim's saying verb ("said") against a span's reporting verb ("argued", "revealed") that
    reports a clause of the same verb, or whose speaker is the claim's: the same report, whoever
    the claim gives it to."""
    if not (_saying(c) and s.verb.split()[0] in language.REPORTING_VERBS):
        return False
    if _reported_verbs(claim, c) & _reported_verbs(text, s):
        return True
    return any(_relation(x, y) == "same" for x in _args(claim, c) if x.role == "agent" and not x.pronoun
               for y in _args(text, s) if y.role == "agent")


def _according_to(claim: _Text, c: Clause, source: _Source) -> bool:
    """Whether the span gives the claim's speaker's words "according to" them: then no clause of the
    span is the speaker's, and another speaker's report is not the claim's."""
    said = " ".join(t.a.text for t in source.texts).casefold()
    return "according to" in said and any(x.names and all(w in said for w in x.names)
                                          for x in _args(claim, c) if x.role == "agent")


def _align(claim: _Text, c: Clause, source: _Source, same_verb: bool):
    """The span clause that best matches claim clause ``c``: (text, clause, args, same, conflicts)
    or None. ``same_verb``: same verb lemma, or failing that another saying verb reporting the
    same (``_says_the_same``); else a verb of the opposite sense."""
    best = _best_aligned(claim, c, source, same_verb)
    if same_verb and _saying(c) and (best is None or best[4]) and not _according_to(claim, c, source):
        # no clause of the same verb, or only one with other participants: "Scaramucci said he would
        # like to meet" is the span's "Scaramucci wrote that he would like to meet", not its "Cuban said"
        other = _best_aligned(claim, c, source, same_verb, saying=True)
        if other is not None and (best is None or other[0] > best[0]):
            best = other
    return best


def _best_aligned(claim: _Text, c: Clause, source: _Source, same_verb: bool, saying: bool = False):
    mine = _args(claim, c)
    best = None
    for text, s in source.clauses:
        if saying:
            if not _says_the_same(claim, c, text, s):
                continue
        elif same_verb:
            if not (_verb_words(c) & _verb_words(s)):
                continue
        elif not any(_opposed(v, w) for v in _verb_forms(claim, c) for w in _verb_forms(text, s)) \
                or _passive_state(claim, c) or _passive_state(text, s):
            continue
        theirs = _args(text, s)
        same, conflicts = _compare_roles(mine, theirs)
        if same_verb and conflicts and c.passive != s.passive and _ergative(claim, c, mine, text, theirs):
            # "the festival opens with a film" is "the festival is opened by a film": the subject
            # of a verb with no object is the one the passive acts on
            ergative = _compare_roles(_as_subjects(mine, c, by_agent=True), _as_subjects(theirs, s, by_agent=True))
            if len(ergative[1]) < len(conflicts):
                same, conflicts = ergative
        if not same_verb and same == 0 and (c.passive != s.passive):
            # "the match was called off" against "the match will go ahead": the subject of a verb
            # with no object is the one the passive acts on
            same, conflicts = _compare_roles(_as_subjects(mine, c), _as_subjects(theirs, s))
        if (c.verb.split()[0] in language.PRIMARY_VERBS or not same_verb) and same == 0:
            continue  # "be", "have": only a clause about the same things is the same statement
        score = (same - 2 * len(conflicts), _negated(claim, c) == _negated(text, s))
        if best is None or score > best[0]:
            best = (score, text, s, same, conflicts)
    return best


def _ergative(claim: _Text, c: Clause, mine: list[_Arg], text: _Text, theirs: list[_Arg]) -> bool:
    """Whether the active one of two clauses (one passive) has a verb with no object whose subject
    is the passive's: "the festival opens with a film" / "the festival is opened by a film". Only
    when the passive's actor is what the active clause does it "with": not "Chelsea beat Arsenal",
    parsed without its object, against "Chelsea were beaten by Arsenal", nor "the officer shot at
    the suspect" against "the officer was shot by the suspect"."""
    (active_text, active), (passive_text, passive) = ((text, theirs), (claim, mine)) if c.passive \
        else ((claim, mine), (text, theirs))
    if any(x.role == "patient" for x in active):
        return False
    actors = [_identity(passive_text, y) for y in passive if y.role == "agent"]
    return bool(actors) and all(words and any(x.role == "prep:with" and _covers(words, _identity(active_text, x))
                                              for x in active) for words in actors)


# Adverbs that make a phrasal verb with their verb as particles do ("go ahead").
_PARTICLE_ADVERBS = frozenset({"ahead", "off", "on", "back", "away", "out", "forward"})


def _verb_forms(text: _Text, clause: Clause) -> set[str]:
    """The clause's verb as the opposite lists may name it: "call off", "call", and with an
    adverb particle the parse did not mark ("go ahead")."""
    verb = clause.verb.split()[0]
    forms = {clause.verb, verb}
    forms |= {f"{verb} {text.a.tokens[i].lower}" for i in text.children[clause.verb_token]
              if text.a.tokens[i].dep == "advmod" and text.a.tokens[i].lower in _PARTICLE_ADVERBS}
    return forms


def _shown_verb(text: _Text, clause: Clause) -> str:
    """The verb as written, with its particle: "go ahead", "called off"."""
    a = text.a
    parts = [clause.verb_token] + [i for i in text.children[clause.verb_token] if a.tokens[i].dep == "prt" or (
        a.tokens[i].dep == "advmod" and a.tokens[i].lower in _PARTICLE_ADVERBS)]
    return " ".join(a.tokens[i].text for i in sorted(parts))


def _as_subjects(args: list[_Arg], clause: Clause, by_agent: bool = False) -> list[_Arg]:
    """Participants with the passive's patient and an intransitive's agent both as "subject";
    ``by_agent``: also a passive's patient that has its "by" phrase."""
    if clause.passive and (by_agent or not any(x.role == "agent" for x in args)):
        return [replace(x, role="subject") if x.role == "patient" else x for x in args]
    if not clause.passive and not any(x.role == "patient" for x in args):
        return [replace(x, role="subject") if x.role == "agent" else x for x in args]
    return args


def _passive_state(text: _Text, clause: Clause) -> bool:
    """A participle that names a state, not the act ("only 40 tickets are left", "two minutes
    left": what remains): ``language.STATE_PARTICIPLES`` in the passive or as a bare participle."""
    verb = text.a.tokens[clause.verb_token]
    return _key(verb.lemma) in language.STATE_PARTICIPLES and (clause.passive or verb.tag == "VBN")


def _compare_roles(mine: list[_Arg], theirs: list[_Arg]) -> tuple[int, list[tuple[_Arg, _Arg | None, str]]]:
    """How many of the claim's participants the span has in the same role, and the conflicts:
    (claim participant, span participant, "different" | "moved"). A role agrees when one of the
    claim's participants in it is the span's ("Ronaldo and Beckham" for a span whose parse only
    found Beckham)."""
    same = 0
    conflicts = []

    def _relation(x: _Arg, y: _Arg) -> str:
        return _relation_among(x, y, theirs)

    for role in dict.fromkeys(x.role for x in mine):
        group = [x for x in mine if x.role == role]
        here = [y for y in theirs if y.role == role]
        found = sum(1 for x in group if any(_relation(x, y) == "same" for y in here))
        if found:
            same += found
            # "the ministry has been awarded contracts by a company" against "the ministry awarded
            # contracts to a company": the contracts agree, the ministry went from actor to acted on
            for x in group:
                if x.names and not x.inferred and not any(_relation(x, y) == "same" for y in here):
                    crossed = [y for y in theirs if {x.role, y.role} == {"agent", "patient"} and not y.inferred
                               and _relation(x, y) == "same"]
                    if crossed:
                        conflicts.append((x, crossed[0], "moved"))
            continue
        for x in group:
            relations = [_relation(x, y) for y in here]
            elsewhere = [y for y in theirs if y.role != role and _relation(x, y) == "same"]
            rivals = [y for y in here if not y.pronoun]
            if elsewhere and rivals and (
                    any(_relation(z, w) == "same" for z in rivals for w in mine if w.role != role)
                    or any(r == "different" for r in relations)):
                # the claim's participant plays another role in the span, and the span's
                # participant of this role is the claim's other one, or another name: swapped
                conflicts.append((x, elsewhere[0], "moved"))
            elif "different" in relations:
                conflicts.append((x, here[relations.index("different")], "different"))
    return same, conflicts


def _nested_swap(mine: list[_Arg], theirs: list[_Arg]) -> tuple[_Arg, _Arg] | None:
    """Two named participants that trade places, wherever the parse hangs them inside their
    phrases: "JP Morgan are seeking damages from Enron's shareholders" against "Enron's
    shareholders are seeking damages from defendants including JP Morgan". A name of the claim's
    role is not in the span's phrase of that role but in another one, and a name of the span's
    phrase of that role is in another phrase of the claim. Returns (the claim's participant, the
    span's participant now in another role)."""
    def slot(args: list[_Arg], role: str) -> set[str]:
        return {w for x in args if x.role == role for w in x.deep}

    def held(word: str, words: Iterable[str]) -> bool:
        return any(_same_word(word, o) for o in words)

    for role in dict.fromkeys(x.role for x in mine):
        ours, span = slot(mine, role), slot(theirs, role)
        if not ours or not span:
            continue
        for x in (x for x in mine if x.role == role):
            gone = [w for w in x.deep if not held(w, span)]
            elsewhere = [y for y in theirs if y.role != role and any(held(w, y.deep) for w in gone)]
            came = [w for w in span if not held(w, ours)]
            back = [z for z in mine if z.role != role and any(held(w, z.deep) for w in came)]
            if gone and elsewhere and came and back:
                return x, elsewhere[0]
    return None


def _swapped_kinds(claim: _Text, mine: list[_Arg], text: _Text, theirs: list[_Arg]) -> tuple[_Arg, _Arg] | None:
    """Two kinds of one thing that trade places: "adult male killers are more likely ... than adult
    females" against "adult female killers are more likely ... than adult males". The claim's
    participant and the span's have the same noun in the same role, each with an adjective the
    other lacks, and each of those adjectives is a word of the other sentence outside that
    participant. Returns (the claim's participant, the span's)."""
    for x in mine:
        for y in theirs:
            if x.role != y.role or x.names or y.names or x.pronoun or y.pronoun or x.key != y.key:
                continue
            ours, its = x.kinds - y.kinds, y.kinds - x.kinds
            if ours and its and _said_outside(text, ours, y.head) and _said_outside(claim, its, x.head) \
                    and not _described(claim, x.key, y.kinds):
                return x, y
    return None


def _described(text: _Text, key: str, kinds: frozenset[str]) -> bool:
    """Whether ``text`` has a noun ``key`` with all of ``kinds`` (the claim speaks of the span's
    kind of the thing too: then two clauses of the claim tell of the two, nothing is swapped)."""
    return any(t.pos in ("NOUN", "PROPN") and _noun_key(text, t.i) == key and kinds <= _adjectives(text, t.i)
               for t in text.a.tokens)


def _said_outside(text: _Text, words: set[str], phrase: int) -> bool:
    """Whether every word is a word (or lemma) of ``text`` outside the phrase headed by ``phrase``."""
    inside = set(text.subtree(phrase))
    said = {_key(w) for t in text.a.tokens if t.i not in inside for w in (t.text, t.lemma or t.text)}
    return all(w in said for w in words)


def _identity(text: _Text, x: _Arg) -> set[str]:
    """What a participant is called: its name words, or a common noun's lemma ("administrator")."""
    if x.names:
        return set(x.names)
    if x.head < 0 or text.a.tokens[x.head].pos not in ("NOUN", "PROPN"):
        return set()
    tok = text.a.tokens[x.head]
    return {_key(tok.lemma or tok.text)}


def _named_outside(text: _Text, words: set[str], phrase: int) -> bool:
    """Whether every word is a noun (or name) of ``text`` outside the phrase headed by ``phrase``
    and the phrases coordinated with it (-1: anywhere)."""
    inside = {i for j in _coordination(text, phrase) for i in text.subtree(j)} if phrase >= 0 else set()
    nouns = {_key(w) for t in text.a.tokens if t.i not in inside and t.pos in ("NOUN", "PROPN")
             for w in (t.text, t.lemma or t.text)}
    return all(any(_same_word(w, n) for n in nouns) for w in words)


def _coordination(text: _Text, head: int) -> list[int]:
    """The heads of the phrases coordinated with ``head``, itself included ("strong winds, low
    humidity and high temperatures"), however the parse chains them: as conjuncts, or as two
    subjects of one verb."""
    tokens = text.a.tokens
    first = head
    while tokens[first].dep == "conj" and tokens[first].head != first:
        first = tokens[first].head
    above = tokens[first].head
    siblings = [c for c in text.children[above] if tokens[c].dep == tokens[first].dep] if above != first else []
    return [h for f in (siblings or [first]) for h in [f] + _conjuncts(text, f)]


def _swapped_in_sentence(claim: _Text, c: Clause, mine: list[_Arg], text: _Text, s: Clause, theirs: list[_Arg]
                         ) -> tuple[_Arg, _Arg] | None:
    """Two participants that trade places between clauses of the sentence: "the institutions
    can seek to get back money paid to administrators" against "administrators can seek to get
    back money paid to the institutions", "McCartney said he wanted to meet the spokesman"
    against "the spokesman said they wanted to meet McCartney". The claim's actor (or acted-on)
    is not the span's, but the span names it elsewhere, and the claim names the span's one
    elsewhere. Only clauses of one voice; a participant read through a pronoun only in two
    relative clauses ("phones which can hold 40GB"). Returns (the claim's participant, the span's)."""
    if c.passive != s.passive:
        return None
    for x in mine:
        if x.role not in ("agent", "patient") or x.pronoun:
            continue
        here = [y for y in theirs if y.role == x.role and not y.pronoun]
        if not here or any(_relation(z, y) == "same" for z in mine if z.role == x.role for y in theirs
                           if y.role == x.role):
            continue  # one of the claim's participants of the role is the span's ("money and laundering")
        for y in here:
            ours, its = _identity(claim, x), _identity(text, y)
            if x.inferred != y.inferred or (x.inferred and not c.dep == s.dep == "relcl") \
                    or not ours or not its or _covers(ours, its) or _covers(its, ours):
                continue
            if _named_outside(text, ours, y.head) and _named_outside(claim, its, x.head) and (
                    not (acting := _verbs_played(claim, its, x.role))
                    or _exchanged(acting, _verbs_played(text, ours, x.role), c.verb)):
                return x, y
    return None


def _exchanged(mine: set[str], theirs: set[str], verb: str) -> bool:
    """Whether the two trade a second verb too: "the authorities insisted ..., but Yukos argued"
    against "Yukos insisted ..., but the authorities argued". ``mine``: the verbs the span's
    participant has the role for in the claim; ``theirs``: those the claim's participant has it
    for in the span. A shared one other than ``verb``, and neither has ``verb`` on the other side
    (then the two are coordinated, "winds and humidity fuelled", and the parse split them)."""
    return verb not in theirs and verb not in mine and bool((mine & theirs) - {verb})


def _verbs_played(text: _Text, words: set[str], role: str) -> set[str]:
    """The verbs of ``text`` for which a participant so called has ``role``. When the claim has
    the span's actor acting too, a span the parse misread is likelier than a swap, unless the two
    trade that verb (``_exchanged``)."""
    return {c.verb for c in text.a.clauses for x in _args(text, c)
            if x.role == role and _covers(words, _identity(text, x) | set(x.deep))}


def _agent_moved(claim: _Text, mine: list[_Arg], theirs: list[_Arg]) -> tuple[_Arg, _Arg] | None:
    """The span's named actor turned into a modifier of another participant, and another actor
    described instead: "the federal district court overturned the ruling of the appeals court"
    against "the appeals court overturned the ruling". The claim's actor must be described by
    words the span's actor does not have (a bare "the company" may stand for the name)."""
    actors = [y for y in theirs if y.role == "agent" and y.names and not y.pronoun and not y.inferred]
    ours = [x for x in mine if x.role == "agent"]
    if not actors or not ours or any(x.pronoun or x.inferred or x.names for x in ours):
        return None
    for y in actors:
        if any(_relation(x, y) == "same" for x in ours):
            return None
        moved = [z for z in mine if z.role != "agent" and _covers(set(y.names), z.deep)]
        if not moved:
            continue
        for x in ours:
            described = {_key(claim.a.tokens[i].lemma or claim.a.tokens[i].text) for i in claim.children[x.head]
                         if claim.a.tokens[i].dep in ("amod", "compound")} if x.head >= 0 else set()
            if described and not described & {_key(w) for w in re.findall(r"[\w'’-]+", y.text)}:
                return x, y
    return None


def _role_words(role: str) -> str:
    return {"agent": "the one who acts", "patient": "the one acted on", "attr": "what it is"}.get(
        role, f"the one after \"{role.split(':', 1)[-1]}\"")


def _clause_span(text: _Text, clause: Clause) -> tuple[int, int]:
    """From the clause's first participant or its verb to its last participant."""
    tokens = text.subtree(clause.verb_token, frozenset({"relcl", "advcl", "conj", "cc", "ccomp", "parataxis"}))
    a = text.a
    start = min(a.tokens[i].start for i in tokens)
    end = max(a.tokens[i].end for i in tokens)
    return start, end


def _clause_problems(claim: _Text, source: _Source) -> list[Problem]:
    problems = []
    alignments = [(c, _align(claim, c, source, same_verb=True)) for c in claim.a.clauses]
    # span clauses another claim clause says with the same verb: "starts ... and ends" against
    # "starts ... and culminates" is no "ends" against "starts", when the span has a clause of its
    # own left for "ends" ("culminates"); "admitted the error and denied it" against "admitted the
    # error" is still an opposite
    told = {(id(found[1]), found[2].verb_token) for _, found in alignments if found is not None}
    left = {id(t) for t, s in source.clauses if (id(t), s.verb_token) not in told
            and s.verb.split()[0] not in language.PRIMARY_VERBS | language.REPORTING_VERBS}
    for c, aligned in alignments:
        if aligned is None:
            opposite = _align(claim, c, source, same_verb=False)
            if opposite is not None:
                _, text, s, same, conflicts = opposite
                if not conflicts and _negated(claim, c) == _negated(text, s) and not ((id(text), s.verb_token) in told and id(text) in left):
                    problems.append(Problem(
                        "opposite", f'the source says {_shown_verb(text, s)}, not {_shown_verb(claim, c)}: '
                                    f'"{text.snippet(*_clause_span(text, s))}"'))
            elif (_negated(claim, c) and set(c.negations) - {"no", "nothing", "none"}
                  and _key(c.verb.split()[0]) in _verb_lemmas(source) and not any(_negated(t, s) for t, s in source.clauses)):
                # "would not return" against "vowing to return": the verb is there, in a clause
                # the parse does not line up with the claim's, and nothing in the span is negated
                start, end = _clause_span(claim, c)
                problems.append(Problem("negation", f'the source does not say "{claim.snippet(start, end)}"'))
            continue
        _, text, s, same, conflicts = aligned
        snippet = text.snippet(*_clause_span(text, s))
        if not conflicts:
            mine, theirs = _args(claim, c), _args(text, s)
            swapped = _nested_swap(mine, theirs)
            if swapped is not None:
                x, y = swapped
                problems.append(Problem(
                    "roles", f'in the source, {x.text} is {_role_words(y.role)}, not {_role_words(x.role)}: '
                             f'"{snippet}"'))
                continue
            swapped = _swapped_kinds(claim, mine, text, theirs)
            if swapped is not None:
                x, y = swapped
                problems.append(Problem("roles", f'the source says {y.text}, not {x.text}: "{snippet}"'))
                continue
            swapped = _swapped_in_sentence(claim, c, mine, text, s, theirs)
            if swapped is not None:
                x, y = swapped
                problems.append(Problem(
                    "roles", f'in the source, {y.text} is {_role_words(y.role)}, not {x.text}: "{snippet}"'))
                continue
            moved = _agent_moved(claim, mine, theirs)
            if moved is not None:
                x, y = moved
                problems.append(Problem("roles", f'in the source, {y.text} is the one who acts, not {x.text}: '
                                                 f'"{snippet}"'))
                continue
        for x, y, how in conflicts:
            if how == "different":
                problems.append(Problem("roles", f'the source says {y.text}, not {x.text}: "{snippet}"'))
            else:
                problems.append(Problem(
                    "roles", f'in the source, {x.text} is {_role_words(y.role)}, not {_role_words(x.role)}: '
                             f'"{snippet}"'))
        same_verb = bool(_verb_words(c) & _verb_words(s))
        if not conflicts and (_negated(claim, c) != _negated(text, s) if same_verb
                              else _own_negation(claim, c) != _own_negation(text, s)):
            # a clause matched through another saying verb: only the verb's own "not"/"never" is
            # compared ("did not argue" / "said"), not a polarity the parse carried from above it
            problems.append(Problem("negation", f'the source says the opposite: "{snippet}"'))
    return problems


# Prefixes that turn an adjective into its opposite ("unlikely", "illegal", "inactive", "dishonest").
_NEGATIVE_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non")


def _verb_lemmas(source: _Source) -> set[str]:
    return {_key(t.lemma or t.text) for x in source.texts for t in x.a.tokens if t.pos == "VERB"}


def _word_polarity_problems(claim: _Text, source: _Source) -> list[Problem]:
    """Polarity carried by a word rather than a clause:

    * a noun the span denies with "no" ("has no plans to close") that the claim states ("plans
      to close", "plans"), when the claim itself negates nothing;
    * an adjective against its prefixed opposite ("likely" / "unlikely", "legal" / "illegal").
    """
    problems = []
    claim_negates = any(_negated(claim, c) for c in claim.a.clauses) or any(
        t.lower in language.NEGATION_WORDS for t in claim.a.tokens)
    claim_lemmas = {_key(t.lemma or t.text) for t in claim.a.tokens if t.pos in ("NOUN", "VERB")}
    for text in source.texts:
        a = text.a
        for t in a.tokens:
            if t.lower == "no" and t.dep == "det" and not claim_negates:
                noun = a.tokens[t.head]
                if _key(noun.lemma or noun.text) in claim_lemmas:
                    problems.append(Problem("negation", f'the source says "no {noun.text}"'))
    problems += _opposite_words(claim, source)
    problems += _light_verb_problems(claim, source)
    problems += _with_without_problems(claim, source)
    problems += _denied_complement_problems(claim, source)
    problems += _contrast_problems(claim, source, claim_negates)
    problems += _predicate_polarity_problems(claim, source)
    # and a preposition against its "un" form ("like" / "unlike"; "into" is no negated "to")
    claim_words = {_key(t.lemma or t.text): (t.text, t.pos) for t in claim.a.tokens if t.pos in ("ADJ", "ADP")}
    source_words = {_key(t.lemma or t.text): (t.text, t.pos) for x in source.texts for t in x.a.tokens
                    if t.pos in ("ADJ", "ADP")}
    for mine, (written, pos) in claim_words.items():
        if mine in source_words:
            continue
        for theirs, (shown, their_pos) in source_words.items():
            prefixes = _NEGATIVE_PREFIXES if pos == their_pos == "ADJ" else ("un",)
            if any(theirs == p + mine or mine == p + theirs for p in prefixes) and min(len(mine), len(theirs)) >= 4:
                problems.append(Problem("opposite", f'the source says "{shown}", not "{written}"'))
    return problems


# Verbs that say little but that their object names an act: "submit a bid" is "bid", "give
# serious consideration to" is "consider", "express support" is "support".
_LIGHT_VERBS = frozenset({"give", "make", "take", "submit", "put", "place", "lodge", "file", "launch", "mount",
                          "issue", "express", "voice", "show", "offer", "pay"})
_ACT_NOUN_ENDINGS = ("ion", "tion", "ation", "ition", "sion", "al", "ance", "ence", "ment", "ure")


def _names_the_act(noun: str, verb: str) -> bool:
    """The noun is the verb's act: "bid" / "bid", "consideration" / "consider", "approval" /
    "approve" (the verb, less a final "e", and an ending that makes a noun of it; not
    "importance" / "import")."""
    if noun == verb or language.verb_sense(noun) == verb:
        return True
    stem = verb[:-1] if verb.endswith("e") else verb
    return len(stem) >= 4 and noun.startswith(stem) and noun[len(stem):] in _ACT_NOUN_ENDINGS


def _acts(text: _Text) -> list[tuple[str, Clause, bool]]:
    """(act, clause, light) for each clause: its verb, and for a light verb with an object also
    the object's noun ("submit a bid": "bid", light)."""
    a = text.a
    found = []
    for c in a.clauses:
        verb = _key(c.verb.split()[0])
        found.append((verb, c, False))
        if verb in _LIGHT_VERBS:
            found += [(_key(a.tokens[i].lemma or a.tokens[i].text), c, True) for i in text.children[c.verb_token]
                      if a.tokens[i].dep == "dobj" and a.tokens[i].pos == "NOUN"]
    return found


def _light_verb_problems(claim: _Text, source: _Source) -> list[Problem]:
    """An act said with a light verb on one side and its own verb on the other, of the other
    polarity: "went on to submit a bid" against "ended up not bidding", "was not considering it"
    against "giving serious consideration to it". Only where every clause of the span that tells
    of the act has the other polarity. And an act of opposite sense with the same polarity, told of
    a participant the claim's clause shares: "Travelers lost $901m" against "Travelers made a
    profit of $901m"."""
    problems = []
    theirs = [(act, text, s, light) for text in source.texts for act, s, light in _acts(text)]
    for act, c, light in _acts(claim):
        opposed = [(text, s) for other, text, s, their_light in theirs if light != their_light
                   and language.are_opposites(act, other) and _negated(text, s) == _negated(claim, c)
                   and _compare_roles(_args(claim, c), _args(text, s))[0] > 0]  # about the same participant
        # the span telling of the act in its own words or another of its sense is no contradiction
        if opposed and not any(language.are_alike(act, other) and not language.are_opposites(act, other)
                               for other, _, _, _ in theirs):
            text, s = opposed[0]
            problems.append(Problem("opposite", f'the source says "{text.snippet(*_clause_span(text, s))}"'))
            continue
        found = [(text, s) for other, text, s, their_light in theirs if light != their_light
                 and (_names_the_act(act, other) if light else _names_the_act(other, act))]
        mine = _negated(claim, c)
        if not found or any(_negated(text, s) == mine for text, s in found):
            continue
        if any(other == act and their_light == light for other, _, _, their_light in theirs):
            continue  # the span also tells of it the same way
        text, s = found[0]
        problems.append(Problem("negation", f'the source says the opposite: "{text.snippet(*_clause_span(text, s))}"'))
    return problems


def _denied_complement_problems(claim: _Text, source: _Source) -> list[Problem]:
    """An adjective complement that carries its own "not", against the same adjective without it,
    after a verb of the same lemma: "pleaded not guilty" / "pleaded guilty", "was found not
    guilty" / "was found guilty". (A "not" on the verb is the clause's polarity, compared
    elsewhere; one under a negated verb counts as denied.)"""
    def denied(text: _Text, t: Token) -> tuple[bool, bool]:
        own = any(text.a.tokens[c].dep == "neg" or text.a.tokens[c].lower == "not" for c in text.children[t.i])
        owner = text.owner(t.i)
        clause = text.clause_of_verb.get(owner) if owner is not None else None
        return own, own != (clause is not None and _negated(text, clause))

    problems = []
    for t in claim.a.tokens:
        if t.pos != "ADJ" or t.dep not in ("acomp", "oprd"):
            continue
        head = _key(claim.a.tokens[t.head].lemma or claim.a.tokens[t.head].text)
        mine_own, mine = denied(claim, t)
        for text in source.texts:
            for u in text.a.tokens:
                if u.pos != "ADJ" or u.dep not in ("acomp", "oprd") or _key(u.lemma) != _key(t.lemma) \
                        or _key(text.a.tokens[u.head].lemma or text.a.tokens[u.head].text) != head:
                    continue
                theirs_own, theirs = denied(text, u)
                if (mine_own or theirs_own) and mine != theirs:
                    start = min(text.a.tokens[c].start for c in [u.i] + list(text.children[u.i]))
                    problems.append(Problem("negation", f'the source says "{text.snippet(start, u.end)}"'))
    return problems


# A preposition and the one that denies it: "left with a deal" / "left without a deal".
_PREPOSITION_OPPOSITES = {"with": "without", "without": "with"}


def _prepositional_objects(text: _Text, prep: int) -> set[str]:
    """The lemmas of the nouns a preposition governs, unless "no" denies them ("with no deal")."""
    a = text.a
    objects = [o for o in text.children[prep] if a.tokens[o].dep == "pobj" and a.tokens[o].pos in ("NOUN", "PROPN")]
    return {_key(a.tokens[o].lemma or a.tokens[o].text) for o in objects
            if not any(a.tokens[d].lower in ("no", "not") for d in text.children[o])}


def _source_says_phrase(text: _Text, prep: int) -> Problem:
    """The negation problem quoting the prepositional phrase of the source ("without an agreement")."""
    phrase = text.subtree(prep, frozenset({"relcl", "acl", "conj", "cc"}))
    start, end = text.a.tokens[phrase[0]].start, text.a.tokens[phrase[-1]].end
    return Problem("negation", f'the source says "{text.snippet(start, end)}"')


def _with_without_problems(claim: _Text, source: _Source) -> list[Problem]:
    """"emerged with an agreement" against "emerged without an agreement" (or the reverse): the
    same noun after the preposition and after its denial, and not after the claim's own. And
    "ended in a deal" against "ended without a deal": the noun after another preposition of the
    same verb."""
    problems = []
    for text in source.texts:
        for u in text.a.tokens:
            if u.lower != "without" or u.dep != "prep":
                continue
            denied = _prepositional_objects(text, u.i)
            verb = _key(text.a.tokens[u.head].lemma or text.a.tokens[u.head].text)
            for t in claim.a.tokens:
                if t.dep == "prep" and t.lower not in _PREPOSITION_OPPOSITES and t.head != t.i \
                        and _key(claim.a.tokens[t.head].lemma or claim.a.tokens[t.head].text) == verb \
                        and claim.a.tokens[t.head].pos in ("VERB", "AUX") and denied & _prepositional_objects(claim, t.i) \
                        and claim.owner(t.i) is not None and not _negated(claim, claim.clause_of_verb[claim.owner(t.i)]):
                    problems.append(_source_says_phrase(text, u.i))
    for t in claim.a.tokens:
        other = _PREPOSITION_OPPOSITES.get(t.lower)
        if other is None or t.dep != "prep":
            continue
        mine = _prepositional_objects(claim, t.i)
        same = {n for u in claim.a.tokens if u.lower == other and u.dep == "prep" for n in _prepositional_objects(claim, u.i)}
        for text in source.texts:
            for u in text.a.tokens:
                if u.lower != other or u.dep != "prep":
                    continue
                shared = (mine & _prepositional_objects(text, u.i)) - same
                kept = {n for w in text.a.tokens if w.lower == t.lower and w.dep == "prep"
                        for n in _prepositional_objects(text, w.i)}
                if shared - kept:
                    problems.append(_source_says_phrase(text, u.i))
    return problems


def _contrast_problems(claim: _Text, source: _Source, claim_negates: bool) -> list[Problem]:
    """A contrast "not X but Y" in the span, where the claim states X: "the blue lies not in
    blue pigments, but rather in the structure of the hair" against "the blue comes from blue
    pigments". The "not" negates a phrase, not a verb (the parse hangs it on the preposition or
    the noun), and a phrase joined by "but" follows; the claim has a noun of X that Y lacks and
    not Y's own noun."""
    if claim_negates:
        return []
    nouns = {_key(t.lemma or t.text) for t in claim.a.tokens if t.pos in ("NOUN", "PROPN")}
    problems = []
    for text in source.texts:
        a = text.a
        for t in a.tokens:
            if t.dep != "neg" or t.head in text.clause_of_verb or t.head == t.i:
                continue
            head = t.head
            rivals = [c for c in text.children[head] if a.tokens[c].dep == "conj"]
            if not any(a.tokens[c].lower == "but" for c in text.children[head]) or not rivals:
                continue
            denied = text.subtree(head, frozenset({"conj", "cc"}))
            rival = [i for r in rivals for i in text.subtree(r)]
            rival_heads = {_key(a.tokens[i].lemma) for r in rivals for i in [r] + text.children[r]
                           if a.tokens[i].pos in ("NOUN", "PROPN")}
            denied_nouns = {_key(a.tokens[i].lemma) for i in denied if a.tokens[i].pos in ("NOUN", "PROPN")}
            rival_nouns = {_key(a.tokens[i].lemma) for i in rival}
            if (denied_nouns - rival_nouns) & nouns and not rival_heads & nouns:
                start = min(a.tokens[t.i].start, a.tokens[denied[0]].start)
                end = a.tokens[max(rival)].end
                problems.append(Problem("negation", f'the source says "{text.snippet(start, end)}"'))
    return problems


def _predicate_polarity_problems(claim: _Text, source: _Source) -> list[Problem]:
    """A predicate adjective the claim states and the span denies, or the reverse, whoever the
    subject ("he is jealous" against "I don't have to be jealous", "he is not envious"): the
    adjective's clause, or the clause it is the complement of, is negated in every place the
    span has the adjective."""
    problems = []
    for c in claim.a.clauses:
        if c.verb != "be":
            continue
        mine = _predicate_negated(claim, c)[0]
        for i in claim.children[c.verb_token]:
            t = claim.a.tokens[i]
            if t.dep != "acomp" or t.pos != "ADJ":
                continue
            found = []
            for text in source.texts:
                for u in text.a.tokens:
                    if u.pos == "ADJ" and _key(u.lemma) == _key(t.lemma) and text.owner(u.i) is not None:
                        found.append((text, *_predicate_negated(text, text.clause_of_verb[text.owner(u.i)])))
            if found and all(negated != mine for _, negated, _ in found):
                text, _, where = found[0]
                problems.append(Problem("negation", f'the source says "{text.snippet(*_clause_span(text, where))}"'))
    return problems


def _predicate_negated(text: _Text, clause: Clause) -> tuple[bool, Clause]:
    """(negated, the clause that carries it): the clause itself, or for a complement ("don't have
    to be jealous") the negated clause above it."""
    if _negated(text, clause):
        return True, clause
    if clause.dep == "xcomp" and clause.parent is not None and _negated(text, text.a.clauses[clause.parent]):
        return True, text.a.clauses[clause.parent]
    return False, clause


def _opposite_words(claim: _Text, source: _Source) -> list[Problem]:
    """A noun, adjective or adverb of opposite sense in the same place: "executions are on the rise"
    against "on the decline", "support for the war" against "opposition to it" (the nouns of
    ``OPPOSITE_VERBS``' acts), "more likely" against "less likely", "the public are eager" against
    "reluctant", "higher rents" against "lower rents" (``OPPOSITE_ADJECTIVES``). The same place
    is the same relation to a head of the same lemma, so "a rise in sales and a fall in costs"
    does not oppose "sales rose". When the span has the claim's word too, elsewhere ("a higher
    intake ... a lower risk"), the places must also agree one level up and the clauses' actors
    must not be two kinds of one thing ("small firms pay less, large firms pay more"). A word
    the sentence negates ("has not been fast") is left to the negation check."""
    problems = []
    for t in claim.a.tokens:
        lemma = _key(t.lemma or t.text)
        if t.pos not in ("NOUN", "ADJ", "ADV"):
            continue
        dep, head = _place(claim, t)
        if any(_at_place(text, lemma, head, dep, _prep_objects(claim, t)) for text in source.texts):
            continue  # the span says the claim's word there too
        elsewhere = lemma in source.lemmas
        for text in source.texts:
            for u in text.a.tokens:
                theirs = _key(u.lemma or u.text)
                their_dep, their_head = _place(text, u)
                if u.pos != t.pos or not _same_place(their_dep, dep) or their_head != head \
                        or _at_place(claim, theirs, head, their_dep) or not _opposite_senses(t.pos, lemma, theirs):
                    continue
                if _word_negated(claim, t) or _word_negated(text, u):
                    continue
                if elsewhere and (_grandhead(claim, t) != _grandhead(text, u) or _actors_differ(claim, t, text, u)):
                    continue
                problems.append(Problem("opposite", f'the source says "{u.text}", not "{t.text}"'))
    return problems


def _place(text: _Text, t: Token) -> tuple[str, str]:
    """A word's relation and its head's lemma, read through "and" ("faster in cities, and slower":
    "slower" is where "faster" is)."""
    tokens = text.a.tokens
    while t.dep == "conj" and t.head != t.i:
        above = tokens[t.head]
        if t.pos == "ADJ" and above.pos in ("VERB", "AUX"):
            # "is faster in cities, and slower in rural areas", parsed as a second predicate of "is"
            return "acomp", _key(above.lemma or above.text)
        t = above
    return t.dep, _key(tokens[t.head].lemma or tokens[t.head].text)


def _at_place(text: _Text, lemma: str, head: str, dep: str, objects: frozenset[str] | None = None) -> bool:
    """Whether ``text`` has the word ``lemma`` in that place: the same relation to a head of the
    same lemma ("higher" of "risk"; not the "higher" of "consumption" elsewhere in the sentence),
    or on "one"/"ones" standing for the head ("the smaller ones lent more"; not "than smaller
    ones", "not higher ones"). A word reached through "and" is in that place only with the
    same prepositional objects (``objects``, the claim word's): "weaker against the dollar but
    stronger against the euro" does not say "stronger against the dollar"."""
    tokens = text.a.tokens
    for u in text.a.tokens:
        if _key(u.lemma or u.text) != lemma:
            continue
        their_dep, their_head = _place(text, u)
        if not _same_place(their_dep, dep):
            continue
        if their_head == "one":
            one = tokens[u.head]
            if tokens[one.head].lower == "than" or any(tokens[c].dep == "neg" for c in text.children[one.i]) \
                    or (u.i > 0 and tokens[u.i - 1].lower == "not"):
                continue
        elif their_head != head:
            continue
        if u.dep == "conj" and objects is not None and _prep_objects(text, u) != objects:
            continue
        return True
    return False


def _prep_objects(text: _Text, t: Token) -> frozenset[str]:
    """The lemmas of the objects of a word's own prepositions ("slower in rural areas": area)."""
    tokens = text.a.tokens
    return frozenset(_key(tokens[o].lemma or tokens[o].text) for c in text.children[t.i] if tokens[c].dep == "prep"
                     for o in text.children[c] if tokens[o].dep == "pobj")


def _grandhead(text: _Text, t: Token) -> str:
    tokens = text.a.tokens
    above = tokens[tokens[t.head].head]
    return _key(above.lemma or above.text)


def _word_negated(text: _Text, t: Token) -> bool:
    """The word or its head has its own "not" before the word ("has not been fast", "not quick";
    not the "not" of "lower profits, not higher ones", which is the other phrase's)."""
    tokens = text.a.tokens
    return any(tokens[c].dep == "neg" and c < t.i for i in (t.i, t.head) for c in text.children[i])


def _actors_differ(claim: _Text, t: Token, text: _Text, u: Token) -> bool:
    """Whether the clauses of the two words have actors that are other things or other kinds of one
    thing ("large firms" / "small firms")."""
    mine_verb, their_verb = claim.owner(t.i), text.owner(u.i)
    if mine_verb is None or their_verb is None:
        return False
    mine = [x for x in _args(claim, claim.clause_of_verb[mine_verb]) if x.role == "agent"]
    theirs = _args(text, text.clause_of_verb[their_verb])
    return any(_relation_among(x, y, theirs) == "different" for x in mine for y in theirs if y.role == "agent")


# How close a claim must be to a span sentence, word for word (difflib ratio of their lemmas), for
# a word put in the place of one of opposite sense to be read as a distortion of that sentence.
SUBSTITUTION_SIMILARITY = 0.5
_CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV"})
# Words that deny what follows them as "not" does: "hardly surprising", "far from easy".
_HEDGES = frozenset({"hardly", "barely", "scarcely"})


@dataclass
class _Alignment:
    """A claim worded as one span sentence, word by word (difflib over ``_diff_key``)."""

    claim: _Text
    text: _Text
    mine: list[Token]
    theirs: list[Token]
    changes: list[tuple[int, int, int, int, bool]]  # replaced stretches (i1, i2, j1, j2, anchored)
    others: int  # stretches inserted or deleted

    @cached_property
    def opposites(self) -> list[tuple[Token, Token]]:
        """A word swapped for one of opposite sense, standing between the same words (two or more
        on one side): "a penalty try looked unlikely" / "looked likely"."""
        found = []
        for i1, i2, j1, j2, anchored in self.changes:
            if anchored and i2 - i1 <= 3 and j2 - j1 <= 3:
                pair = next(((t, u) for t in self.mine[i1:i2] for u in self.theirs[j1:j2] if _swapped_senses(t, u)), None)
                if pair is not None:
                    found.append(pair)
        return found

    @cached_property
    def traded(self) -> list[tuple[str, str, str, str]]:
        """Two phrases that trade places: each of the claim's stands where the span has the other
        (a phrase may drop a word of the span's: "cisgender male" / "male"). Items of one list
        ("Spain, Germany and France" / "France, Germany and Spain"), a place against a time, and
        two words of opposite sense (left to ``opposites``) move freely."""
        keys = [_diff_key(t) for t in self.mine]
        their_keys = [_diff_key(t) for t in self.theirs]
        found = []
        short = [c for c in self.changes if c[1] - c[0] <= 4 and c[3] - c[2] <= 4]
        for n, (a1, a2, b1, b2, _) in enumerate(short):
            for c1, c2, d1, d2, _ in short[n + 1:]:
                first, second = set(keys[a1:a2]), set(keys[c1:c2])
                if not (first <= set(their_keys[d1:d2]) and second <= set(their_keys[b1:b2])) \
                        or first & set(their_keys[b1:b2]) or second & set(their_keys[d1:d2]):
                    continue
                one, other = self.mine[a1:a2], self.mine[c1:c2]
                if not (_swappable(one) and _swappable(other)) \
                        or (_written_as_name(one) or _written_as_name(self.theirs[d1:d2])) \
                        != (_written_as_name(other) or _written_as_name(self.theirs[b1:b2])):
                    continue  # "the rate in Port Hale was 9.4% in March": a place and a time
                if _listed_together(self.claim, one, other) or any(_swapped_senses(t, u) for t in one for u in other):
                    continue
                found.append((_shown(self.theirs[b1:b2]), _shown(one), _shown(self.theirs[d1:d2]), _shown(other)))
        return found

    @property
    def converse(self) -> bool:
        """The claim is the sentence said from the other side, and nothing else changed: two
        phrases traded and one word turned to its opposite ("Corvo had fewer votes than Halden" for
        "Halden had more votes than Corvo"). Not two amounts: "fell from £400m to £340m" is
        another change than "rose from £340m to £400m"."""
        return len(self.opposites) == 1 and len(self.traded) == 1 and len(self.changes) == 3 and not self.others \
            and not any(written_numbers(phrase) for phrase in self.traded[0])


def _listed_together(text: _Text, one: Sequence[Token], other: Sequence[Token]) -> bool:
    """Two phrases of one coordination ("Spain, Germany and France", "in hospitals and in
    schools"): followed up through "and" (and a preposition's object to its preposition), they
    reach one first item."""
    def first_item(t: Token) -> int:
        tokens = text.a.tokens
        for _ in range(len(tokens)):
            if t.dep in ("pobj", "pcomp", "compound", "amod") and t.head != t.i:
                t = tokens[t.head]
            elif t.dep == "conj" and t.head != t.i:
                t = tokens[t.head]
            else:
                break
        return t.i
    return bool({first_item(t) for t in one} & {first_item(t) for t in other})


def _shown(tokens: Sequence[Token]) -> str:
    return " ".join(t.text for t in tokens)


def _alignments(claim: _Text, source: _Source) -> list[_Alignment]:
    """The span sentences the claim is worded as, closely (``SUBSTITUTION_SIMILARITY``) and with
    "not" as often (a negation changes what a swapped word means: "did not accept" / "rejected")."""
    mine = [t for t in claim.a.tokens if t.pos not in ("PUNCT", "SPACE")]
    keys = [_diff_key(t) for t in mine]
    found = []
    for text in source.texts:
        theirs = [t for t in text.a.tokens if t.pos not in ("PUNCT", "SPACE")]
        if _negations(mine) != _negations(theirs):
            continue
        matcher = SequenceMatcher(None, keys, [_diff_key(t) for t in theirs], autojunk=False)
        if matcher.ratio() < SUBSTITUTION_SIMILARITY:
            continue
        codes = matcher.get_opcodes()
        changes = [(i1, i2, j1, j2, any(0 <= n < len(codes) and codes[n][0] == "equal" and codes[n][2] - codes[n][1] >= 2
                                        for n in (k - 1, k + 1)))
                   for k, (op, i1, i2, j1, j2) in enumerate(codes) if op == "replace"]
        found.append(_Alignment(claim, text, mine, theirs, changes, sum(op in ("insert", "delete") for op, *_ in codes)))
    return found


def _substituted_opposites(alignments: list[_Alignment]) -> list[Problem]:
    """A claim worded as a span sentence with one word swapped for a word of opposite sense: "a
    penalty try looked unlikely" for "looked likely", "rising new car prices" / "falling", "met with
    general approval" / "disapproval" (``_Alignment.opposites``)."""
    return [Problem("opposite", f'the source says "{u.text}", not "{t.text}"')
            for alignment in alignments if not alignment.converse for t, u in alignment.opposites]


def _negations(tokens: Sequence[Token]) -> int:
    """How often the words deny: "not", "never", "without", "hardly", "far from", "anything but"."""
    count = 0
    for k, t in enumerate(tokens):
        following = tokens[k + 1].lower if k + 1 < len(tokens) else ""
        count += t.lower in language.NEGATION_WORDS or t.lower == "without" or t.lower in _HEDGES \
            or (t.lower, following) in (("far", "from"), ("anything", "but"))
    return count


def _swapped_senses(t: Token, u: Token) -> bool:
    """Two words of opposite sense, by lemma or as written: listed opposites, one undoing the other
    by a prefix ("likely" / "unlikely", "approval" / "disapproval"), or clearly opposite valences
    ("better" / "worse"; "critical" / "vital" are too mild to tell)."""
    if t.pos not in _CONTENT_POS or u.pos not in _CONTENT_POS or _state_participle(t) or _state_participle(u):
        return False
    qualities = {t.pos, u.pos} <= {"ADJ", "ADV"}
    for mine, theirs in ((_key(t.lemma or t.text), _key(u.lemma or u.text)), (t.lower, u.lower)):
        if mine == theirs:
            return False
        if language.are_opposites(mine, theirs) or language.are_opposite_adjectives(mine, theirs) \
                or _opposite_acts(mine, theirs) or language.are_opposite_in_valence(mine, theirs):
            return True
        # "in-", "im-", "il-", "ir-" undo adjectives only ("invaluable" aside); "un", "dis", "non" more
        prefixes = _NEGATIVE_PREFIXES if qualities else ("un", "dis", "non")
        if min(len(mine), len(theirs)) >= 4 and any(theirs == p + mine or mine == p + theirs for p in prefixes):
            return True
    return False


def _state_participle(t: Token) -> bool:
    """A participle naming a state, not its verb's act: "five minutes left", "40 tickets are left"
    (``language.STATE_PARTICIPLES``)."""
    return t.tag == "VBN" and _key(t.lemma or t.text) in language.STATE_PARTICIPLES


_SWAPPABLE_POS = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})


def _traded_places_problems(alignments: list[_Alignment]) -> list[Problem]:
    """Two phrases of the cited sentence that trade places in otherwise the same wording:
    "Leicester withstood a stunning Wasps comeback" / "Wasps withstood a stunning Leicester
    comeback", "the onion strips contain wheat that the tortilla strips do not" / the reverse,
    "male factors, such as low sperm count, or female factors" / "female ..., or male"
    (``_Alignment.traded``)."""
    return [Problem("roles", f'the source has "{theirs}" where the claim has "{mine}", and "{their_other}" '
                             f'where it has "{my_other}"')
            for alignment in alignments if not alignment.converse
            for theirs, mine, their_other, my_other in alignment.traded]


_COMPARED_POS = frozenset({"NOUN", "PROPN", "ADJ", "NUM", "VERB"})


def _comparisons(text: _Text) -> list[tuple[Token, set[str], set[str], set[str]]]:
    """Each "<comparative> ... than <standard>" of the text: the comparative, the content words
    between it and "than", those before it in the sentence, and those of the standard."""
    tokens = text.a.tokens
    found = []
    for k, t in enumerate(tokens):
        if t.lower != "than":
            continue
        marker = next((m for m in range(k - 1, max(-1, k - 20), -1) if tokens[m].tag in ("JJR", "RBR")), None)
        if marker is None:
            continue
        start = text.a.sentences[t.sentence].token_start

        def words(span: Iterable[int]) -> set[str]:
            return {_diff_key(tokens[i]) for i in span if tokens[i].pos in _COMPARED_POS}
        standard = words(i for i in text.subtree(k) if i > k)
        found.append((tokens[marker], words(range(marker + 1, k)), words(range(start, marker)), standard))
    return found


def _converse_comparison(claim: _Text, source: _Source) -> bool:
    """"Corvo is smaller than Halden" for "Halden is bigger than Corvo": the comparative turned to
    its opposite and the two sides traded."""
    for degree, between, before, standard in _comparisons(claim):
        for text in source.texts:
            for their_degree, their_between, their_before, their_standard in _comparisons(text):
                # the same quality compared ("votes", not "debts"), the two sides traded, the rest alike
                if standard and their_standard and _swapped_senses(degree, their_degree) \
                        and between == their_between and standard <= their_before and their_standard <= before \
                        and before - their_standard == their_before - standard \
                        and _words(claim) ^ _words(text) <= {_diff_key(degree), _diff_key(their_degree)}:
                    return True
    return False


def _words(text: _Text) -> set[str]:
    return {_diff_key(t) for t in text.a.tokens if t.pos not in ("PUNCT", "SPACE")}


def _turned_comparison_problems(claim: _Text, source: _Source) -> list[Problem]:
    """A comparison turned round: "more interested in their fame than in the nation's welfare"
    against "more interested in the nation's welfare than their fame"; "Y is a better conductor
    than X" against "X is a better conductor than Y". With the same comparative, the claim's
    standard (after "than") is what the span compares, and what the claim compares is the span's
    standard. "Y is smaller than X" for "X is bigger than Y" says the same (another comparative)."""
    problems = []
    for degree, between, before, standard in _comparisons(claim):
        for text in source.texts:
            for their_degree, their_between, their_before, their_standard in _comparisons(text):
                if _diff_key(their_degree) != _diff_key(degree) or not standard or standard & their_standard:
                    continue
                for mine, theirs in ((between, their_between), (before, their_before)):
                    moved = mine - theirs
                    if standard <= theirs and moved and moved <= their_standard:
                        problems.append(Problem("roles", "the source makes the comparison the other way round"))
                        break
    return problems[:1]


def _swappable(tokens: Sequence[Token]) -> bool:
    """A phrase that can stand for a participant: a noun, name, adjective or number, and no date
    or time."""
    return any(t.pos in _SWAPPABLE_POS for t in tokens) and not any(t.ent_type in ("DATE", "TIME") for t in tokens)


def _written_as_name(tokens: Sequence[Token]) -> bool:
    """A name as the tagger reads it (it reads one "Wasps" as a plural noun, the other as a name:
    the caller asks of both texts)."""
    return any(t.pos == "PROPN" or t.ent_type for t in tokens)


def _diff_key(t: Token) -> str:
    """How a word is compared when two wordings are aligned: by lemma; a name as written, less a
    plural "s" (the tagger reads one "Wasps" as the name, another as the plural of "wasp")."""
    if t.pos == "PROPN" or (t.ent_type and t.text[:1].isupper()):
        written = t.lower
        return written[:-1] if len(written) > 3 and written.endswith("s") else written
    return _key(t.lemma or t.text)


def _opposite_senses(pos: str, lemma: str, other: str) -> bool:
    """Nouns of opposite acts, or of opposite qualities ("at a six-year low" / "high"); adjectives
    and adverbs of opposite sense, listed or judging in opposite directions ("a triumph" / "a
    disaster", "upbeat" / "gloomy")."""
    if language.are_opposite_in_valence(lemma, other):
        return True
    if pos == "NOUN":
        return _opposite_acts(lemma, other) or language.are_opposite_adjectives(lemma, other)
    return language.are_opposite_adjectives(lemma, other)


def _opposed(verb: str, other: str) -> bool:
    """Verbs of opposite sense: listed (``language.OPPOSITE_VERBS``) or judging in opposite
    directions ("praised" / "was left cursing", "welcomed" / "condemned")."""
    return language.are_opposites(verb, other) or language.are_opposite_in_valence(verb, other)


# A word said of its subject through "be" is parsed as an attribute or as a complement ("is more
# than", "is lower than"): one place.
_PREDICATIVE = frozenset({"attr", "acomp"})


def _same_place(dep: str, other: str) -> bool:
    return dep == other or {dep, other} <= _PREDICATIVE


def _opposite_acts(noun: str, other: str) -> bool:
    """Nouns of acts of opposite sense: "support" / "opposition", "approval" / "rejection"."""
    return language.are_opposites(language.verb_sense(noun), language.verb_sense(other))


def _preferences(text: _Text) -> list[tuple[frozenset[str], frozenset[str], int, int]]:
    """(chosen, passed over, start, end) for each "X rather than Y" / "X instead of Y": the words
    (lemmas, without determiners) of the noun phrases on either side, and where the phrase is."""
    a, found = text.a, []
    for t in a.tokens[:-1]:
        if (t.lower, a.tokens[t.i + 1].lower) not in (("rather", "than"), ("instead", "of")):
            continue
        before = [c for c in a.noun_chunks if c.token_end <= t.i and a.tokens[c.root].sentence == t.sentence]
        after = [c for c in a.noun_chunks if c.token_start >= t.i + 2 and a.tokens[c.root].sentence == t.sentence]
        if before and after:
            x, y = before[-1], after[0]
            words = [frozenset(_key(a.tokens[i].lemma or a.tokens[i].text) for i in range(c.token_start, c.token_end)
                               if a.tokens[i].pos not in ("DET", "PRON", "PUNCT")) for c in (x, y)]
            found.append((words[0], words[1], x.start, y.end))
    return found


def _preference_problems(claim: _Text, source: _Source) -> list[Problem]:
    """The chosen and the passed over exchanged: "uses hard drives rather than flash memory"
    against "using flash memory rather than hard drives" (each side closer to the span's other
    side than to its own)."""
    def alike(x: frozenset[str], y: frozenset[str]) -> float:
        return len(x & y) / len(x | y) if x | y else 0.0

    problems = []
    for chosen, passed, _, _ in _preferences(claim):
        for text in source.texts:
            for theirs, their_passed, start, end in _preferences(text):
                crossed = (alike(chosen, their_passed), alike(passed, theirs))
                if min(crossed) >= 0.5 and sum(crossed) > alike(chosen, theirs) + alike(passed, their_passed):
                    problems.append(Problem("roles", f'the source says "{text.a.text[start:end]}"'))
    return problems


# How alike a claim's quote and a span's quote must be to be the same words (rapidfuzz ratio).
SAME_QUOTE_RATIO = 85


def _quote_speaker_problems(claim: _Text, source: _Source) -> list[Problem]:
    """Words put in another mouth: the claim quotes what the span quotes, with another speaker.
    "Thorpe told the king, 'You, sir, are the greatest athlete'" against "the king said to him,
    'You, sir, are ...'". The speakers differ when the span's is another name, or when it is
    described ("the king") and the claim's speaker is named elsewhere in the span: a described
    speaker may be the claim's named one, introduced in a sentence before."""
    from rapidfuzz import fuzz

    problems = []
    for mine in claim.a.quotes:
        if mine.speaker is None or mine.speaker.pronoun:
            continue
        claimed = _speaker_words(mine.speaker_name, mine.speaker.text)
        claimed_name = _speaker_name(claim, mine)
        for text in source.texts:
            for theirs in text.a.quotes:
                if theirs.speaker is None or fuzz.ratio(mine.text.lower(), theirs.text.lower()) < SAME_QUOTE_RATIO:
                    continue
                speaker = text.a.resolve(theirs.speaker)
                if speaker.pronoun and not theirs.speaker_name:
                    continue
                said_by = _speaker_words(theirs.speaker_name, speaker.text)
                said_name = _speaker_name(text, theirs, speaker)
                ours = claimed
                if claimed_name and said_name:  # two names: the same person when they share a name
                    ours, said_by = claimed_name, said_name
                if not ours or not said_by or any(_same_word(w, o) for w in ours for o in said_by):
                    continue
                named = bool(theirs.speaker_name) or text.a.tokens[speaker.head].pos == "PROPN"
                around = _words_of(text.a.text[:speaker.start] + " " + text.a.text[speaker.end:])
                # a speaker the claim only describes ("the coach") may be the span's named one
                if (named and claimed_name) or _covers(ours, around):
                    problems.append(Problem("roles", f'in the source, {speaker.text} says "{_snippet(theirs.text)}", '
                                                     f'not {mine.speaker.text}'))
    return problems


def _speaker_words(name: str | None, described: str) -> set[str]:
    """The words that tell who speaks, from its name and the phrase that gives it ("Mark Hale, the
    coach"; "the king" for "King Gustav"), without stop words."""
    return {_key(w) for w in re.findall(r"[^\W\d_][\w'’.-]*", f"{name or ''} {described}")} - stopwords()


def _speaker_name(text: _Text, quote: language.Quote, speaker: Phrase | None = None) -> set[str]:
    """The name words of a quote's speaker ("Emilio Butragueno" of "Real Madrid director of sport
    Emilio Butragueno"), or none when it is described only ("the king")."""
    speaker = speaker or quote.speaker
    if quote.speaker_name:
        return _speaker_words(quote.speaker_name, "")
    people = " ".join(t.text for t in text.a.tokens if t.ent_type == "PERSON" and speaker.start <= t.start < speaker.end)
    if people:
        return _speaker_words(people, "")
    if text.a.tokens[speaker.head].pos == "PROPN":
        return _speaker_words(speaker.core, "")
    return set()


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"


def _crossed_attachment_problems(claim: _Text, source: _Source) -> list[Problem]:
    """Two things that trade what they are "of", "from", "in" ...: "39% of men ..., compared with
    23% of women" against "39% of women ..., compared to 23% of men"; "warm air from Canada and
    chilly winds from the Gulf" against "warm air from the Gulf and chilly winds from Canada".
    Each of the claim's two attachments is in the span the other way round, and neither as the
    claim has it; the two are of one kind (``_same_kind``)."""
    mine = _attachments(claim)
    theirs = {k: v for text in source.texts for k, v in _attachments(text).items()}
    problems = []
    for (h1, p1, o1), (h2, p2, o2) in ((x, y) for x in mine for y in mine if x < y):
        if p1 == p2 and h1 != h2 and o1 != o2 and _same_kind(mine[h1, p1, o1], mine[h2, p2, o2]) \
                and (h1, p1, o2) in theirs and (h2, p1, o1) in theirs \
                and (h1, p1, o1) not in theirs and (h2, p1, o2) not in theirs:
            problems.append(Problem("roles", f'in the source, it is "{theirs[h1, p1, o2].written}" and '
                                             f'"{theirs[h2, p1, o1].written}", not the reverse'))
    return problems


@dataclass(frozen=True)
class _Attachment:
    written: str  # "39% of men"
    figure: bool  # the thing is a figure ("39%"), not a noun
    kind: str  # what it is attached to: "time", "place" or "" (anything else)


def _same_kind(one: _Attachment, other: _Attachment) -> bool:
    """Two figures or two nouns, attached to two times, or to two things of which neither is a time
    (a named place and "rural areas" are of one kind). "The rate in Ocean City was 11.1% in
    October" attaches a place to a noun and a time to a figure: moving them is no swap."""
    return one.figure == other.figure and (one.kind == other.kind or "time" not in (one.kind, other.kind))


def _attachments(text: _Text) -> dict[tuple[str, str, str], _Attachment]:
    """(thing, preposition, what it is of/from/in) for each noun or figure with a prepositional
    phrase, as lemmas ("39%", "of", "man"), ("air", "from", "canada"). A figure is keyed by its
    number."""
    tokens = text.a.tokens
    found = {}
    for u in tokens:
        if u.dep != "pobj" or tokens[u.head].dep != "prep":
            continue
        prep = tokens[u.head]
        # the noun just before the preposition, where the parse may hang a second "from" on the
        # first noun of a coordination ("dry air from Spain and cold winds from Norway")
        before = tokens[prep.i - 1] if prep.i > 0 else prep
        head = before if before.pos in ("NOUN", "PROPN", "NUM") else tokens[prep.head]
        if head.pos not in ("NOUN", "PROPN", "NUM") or head.i == prep.i:
            continue
        figure = [tokens[c].text for c in text.children[head.i] if tokens[c].dep == "nummod"]
        thing = (figure[0] + head.text) if figure else _key(head.lemma or head.text)
        numeric = thing[:1].isdigit()
        start = head.i - 1 if numeric else head.i
        label = u.ent_type
        kind = "time" if label in ("DATE", "TIME") else "place" if label in ("GPE", "LOC", "FAC") else ""
        found[thing, prep.lower, _key(u.lemma or u.text)] = _Attachment(
            text.a.text[tokens[start].start:u.end], head.pos == "NUM" or numeric, kind)
    return found


def _planned_problems(claim: _Text, source: _Source) -> list[Problem]:
    """An act the claim tells as done (a past tense, not itself planned or negated) that every span
    clause of its verb only plans: "Washington attended the ceremony" against "Washington had been
    scheduled to attend the event" (``language.PLAN_WORDS``: scheduled, expected, due, trying ...).
    The claim speaks of no plan anywhere ("was due to speak and spoke" is told as both)."""
    if any(_key(t.lemma or t.text) in language.PLAN_WORDS for t in claim.a.tokens):
        return []
    problems = []
    for c in claim.a.clauses:
        verb = claim.a.tokens[c.verb_token]
        if c.negated or c.dep == "xcomp" or verb.pos != "VERB" or not _told_as_done(claim, c.verb_token):
            continue
        theirs = [(text, s) for text, s in source.clauses if s.verb == c.verb]
        planned = [(text, s, plan) for text, s in theirs if (plan := _plan_of(text, s)) is not None]
        if planned and len(planned) == len(theirs) and _same_act(claim, c, planned[0][0], planned[0][1]):
            text, s, plan = planned[0]
            problems.append(Problem("planned", f'the source only says "{text.a.tokens[plan].text} to '
                                               f'{text.a.tokens[s.verb_token].text}", not that it happened'))
    return problems


def _same_act(claim: _Text, c: Clause, text: _Text, s: Clause) -> bool:
    """Whether a planned clause is the claim's act: no participant that conflicts, and the claim's
    figures ("shipped 4.5 million iPods ... expects to sell more" plans another
    act than "sold 4.5 million iPods")."""
    mine, theirs = _args(claim, c), _args(text, s)
    same, conflicts = _compare_roles(mine, theirs)
    figures = {f for x in mine for f in x.figures}
    return not conflicts and figures <= {f for y in theirs for f in y.figures}


def _told_as_done(text: _Text, verb: int) -> bool:
    """A simple past ("attended") or a perfect ("has attended"), with no modal ("would have")."""
    tokens = text.a.tokens
    auxes = [tokens[i] for i in text.children[verb] if tokens[i].dep in ("aux", "auxpass")]
    if any(a.tag == "MD" for a in auxes):
        return False
    return tokens[verb].tag == "VBD" or (tokens[verb].tag == "VBN" and any(_key(a.lemma) == "have" for a in auxes))


def _plan_of(text: _Text, clause: Clause) -> int | None:
    """The plan word whose infinitive the clause is ("scheduled" to attend, "due" to visit, "plans"
    to cut), or None."""
    if clause.dep != "xcomp" or clause.parent is None:
        return None
    above = text.a.clauses[clause.parent]
    words = [above.verb_token] + [i for i in text.children[above.verb_token] if text.a.tokens[i].dep == "acomp"]
    return next((i for i in words if _key(text.a.tokens[i].lemma or text.a.tokens[i].text) in language.PLAN_WORDS),
                None)


def _possessive_problems(claim: _Text, source: _Source) -> list[Problem]:
    """"Qatar is China's partner" against "China is Qatar's partner" (holder and owner swapped),
    and "Prayut's government" against "Yingluck Shinawatra's government" (another owner)."""
    problems = []
    for p in claim.a.possessives:
        owner = set(_names_of(claim, p.owner))
        if not owner:
            continue
        holder = set(_names_of(claim, p.holder)) if p.holder is not None else set()
        theirs = [(text, q) for text in source.texts for q in text.a.possessives
                  if _key(q.noun.lemma) == _key(p.noun.lemma)]
        swapped = [(text, q) for text, q in theirs if holder and q.holder is not None
                   and _matches(holder, set(_names_of(text, q.owner)))
                   and _matches(owner, set(_names_of(text, q.holder)))]
        if swapped:
            q = swapped[0][1]
            problems.append(Problem(
                "roles", f"in the source, {q.holder.core} is {q.owner.core}'s {q.noun.core}, not the reverse"))
            continue
        owners = [set(_names_of(text, q.owner)) for text, q in theirs]
        if owners and not any(_matches(owner, o) for o in owners) and any(owners):
            q = next(q for (text, q), o in zip(theirs, owners) if o)
            problems.append(Problem("roles", f"the source says {q.owner.core}'s {q.noun.core}, not {p.owner.core}'s"))
    return problems


def _matches(words: set[str], other: set[str]) -> bool:
    return bool(words) and bool(other) and (_covers(words, other) or _covers(other, words))


def _names_of(text: _Text, phrase: Phrase) -> list[str]:
    a = text.a
    return [_key(a.tokens[i].text) for i in text.subtree(phrase.head, _NOT_THE_THING) if _is_name_token(a.tokens[i])]


def _addition_problems(claim: _Text, source: _Source) -> list[Problem]:
    """Clauses of the claim the span has no counterpart for: most of their content words are
    missing, or their verb is, with nothing else of the clause but names to go by ("Qatar was
    then expelled from the Human Rights Council" against a span about the council that never
    says "expel")."""
    a = claim.a
    owned: dict[int, list[Token]] = {}
    for t in a.tokens:
        # names have their own check (and a name of several words would weigh several times)
        if t.pos not in ("NOUN", "VERB", "ADJ") or (t.lemma or "").lower() in language.PRIMARY_VERBS \
                or _is_name_token(t):
            continue
        verb = claim.owner(t.i)
        if verb is not None:
            owned.setdefault(verb, []).append(t)
    verbs = {_key(t.lemma) for text in source.texts for t in text.a.tokens if t.pos in ("VERB", "AUX")}
    problems = []
    for verb, words in owned.items():
        missing = [w for w in words if not _covered(claim, w, source)]
        head = claim.a.tokens[verb]
        # A verb that is all its clause says besides names, with no clause of its own below it
        # ("Qatar was expelled from the council"): the names make any embedding of it look
        # close to the span, so only its absence counts.
        bare_verb = (words == [head] and head in missing and head.pos == "VERB"
                     and not any(claim.a.tokens[c].dep in ("xcomp", "ccomp", "advcl") for c in claim.children[verb])
                     and not any(language.are_opposites(_key(head.lemma), v) for v in verbs))
        if bare_verb or (len(missing) >= ADDITION_MIN_MISSING and 1 - len(missing) / len(words) < ADDITION_MAX_COVERED):
            clause = claim.clause_of_verb[verb]
            start, end = _clause_span(claim, clause)
            problems.append(Problem("addition", f'the source does not say "{claim.snippet(start, end)}"',
                                    "" if bare_verb else claim.a.text[start:end]))
    return problems


# Words that give a reason: "because (of)", "due to", "owing to", "thanks to". A span that gives one
# in any form ("reason", "cause", "amid", or "as", "since", "so", "after" joining a clause) may be
# paraphrased by them.
_REASON_WORDS = frozenset({"because", "due", "owing", "thanks"})
_SPAN_REASON_WORDS = _REASON_WORDS | {"reason", "cause", "result", "lead", "why", "amid", "following"}
_SPAN_REASON_CONJUNCTIONS = frozenset({"as", "since", "so", "after"})


def _reason_problems(claim: _Text, source: _Source) -> list[Problem]:
    """A reason the claim gives ("because his book had sold well") that the span does not: the
    span has no word that gives a reason, and a word of the claim's reason is not in the span."""
    if any(_key(t.lemma or t.text) in _SPAN_REASON_WORDS or t.lower in _SPAN_REASON_WORDS
           or (t.lower in _SPAN_REASON_CONJUNCTIONS and t.dep in ("mark", "cc", "advmod"))
           for x in source.texts for t in x.a.tokens):
        return []
    a = claim.a
    problems = []
    for t in a.tokens:
        if t.lower not in _REASON_WORDS:
            continue
        if t.dep == "mark":  # "because his book sold well": the clause it introduces
            tokens = claim.subtree(t.head)
        else:  # "because of his ties", "due to demand", "thanks to a new job": the phrase after it
            tokens = claim.subtree(t.i)
            after = t.i + 1
            if after < len(a.tokens) and a.tokens[after].lower in ("to", "of") and after not in tokens:
                tokens = sorted(set(tokens) | set(claim.subtree(after)))
        words = [a.tokens[i] for i in tokens if a.tokens[i].pos in ("NOUN", "VERB", "ADJ", "PROPN")
                 and (a.tokens[i].lemma or "").lower() not in language.PRIMARY_VERBS
                 and a.tokens[i].lower not in _REASON_WORDS]
        missing = [w for w in words if not _covered(claim, w, source)]
        if missing:
            start = min(a.tokens[i].start for i in tokens)
            end = max(a.tokens[i].end for i in tokens)
            problems.append(Problem("addition", f'the source gives no reason such as "{claim.snippet(start, end)}"'))
    return problems


def _reports(claim: _Text, t: Token) -> bool:
    """The verb reports speech: a clause or a quote is its complement ("said the plan failed")."""
    return claim.has_quote or any(claim.a.tokens[c].dep in ("ccomp", "parataxis") for c in claim.children[t.i])


def _covered(claim: _Text, t: Token, source: _Source) -> bool:
    lemma, word = _key(t.lemma or t.text), _key(t.text)
    if lemma in source.lemmas or word in source.words:
        return True
    stem = terms(t.text)
    if stem and stem[0] in source.stems:
        return True
    if lemma in language.REPORTING_VERBS and _reports(claim, t) and any(x.reports or x.has_quote for x in source.texts):
        return True  # "Fox said" for a quote or another reporting verb of the span
    # "signatories" for "signed": a shared root of four letters or more; "consumption" for
    # "consume": one word derived from the other
    return len(lemma) >= 4 and any(len(o) >= 4 and (o.startswith(lemma) or lemma.startswith(o) or _same_root(lemma, o))
                                   for o in source.lemmas)


_DERIVED_ENDINGS = ("ption", "tion", "ation", "ion", "al", "ence", "ance", "ment", "ure", "ing", "er")


def _same_root(word: str, other: str) -> bool:
    """"consume" / "consumption": all of the shorter word but its last letter starts the longer,
    and the longer goes on with a derivational ending (not "police" / "policy", "oppose" /
    "opposite", "decree" / "decrease")."""
    shorter, longer = sorted((word, other), key=len)
    shared = len(os.path.commonprefix([word, other]))
    return shared >= 5 and shared >= len(shorter) - 1 and longer[shared:] in _DERIVED_ENDINGS


def first_reason(problems: Iterable[Problem]) -> str | None:
    return next((p.reason for p in problems), None)
