"""What a question asks, read once by the language layer: its kind, the names and numbers it is
about, the words to match, and what kind of thing answers it.

* kind: ``fact`` (who/what/when/how many ... and yes/no questions), ``briefing`` ("Summarize the
  news about Yukos", "What's the news about X?", "Tell me about X") or ``more`` ("Tell me more",
  "And then?", "Go on"), which only a conversation gives a topic to;
* names: the named things the question is about, as written ("Time Warner", "US"), from the
  entities and proper nouns of the parse, never from capital letters alone;
* numbers: numbers, years and months (``rag.text.numbers``); a date must not change in an answer;
* weights: the words to match (``rag.text.match_terms``: "wrote" and "write" match), names double;
* labels: the entity labels of an answer (``language.answer_labels``: who -> PERSON/ORG/NORP ...);
* focus: the role a copular who-question asks for ("Who is China's foreign minister?" ->
  minister): a sentence without it is about someone else, however many other words it shares
  (only for "who": "What was the score?" is answered by "won 3-0", with no "score" in it);
* speaker / asks_speaker: "What did David Davis say about X?" asks for his words; "Who said X?"
  for a speaker.

The question is parsed with the full pipeline (~20 ms, bench/language.py); nothing here reads
the articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Collection, Literal, Sequence

from rag import language
from rag.answer.support import TermWeights
from rag.text import match_terms, numbers

Kind = Literal["fact", "briefing", "more"]

# Entity labels that are amounts and dates: they are matched as numbers, not as names.
NUMERIC_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "QUANTITY", "ORDINAL"})
# Asking for a summary, in the verbs English uses for it ("summarise the news", "brief me on").
BRIEFING_VERBS = frozenset({"summarize", "summarise", "recap", "brief", "outline", "overview", "sum", "compare",
                            "contrast"})
# "Which articles mention X?": a list of sources is asked for, not one fact.
SOURCE_NOUNS = frozenset({"article", "story", "source", "report", "piece", "document", "text"})
# Nouns that name a summary or news in general: "the news about X", "an update on X".
BRIEFING_NOUNS = frozenset({"news", "update", "summary", "overview", "briefing", "latest", "story", "stories",
                            "headline", "headlines", "development", "developments", "recap"})
# "Tell me more", "go on", "and then?", "what else?": asking to continue, with no topic of its own.
CONTINUE_WORDS = frozenset({"more", "else", "further", "detail", "details", "continue", "go", "on", "then",
                            "elaborate", "expand", "keep", "going", "next", "tell", "me", "us", "and", "what",
                            "anything", "something", "happen", "happened", "about", "that", "this", "it", "please",
                            "can", "you", "could", "the", "story", "after"})
# "the name of X", "the title of X": the noun asked for is X, not "name".
NAMING_NOUNS = frozenset({"name", "title", "identity"})
# "Where did she finish / did China rank?" asks for a place in an order ("sixth", "third largest").
RANKING_VERBS = frozenset({"finish", "rank", "place", "come", "end", "stand"})
_WH_PAIRS = ("how many", "how much", "how long", "how old", "how far", "what percentage")
# The weight of a word (a name's too) only the scene-setting statement before the question gives:
# the answering sentence need not repeat the scene, but a sentence that does tells the story apart.
# 0.5, as an earlier turn's words count for a why-question (evidence.CONTEXT_WEIGHT); on the 74
# RealTime QA 2025 questions labelled as answered by their article it turned 2 answers right and
# none wrong, with the rules that go with it.
PREMISE_WEIGHT = 0.5
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
# Verbs that ask what took place, and "mean", which asks what a thing is: "What happened to Lufthansa
# in 2003?" is answered by "Lufthansa was hit in 2003 by ...", "What does Veritas mean?" by "Veritas -
# Latin for 'truth'", sentences that seldom use the verb. They are not words to match.
EVENT_VERBS = frozenset({"happen", "occur", "mean"})
# A number written inside a word after letters is part of a designation ("V8", "A380", "G7", "MP3"),
# matched with its word as a name is, not an amount the article must give apart.
_DESIGNATION_NUMBER = re.compile(r"\b[^\W\d_]+(\d+)[^\W_]*\b")


@dataclass(frozen=True)
class AskedName:
    """A named thing of the question, as written there."""

    text: str  # "Time Warner", "US" (no leading "the", no possessive)
    label: str  # entity label ("ORG"); "" for a proper noun the model left unlabelled
    terms: tuple[str, ...]  # its match terms ("time", "warner")

    @property
    def joined(self) -> str:
        """The words run together, as a company may write itself: "timewarner"."""
        return re.sub(r"[^a-z0-9]", "", self.text.lower())

    @property
    def initials(self) -> str | None:
        """The capitals news abbreviates a name of several words to: "BA" for "British Airways",
        "ECB" for "European Central Bank" ("of", "the", "and" left out); None for one word, and for
        a person ("TB" is no Tony Blair)."""
        capitalised = [w for w in re.findall(r"[^\W\d_]+", self.text) if w[0].isupper()]
        return "".join(w[0] for w in capitalised) if len(capitalised) >= 2 and self.label != "PERSON" else None


@dataclass
class Question:
    text: str
    kind: Kind
    wh: str  # "who", "when", "how many" ...; "" for a yes/no question or a request
    labels: frozenset[str]
    names: tuple[AskedName, ...]
    numbers: frozenset[str]
    weights: TermWeights
    focus: str | None = None
    wh_noun: str | None = None  # lemma of the noun "which/what" asks for ("province")
    # nouns the question qualifies with another noun, as match terms: ("industri", {"sugar"}) for
    # "Cuba's sugar industry"
    qualified_nouns: tuple[tuple[str, frozenset[str]], ...] = ()
    speaker: AskedName | None = None
    asks_speaker: bool = False
    analysis: language.Analysis | None = field(default=None, repr=False)
    # name terms only the statement before the question gives ("Donald Trump was sworn in Monday.
    # Which holiday ...?"): the articles must hold them, the answering sentence need not
    premise_names: frozenset[str] = frozenset()
    # the match terms of each day the question names ("Christmas Day", "Monday"): a sentence about
    # another day ("New Year's Day") gives another day's figure
    named_days: tuple[frozenset[str], ...] = ()
    asking_sentence: int = 0  # index in ``analysis`` of the sentence that asks (after the scene's)
    # "Who is Michelle Paver?", "What is Euronext?": asks what the named one is, answered by a
    # sentence that describes the name, not by another name
    asks_identity: bool = False

    def sets_scene(self, name: AskedName) -> bool:
        """The name is only in the statement before the question."""
        return bool(name.terms) and set(name.terms) <= self.premise_names

    @property
    def name_terms(self) -> set[str]:
        return {t for name in self.names for t in name.terms}

    @property
    def topic(self) -> TermWeights:
        """What is asked beyond the names: "population" in "the population of Qatar"."""
        names = self.name_terms
        return {t: w for t, w in self.weights.items() if t not in names}

    @property
    def is_why(self) -> bool:
        return self.wh == "why"

    @property
    def main_clause(self) -> language.Clause | None:
        """The clause of the asking sentence's main verb ("lose" in "How much did Disney lose?")."""
        if self.analysis is None:
            return None
        return next((c for c in self.analysis.clauses if c.dep == "ROOT" and c.sentence == self.asking_sentence), None)

    @property
    def act(self) -> str | None:
        """The lemma of what the question asks about doing: its main verb ("lose" in "How much did
        Disney lose?"), or the root the parser read as a noun ("offer" in "How much did Pernod
        offer for Allied?"); None for "be", "have", "do" and the noun "which/what" asks for."""
        main = self.main_clause
        if main is not None:
            verb = main.verb.split()[0]
        elif self.analysis is not None and self.asking_sentence < len(self.analysis.sentences):
            sentence = self.analysis.sentences[self.asking_sentence]
            root = next((t for t in self.analysis.tokens[sentence.token_start:sentence.token_end]
                         if t.dep == "ROOT" and t.pos in ("VERB", "NOUN")), None)
            verb = root.lemma.lower() if root is not None else None
        else:
            verb = None
        return None if verb is None or verb in language.PRIMARY_VERBS or verb == self.wh_noun else verb


def read_question(text: str, context_terms: Collection[str] = frozenset(), *, as_briefing: bool = False) -> Question:
    """The question as the language layer reads it. ``context_terms`` (match terms an earlier turn
    supplies) are left out of what must be matched: "When did he withdraw it?" leans on them.
    ``as_briefing`` reads it as a request for a briefing on its topic ("tell me more" about it)."""
    a = language.analyze(text, language.Pipes.FULL)
    tokens = [t for t in a.tokens if t.pos != "PUNCT"]
    lowered = [t.lower for t in tokens]
    wh = _wh_word(lowered)
    if wh in ("what", "which") and _asks_for_cause(tokens):
        wh = "why"  # "What reason did Qatar give ...?"
    kind: Kind = "briefing" if as_briefing else _kind(a, tokens, lowered)
    names = _names(a)
    request_words = _request_words(a, tokens) if kind != "fact" else set()
    weights: TermWeights = {}
    name_terms = {t for n in names for t in n.terms}
    asking = _asking_sentence(a)
    # the asking sentence's terms and numbers when a statement sets the scene first; else all are asked
    asked_part = _terms_and_numbers(a.sentences[asking].text) if asking else None

    def in_scene(term: str) -> bool:
        return asked_part is not None and term not in asked_part
    event_words = set(match_terms(" ".join(t.text for t in tokens if t.pos in ("VERB", "AUX")
                                            and t.lemma.lower() in EVENT_VERBS)))
    for term in match_terms(text):
        if term.replace(".", "").isdigit() or term in request_words or term in event_words:
            continue
        weights[term] = 2.0 if term in name_terms else 1.0
        if in_scene(term):
            weights[term] *= PREMISE_WEIGHT
    context = set(context_terms)
    for term in context:
        weights.pop(term, None)
    names = tuple(n for n in names if not set(n.terms) <= context)
    asked_numbers = frozenset(n for n in numbers(text) if (not in_scene(n) or _is_year_or_month(n))
                              and (n[:1].isdigit() or n in _months_as_dates(a))) \
        - {n for t in context for n in numbers(t)} - set(_DESIGNATION_NUMBER.findall(text))
    premise_names = frozenset(t for n in names for t in n.terms if in_scene(t))
    speaker, asks_speaker = _speech(a, names)
    labels = language.answer_labels(a) if kind == "fact" else frozenset()
    if kind == "fact" and wh == "what" and not labels and _asks_what_it_is_called(tokens):
        labels = _NAME_ANSWER_LABELS  # "What is the trojan ... called?" -> "Bankash-A Trojan"
    if wh == "where" and _asks_rank(tokens):
        labels = frozenset({"ORDINAL"})  # "Where did Kim Collins finish?" -> "sixth"
    asks_identity = kind == "fact" and _asks_identity(a, asking, wh, names, weights)
    if asks_identity:
        labels = frozenset()
    return Question(
        text=text, kind=kind, wh=wh, labels=labels,
        names=names, numbers=asked_numbers, weights=weights,
        focus=_focus(a, context) if kind == "fact" and wh == "who" else None,
        speaker=speaker if kind == "fact" else None, asks_speaker=asks_speaker and kind == "fact", analysis=a,
        wh_noun=_asked_noun(a, tokens, wh), qualified_nouns=_qualified_nouns(a, context), premise_names=premise_names,
        asking_sentence=asking, named_days=_named_days(a), asks_identity=asks_identity,
    )


def _asks_identity(a: language.Analysis, asking: int, wh: str, names: Sequence[AskedName],
                   weights: TermWeights) -> bool:
    """"Who is/was <name>?", "What is <name>?": the asking sentence is "be" with the question word
    and one name, and no other word to match ("Who is Paver's publisher?" asks for a name). A
    person's name takes no "the": "Who is the Navajo Nation President?" asks who holds a post."""
    if wh not in ("who", "what") or len(names) != 1 or set(weights) - set(names[0].terms):
        return False
    sentence = a.sentences[asking]
    tokens = a.tokens[sentence.token_start:sentence.token_end]
    root = next((t for t in tokens if t.dep == "ROOT"), None)
    if wh == "who" and any(t.lower == "the" for t in tokens):
        return False
    # nothing but the question word, "be" and the name: "Who is with Paver?" asks for someone else
    name_words = set(re.findall(r"\w+", names[0].text.lower()))
    if not all(set(re.findall(r"\w+", t.lower)) <= name_words | language.TITLES or t.lower == wh
               or t.lemma.lower() == "be" or t.pos in ("PUNCT", "DET", "PART") for t in tokens):
        return False
    return root is not None and root.lemma.lower() == "be"


def _named_days(a: language.Analysis) -> tuple[frozenset[str], ...]:
    """The days the question names with a capital, as match terms: "Christmas Day", "Groundhog Day";
    not "last week" nor "this year", which an article writes as dates of its own, nor a weekday:
    news questions say "on Monday" to place the story ("Israel and Hamas agreed to a ceasefire on
    Wednesday"), and the answering sentence seldom repeats it (on the RealTime QA 2025 questions
    requiring it turned one answer into a refusal and moved two citations to other stories)."""
    days = []
    for ent in a.entities:
        written = a.tokens[ent.token_start:ent.token_end]
        if ent.label != "DATE" or _WEEKDAY.search(ent.text) \
                or not any(t.text[:1].isupper() and t.i > 0 and not numbers(t.text) for t in written):
            continue
        terms = frozenset(t for t in match_terms(ent.text) if not t.isdigit() and not numbers(t))
        if terms:
            days.append(terms)
    return tuple(days)


def _wh_word(lowered: list[str]) -> str:
    for i, word in enumerate(lowered):
        pair = " ".join(lowered[i:i + 2])
        if pair in _WH_PAIRS:
            return pair
        if word in ("who", "whom", "whose", "when", "where", "why", "which", "what", "how"):
            return "who" if word in ("whom", "whose") else word
    return ""


# Participles that ask for the name a thing goes by, closing a "what" question ("What is the new
# trojan called?"), and the entity labels of such names.
_NAMING_PARTICIPLES = frozenset({"called", "named", "dubbed", "titled", "nicknamed"})
_NAME_ANSWER_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})


def _asks_what_it_is_called(tokens: list[language.Token]) -> bool:
    """The question closes on a naming participle: "What is the trojan that attacks ... called?"."""
    # the model tags "called" VBD as often as VBN; a participle describing a noun ("the players
    # named") asks about the noun, not its name
    if not tokens or tokens[-1].lower not in _NAMING_PARTICIPLES or tokens[-1].tag not in ("VBN", "VBD"):
        return False
    last = tokens[-1]
    # "What is the new tax named?" hangs it on the subject; "the players named" on an object
    return last.dep not in ("acl", "relcl", "amod") or (last.dep == "acl" and tokens[-2].dep in ("nsubj", "nsubjpass")
                                                      and tokens[-2].i == last.head)


def _months_as_dates(a: language.Analysis) -> set[str]:
    """The months the question writes as dates ("in May", "May 5"), as ``numbers`` keys them
    ("may"): not the surname of "What did Theresa May say?", which the model reads as no date."""
    tokens = a.tokens
    found = set()
    for t in tokens:
        key = next(iter(numbers(t.text)), "")
        if key and not key[:1].isdigit() and (t.ent_type in ("DATE", "TIME", "EVENT") or any(
                tokens[j].pos == "NUM" or tokens[j].text[:1].isdigit() for j in (t.i - 1, t.i + 1) if 0 <= j < len(tokens))):
            found.add(key)
    return found


def _asked_noun(a: language.Analysis, tokens: list[language.Token], wh: str) -> str | None:
    """The lemma of the noun the question asks about: "province" in "In which province ...?",
    "country" in "How many countries ...?"."""
    noun = language.wh_noun(a)
    if noun is None and wh in ("how many", "how much"):
        for i, t in enumerate(tokens[:-2]):
            if t.lower == "how" and tokens[i + 1].lower in ("many", "much"):
                following = [x for x in tokens[i + 2:i + 5] if x.pos in ("NOUN", "PROPN")]
                noun = following[0] if following and tokens[i + 2].pos in ("NOUN", "ADJ", "PROPN") else None
                break
    return noun.lemma.lower() if noun is not None else None


def _qualified_nouns(a: language.Analysis, context: set[str]) -> tuple[tuple[str, frozenset[str]], ...]:
    """Common nouns with a common noun before them that says which kind ("sugar industry", "software
    patents"), as (head term, qualifier terms). Names are matched as names, not here."""
    found = []
    for t in a.tokens:
        if t.pos != "NOUN" or t.ent_type:
            continue
        # a qualifier qualified by a proper name belongs to a name ("the Kestrel Harbour bridge"):
        # "bridge cost" is then the tagger reading the verb "cost" as a noun, not a kind of cost
        qualifiers = [a.tokens[c] for c in a.children(t.i)
                      if a.tokens[c].dep == "compound" and a.tokens[c].pos == "NOUN" and not a.tokens[c].ent_type
                      and not any(a.tokens[g].pos == "PROPN" for g in a.children(c))]
        head = match_terms(t.text)
        terms = frozenset(x for q in qualifiers for x in match_terms(q.text)) - context
        if head and terms and head[0] not in context:
            found.append((head[0], terms))
    return tuple(found)


def _asking_sentence(a: language.Analysis) -> int:
    """The index of the sentence that asks, when a statement comes first: "Donald Trump was sworn in
    Monday as the 47th president. Which holiday was it?" asks about a holiday; the first sentence
    only sets the scene. 0 when the question is one sentence (or none ends with a question mark)."""
    asking = [i for i, s in enumerate(a.sentences) if s.text.rstrip().endswith("?")]
    if len(asking) != 1:
        return 0  # none, or several questions ("What did Biden say? And what did Harris reply?"): all asked
    return asking[0]


def _terms_and_numbers(text: str) -> set[str]:
    return set(match_terms(text)) | numbers(text)


def _is_year_or_month(number: str) -> bool:
    """A year or a month of a scene-setting statement still places the story in time; a count there
    ("injuring at least 21 people") describes it, and a later report may give another count."""
    return not number[:1].isdigit() or bool(_YEAR.fullmatch(number))


def _asks_rank(tokens: list[language.Token]) -> bool:
    """"Where did Kim Collins finish?", "Where does Arsenal stand?": a ranking verb asked about, not
    "Where did the talks take place?" (a noun), "Where did the virus come from?" nor "Where will the
    tour end up?" (a place, reached through its particle)."""
    for t in tokens:
        # the ROOT, whatever its tag: the small model tags "finish" of "Where did Kim Collins finish?" a noun
        if (t.pos == "VERB" or t.dep == "ROOT") and t.lemma.lower() in RANKING_VERBS \
                and not any(c.head == t.i and c.i != t.i and (c.dep == "prt" or c.lower in ("from", "to", "into"))
                            for c in tokens):
            return True
    return False


def _asks_for_cause(tokens: list[language.Token]) -> bool:
    """"What reason ...", "What was the cause of ...": the noun after the wh-word names a cause."""
    for i, t in enumerate(tokens[:-1]):
        if t.lower in ("what", "which"):
            nxt = [x for x in tokens[i + 1:i + 4] if x.pos == "NOUN"]
            return bool(nxt) and nxt[0].lemma.lower() in language.CAUSAL_NOUNS
    return False


def _kind(a: language.Analysis, tokens: list[language.Token], lowered: list[str]) -> Kind:
    words = [w for w in lowered if w.isalpha() or "'" in w]
    if words and all(w in CONTINUE_WORDS for w in words) and any(w in ("more", "else", "then", "go", "continue",
                                                                     "elaborate", "expand", "next") for w in words):
        return "more"
    lemmas = [t.lemma.lower() for t in tokens]
    if any(lemma in BRIEFING_VERBS for lemma in lemmas[:2]):
        return "briefing"  # "Summarize ...", "Please summarise ...", "Compare ..."
    if lowered[:1] in (["which"], ["what"]) and len(lemmas) > 1 and lemmas[1] in SOURCE_NOUNS:
        return "briefing"  # "Which articles mention Microsoft?"
    # "Tell me about X", "What do the sources say about X?", "What's the news about/on X?"
    for t in tokens:
        about = [c for c in a.children(t.i) if a.tokens[c].lower in ("about", "on", "of")
                 and a.tokens[c].dep == "prep"]
        if not about:
            continue
        if t.lemma.lower() in ("tell", "know") or t.lower in BRIEFING_NOUNS:
            return "briefing"
        # "What do the sources say about X?": the sources themselves are asked, not a speaker of theirs
        # (a report or a document may be one the articles quote: "what did the report say" asks of that one)
        if any(a.tokens[c].dep in ("nsubj", "nsubjpass") and _names_the_sources(a, a.tokens[c])
               for c in a.children(t.i)):
            return "briefing"
    return "fact"


def _names_the_sources(a: language.Analysis, t: language.Token) -> bool:
    """"the sources", "the articles", "the stories", "the reports", "the news": the indexed articles;
    not "the court documents" or "police reports", particular ones the articles may quote."""
    lemma = t.lemma.lower()
    qualified = any(a.tokens[c].dep in ("compound", "amod", "poss") for c in a.children(t.i))
    return not qualified and (lemma in ("source", "article", "story") or (lemma in SOURCE_NOUNS and t.lower != lemma)
                              or t.lower in BRIEFING_NOUNS)


def _request_words(a: language.Analysis, tokens: list[language.Token]) -> set[str]:
    """The match terms of the request itself ("summarize", "news", "tell"), not of its topic."""
    words = [t.text for t in tokens if t.lemma.lower() in BRIEFING_VERBS or t.lower in BRIEFING_NOUNS
             or t.lemma.lower() in SOURCE_NOUNS or t.lemma.lower() in ("tell", "know", "mention", "say")
             or t.lower in CONTINUE_WORDS]
    return set(match_terms(" ".join(words)))


def _names(a: language.Analysis) -> tuple[AskedName, ...]:
    """Entities that are not amounts or dates, and proper nouns the model left unlabelled."""
    found: list[tuple[int, int, str]] = []
    covered: set[int] = set()
    describing = _answer_description(a)
    for ent in a.entities:
        if ent.label in NUMERIC_LABELS:
            covered.update(range(ent.token_start, ent.token_end))
            continue
        if ent.label == "NORP" and ent.token_start in describing:
            # "Which American chain ...?", "which Chinese company": a nationality describes the
            # answer, and its article need not write it ("Starbucks ... in Michigan")
            covered.update(range(ent.token_start, ent.token_end))
            continue
        first, last = ent.token_start, ent.token_end
        while last - first > 1 and a.tokens[first].lower in ("the", "a", "an"):
            first += 1
        found.append((first, last, ent.label))
        covered.update(range(ent.token_start, ent.token_end))
    run: list[int] = []
    for t in list(a.tokens) + [None]:
        if t is not None and t.i not in covered and t.pos == "PROPN" and t.text[:1].isupper() and t.i > 0:
            run.append(t.i)
            continue
        if run:
            found.append((run[0], run[-1] + 1, ""))
            run = []
    names = []
    for first, last, label in sorted(found):
        while first < last and (a.tokens[first].lower.rstrip(".") in language.TITLES
                                or (first == 0 and a.tokens[first].lower in BRIEFING_VERBS)):
            first += 1  # "Ambassador Mansouri": the office is not the name; nor "Compare" opening "Compare Lufthansa's ..."
        if first == last:
            continue
        written = a.text[a.tokens[first].start:a.tokens[last - 1].end]
        written = re.sub(r"['’]s?$", "", written).strip()
        terms = tuple(match_terms(written))
        if terms:
            names.append(AskedName(written, label, terms))
    return tuple(names)


def _answer_description(a: language.Analysis) -> range:
    """Token positions between "which/what" and the noun it asks for: the words that describe the
    answer ("popular European tourist" in "Which popular European tourist destination ...?")."""
    noun = language.wh_noun(a)
    if noun is None:
        return range(0)
    wh = max((t.i for t in a.tokens[:noun.i] if t.lower in ("which", "what", "whose")), default=noun.i)
    between = a.tokens[wh + 1:noun.i]
    if any(t.pos in ("AUX", "VERB", "DET", "PART") for t in between):
        return range(0)  # "What is the French president's name?": the president is a topic, not the answer
    return range(wh + 1, noun.i)


def _focus(a: language.Analysis, context: set[str]) -> str | None:
    """For "Who/What is [the] X [of Y]?" the match term of X (or of Y when X is "name")."""
    for clause in a.clauses:
        if clause.verb != "be" or clause.dep != "ROOT":
            continue
        phrases = list(clause.subjects) + list(clause.attributes)
        wh = [p for p in phrases if a.tokens[p.head].lower in ("who", "what", "which")]
        other = [p for p in phrases if p not in wh and a.tokens[p.head].pos == "NOUN"]
        if not wh or not other:
            continue
        head = a.tokens[other[0].head]
        if head.lemma.lower() in NAMING_NOUNS:
            objects = [c for c in a.children(head.i) if a.tokens[c].lower == "of"]
            nouns = [g for c in objects for g in a.children(c) if a.tokens[g].dep == "pobj"]
            if not nouns or a.tokens[nouns[0]].pos != "NOUN":
                return None
            head = a.tokens[nouns[0]]
        terms = match_terms(head.text)
        return terms[0] if terms and terms[0] not in context else None
    return None


def _speech(a: language.Analysis, names: tuple[AskedName, ...]) -> tuple[AskedName | None, bool]:
    """(whose words are asked for, whether a speaker is asked for). "What did X say about Y?" asks for
    X's words; "Who said [that] Y?" for a speaker: a reporting verb with a clause of what was said
    ("Who wrote The Vagina Monologues?" asks for an author, not a speaker)."""
    for n, clause in enumerate(a.clauses):
        if clause.verb not in language.REPORTING_VERBS or clause.negated or not clause.subjects:
            continue
        subject = clause.subjects[0]
        said = any(c.parent == n and c.dep in ("ccomp", "parataxis") for c in a.clauses)
        if a.tokens[subject.head].lower in ("who", "whom") and said:
            return None, True
        asks_what = any(a.tokens[o.head].lower == "what" for o in clause.objects) or any(
            t.lower == "what" and t.i < clause.verb_token for t in a.tokens)
        if not subject.pronoun and asks_what:
            for name in names:
                if name.text in subject.text or subject.core in name.text:
                    return name, False
    return None, False
