"""Evidence: the retrieved sentences ranked by how well they answer the question, and the
refusal gate shared by both answerers.

relevance = 0.6 * lexical + 0.4 * semantic + 0.1 * answer-type bonus   (x 0.85 for a headline)

* lexical and semantic are the parts of support scoring (rag/answer/support.py) with the
  question in place of a claim, each question term weighted by its rarity among the
  candidate sentences (a term in every sentence cannot tell them apart);
* the answer-type bonus rewards a sentence holding the kind of thing asked for: a date for
  "when", a number for "how many/much", a name for "who".

A sentence sharing none of the question's non-name terms is not a candidate: it may talk
about Qatar but says nothing of "the population of Qatar" (except, for a why-question, a
sentence giving a reason in other words that reads as a close paraphrase of the question).
The gate refuses, without calling any model, when the best sentence is below
RELEVANCE_THRESHOLD, or when a name or a number in the question (France, the United States,
2018) appears in no retrieved article: the sources cannot be about it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Collection

from rag.answer.citations import SentenceSpan, spans_for_hits
from rag.answer.support import TermWeights, blend, claim_terms, lexical_coverage, semantic_scores
from rag.text import names, numbers, terms

if TYPE_CHECKING:
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder
    from rag.index.sources import Article

RELEVANCE_THRESHOLD = 0.4
NOTHING_MATCHES = "nothing in the sources matches the question"
TYPE_BONUS = 0.1
HEADLINE_FACTOR = 0.85  # a headline restates the story; prefer a body sentence saying the same
SHORTLIST = 10  # sentences embedded per question (latency: ~10 ms each on 2 cores)
# Reasons are seldom given in the question's words: for "why did Qatar withdraw", "has pulled
# out ... concerned about" shares no asked term. Such a sentence stays a candidate when it gives
# a reason and reads as a close paraphrase (cosine >= 0.65). Only for why-questions: for other
# questions a topical sentence ("had signed on July 12" for "when did he write") would get in.
PARAPHRASE_SEMANTIC = 0.8

_BOILERPLATE = re.compile(
    r"^(written by|by [A-Z][a-z]+|read more|share this|click here|follow us|subscribe|copyright|all rights reserved"
    r"|advertisement|photo:|image:|related:|sign up)",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(because|due to|owing to|as a result|in order to|so that|concern\w*|reason\w*|priorit\w*|aim\w*"
    r"|to combat|to avoid|to protect|over (?:its|the|his|her|their)|amid)\b",
    re.IGNORECASE,
)
_REASON_QUESTION = re.compile(
    r"\b(why|what (?:was|were|is|are) the reasons?|(?:what|which|for what) reasons?)\b", re.IGNORECASE
)
_PERSONISH = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")


@dataclass
class RankedSpan:
    span: SentenceSpan
    relevance: float
    lexical: float
    semantic: float


@dataclass
class Evidence:
    question: str
    ranked: list[RankedSpan]  # best first
    refusal_reason: str | None

    @property
    def best(self) -> RankedSpan | None:
        return self.ranked[0] if self.ranked else None


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


def is_reason_question(question: str) -> bool:
    return bool(_REASON_QUESTION.search(question))


def answer_type_bonus(question: str, sentence: str) -> float:
    q = question.lower()
    if re.search(r"\b(when|what (?:day|date|year|month)|which (?:day|date|year|month))\b", q):
        return TYPE_BONUS if numbers(sentence) else 0.0
    if re.search(r"\bhow (?:many|much|big|large|long|old)\b|\bwhat (?:was|is) the (?:total|number|figure|amount|value)", q):
        return TYPE_BONUS if re.search(r"\d", sentence) else 0.0
    if is_reason_question(q):
        return TYPE_BONUS if _REASON.search(sentence) else 0.0
    if re.search(r"\b(who|whom|whose)\b", q):
        asked = names(question)
        found = {m.lower() for m in _PERSONISH.findall(sentence)}
        return TYPE_BONUS if any(all(w not in asked for w in f.split()) for f in found) else 0.0
    return 0.0


@lru_cache(maxsize=4096)
def _article_facts(article_id: str, text_hash: str, title: str, text: str) -> tuple[frozenset, frozenset]:
    """An article's stemmed terms and its numbers: tokenising whole articles on every question
    would cost more than ranking their sentences, and articles rarely change."""
    return frozenset(terms(text)) | frozenset(terms(title)), frozenset(numbers(text) | numbers(title))


@dataclass
class Asked:
    """What a question asks about, less what earlier turns of the conversation supply."""

    weights: TermWeights  # content terms, names double (support.claim_terms)
    names: set[str]  # stemmed names ("franc", "unit", "state")
    numbers: set[str]  # numbers and months ("2018", "jul")

    @classmethod
    def of(cls, question: str, context_terms: Collection[str] = frozenset()) -> Asked:
        weights = claim_terms(question)
        for term in context_terms:
            weights.pop(term, None)
        names_ = set(terms(" ".join(names(question)))) - set(context_terms)
        numbers_ = numbers(question) - {n for t in context_terms for n in numbers(t)}
        return cls(weights, names_, numbers_)


def gather_evidence(question: str, hits: list[Hit], embedder: Embedder,
                    context_terms: Collection[str] = frozenset()) -> Evidence:
    """Rank every sentence of the retrieved chunks against ``question``.

    ``context_terms`` (from earlier turns of a conversation) count as present in every
    article, so "When did he withdraw it?" is not refused for lacking its subject.
    """
    if not hits:
        return Evidence(question, [], NOTHING_MATCHES)
    asked = Asked.of(question, context_terms)
    articles = {h.article.id: h.article for h in hits}
    usable, absent = _articles_that_can_answer(question, asked, articles)
    if absent:
        return Evidence(question, [], absent)
    spans = [s for s in spans_for_hits(hits) if s.article_id in usable and not is_boilerplate(s.text)]
    if not spans:
        return Evidence(question, [], NOTHING_MATCHES)
    ranked = _rank(question, asked, spans, hits, embedder)
    reason = None
    if not ranked or ranked[0].relevance < RELEVANCE_THRESHOLD:
        reason = "no sentence in the sources answers the question"
    return Evidence(question, ranked, reason)


def _articles_that_can_answer(question: str, asked: Asked, articles: dict[str, Article]) -> tuple[set[str], str | None]:
    """The articles holding every name and number the question asks about, or why there are none.

    "Who won the 2018 World Cup?" is not answered by a 2005 story about the World Cup.
    """
    facts = {aid: _article_facts(a.id, a.hash, a.title, a.text) for aid, a in articles.items()}
    usable = {aid for aid, (terms_, numbers_) in facts.items() if asked.names <= terms_ and asked.numbers <= numbers_}
    if usable:
        return usable, None
    all_terms = set().union(*(terms_ for terms_, _ in facts.values()))
    if not any(asked.names <= terms_ for terms_, _ in facts.values()):
        absent = asked.names - all_terms
        phrases = _name_phrases(question)
        shown = [p for p in phrases if set(terms(p)) & absent] or phrases
        return usable, f"the sources do not mention {', '.join(shown)}"
    all_numbers = set().union(*(numbers_ for _, numbers_ in facts.values()))
    missing = sorted(asked.numbers - all_numbers) or sorted(asked.numbers)
    return usable, f"the sources do not mention {', '.join(missing)}"


def _rank(question: str, asked: Asked, spans: list[SentenceSpan], hits: list[Hit], embedder: Embedder) -> list[RankedSpan]:
    """The shortlisted sentences that answer what is asked, best first."""
    titles = {h.article.id: h.article.title for h in hits}
    title_terms = {aid: set(terms(title)) for aid, title in titles.items()}
    span_terms = [set(terms(s.text)) for s in spans]
    weights = pool_idf_weights(asked.weights, span_terms)
    lexical = [lexical_coverage(weights, st, title_terms[s.article_id]) for s, st in zip(spans, span_terms)]
    # Dense retrieval rank breaks lexical ties, so the shortlist keeps paraphrases too.
    chunk_rank = {h.chunk.id: r for r, h in enumerate(hits)}
    order = sorted(range(len(spans)), key=lambda i: (-lexical[i], chunk_rank.get(spans[i].chunk_id, 99)))[:SHORTLIST]
    semantics = semantic_scores(embedder, [spans[i].text for i in order], embedder.embed_query(question))
    # What the question asks about beyond its names ("population" in "the population of
    # Qatar"): a sentence sharing none of it talks about the names but does not answer.
    topic = {t: 1.0 for t in weights if t not in asked.names}
    reason_question = is_reason_question(question)
    ranked = []
    for i, semantic in zip(order, semantics):
        span = spans[i]
        if not _speaks_to(topic, span_terms[i], span.text, semantic, reason_question):
            continue
        if not _holds_most_names(asked.names, span_terms[i] | title_terms[span.article_id]):
            continue
        is_headline = span.position == 0 and span.text.strip() == titles[span.article_id].strip()
        ranked.append(RankedSpan(span, relevance(question, span.text, lexical[i], semantic, is_headline),
                                 lexical[i], semantic))
    ranked.sort(key=lambda r: -r.relevance)
    return ranked


def _speaks_to(topic: TermWeights, span_terms: set[str], text: str, semantic: float, reason_question: bool) -> bool:
    """The sentence shares a term of what is asked beyond the names, or, for a why-question, gives
    a reason in words close to the question's (see PARAPHRASE_SEMANTIC)."""
    if not topic or lexical_coverage(topic, span_terms) > 0:
        return True
    return reason_question and bool(_REASON.search(text)) and semantic >= PARAPHRASE_SEMANTIC


def _holds_most_names(asked_names: set[str], found: set[str]) -> bool:
    """Most of the names the question asks about are in the sentence itself (or the headline):
    "trade between China and Saudi Arabia" is not answered by the China-Qatar figure just
    because Saudi Arabia appears elsewhere in the article. Half may be missing: "Ablikim Yusuf"
    is "Yusuf" in the next sentence, "UN" is "United Nations"."""
    return not asked_names or len(asked_names - found) <= len(asked_names) / 2


def relevance(question: str, sentence: str, lexical: float, semantic: float, is_headline: bool) -> float:
    score = blend(lexical, semantic) + answer_type_bonus(question, sentence)
    return score * HEADLINE_FACTOR if is_headline else score


def _name_phrases(question: str) -> list[str]:
    """The question's names as written, neighbouring words kept together ("United States"), for messages."""
    found = names(question)
    phrases: list[list[str]] = []
    previous_end = -2
    for match in re.finditer(r"[A-Za-z][\w'’-]*", question):
        word = re.sub(r"['’]s$", "", match.group())
        if word.lower() not in found:
            continue
        if phrases and question[previous_end:match.start()].strip() == "":
            phrases[-1].append(word)
        else:
            phrases.append([word])
        previous_end = match.end()
    return [" ".join(p) for p in phrases]


def near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(terms(a)), set(terms(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.7
