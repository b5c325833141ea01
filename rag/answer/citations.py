"""Citations: sentence spans of the retrieved chunks, the verifier's support scoring, [n] parsing.

A claim's support by a sentence is ``support_score`` (rag/answer/support.py: 0.6 lexical +
0.4 semantic, times 0.3 when a number of the claim is missing, times 0.5 when a name is),
with two rules on top:

* contradiction: when the sentence that shares most of the claim's words (lexical coverage,
  by a margin of 0.1) disagrees on a number, the claim is contradicted even if another
  sentence happens to contain that number: "signed on July 18" is not supported by "had
  signed on July 12" nor by "wrote ... on July 18", and "wrote to the UN officer on July 12"
  not by "had signed on July 12". Words, not the embedding, pick that sentence: a long
  sentence carrying several facts embeds far from a claim about one of them.
* pairs: when no single sentence passes, two neighbouring sentences together may (a claim
  joining two facts); then both are cited. The name penalty applies to the pair as a whole.

A claim is supported when support >= SUPPORT_THRESHOLD (0.6) and no number is missing or
contradicted. The threshold was set on true and false claims about the seed article and
checked in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from rag.answer.claimcheck import (ClaimChecker, Problem, attribution_terms, clause_windows, reported_content,
                                   written_numbers)
from rag.answer.support import TermWeights, blend, claim_terms, lexical_coverage, semantic_scores, support_score
from rag.text import numbers, sentence_spans, terms

if TYPE_CHECKING:
    from rag.answer.record import Citation
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder

SUPPORT_THRESHOLD = 0.6
# How many more of the claim's words the contradicting sentence must share than the best one.
CONTRADICTION_MARGIN = 0.1
PAIR_MAX_DISTANCE = 2
# A neighbour joins a sentence only when it adds this share of the claim's term weight (or a
# missing number); the best PAIR_CANDIDATES single sentences are tried.
PAIR_MIN_GAIN = 0.1
PAIR_CANDIDATES = 3
# Sentences whose clauses are compared one by one when the whole sentence falls short.
WINDOW_CANDIDATES = 3
# Embedding every candidate sentence would dominate latency; the lexically best ones go on.
SEMANTIC_SHORTLIST = 8
# Candidates the claim checker reads (each is one parse, ~20 ms, the first time a sentence is seen).
CHECKED_CANDIDATES = 3

# "[1]", "[1, 3]", "[2-4]" and, as small models often write them, "[Source 1]", "[Sources 1, 2]".
_NUMBERS = r"\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*\d+(?:\s*[-–]\s*\d+)?)*"
_MARKER_TEXT = rf"\[(?:[Ss]ources?\s*)?({_NUMBERS})\]"
_MARKER = re.compile(rf"\s*{_MARKER_TEXT}")
_LEADING_MARKERS = re.compile(rf"^(\s*{_MARKER_TEXT})+")
MAX_MARKER_RANGE = 20  # "[1-300]" is no citation


@dataclass(frozen=True)
class SentenceSpan:
    article_id: str
    chunk_id: str
    start: int
    end: int
    text: str
    position: int  # index of the sentence in its article


@dataclass
class Support:
    spans: list[SentenceSpan]
    score: float
    lexical: float
    semantic: float
    missing_numbers: set[str] = field(default_factory=set)
    contradicted: bool = False  # the best-matching sentence disagrees on a number
    problems: list[Problem] = field(default_factory=list)  # what the claim checker found wrong
    checked: bool = False  # the claim checker has read it

    @property
    def scored(self) -> bool:
        """Words and meaning match well enough, numbers included (before the claim checker)."""
        return self.score >= SUPPORT_THRESHOLD and not self.missing_numbers and not self.contradicted

    @property
    def supported(self) -> bool:
        return self.scored and self.checked and not self.problems

    @property
    def contradicts(self) -> bool:
        """The spans state something else (a negation, an opposite verb, swapped roles)."""
        return any(p.contradiction for p in self.problems)

    @property
    def reason(self) -> str | None:
        """Why the spans do not support the claim, in plain words; None when they do."""
        if self.supported:
            return None
        if self.problems:
            return self.problems[0].reason
        return "no source sentence says this"


# -- sentence spans --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def article_sentences(article_id: str, text_hash: str, text: str) -> tuple[tuple[int, int], ...]:
    """An article's sentence bounds, split once per article text for every layer that reads them
    (splitting is the costliest step of ranking a question's sentences)."""
    return tuple(sentence_spans(text))


def spans_for_hits(hits: list[Hit]) -> list[SentenceSpan]:
    """Every whole sentence that overlaps a retrieved chunk, once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out: list[SentenceSpan] = []
    for hit in hits:
        article, chunk = hit.article, hit.chunk
        for position, (s, e) in enumerate(article_sentences(article.id, article.hash, article.text)):
            if s >= chunk.end or e <= chunk.start or (article.id, s) in seen:
                continue
            seen.add((article.id, s))
            out.append(SentenceSpan(article.id, chunk.id, s, e, article.text[s:e], position))
    return out


def cited_span(citation: Citation, article_text: str) -> SentenceSpan:
    """The span a ``Citation`` quotes, positioned as ``spans_for_hits`` positions it (the index of
    its sentence in the article), so whoever re-checks a citation applies the same neighbour rule
    (``PAIR_MAX_DISTANCE``) as the answer layer did."""
    sentences = article_sentences(citation.article_id, "", article_text)
    position = next((i for i, (s, e) in enumerate(sentences) if s <= citation.start < e), -1)
    if position < 0:  # not at a sentence of ours: place it after the last one that starts before it
        position = sum(1 for s, _ in sentences if s < citation.start)
    return SentenceSpan(citation.article_id, citation.chunk_id, citation.start, citation.end, citation.quote, position)


# -- support of a claim ------------------------------------------------------------------------


class SupportScorer:
    """Scores claims against sentence spans and checks the best ones with the claim checker.

    ``titles`` (article id -> headline) lend their terms and names; ``texts`` (article id ->
    whole text) let the checker find who a span's "he" or "the airline" is.
    """

    def __init__(self, embedder: Embedder, titles: dict[str, str] | None = None, texts: dict[str, str] | None = None):
        self.embedder = embedder
        self.titles = titles or {}  # article id -> headline
        self._title_terms = {aid: set(terms(t)) for aid, t in self.titles.items()}
        self.checker = ClaimChecker(self.titles, texts or {}, embedder)

    def best_support(self, claim: str, spans: list[SentenceSpan], claim_vector: np.ndarray | None = None) -> Support | None:
        """The span (or adjacent pair of spans) that best supports ``claim``, checked.

        Candidates whose score passes are read by the claim checker in score order (at most
        CHECKED_CANDIDATES): the first it finds nothing wrong with supports the claim; the first
        that states otherwise (a contradiction) ends the search, since the sentence most like the
        claim decides. Then a best candidate joined with a neighbouring sentence is tried. When
        nothing supports the claim, the best candidate comes back with what the checker found.
        """
        if not spans:
            return None
        weights = claim_terms(claim)
        for stem in attribution_terms(claim):  # "X said": who said it is the checker's to judge
            weights.pop(stem, None)
        claim_numbers = numbers(claim)
        span_terms = [set(terms(s.text)) for s in spans]
        span_numbers = [written_numbers(s.text) for s in spans]
        lexical = [lexical_coverage(weights, st, self._title_terms.get(s.article_id, set()))
                   for s, st in zip(spans, span_terms)]
        order = sorted(range(len(spans)), key=lambda i: -lexical[i])[:SEMANTIC_SHORTLIST]
        if claim_vector is None:
            claim_vector = self.embedder.embed_query(claim)
        semantics = semantic_scores(self.embedder, [spans[i].text for i in order], claim_vector)
        scored: list[Support] = []
        unpenalised: dict[int, float] = {}
        for i, semantic in zip(order, semantics):
            missing = claim_numbers - span_numbers[i]
            unpenalised[i] = blend(lexical[i], semantic)
            # Names are the claim checker's to judge (it knows "he" and "Mr Blair" stand for a name).
            score = support_score(lexical[i], semantic, bool(missing), names_missing=False)
            scored.append(Support([spans[i]], score, lexical[i], semantic, missing))
        scored.sort(key=lambda s: -s.score)
        best = scored[0]
        closest = max(order, key=lambda i: (lexical[i], unpenalised[i]))
        pair_args = (claim_vector, weights, claim_numbers, spans, span_terms, span_numbers)
        if (span_numbers[closest] and claim_numbers - span_numbers[closest]
                and lexical[index_of(spans, best.spans[0])] < lexical[closest] - CONTRADICTION_MARGIN):
            # Unless its neighbour completes it (a claim joining two facts), the claim is contradicted.
            pair = self._pair_support([s for s in scored if s.spans[0] is spans[closest]], *pair_args)
            if pair is not None and pair.scored and self._check(claim, pair).supported:
                return pair
            best.contradicted = True
            self._check(claim, best, [spans[closest]])
            return best
        for candidate in [s for s in scored if s.scored][:CHECKED_CANDIDATES]:
            self._check(claim, candidate)
            if candidate.supported or candidate.contradicts:
                # the sentence most like the claim says otherwise: a less similar one cannot
                # rescue it, nor can it be stitched to its neighbour
                return candidate
        for candidate in self._by_clause(claim, claim_vector, [s for s in scored[:WINDOW_CANDIDATES] if not s.scored]):
            if self._check(claim, candidate).supported or candidate.contradicts:
                return candidate
        pair = self._pair_support(scored[:PAIR_CANDIDATES], *pair_args)
        if pair is not None and pair.scored and self._check(claim, pair).supported:
            return pair
        if not best.checked:
            self._check(claim, best)
        return best

    def _by_clause(self, claim: str, claim_vector: np.ndarray, candidates: list[Support]) -> list[Support]:
        """Candidates that pass when the claim is compared with one clause of the sentence rather
        than the whole (a short summary of a long sentence), and a claim "X said Y" by Y alone;
        best first."""
        candidates = [c for c in candidates if not c.missing_numbers]
        windows = [(c, w) for c in candidates for w in clause_windows(c.spans[0].text)]
        said = reported_content(claim)
        if said is not None:
            windows += [(c, c.spans[0].text) for c in candidates]
        if not windows:
            return []
        queries = [claim_vector] + ([self.embedder.embed_query(said)] if said is not None else [])
        semantic = np.max([semantic_scores(self.embedder, [w for _, w in windows], q) for q in queries], axis=0)
        best: dict[int, float] = {}
        for (candidate, _), value in zip(windows, semantic):
            best[id(candidate)] = max(best.get(id(candidate), 0.0), float(value))
        out = []
        for c in candidates:
            value = max(c.semantic, best.get(id(c), 0.0))
            score = support_score(c.lexical, value, False, names_missing=False)
            if score >= SUPPORT_THRESHOLD:
                out.append(Support(c.spans, score, c.lexical, value))
        return sorted(out, key=lambda s: -s.score)

    def _check(self, claim: str, support: Support, spans: list[SentenceSpan] | None = None) -> Support:
        support.problems = self.checker.check(claim, spans or support.spans)
        support.checked = True
        return support

    @staticmethod
    def _neighbours(spans: list[SentenceSpan], i: int) -> list[int]:
        """Indexes of the spans next to span ``i`` in its article."""
        s = spans[i]
        return [j for j, o in enumerate(spans)
                if o.article_id == s.article_id and 0 < abs(o.position - s.position) <= PAIR_MAX_DISTANCE]

    def _pair_support(self, candidates: list[Support], claim_vector: np.ndarray, weights: TermWeights,
                      claim_numbers: set[str], spans: list[SentenceSpan], span_terms: list[set[str]],
                      span_numbers: list[set[str]]) -> Support | None:
        """One of the best sentences joined with a neighbour that adds what it lacks: words of the
        claim (PAIR_MIN_GAIN of its weight) or its missing numbers. Only neighbours: two
        far-apart sentences can be stitched into almost any false statement."""
        index = {id(s): i for i, s in enumerate(spans)}
        pairs: list[tuple[int, int, float, set[str]]] = []
        for candidate in candidates:
            i = index[id(candidate.spans[0])]
            for j in self._neighbours(spans, i):
                union = span_terms[i] | span_terms[j]
                lexical = lexical_coverage(weights, union, self._title_terms.get(spans[i].article_id, set()))
                missing = claim_numbers - span_numbers[i] - span_numbers[j]
                if lexical >= candidate.lexical + PAIR_MIN_GAIN or len(missing) < len(candidate.missing_numbers):
                    pairs.append((min(i, j, key=lambda k: spans[k].position),
                                  max(i, j, key=lambda k: spans[k].position), lexical, missing))
        if not pairs:
            return None
        pairs = list({(a, b): (a, b, lex, miss) for a, b, lex, miss in pairs}.values())
        # The pair read as one passage: a claim joining two facts embeds near both together.
        semantics = semantic_scores(self.embedder, [f"{spans[a].text} {spans[b].text}" for a, b, _, _ in pairs],
                                    claim_vector)
        best = None
        for (a, b, lexical, missing), semantic in zip(pairs, semantics):
            score = support_score(lexical, semantic, bool(missing), names_missing=False)
            if best is None or score > best.score:
                best = Support([spans[a], spans[b]], score, lexical, semantic, missing)
        return best


def index_of(spans: list[SentenceSpan], span: SentenceSpan) -> int:
    return next(i for i, s in enumerate(spans) if s is span)


# -- [n] markers in generated text -------------------------------------------------------------


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """'Qatar withdrew [1][3].' -> ('Qatar withdrew.', [1, 3]); '[2-4]' -> [2, 3, 4]."""
    found: list[int] = []
    for match in _MARKER.finditer(sentence):
        for item in re.split(r"\s*[,;]\s*", match.group(1)):
            ends = [int(n) for n in re.split(r"\s*[-–]\s*", item)]
            low, high = ends[0], ends[-1]
            found += list(range(low, high + 1)) if 0 <= high - low <= MAX_MARKER_RANGE else [low]
    clean = _MARKER.sub("", sentence)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean).strip()
    return clean, list(dict.fromkeys(found))


def split_answer_sentences(text: str) -> list[str]:
    """The sentences of a generated answer, each keeping the [n] markers that follow it."""
    out: list[str] = []
    for s, e in sentence_spans(text):
        piece = text[s:e]
        # punkt puts a marker written after the full stop ("... July 12. [1]") at the start of
        # the next sentence; give it back to the sentence it belongs to.
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] += lead.group(0)
            piece = piece[lead.end():].strip()
        if piece and _MARKER.sub("", piece).strip(" ,;"):
            out.append(piece)
        elif piece and out:
            out[-1] += piece
    return out


def with_markers(sentence: str, ns: list[int]) -> str:
    """Put [n] markers before the sentence's closing punctuation: 'signed on July 12 [1].'"""
    if not ns:
        return sentence
    marks = "".join(f"[{n}]" for n in ns)
    match = re.search(r"([.!?]+[”\"’')]*)$", sentence)
    if match:
        return f"{sentence[:match.start()]} {marks}{match.group(1)}"
    return f"{sentence} {marks}"
