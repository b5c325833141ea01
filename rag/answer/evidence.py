"""Evidence: the retrieved sentences ranked by how well they answer the question, and the
refusal gate shared by both answerers. The question is read by the language layer once
(rag/answer/question.py); the articles are not parsed at ingest (see "Costs" below).

The gate, in order, without calling any model:
1. Spelling (rag/answer/spelling.py): a lower-case question word that is neither English nor in
   the retrieved articles is read as the closest word they hold: "ryanar" -> "ryanair".
2. Names and numbers: every name of the question must be in some retrieved article or its
   headline (names may be spread over several articles: "Acme" in two titles), and every number
   or month in one of the articles holding the names, where the article's publication date counts
   for years and months ("in June 2005"). Otherwise the refusal names what is missing, as the
   question wrote it, and never something a retrieved article holds. A statement before the
   question ("Donald Trump was sworn in Monday. Which holiday ...?") only sets the scene: its
   names must be in the articles (half of them in one that answers) but not in the answering
   sentence, its words weigh half, its counts do not gate (a later report gives another count;
   its years and months do) and its verbs are not checked for their participants.
3. Sentences: every sentence of the retrieved chunks in an article that can answer is scored

       relevance = 0.6 * lexical + 0.4 * semantic + 0.1 * answer-type bonus   (x 0.85 for a headline)

   with lexical and semantic the parts of support scoring (rag/answer/support.py), each question
   word weighted by its rarity among the candidates. A sentence must speak to the question
   beyond its names (share a word of the topic, or for a why-question give a reason in words
   close to the question's) and hold most of its names (itself, its headline, or a he/she whose
   antecedent is the name: "He said ..." after "David Davis told ..."). For the few best
   sentences the language layer then checks what it can only check with a parse: the answer-type
   bonus (an entity of the kind asked for that the question does not already name, or for a
   why-question a cause), the noun a copular question asks for ("Who is China's foreign
   minister?" needs "minister"), and a near miss on the verb's subject or object ("sign the
   petition" is not answered by "signed ... a letter", "profits rose" not by "sales rose"). A
   dateline ("WASHINGTON ―") says where the story was filed and is never the answer.
The gate refuses when the best sentence is below RELEVANCE_THRESHOLD.

Costs (2 cores, shared; see bench/latency.py): the question's parse ~20 ms; each parsed sentence
~12 ms (FULL; cached per sentence across questions), at most PARSED sentences plus, when a
pronoun may carry a name, one short window. Parsing every article at ingest would cost ~1 s per
RealTime QA article (bench/language.py): more than its embedding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Collection, Iterable

from rag import language
from rag.answer import spelling
from rag.answer.citations import SentenceSpan, article_sentences, spans_for_hits
from rag.answer.question import AskedName, Question, read_question
from rag.answer.support import TermWeights, blend, lexical_coverage, semantic_scores
from rag.text import match_term_set, match_terms, numbers, words

if TYPE_CHECKING:
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder
    from rag.index.sources import Article

RELEVANCE_THRESHOLD = 0.4
NOTHING_MATCHES = "nothing in the sources matches the question"
NO_SENTENCE = "no sentence in the sources answers the question"
TYPE_BONUS = 0.1
# Labels of names: an answer entity with one of them holds a proper noun, and an owner ("China's") is one.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART"})
# Labels of amounts and dates: a question asking for one ("how many", "how long", "which year") is
# answered only by a sentence holding one.
# Initials that stand for a name in an article that never writes it in full: three capitals ("ECB",
# "WHO"); two ("BA", "MP") only where the article also writes the name.
MIN_INITIALS_ALONE = 3
AMOUNT_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "DATE", "TIME", "ORDINAL"})
# A name as long as this, one letter swapped, is the question's name misspelt by the story.
MISSPELT_MIN_LENGTH = 6
HEADLINE_FACTOR = 0.85  # a headline restates the story; prefer a body sentence saying the same
OWNER_REACH = 3  # words either side of a possessive read for names coordinated with its owner
SHORTLIST = 10  # sentences embedded per question at most (~4.5 ms each on 2 cores)
PARSED = 4  # best sentences the language layer reads (~12 ms each, FULL pipeline)
PARSED_FOR_IDENTITY = 8  # for "Who is <name>?", where many sentences match the name alike
# Reasons are seldom given in the question's words: for "why did Qatar withdraw", "has pulled out ...
# concerned about" shares no asked term. Such a sentence stays a candidate when the language layer
# finds a cause in it and it reads as a close paraphrase.
PARAPHRASE_SEMANTIC = 0.8
# A fact question's verb is often not the article's ("How much did Gerard Jugnot earn?", "Jugnot
# made 5.45m Euros"): such a sentence stays a candidate when it holds an entity of the kind asked
# for and reads close to the question. 0.65 is cosine ~0.58; that pair measured 0.705, a near miss
# of another kind ("Jean Reno ... earning 3.55m Euros" for Jugnot) 0.326. Not for "when": a dated
# sentence on the same topic is often another event ("had signed on July 12" for "when did he
# write", measured 1.0).
PARAPHRASE_FACT_SEMANTIC = 0.65
# A sentence giving no cause answers a why-question poorly: its relevance is scaled by this.
NO_CAUSE_FACTOR = 0.8
# Weight of an earlier question's words in a why-follow-up ("Why did it rise?").
CONTEXT_WEIGHT = 0.5
# Sentences before a "he"/"she" that may name the person (language.Analysis.antecedent looks 3 back).
ANTECEDENT_WINDOW = 3
# Sentences either side of a candidate where an amount the question gives may be written
# ("The deal is worth $500bn." then "Apple said it would ...").
AMOUNT_REACH = 1

_BOILERPLATE = re.compile(
    r"^(written by|by [A-Z][a-z]+|read more|share this|click here|follow us|subscribe|copyright|all rights reserved"
    r"|advertisement|photo:|image:|related:|sign up)",
    re.IGNORECASE,
)
# A quotation in the question; not the stretch between two possessives ("Lufthansa's results with Marsh's").
_QUOTED = re.compile(r"(?<!\w)['‘\"“]([^'’\"”]{8,})['’\"”](?!\w)")
_PERSON_PRONOUN = re.compile(r"\b(he|she|his|her|him)\b", re.IGNORECASE)
# The words news uses for any organisation, described before (or instead of) being named: "A US
# defence and telecommunications company has agreed to pay $28.5m ..." opens a story that names
# the Titan Corporation in its next sentence.
_ORGANISATION = re.compile(r"\b(?:[Tt]he|[Aa]n?)\b[^.;:]{0,60}?\b(company|firm|corporation)\b")
DESCRIPTION_WINDOW = 2  # sentences either side of a description read for the name it stands for
# A dateline: where the story was filed, in capitals before a dash ("WASHINGTON ―", "LONDON (Reuters) -",
# "NEW YORK, March 3 -"). It says where the reporter was, not where what is asked about happened.
_DATELINE = re.compile(r"[A-Z][A-Z.' ]*[A-Z.](?:,\s*[A-Z][a-z]{2,8}\.? \d{1,2})?(?:\s*\([^)\n]{1,30}\))?\s*[-—―–]+\s")
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_DIGIT = re.compile(r"\d")


@dataclass
class RankedSpan:
    span: SentenceSpan
    relevance: float
    lexical: float
    semantic: float


@dataclass
class Evidence:
    question: str  # as answered: spelling corrected when it was
    ranked: list[RankedSpan]  # best first
    refusal_reason: str | None
    asked: Question | None = None
    usable: set[str] = field(default_factory=set)  # ids of the articles that can answer
    # articles that each hold only part of the question's names or numbers ("March" in one story,
    # "June" in another): an answer quotes each of them
    spread: list[str] = field(default_factory=list)
    # the question's names no retrieved article writes, when that is why it is refused: the caller
    # may search the articles that do (the retrieved ones are only the top few)
    missing_names: tuple[str, ...] = ()
    # names of the question read as the sources write them ("Meet the Fokers" as "Meet the
    # Fockers"): (as asked, as read); the answer says how the question was read
    read_names: tuple[tuple[str, str], ...] = ()

    @property
    def best(self) -> RankedSpan | None:
        return self.ranked[0] if self.ranked else None


# -- what an article holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFacts:
    terms: frozenset[str]  # match terms of the text and the headline
    words: frozenset[str]  # lower-cased words (spelling, names run together: "timewarner")
    numbers: frozenset[str]  # numbers and months of the text and headline
    dates: frozenset[str]  # year, month and day of the publication date
    capitals: frozenset[str] = frozenset()  # words written in capitals ("BA", "ECB"): abbreviated names
    proper: frozenset[str] = frozenset()  # words written with a capital ("Whitbread"): names to suggest


@lru_cache(maxsize=4096)
def _facts(article_id: str, text_hash: str, title: str, text: str, published: str | None) -> ArticleFacts:
    """Tokenising whole articles on every question would cost more than ranking their sentences,
    and articles rarely change."""
    body = f"{title}\n{text}"
    written = words(body)
    return ArticleFacts(match_term_set(written), frozenset(w.lower() for w in written),
                        frozenset(numbers(body)), frozenset(published_numbers(published)),
                        frozenset(_capitals(written)), frozenset(w for w in written if w[:1].isupper()))


def facts_of(article: Article) -> ArticleFacts:
    return _facts(article.id, article.hash, article.title, article.text, _published(article))


def _published(article: Article) -> str | None:
    value = article.meta.get("published")
    return str(value) if value else None


def published_numbers(published: str | None) -> set[str]:
    """"2005-06-14..." or "2005/06/14" -> {"2005", "jun", "14"}: the facts a date in front matter gives."""
    match = re.match(r"(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?", published or "")
    if not match:
        return set()
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    year, month, day = match.groups()
    found = {year}
    if 1 <= int(month) <= 12:
        found.add(months[int(month) - 1])
    if day:
        found.add(str(int(day)))
    return found


def published_words(published: str | None) -> str:
    """"2005-06-30" -> "June 2005": the publication date as words a question may use."""
    match = re.match(r"(\d{4})[-/](\d{1,2})", published or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return ""
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
    return f"{months[int(match.group(2)) - 1]} {match.group(1)}"


def sentence_bounds_at(article: Article, span: SentenceSpan) -> tuple[tuple[tuple[int, int], ...], int | None]:
    """The article's sentence bounds and the index of the one ``span`` starts (None if it starts none)."""
    bounds = article_sentences(article.id, article.hash, article.text)
    return bounds, next((n for n, (start, _) in enumerate(bounds) if start == span.start), None)


# -- the gate ----------------------------------------------------------------------------------------


def gather_evidence(question: str, hits: list[Hit], embedder: Embedder,
                    context_terms: Collection[str] = frozenset(), asked: Question | None = None,
                    semantic_text: str | None = None) -> Evidence:
    """Rank every sentence of the retrieved chunks against ``question`` (read by ``read_question``
    unless ``asked`` is given; re-read when its spelling is corrected).

    ``context_terms`` (from earlier turns of a conversation) count as present in every
    article, so "When did he withdraw it?" is not refused for lacking its subject.
    ``semantic_text`` is what sentences are embedded against (default: the question; a follow-up
    passes its standalone form, which carries the previous question).
    """
    if asked is None:
        asked = read_question(question, context_terms)
    if not hits:
        return Evidence(asked.text, [], NOTHING_MATCHES, asked)
    articles = {h.article.id: h.article for h in hits}
    facts = {aid: facts_of(a) for aid, a in articles.items()}
    corrected = spelling.correct(asked.text, set().union(*(f.words for f in facts.values())))
    if corrected != asked.text:
        asked = read_question(corrected, context_terms, as_briefing=asked.kind == "briefing")
        semantic_text = None
    usable, absent = articles_that_can_answer(asked, facts)
    read_names = _misspelt_names(asked, facts) if absent else ()
    if read_names:
        asked = read_question(with_names_read(asked.text, read_names), context_terms,
                              as_briefing=asked.kind == "briefing")
        semantic_text = None
        usable, absent = articles_that_can_answer(asked, facts)
    if absent:
        missing = tuple(n.text for n in _names_no_article_holds(asked, facts))
        return Evidence(asked.text, [], absent, asked, missing_names=missing)
    spread = [aid for aid in usable if asked.numbers and not asked.numbers <= (facts[aid].numbers | facts[aid].dates)]
    spans = [s for s in spans_for_hits(hits) if s.article_id in usable and not is_boilerplate(s.text)]
    if not spans:
        return Evidence(asked.text, [], NOTHING_MATCHES, asked, usable)
    # no one article holds every name: each sentence must then name each of them itself
    # (a briefing may set them side by side, a sentence each)
    apart = asked.kind == "fact" and not any(holds_the_names(asked, facts[aid]) for aid in usable)
    ranked = _rank(asked, spans, hits, embedder, semantic_text or asked.text, set(context_terms), apart)
    reason = None
    if not ranked or ranked[0].relevance < RELEVANCE_THRESHOLD:
        reason = NO_SENTENCE
    return Evidence(asked.text, ranked, reason, asked, usable, spread, read_names=read_names)


def holds_name(name: AskedName, facts: ArticleFacts) -> bool:
    """The article writes the name: its words, run together ("TimeWarner" for "Time Warner") or
    abbreviated to its capitals ("BA" for "British Airways")."""
    return set(name.terms) <= facts.terms or (len(name.joined) > 3 and name.joined in facts.words) or (
        name.initials is not None and len(name.initials) >= MIN_INITIALS_ALONE and name.initials in facts.capitals)


def holds_the_names(asked: Question, facts: ArticleFacts) -> bool:
    """Every name of the question, or, when a statement sets the scene first ("Donald Trump was sworn
    in as the 47th president of the United States. Which holiday ...?"), every name of the question
    proper and at least half of the scene's: the story may name Trump and not the country."""
    scene = [n for n in asked.names if asked.sets_scene(n)]
    held = [n for n in scene if holds_name(n, facts)]
    return all(holds_name(n, facts) for n in asked.names if n not in scene) and len(held) * 2 >= len(scene)


def _names_no_article_holds(asked: Question, facts: dict[str, ArticleFacts]) -> list[AskedName]:
    return [n for n in asked.names if not any(holds_name(n, f) for f in facts.values())]


def _written_and_known(facts: dict[str, ArticleFacts]) -> tuple[set[str], set[str]]:
    """The articles' capitalised words as written and their lower-case words (``spelling``'s vocabularies)."""
    return set().union(*(f.proper for f in facts.values())), set().union(*(f.words for f in facts.values()))


def _misspelt_names(asked: Question, facts: dict[str, ArticleFacts]) -> tuple[tuple[str, str], ...]:
    """Each name no article writes, with the name the articles surely mean
    (``spelling.misspelt_name``); empty unless every such name has one."""
    written, known = _written_and_known(facts)
    readings = [(n.text, spelling.misspelt_name(n.text, written, known)) for n in _names_no_article_holds(asked, facts)]
    return tuple((n, r) for n, r in readings if r) if readings and all(r for _, r in readings) else ()


def with_names_read(text: str, read_names: Iterable[tuple[str, str]]) -> str:
    """``text`` with each name as asked replaced by its reading (``Evidence.read_names``)."""
    for name, reading in read_names:
        text = text.replace(name, reading)
    return text


def articles_that_can_answer(asked: Question, facts: dict[str, ArticleFacts]) -> tuple[set[str], str | None]:
    """The articles that can answer, or why none can.

    Each name must be in some article; an article can answer when it holds at least one of the
    names (all of them when one article holds them all) and, when the question gives numbers, the
    ones it gives: "Who won the 2018 World Cup?" is not answered by a 2005 story about the World Cup.
    """
    missing = _names_no_article_holds(asked, facts)
    if missing:
        reason = f"the sources do not mention {_listed(n.text for n in missing)}"
        written, known = _written_and_known(facts)
        close = [c for c in (spelling.closest_name(n.text, written, known) for n in missing) if c]
        return set(), reason + (f"; the closest they write is {_listed(close, 'and')}" if close else "")
    with_names = {aid for aid, f in facts.items() if holds_the_names(asked, f)}
    joiner = "and"
    if not with_names:
        with_names = {aid for aid, f in facts.items() if any(holds_name(n, f) for n in asked.names)}
        joiner = "or"
    if not asked.numbers:
        return with_names, None
    covered = {aid: asked.numbers & (f.numbers | f.dates) for aid, f in facts.items() if aid in with_names}
    usable = {aid for aid, found in covered.items() if found}
    if usable and set().union(*covered.values()) >= asked.numbers:
        return usable, None
    missing_numbers = sorted(asked.numbers - set().union(*covered.values()), key=_number_order)
    shown = _written_numbers(asked.text, missing_numbers)
    if asked.names and any(missing_numbers[0] in (f.numbers | f.dates) for f in facts.values()):
        # another retrieved article has the number: say what is missing without contradicting it
        return set(), f"the sources that mention {_listed((n.text for n in asked.names), joiner)} do not mention {shown}"
    return set(), f"the sources do not mention {shown}"


def _number_order(n: str) -> tuple[int, str]:
    return (0 if n.isdigit() else 1, n)


def _written_numbers(question: str, found: list[str]) -> str:
    """The numbers as the question writes them ("June", not "jun")."""
    shown = []
    for n in found:
        match = re.search(rf"\b({re.escape(n)}[a-z]*)\b", question, re.IGNORECASE) if not n.isdigit() else None
        shown.append(match.group(1) if match else n)
    return _listed(shown)


def _listed(items, joiner: str = "or") -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {joiner} " + items[-1]


# -- ranking ------------------------------------------------------------------------------------------


def pool_idf_weights(weights: TermWeights, span_terms: list[set[str]]) -> TermWeights:
    """Scale each question term by how rare it is among the candidate sentences.

    "Qatar" in a question about an article on Qatar is in most sentences and tells them
    apart poorly; "informed" is in one and points straight at the answer.
    """
    n = len(span_terms)
    out = {}
    for term, weight in weights.items():
        df = sum(1 for st in span_terms if term in st)
        out[term] = weight * math.log(1 + n / (1 + df))
    return out


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.match(text.strip())) or len(text.split()) < 4


@dataclass
class _Candidate:
    index: int
    span: SentenceSpan
    terms: set[str]
    lexical: float
    semantic: float
    is_headline: bool
    relevance: float = 0.0
    fits: bool = False  # the language layer found what the question asks for in it (_read_best)
    per_unit: bool = False  # what it found is a price of one unit ("$76 a share"), not a total
    total: bool = False  # what it found is a sum of money, and not of one unit ("for $25.4bn")


def _rank(asked: Question, spans: list[SentenceSpan], hits: list[Hit], embedder: Embedder,
          semantic_text: str, context_terms: set[str] = frozenset(), names_apart: bool = False) -> list[RankedSpan]:
    """The shortlisted sentences that answer what is asked, best first."""
    articles = {h.article.id: h.article for h in hits}
    # the headline, and the month and year the article was published ("in June" of a June story),
    # lend their words to every sentence of the article, at half weight (support.lexical_coverage)
    title_terms = {aid: set(match_terms(f"{a.title} {published_words(_published(a))}")) for aid, a in articles.items()}
    # the names the headline or the story's opening sentence gives are the story's: "Film studio Fox
    # has bought the rights for around $4m" is about the book the lede names
    story_names = {aid: title_terms[aid] | (set(match_terms(lede(a))) & asked.name_terms) for aid, a in articles.items()}
    article_terms = {aid: facts_of(a).terms for aid, a in articles.items()}
    span_terms = [set(match_terms(s.text)) | joined_names(asked, s.text, article_terms[s.article_id]) for s in spans]
    asked_weights = dict(asked.weights)
    if asked.is_why and context_terms:
        # "Why did it rise?" after "How much did Time Warner's profits rise?": "it" is the profits;
        # the earlier question's words count, at half weight, for the reason
        for term in context_terms - set(asked_weights):
            asked_weights[term] = CONTEXT_WEIGHT
    weights = pool_idf_weights(asked_weights, span_terms)
    lexical = [lexical_coverage(weights, st, title_terms[s.article_id]) for s, st in zip(spans, span_terms)]
    # Dense retrieval rank breaks lexical ties, so the shortlist keeps paraphrases too.
    chunk_rank = {h.chunk.id: r for r, h in enumerate(hits)}
    # "How much will the Mac mini cost?": of sentences sharing as many words, one writing a number
    # may answer and one without cannot (_read_best drops it), so the numbered ones are embedded first
    wants_number = asked.kind == "fact" and bool(asked.labels) and asked.labels <= AMOUNT_LABELS - {"DATE", "TIME"}
    order = sorted(range(len(spans)), key=lambda i: (-lexical[i], wants_number and not _writes_a_number(spans[i].text),
                                                     chunk_rank.get(spans[i].chunk_id, 99)))
    if asked.kind == "briefing":
        # a briefing quotes several articles: the best sentences of each, not of whichever article
        # holds the first retrieved chunks
        order = _round_robin(order, [spans[i].article_id for i in order])
    order = [i for i in order[:SHORTLIST] if _may_pass(asked, spans[i], span_terms[i], story_names, articles, names_apart)]
    semantics = semantic_scores(embedder, [spans[i].text for i in order], embedder.embed_query(semantic_text))
    topic = {t: 1.0 for t in weights if t not in asked.name_terms}
    candidates = []
    for i, semantic in zip(order, semantics):
        span = spans[i]
        article = articles[span.article_id]
        if not speaks_to(topic, span_terms[i]) and not paraphrases(asked, span, span_terms[i], semantic):
            continue
        found = span_terms[i] | story_names[span.article_id] | _names_just_before(asked, article, span, span_terms[i])
        if not holds_most_names(asked, found, names_apart):
            resolved = _names_by_pronoun(asked, article, span, found) | _names_by_description(asked, article, span, found)
            if not holds_most_names(asked, found | resolved, names_apart):
                continue
            # "He said ..." says what David Davis said: his name counts as written
            span_terms[i] = span_terms[i] | resolved
            lexical[i] = lexical_coverage(weights, span_terms[i], title_terms[span.article_id])
            if not _fits_lexically(asked, span, span_terms[i], article):
                continue  # checked again with the name: _may_pass saw the sentence without it
        is_headline = span.position == 0 and span.text.strip() == article.title.strip()
        candidates.append(_Candidate(i, span, span_terms[i], lexical[i], semantic, is_headline))
    for c in candidates:
        c.relevance = relevance(c.lexical, c.semantic, c.is_headline)
    candidates.sort(key=lambda c: -c.relevance)
    candidates = _on_the_named_day(asked, candidates)
    # "Who is Michelle Paver?": every sentence naming her matches as well; the one describing her
    # may be further down
    parsed = PARSED_FOR_IDENTITY if asked.asks_identity else PARSED
    read = _read_best(asked, candidates[:parsed], topic)
    if asked.labels and asked.labels <= AMOUNT_LABELS and asked.wh != "when":
        candidates = candidates[:parsed]  # only a parsed sentence can show it holds the amount asked for
    if (asked.wh == "where" or asked.asks_identity) and any(c.fits and c.relevance >= RELEVANCE_THRESHOLD for c in read):
        # "Where did Patsy Rowlands die?": the sentence giving a place ("died in Hove"), not the
        # better-matching lede that gives none ("has died at the age of 71"); "Who is Michelle
        # Paver?": "Paver, who lives in London and previously worked as a lawyer", not a quote
        # of her spokesman
        read, candidates = [c for c in read if c.fits], candidates[:parsed]
    ranked = read + candidates[parsed:]
    ranked.sort(key=lambda c: -c.relevance)
    ranked = _headlines_last(_totals_first(asked, ranked))
    return [RankedSpan(c.span, c.relevance, c.lexical, c.semantic) for c in ranked]


def _writes_a_number(text: str) -> bool:
    return bool(_DIGIT.search(text)) or any(w.lower() in language.NUMBER_WORDS for w in words(text))


def _on_the_named_day(asked: Question, candidates: list[_Candidate]) -> list[_Candidate]:
    """For a fact question naming a day ("How much did it take on Christmas Day?"), the sentences
    that write that day, when some do: a figure beside another day ("New Year's Day, when it took
    $18m") answers another question, however many words it shares."""
    if asked.kind != "fact" or not asked.named_days:
        return candidates
    on_the_day = [c for c in candidates if all(day <= c.terms for day in asked.named_days)]
    return on_the_day if any(c.relevance >= RELEVANCE_THRESHOLD for c in on_the_day) else candidates


def _may_pass(asked: Question, span: SentenceSpan, terms: set[str], story_names: dict[str, set[str]],
              articles: dict[str, Article], names_apart: bool) -> bool:
    """The checks of ``_rank`` that need no embedding, run first so that only sentences that may pass
    are embedded (~4.5 ms a sentence): a sentence lacking the question's names, with no he/she that
    could stand for them, or failing a quoted word, a year, the kind asked or asking itself, is
    dropped there whatever its meaning."""
    article = articles[span.article_id]
    if not holds_most_names(asked, terms | story_names[span.article_id] | _names_just_before(asked, article, span, terms),
                            names_apart):
        # "He said ...", "A US ... company has agreed ...": resolved after the embedding
        return bool(_PERSON_PRONOUN.search(span.text)) or _describes_a_company(span, articles[span.article_id])
    return _fits_lexically(asked, span, terms, articles[span.article_id])


def _fits_lexically(asked: Question, span: SentenceSpan, terms: set[str], article: Article) -> bool:
    """The words the question quotes and its years are there, it is the kind of thing asked about,
    and, for a fact question, the sentence is not a question itself."""
    return (_quoted_words_in(asked, terms) and _years_in(asked, span, article) and _amounts_near(asked, span, article)
            and not _other_kind(asked, terms, span.text, set(match_terms(f"{article.title} {lede(article)}")))
            and not (asked.kind == "fact" and asks_itself(span.text)))


def asks_itself(text: str) -> bool:
    """A question in the article ("When will Starbucks begin to eliminate items?", a subheading or a
    rhetorical question) states nothing, so it answers no fact question. A question someone is
    reported asking ('Starmer asked: "Why ...?"') states what was asked."""
    stripped = text.strip()
    bare = stripped.rstrip("\"'”’)")
    if not bare.endswith("?"):
        return False
    if len(bare) < len(stripped):  # ends inside a quote: is there a sentence around it?
        opening = max(bare.rfind(q) for q in ('"', "“", "‘"))
        return opening <= 0 or not bare[:opening].strip()
    return True


def paraphrases(asked: Question, span: SentenceSpan, sentence_terms: set[str], semantic: float) -> bool:
    """A sentence sharing no word of the topic still answers when it says the same in other words:
    a why-question with a cause (PARAPHRASE_SEMANTIC); a fact question with an entity of the kind
    asked for (PARAPHRASE_FACT_SEMANTIC) when the sentence itself writes a name of the question
    ("Jugnot made ..."; not "Its profits were buoyed by one-off gains" for "How much did Time
    Warner's cable sales rise?"). The names are checked after, as for any sentence."""
    if asked.is_why:
        return semantic >= PARAPHRASE_SEMANTIC and bool(language.analyze(span.text, language.Pipes.FULL).reason_cues())
    if asked.kind != "fact" or not asked.labels or asked.wh == "when" or semantic < PARAPHRASE_FACT_SEMANTIC \
            or not any(_writes_name(n, sentence_terms) for n in asked.names):
        return False
    return bool(answer_entities(asked, language.analyze(span.text, language.Pipes.FULL)))


def _writes_name(name: AskedName, sentence_terms: set[str]) -> bool:
    """The sentence names it: a person by the surname at least ("Jugnot" for Gerard Jugnot), anything
    else in full ("Warner Bros" is not Time Warner)."""
    if name.label == "PERSON" and name.terms:
        return name.terms[-1] in sentence_terms
    return bool(name.terms) and set(name.terms) <= sentence_terms


def joined_names(asked: Question, text: str, article_terms: Collection[str] = frozenset()) -> set[str]:
    """The terms of the question's names the text writes run together or abbreviated: "TimeWarner"
    gives "time" and "warner" for "Time Warner", "BA" gives "british" and "airway" for "British
    Airways" in an article that writes the name in full (two capitals alone are too often something
    else: "MP" is no Metropolitan Police, "NI" National Insurance as well as Northern Ireland)."""
    joined = [n for n in asked.names if len(n.terms) > 1 and (len(n.joined) > 3 or n.initials)]
    acronyms = [n for n in asked.names if n.text.isalpha() and n.text.isupper() and len(n.text) >= MIN_INITIALS_ALONE]
    if not joined and not acronyms:
        return set()
    written = words(text)
    found: set[str] = set()
    if acronyms:  # the question's "IOC" for the text's "International Olympic Committee"
        spelt = _initials_of_runs(written)
        found |= {t for n in acronyms if n.text in spelt for t in n.terms}
    if joined:
        lowered, capitals = {w.lower() for w in written}, _capitals(written)

        def abbreviated(n: AskedName) -> bool:
            return bool(n.initials) and n.initials in capitals and (
                len(n.initials) >= MIN_INITIALS_ALONE or set(n.terms) <= set(article_terms))
        found |= {t for n in joined if (len(n.joined) > 3 and n.joined in lowered) or abbreviated(n) for t in n.terms}
    return found


# Small words a name of several words may hold without giving them a capital ("Bank of England").
_NAME_JOINERS = frozenset({"of", "for", "and", "the", "on", "de"})


def _initials_of_runs(written: list[str]) -> set[str]:
    """The initials of each stretch of a run of capitalised words ("International Olympic Committee"
    -> "IOC", also inside "On Monday International Olympic Committee"; "Bank of England" -> "BE")."""
    runs, current = [], []
    for w in written + [""]:
        if w[:1].isupper() and not w.isupper():
            current.append(w)
        elif current and w.lower() in _NAME_JOINERS and w.lower() != "the":
            continue
        else:
            if current:
                runs.append(current)
            current = []
    found = set()
    for run in runs:
        letters = "".join(w[0] for w in run if w.lower() not in ("the", "a", "an"))
        found |= {letters[i:j] for i in range(len(letters)) for j in range(i + 2, len(letters) + 1)}
    return found


def _capitals(written: list[str]) -> set[str]:
    """The words written in capitals, possessives as their owner ("BA's" -> "BA")."""
    bare = (w.removesuffix("'s") for w in written)
    return {w for w in bare if len(w) >= 2 and w.isupper()}


def _round_robin(order: list[int], groups: list[str]) -> list[int]:
    """``order`` regrouped: each group's first, then each group's second ..., groups in the order
    of their first item."""
    queues: dict[str, list[int]] = {}
    for i, group in zip(order, groups):
        queues.setdefault(group, []).append(i)
    out = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                out.append(queue.pop(0))
    return out


def speaks_to(topic: TermWeights, span_terms: set[str]) -> bool:
    """The sentence shares a word of what is asked beyond the names (or nothing is asked beyond them)."""
    return not topic or lexical_coverage(topic, span_terms) > 0


def holds_most_names(asked: Question, found: set[str], each: bool = False) -> bool:
    """Most of the question's name words are in the sentence (or its headline): "trade between China
    and Saudi Arabia" is not answered by the China-Qatar figure just because Saudi Arabia appears
    elsewhere in the article. Half may be missing: "Ablikim Yusuf" is "Yusuf" in the next sentence.
    With ``each`` (no one article holds every name), every name must have a word there: "How many
    planes did Qantas order from Boeing?" is not answered by Ryanair's Boeing order in another story."""
    if each:
        return all(set(n.terms) & found for n in asked.names if n.terms and not asked.sets_scene(n))
    # a name only the scene-setting statement gives counts when the sentence has it, and is left out
    # when it has not: "Qantas" of "(scene) How many planes did Qantas order?" must still be there
    name_terms = asked.name_terms - (asked.premise_names - found)
    return not name_terms or len(name_terms - found) <= len(name_terms) / 2


def _names_by_pronoun(asked: Question, article: Article, span: SentenceSpan, found: set[str]) -> set[str]:
    """The match terms of the people the sentence's he/she refer to: "He said ..." two sentences after
    "Shadow Home Secretary David Davis told ..." gives {"david", "davi"}. Parses a short window of
    the article, and only when a missing name is written just before the sentence."""
    if not _PERSON_PRONOUN.search(span.text):
        return set()
    window = antecedent_window(article, span)
    if window is None:
        return set()
    text, offset = window
    missing = asked.name_terms - found
    if not missing & set(match_terms(text[:span.start - offset])):
        return set()
    people = {person for _, person in pronoun_people(text, span.start - offset)}
    return set(match_terms(" ".join(people)))


def _names_just_before(asked: Question, article: Article, span: SentenceSpan, terms: set[str]) -> set[str]:
    """The question's name terms the sentence before writes, when this sentence writes one of the
    question's names itself: "Michelle Paver's Wolf Brother ... is the first in a planned series.
    Film studio Fox has bought the rights for around $4m" - the rights to Wolf Brother."""
    if not any(n.terms and set(n.terms) <= terms for n in asked.names) or asked.name_terms <= terms:
        return set()
    bounds, position = sentence_bounds_at(article, span)
    if not position:
        return set()
    start, end = bounds[position - 1]
    return set(match_terms(article.text[start:end])) & asked.name_terms


def _describes_a_company(span: SentenceSpan, article: Article) -> bool:
    """The story's opening sentence describes a company ("A US defence ... company has agreed"): a
    lede describes the company its next sentences name; further down, "the company" may be any
    company the story has named."""
    return bool(_ORGANISATION.search(span.text)) and span.text.strip() == lede(article)


def _names_by_description(asked: Question, article: Article, span: SentenceSpan, found: set[str]) -> set[str]:
    """The match terms of the organisation a story's opening sentence describes ("A US defence and
    telecommunications company has agreed to pay $28.5m"), when the question names it and the
    sentences around it (``DESCRIPTION_WINDOW`` either side) call that name a company, a firm
    or a corporation ("The Titan corporation was accused ...", "Titan, a California-based
    company"), and no other name so. The small model's labels are no help here: it takes "Titan"
    for a place. A name the sentence itself writes is part of the description ("US")."""
    if not _describes_a_company(span, article):
        return set()
    missing = asked.name_terms - found
    bounds, position = sentence_bounds_at(article, span)
    if not missing or position is None:
        return set()
    start = bounds[max(0, position - DESCRIPTION_WINDOW)][0]
    end = bounds[min(len(bounds) - 1, position + DESCRIPTION_WINDOW)][1]
    around = article.text[start:span.start] + article.text[span.end:end]
    called = set()
    # "The Titan corporation", "Titan, a California-based company"
    for name in re.finditer(r"(?:(?<=\bThe )|(?<=\bthe ))[A-Z][\w&'-]*(?: [A-Z][\w&'-]*)*(?= (?:company|firm|corporation)\b)"
                            r"|[A-Z][\w&'-]*(?: [A-Z][\w&'-]*)*(?=, an? [^,.;]{0,40}\b(?:company|firm|corporation)\b)", around):
        if name.group() not in span.text:  # not a word of the description itself: "US" of "a US ... company"
            called.add(name.group())
    if called:
        # "The German firm", "The Swedish company": a people, no name
        peoples = {e.text for e in language.analyze(around, language.Pipes.NER).entities if e.label in ("NORP", "PERSON")}
        called -= peoples
    named = [set(match_terms(n)) for n in called]
    # the whole name: "South African" of "a South African company" is no "African" asked about
    if len(named) != 1 or missing != named[0]:
        return set()
    return named[0]


def antecedent_window(article: Article, span: SentenceSpan) -> tuple[str, int] | None:
    """(text, offset): the sentence with the ANTECEDENT_WINDOW sentences before it, in its article."""
    bounds, position = sentence_bounds_at(article, span)
    if position is None:
        return None
    start = bounds[max(0, position - ANTECEDENT_WINDOW)][0]
    return article.text[start:span.end], start


def pronoun_people(text: str, sentence_start: int) -> list[tuple[int, str]]:
    """(offset, person) for each he/she/him/her of the last sentence of ``text`` (starting at
    ``sentence_start``) whose antecedent the language layer finds in ``text``."""
    a = language.analyze(text, language.Pipes.FULL)
    found = []
    for t in a.tokens:
        if t.start < sentence_start or t.lower not in language.PERSON_PRONOUNS:
            continue
        antecedent = a.antecedent(t.i)
        if antecedent is None:
            continue
        name = a.name_of(antecedent)
        person = name.canonical if name is not None and name.label == "PERSON" else (
            antecedent.core if antecedent.label == "PERSON" else None)
        if person:
            found.append((t.start - sentence_start, person))
    return found


def relevance(lexical: float, semantic: float, is_headline: bool, bonus: float = 0.0) -> float:
    score = blend(lexical, semantic) + bonus
    return score * HEADLINE_FACTOR if is_headline else score


def _read_best(asked: Question, best: list[_Candidate], topic: TermWeights) -> list[_Candidate]:
    """The best few sentences as the language layer reads them: the answer-type bonus, and the
    sentences that answer something else dropped (see the module docstring)."""
    if not best or asked.kind != "fact":
        return best
    analyses = language.analyze_all([c.span.text for c in best], language.Pipes.FULL)
    kept = []
    for c, a in zip(best, analyses):
        if asked.focus and asked.focus not in c.terms:
            continue  # "Who is China's foreign minister?": no minister in it
        if _other_participant(asked, a, c.terms) or _other_person(asked, a, c.terms) or _other_owner(asked, a) \
                or _other_named_agent(asked, a):
            continue
        if _denies_asked_event(asked, a):
            continue  # "Which country deported Yusuf?" is not answered by "urged Doha not to deport him"
        if _speaker_only_quoted(asked, c.span.text):
            continue  # "What did Tony Blair say?" is not answered by a quote of someone else about him
        if asked.asks_identity:
            fits = int(language.describes(a, asked.names[0].text.split()))  # "Paver, who lives in London ..."
        else:
            fits = answer_type_fits(asked, a) or _reports_words(asked, a, c.terms)
        if asked.wh == "when" and not fits and not states_event(asked, a):
            continue  # no date, and not the event asked about either ("calls for her release")
        if asked.labels and asked.labels <= AMOUNT_LABELS and asked.wh != "when" and not fits:
            continue  # "How long is Kelli White's ban?" is not answered by a sentence with no length
        c.fits = bool(fits)
        if fits and asked.labels and asked.labels <= AMOUNT_LABELS:
            amounts = answered_amounts(asked, a)
            c.per_unit = bool(amounts) and all(language.per_unit(a, e) for e in amounts)
            c.total = not c.per_unit and any(e.label == "MONEY" or language.written_in_currency(a, e) for e in amounts)
        c.relevance = relevance(c.lexical, c.semantic, c.is_headline, TYPE_BONUS * fits)
        if asked.is_why and not fits:
            c.relevance *= NO_CAUSE_FACTOR  # a why-question is answered by a cause, however close the rest
        kept.append(c)
    return kept


def _outside_quotations(text: str) -> str:
    """The text with what is inside quotation marks blanked. A straight quote opens at the start or
    after a space or bracket and closes elsewhere; a sentence whose first mark closes continues a
    quotation begun before it ('judgements," Mr Chidambaram said.')."""
    marks = [(i, ch == "“" or (ch == '"' and (i == 0 or text[i - 1] in " \t\n([—–-")))
             for i, ch in enumerate(text) if ch in "“”\""]
    chars = list(text)
    inside = bool(marks) and not marks[0][1]
    previous = 0
    for i, opening in marks + [(len(text), None)]:
        if inside:
            chars[previous:i] = " " * (i - previous)
        if opening is None:
            break
        chars[i] = " "
        inside, previous = opening, i + 1
    return "".join(chars)


def _speaker_only_quoted(asked: Question, text: str) -> bool:
    """For "What did X say ...?": X is named only inside a quotation, someone else's words about X
    ("'A stooge who will ... do anything she is told to by Tony Blair'")."""
    if asked.speaker is None:
        return False
    speaker = set(asked.speaker.terms)
    outside = _outside_quotations(text)
    return bool(speaker) and not speaker & set(match_terms(outside)) and speaker <= set(match_terms(text))


def _reports_words(asked: Question, a: language.Analysis, sentence_terms: set[str]) -> bool:
    """For "What did X say ...?", the sentence reports words said, by X or by a he/she/they
    (holds_most_names has seen X there or before it): "He said Veritas would also announce ..."
    answers "What did Kilroy-Silk say Veritas would announce?"; "Kilroy-Silk announced his
    decision to quit" reports no words."""
    if asked.speaker is None:
        return False
    speaker_terms = set(asked.speaker.terms)
    for n, clause in enumerate(a.clauses):
        if clause.verb not in language.REPORTING_VERBS or clause.negated or not clause.subjects:
            continue
        subject = clause.subjects[0]
        by_speaker = subject.pronoun or bool(set(match_terms(subject.text)) & speaker_terms & sentence_terms)
        if by_speaker and any(c.parent == n and c.dep in ("ccomp", "parataxis") for c in a.clauses):
            return True
    return False


def _denies_asked_event(asked: Question, a: language.Analysis) -> bool:
    """The sentence writes the verb of the question's main clause only negated ("pressed Doha not
    to deport him" for "Which country deported him?"): it says the event did not happen, or was
    only urged, feared or refused, so it does not answer. A negated question ("Who did not vote?"),
    a verb the sentence does not write, and "be"/"have"/"do" leave it alone."""
    main = asked.main_clause
    if main is None or main.negated or main.negations or main.verb in language.PRIMARY_VERBS:
        return False
    same = [c for c in a.clauses if c.verb == main.verb]
    return bool(same) and all(c.negated or c.negations for c in same)


def _other_person(asked: Question, a: language.Analysis, sentence_terms: set[str]) -> bool:
    """A person the question names is only in the headline, and the sentence names another person:
    "How much did Gerard Jugnot earn?" is not answered by "Jean Reno ... earning 3.55m Euros" in a
    story headlined with Jugnot."""
    # a person written with a first name and a surname: the model calls a lone "Billboard" a person too
    people = [n for n in asked.names if n.label == "PERSON" and len(n.terms) > 1 and not set(n.terms) & sentence_terms
              and not asked.sets_scene(n)]
    if not people:
        return False
    asked_terms = asked.name_terms
    return any(e.label == "PERSON" and not set(match_terms(e.text)) & asked_terms for e in a.entities)


def _other_kind(asked: Question, sentence_terms: set[str], text: str = "", title_terms: set[str] = frozenset()) -> bool:
    """The sentence has a noun the question qualifies, but none of the question's qualifiers: "How much
    is Cuba's sugar industry worth?" is not answered by "Cuba's tourist industry ... is worth $3bn".
    A noun the sentence writes bare ("these plans") goes back to the story's, so the qualifiers of
    the headline and the opening sentence count for it: "Labour plans maternity pay rise" makes them
    maternity pay plans, "... outspent Labour in the European elections" "the campaign" a European one."""
    return any(head in sentence_terms and not qualifiers & sentence_terms
               and not (qualifiers & title_terms and _written_bare(head, text))
               for head, qualifiers in asked.qualified_nouns)


def _written_bare(head: str, text: str) -> bool:
    """Every time the sentence writes the noun, the word before it is no content word ("these plans",
    "the plan"), not another qualifier ("tourist industry")."""
    written = words(text)
    places = [i for i, w in enumerate(written) if match_terms(w) == [head]]
    return bool(places) and all(i == 0 or not match_terms(written[i - 1]) for i in places)


def _quoted_words_in(asked: Question, sentence_terms: set[str]) -> bool:
    """A quotation of several words ("Did Blair say 'I have lost my passion'?") is checked word for
    word, not by its topic: all its words are in the sentence. Single words quoted
    apart ('calling him a "predator" with "dangerous" views') are the article's words, often from
    different sentences: one of them must be in the sentence."""
    quoted = [set(match_terms(q)) for q in _QUOTED.findall(asked.text)]
    if any(len(terms) > 1 and not terms <= sentence_terms for terms in quoted):
        return False
    single = set().union(*(terms for terms in quoted if len(terms) == 1))
    return not single or bool(single & sentence_terms)


def _years_in(asked: Question, span: SentenceSpan, article: Article) -> bool:
    """A year the question gives ("in 2011", "the 2022-23 season") is in the sentence, its headline,
    the article's first sentence (the lede sets the story's time: "France's best-paid actor of
    2004", then "Jugnot made 5.45m Euros last year") or its publication date: another year's
    figure does not answer it ("after the 2022-23 season" two sentences before "has averaged 23.5
    points ... this season" is not the 2022-23 average)."""
    years = {n for n in asked.numbers if len(n) == 4 and n.isdigit()}
    if not years:
        return True
    found = numbers(span.text) | numbers(article.title) | numbers(lede(article)) \
        | published_numbers(_published(article))
    return years <= found


def _amounts_near(asked: Question, span: SentenceSpan, article: Article) -> bool:
    """An amount or count the question gives ("$500 billion", "58 cases", "his 40th birthday") is
    in the sentence, a sentence next to it, the headline or the publication date: the figure
    singles out the fact asked about, so "Micron said it would invest up to $100 billion" does not
    answer "Which tech giant pledged to invest $500 billion?". Years have their own rule (_years_in)."""
    amounts = {n for n in asked.numbers if n[:1].isdigit() and not (len(n) == 4 and n.isdigit())}
    if not amounts:
        return True
    found = numbers(span.text) | numbers(article.title) | published_numbers(_published(article))
    # An ordinal inside a name the question gives ("the 149th Westminster Kennel Club Dog Show") says
    # which event the article is about: its opening sentence naming that edition is enough.
    # Any sentence of that article then passes, even one about an earlier edition's winner.
    ordinals = amounts & _ordinals_in_names(asked)
    if ordinals:
        found |= numbers(lede(article)) & ordinals
    if amounts <= found:
        return True
    bounds, position = sentence_bounds_at(article, span)
    if position is None:
        return False
    for start, end in bounds[max(0, position - AMOUNT_REACH):position + AMOUNT_REACH + 1]:
        found |= numbers(article.text[start:end])
    return amounts <= found


def _ordinals_in_names(asked: Question) -> set[str]:
    """The numbers the question writes as an ordinal inside a name ("149" of "149th Westminster ...")."""
    return {m.group(1) for name in asked.names for term in name.terms
            if (m := re.fullmatch(r"(\d+)(?:st|nd|rd|th)", term))}


def lede(article: Article) -> str:
    """The article's first sentence after its headline."""
    for start, end in article_sentences(article.id, article.hash, article.text):
        sentence = article.text[start:end].strip()
        if sentence and sentence != article.title.strip():
            return sentence
    return ""


def _has_term(term: str, terms: set[str]) -> bool:
    return term in terms or any(len(t) >= 4 and len(term) >= 4 and (t.startswith(term) or term.startswith(t))
                                for t in terms)


def answer_type_fits(asked: Question, a: language.Analysis) -> int:
    """How well the sentence holds the kind of thing asked for, not already named by the question:
    1 for a date for "when", an amount for "how much", a person or organisation for "who", a cause
    for "why"; 2 for an entity written with the noun the question asks for ("Xinjiang province" for
    "In which province ...?", "70 ... planes" for "How many planes ...?"); 0 for none."""
    if asked.is_why:
        return 1 if a.reason_cues() else 0
    found = answer_entities(asked, a)
    if not found:
        return 0
    return 2 if any(asked_noun_distance(asked, a, e) <= 2 for e in found) else 1


def asked_noun_distance(asked: Question, a: language.Analysis, ent: language.Entity) -> int:
    """Edges in the parse from the entity to the noun the question asks for: 1 for "Xinjiang
    province" and "70 ... planes", 2 for "the city of Kampala"; 99 when there is no such noun."""
    if not asked.wh_noun:
        return 99
    nouns = [t.i for t in a.tokens if t.lemma.lower() == asked.wh_noun]
    if any(ent.token_start <= i < ent.token_end for i in nouns):
        return 0  # "40,126 acres" for "How many acres ...?"
    # an amount with its unit: "400m euros" hangs from "profits of" by "euros", not by "400"
    end = language.amount_end(a, ent) if ent.label in AMOUNT_LABELS else ent.token_end
    return min((tree_distance(a, i, j) for i in range(ent.token_start, end) for j in nouns), default=99)


def tree_distance(a: language.Analysis, i: int, j: int) -> int:
    """Edges between two tokens of one sentence in the dependency parse (99 across sentences)."""
    def path(k: int) -> list[int]:
        out = [k]
        while a.tokens[k].head != k and len(out) < 50:
            k = a.tokens[k].head
            out.append(k)
        return out

    up_i, up_j = path(i), path(j)
    common = set(up_i) & set(up_j)
    return min((up_i.index(c) + up_j.index(c) for c in common), default=99)


def answered_amounts(asked: Question, a: language.Analysis) -> list[language.Entity]:
    """The amounts of the sentence that answer an amount question: its money, when it gives any
    ("6% more than the closing price" only qualifies "$76 for each share"), else every amount."""
    amounts = [e for e in answer_entities(asked, a) if e.label in AMOUNT_LABELS]
    money = [e for e in amounts if e.label == "MONEY" or language.written_in_currency(a, e)]
    return money or amounts


def answer_entities(asked: Question, a: language.Analysis) -> list[language.Entity]:
    """The entities of ``a`` of a kind that answers the question, the question's own names left out.
    A "which" noun no label stands for ("Which planet ...?", "Which additive ...?") is answered only
    by a name the noun stands next to ("the planet Mars", "the additive Red No. 3")."""
    if not asked.labels and not asked.wh_noun:
        return []
    asked_terms = asked.name_terms | set(asked.weights)
    # words the question writes in capitals ("US", "U.S."), not "us" or "Who"
    asked_capitals = {bare_spelling(w) for w in asked.text.split() if sum(ch.isupper() for ch in w) >= 2}
    dateline = _DATELINE.match(a.text)
    out = []
    for ent in list(a.entities) + _unlabelled_counts(asked, a):
        # the place a story was filed from, whatever the model labels it ("BERLIN" comes out an ORG)
        if dateline and ent.start < dateline.end() and ent.text.isupper() and (
                ent.label in _PLACE_LABELS or (ent.start == 0 and _reads_as_place(ent.text))):
            continue
        if ent.label not in asked.labels and not _counts_asked_noun(asked, a, ent) \
                and not _named_by_asked_noun(asked, a, ent) \
                and not ("MONEY" in asked.labels and language.written_in_currency(a, ent)):
            continue
        if ent.label in NAME_LABELS - {"NORP"} and not any(t.pos == "PROPN" for t in a.tokens[ent.token_start:ent.token_end]):
            continue  # "Budget" of "Budget airline Ryanair": a common noun the model took for a name
        terms = set(match_terms(ent.text))
        if terms and terms <= asked_terms:
            continue  # "Qatar" does not answer "Who did Qatar inform?"
        if ent.label in NAME_LABELS and _spells_asked_name(asked, ent.text):
            continue  # "AztraZeneca", as a story misspells it, does not answer "Who is AstraZeneca's chief?"
        if not terms and bare_spelling(ent.text) in asked_capitals:
            continue  # "U.S." has no match terms; the question's "US" is the same name
        if ent.label == "NORP" and asked.wh == "who" and _describes_asked_phrase(asked, a, ent):
            continue  # "The French co-head of EADS Philippe Camus": the nationality of whom it asks about
        if _describes_asked_name(asked, a, ent):
            continue  # "Uighur" of "Uighur advocate Ablikim Yusuf" describes the person asked about
        if ent.label not in ("DATE", "TIME") and set(numbers(ent.text)) & asked.numbers:
            continue
        if _multiplier(asked, a, ent):
            continue  # "Four times more mobiles ... will be sold" gives no number of mobiles
        out.append(ent)
    return out


def _describes_asked_phrase(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """A nationality as an adjective of a noun phrase that holds a name of the question ("The French
    co-head of European defence and aerospace group EADS Philippe Camus is to leave"); not "Israeli
    jets carried out the strike", where the nationality tells who. The phrase runs to the next verb:
    the parser splits "co-head" and hangs the rest elsewhere."""
    words = a.tokens[ent.token_start:ent.token_end]
    if not all(t.pos == "ADJ" or t.dep == "amod" for t in words):
        return False
    phrase = []
    for t in a.tokens[ent.token_end:]:
        # a preposition other than "of" leaves the phrase ("Iraqi troops outside Fallujah")
        if t.pos in ("VERB", "AUX") or t.sentence != words[-1].sentence or (t.pos == "ADP" and t.lower != "of"):
            break
        phrase.append(t.text)
    return bool(set(match_terms(" ".join(phrase))) & asked.name_terms)


def _unlabelled_counts(asked: Question, a: language.Analysis) -> list[language.Entity]:
    """Numbers counting the noun a how-many question asks for that the model left unlabelled: "10" of
    "an extra 10 MEPs" for "How many MEPs did UKIP gain?"."""
    if asked.wh != "how many" or not asked.wh_noun:
        return []
    return [language.Entity(t.text, "CARDINAL", t.start, t.end, t.i, t.i + 1) for t in a.tokens
            if t.pos == "NUM" and not t.ent_type and t.dep == "nummod" and a.tokens[t.head].lemma.lower() == asked.wh_noun]


def _spells_asked_name(asked: Question, text: str) -> bool:
    """The entity is a long name of the question with one letter swapped for another ("AztraZeneca"
    for "AstraZeneca"); a letter more or less often makes another name ("Browne", "Martina")."""
    from rapidfuzz.distance import Levenshtein

    written = text.lower()
    return any(len(written) == len(n.text) >= MISSPELT_MIN_LENGTH and Levenshtein.distance(written, n.text.lower()) == 1
               for n in asked.names)


def _multiplier(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """A number of times or a fold ("four times more", "a threefold rise"): a ratio, not an amount
    or a count, unless the question asks how many times."""
    after = a.tokens[ent.token_end] if ent.token_end < len(a.tokens) else None
    return (ent.label in ("CARDINAL", "QUANTITY") and asked.wh_noun != "time"
            and (ent.text.lower().endswith("fold") or (after is not None and after.lower in ("times", "fold"))))


def _reads_as_place(capitals: str) -> bool:
    """A word of a dateline the model labels otherwise ("BERLIN" comes out an ORG) is a place when
    written as a name ("Berlin"); "NATO" as "Nato" stays an organisation."""
    a = language.analyze(capitals.title(), language.Pipes.NER)
    return any(e.label in _PLACE_LABELS for e in a.entities)


def bare_spelling(text: str) -> str:
    """The letters and digits of a word, lower-cased: "U.S." and "US" are both "us"."""
    return re.sub(r"[^a-z0-9]", "", text.lower().removesuffix("'s").removesuffix("’s"))


def _describes_asked_name(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """The entity only qualifies a name the question gives: "Uighur" in "Uighur advocate Ablikim
    Yusuf" (modifiers up the noun phrase to its head). Not when it is of the kind the question's
    noun asks for: "Apple" of "Apple chief executive Tim Cook" answers "Which company does Tim Cook run?"."""
    if asked.wh_noun and ent.label in language.noun_labels(asked.wh_noun):
        return False
    inside = range(ent.token_start, ent.token_end)
    token = next((t for t in a.tokens[ent.token_start:ent.token_end] if t.head not in inside), None)
    for _ in range(3):
        if token is None or token.dep not in ("compound", "amod", "nmod") or token.head == token.i:
            return False
        token = a.tokens[token.head]
        if token.pos == "PROPN" and set(match_terms(token.text)) & asked.name_terms:
            return True
    return False


def _counts_asked_noun(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """A count of the noun "how many" asks for, whatever the model labels it: "six more weeks of
    winter" (a DATE to the model) answers "How many more weeks of winter ...?"."""
    if asked.wh != "how many" or not asked.wh_noun:
        return False
    inside = a.tokens[ent.token_start:ent.token_end]
    return any(t.pos == "NUM" for t in inside) and any(t.lemma.lower() == asked.wh_noun for t in inside)


def _named_by_asked_noun(asked: Question, a: language.Analysis, ent: language.Entity) -> bool:
    """A proper name the noun asked for stands next to in the parse ("airline Ryanair" for "Which
    airline ...?"), whatever the model labels it: it labels the same "Ryanair" a PERSON and an ORG
    in one sentence."""
    if not asked.wh_noun or ent.label not in NAME_LABELS or (asked.labels and not asked.labels & NAME_LABELS):
        return False
    inside = range(ent.token_start, ent.token_end)
    for t in a.tokens:
        if t.lemma.lower() == asked.wh_noun and t.i not in inside and t.dep in ("compound", "appos") \
                and t.head in inside:
            return any(a.tokens[i].pos == "PROPN" for i in inside)
    return False


def _other_participant(asked: Question, a: language.Analysis, sentence_terms: set[str]) -> bool:
    """The sentence uses a verb of the question but never names that verb's subject or object in the
    question (nor stands a pronoun in for it): it is about something else. "When did Qatar sign the
    petition?" is not answered by "Mansouri had signed on July 12 ... a letter", nor "How much did
    Time Warner's profits rise?" by "sales rose 2%"."""
    qa = asked.analysis
    if qa is None:
        return False
    wh = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how"}
    for clause in qa.clauses:
        if clause.verb in language.PRIMARY_VERBS or clause.verb in language.REPORTING_VERBS \
                or clause.sentence < asked.asking_sentence:  # the scene may be told in other words
            continue
        for role, phrase in [("subjects", p) for p in clause.subjects[:1]] + [("objects", p) for p in clause.objects[:1]]:
            head = qa.tokens[phrase.head]
            if head.pos != "NOUN" or any(t.lower in wh for t in qa.tokens_in(phrase.start, phrase.end)):
                continue
            if any(t.head == head.i and t.dep == "compound" and t.pos == "PROPN" for t in qa.tokens):
                continue  # "the Titan corporation": a name, told by the name check; not "Time Warner's profits"
            wanted = match_terms(head.text)
            if not wanted or wanted[0] in sentence_terms:
                continue
            for other in a.clauses:
                # a pronoun in that role may stand for it; one in the other role does not ("She will
                # voice Charlotte" does not say who voices the goose)
                if other.verb == clause.verb and not any(o.pronoun for o in getattr(other, role)):
                    return True
    return False


def _other_named_agent(asked: Question, a: language.Analysis) -> bool:
    """The question's verb has a named agent ("How much did UKIP spend?") and the sentence writes that
    verb only with other named agents ("a UKIP spokesman said Labour and the Conservatives had spent
    £10m"): it tells what someone else did. Agents written as a pronoun or a common noun ("the
    party spent") may be the one asked about and are left alone."""
    main = asked.main_clause
    if main is None or main.verb in language.PRIMARY_VERBS or main.verb in language.REPORTING_VERBS or not main.agents:
        return False
    wanted = main.agents[0]
    if wanted.pronoun or wanted.label not in NAME_LABELS:
        return False
    wanted_terms = set(match_terms(wanted.core))
    same = [c for c in a.clauses if c.verb == main.verb]
    return bool(same) and bool(wanted_terms) and all(
        c.agents and all(not g.pronoun and g.label in NAME_LABELS and not wanted_terms & set(match_terms(_coordinated(a, g)))
                         for g in c.agents)
        for c in same)


def _coordinated(a: language.Analysis, phrase: language.Phrase) -> str:
    """The phrase with the names coordinated with it ("Labour and the Conservatives")."""
    words = [phrase.core] + [t.text for t in a.tokens if t.dep == "conj" and t.head == phrase.head]
    return " ".join(words)


def _other_owner(asked: Question, a: language.Analysis) -> bool:
    """The question asks for a named owner's thing and the sentence gives only another named owner's
    thing of that kind: "Who is China's foreign minister?" is not answered by "Palaniappan
    Chidambaram, India's finance minister, ...". The sentence is kept when the asked owner is among the
    owners ("Tesla and SpaceX's chief executive"), or when the kind also has an owner the names
    cannot tell apart ("its chief executive", "French President Emmanuel Macron")."""
    qa = asked.analysis
    if qa is None:
        return False
    for p in qa.possessives:
        owner = frozenset(match_terms(p.owner.core))
        if p.owner.pronoun or p.owner.label not in NAME_LABELS or not owner:
            continue
        found = [q for q in a.possessives if q.noun.lemma == p.noun.lemma]
        if not any(q.owner.label in NAME_LABELS and not q.owner.pronoun for q in found):
            continue  # no named owner of that kind ("last year's auction" is a date's)
        if any(q.owner.pronoun or owner <= set(match_terms(_owner_words(a, q))) for q in found):
            continue  # "its chief executive", "Tesla and SpaceX's chief executive"
        if not _described_by_name(a, p.noun.lemma):
            return True
    return False


def _owner_words(a: language.Analysis, p: language.Possessive) -> str:
    """The owner and noun of a possessive with OWNER_REACH words either side: the names coordinated
    with the owner ("Tesla and SpaceX's chief executive", "chief executive of Tesla and SpaceX"),
    which the parse does not always attach to it."""
    first, last = sorted((p.owner.head, p.noun.head))
    return " ".join(t.text for t in a.tokens[max(0, first - OWNER_REACH):last + OWNER_REACH + 1])


def _described_by_name(a: language.Analysis, noun: str) -> bool:
    """A name or nationality written before the noun: "French President", "Apple chief executive"."""
    return any(t.lemma.lower() == noun and any(a.tokens[c].dep in ("compound", "amod") and a.tokens[c].ent_type
                                               in NAME_LABELS for c in a.children(t.i)) for t in a.tokens)


def states_event(asked: Question, a: language.Analysis) -> bool:
    """The sentence has, affirmed, a verb the question asks about ("released" for "When was she
    released?"), not only its noun ("calls for her release")."""
    qa = asked.analysis
    if qa is None:
        return False
    wanted = {c.verb for c in qa.clauses if c.verb not in language.PRIMARY_VERBS}
    return any(c.verb in wanted and not c.negated for c in a.clauses)


def _totals_first(asked: Question, ranked: list[_Candidate]) -> list[_Candidate]:
    """"How much did J&J pay for Guidant?" is answered by the deal's $25.4bn, not by "$76 for each
    Guidant share": a price of one unit goes after a sentence giving a total, unless the question
    asks for one ("How much did J&J pay per share?"). The total's sentence names everything the
    question names itself ("buy ... Guidant for $25.4bn"): "A bid at that price would value the
    company at A$3.1bn" does not say what Fosters paid for its stake in Southcorp, which "bought
    18.8% of Southcorp ... for A$4.17 per share" does."""
    if asked.analysis is None or language.asks_per_unit(asked.analysis) or not any(
            c.total and c.relevance >= RELEVANCE_THRESHOLD and asked.name_terms <= c.terms for c in ranked):
        return ranked
    return [c for c in ranked if not c.per_unit] + [c for c in ranked if c.per_unit]


def _headlines_last(ranked: list[_Candidate]) -> list[_Candidate]:
    """A headline never leads when a body sentence of its article passes the gate too: the body says
    the same in full ("Ad sales boost Time Warner profit" vs "profits ... jumped 76%")."""
    with_body = {c.span.article_id for c in ranked if not c.is_headline and c.relevance >= RELEVANCE_THRESHOLD}
    leading = [c for c in ranked if not (c.is_headline and c.span.article_id in with_body)]
    return leading + [c for c in ranked if c not in leading]


def near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(match_terms(a)), set(match_terms(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.7
