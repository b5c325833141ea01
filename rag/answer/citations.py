"""Citations: sentence spans of the retrieved chunks, support scoring, [n] parsing, verification.

Support scoring (how well a source sentence supports a claim), in [0, 1]:

    support = 0.6 * lexical + 0.4 * semantic           (then the number gate)

* lexical: the share of the claim's content terms (stemmed, stop words out; capitalised
  names weigh double) found in the span. A term found only in the article's headline
  counts half: "it withdrew" in an article headlined "Qatar withdraws ..." is about Qatar;
  so does a term sharing a 4+ letter root with a span term ("signed" / "signatories").
* semantic: MiniLM cosine of claim and span, mapped from [0.25, 0.75] to [0, 1].
* number gate: every number and month in the claim (dates, amounts, counts) must occur in
  the span; a mismatch multiplies the score by 0.3. And when the sentence that shares most
  of the claim's words (lexical coverage, by a margin of 0.1) disagrees on a number, the
  claim is contradicted even if another sentence happens to contain that number: "signed on
  July 18" is not supported by "had signed on July 12" nor by "wrote ... on July 18", and
  "wrote to the UN officer on July 12" not by "had signed on July 12". Words, not the
  embedding, pick that sentence: a long sentence carrying several facts embeds far from a
  claim about one of them.
* name gate: a capitalised name in the claim that is in neither the span nor the headline
  ("Germany also signed") multiplies the score by 0.5 (for a pair of sentences, in neither).

A claim is supported when support >= SUPPORT_THRESHOLD (0.6). When no single sentence
passes, two neighbouring sentences together may (a claim joining two facts); then both are cited.
The threshold was set on true and false claims about the seed article and checked in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from rag.text import names, numbers, sentence_spans, terms

SUPPORT_THRESHOLD = 0.6
LEXICAL_WEIGHT, SEMANTIC_WEIGHT = 0.6, 0.4
NUMBER_MISMATCH_FACTOR = 0.3
MISSING_NAME_FACTOR = 0.5
# How many more of the claim's words the contradicting sentence must share than the best one.
CONTRADICTION_MARGIN = 0.1
PAIR_MAX_DISTANCE = 2
PAIR_MIN_LEXICAL = 0.3
# Embedding every candidate sentence would dominate latency; the lexically best ones go on.
SEMANTIC_SHORTLIST = 8

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

    @property
    def supported(self) -> bool:
        return self.score >= SUPPORT_THRESHOLD and not self.missing_numbers and not self.contradicted


# -- sentence spans --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _article_sentences(article_id: str, text_hash: str, text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


def spans_for_hits(hits) -> list[SentenceSpan]:
    """Every whole sentence that overlaps a retrieved chunk, once, in retrieval order."""
    seen: set[tuple[str, int]] = set()
    out: list[SentenceSpan] = []
    for hit in hits:
        article, chunk = hit.article, hit.chunk
        for position, (s, e) in enumerate(_article_sentences(article.id, article.hash, article.text)):
            if s >= chunk.end or e <= chunk.start or (article.id, s) in seen:
                continue
            seen.add((article.id, s))
            out.append(SentenceSpan(article.id, chunk.id, s, e, article.text[s:e], position))
    return out


def cited_span(citation, article_text: str) -> SentenceSpan:
    """The span a ``Citation`` quotes, positioned as ``spans_for_hits`` positions it (the index of
    its sentence in the article), so whoever re-checks a citation applies the same neighbour rule
    (``PAIR_MAX_DISTANCE``) as the answer layer did."""
    sentences = _article_sentences(citation.article_id, "", article_text)
    position = next((i for i, (s, e) in enumerate(sentences) if s <= citation.start < e), -1)
    if position < 0:  # not at a sentence of ours: place it after the last one that starts before it
        position = sum(1 for s, _ in sentences if s < citation.start)
    return SentenceSpan(citation.article_id, citation.chunk_id, citation.start, citation.end, citation.quote, position)


# -- lexical and semantic parts --------------------------------------------------------------


def claim_terms(text: str) -> dict[str, float]:
    """Content terms of a claim or question with their weights (names double, numbers out)."""
    name_stems = set(terms(" ".join(names(text))))
    weights: dict[str, float] = {}
    for term in terms(text):
        if term.replace(".", "").isdigit():
            continue
        weights[term] = 2.0 if term in name_stems else 1.0
    return weights


def lexical_coverage(weights: dict[str, float], span_terms: set[str], title_terms: set[str] = frozenset()) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    got = 0.0
    for term, weight in weights.items():
        if term in span_terms:
            got += weight
        elif term in title_terms or _shares_root(term, span_terms):
            got += weight / 2
    return got / total


def _shares_root(term: str, span_terms: set[str]) -> bool:
    """'sign' and 'signatori': the stemmer keeps them apart, a reader would not."""
    if len(term) < 4:
        return False
    return any(len(other) >= 4 and (other.startswith(term) or term.startswith(other)) for other in span_terms)


def semantic_score(cosine: float) -> float:
    return float(np.clip((cosine - 0.25) / 0.5, 0.0, 1.0))


class SupportScorer:
    def __init__(self, embedder, titles: dict[str, str] | None = None):
        self.embedder = embedder
        self.titles = titles or {}  # article id -> headline
        self._title_terms = {aid: set(terms(t)) for aid, t in self.titles.items()}

    def best_support(self, claim: str, spans: list[SentenceSpan], claim_vector=None) -> Support | None:
        """The span (or adjacent pair of spans) that best supports ``claim``."""
        if not spans:
            return None
        weights = claim_terms(claim)
        claim_numbers = numbers(claim)
        claim_names = set(terms(" ".join(names(claim))))
        span_terms = [set(terms(s.text)) for s in spans]
        lexical = [lexical_coverage(weights, st, self._title_terms.get(s.article_id, set()))
                   for s, st in zip(spans, span_terms)]
        order = sorted(range(len(spans)), key=lambda i: -lexical[i])[:SEMANTIC_SHORTLIST]
        if claim_vector is None:
            claim_vector = self.embedder.embed_query(claim)
        vectors = self.embedder.embed_texts([spans[i].text for i in order])
        cosines = vectors @ np.asarray(claim_vector)
        scored: list[Support] = []
        raw: dict[int, float] = {}
        for i, cosine in zip(order, cosines):
            semantic = semantic_score(float(cosine))
            missing = claim_numbers - numbers(spans[i].text)
            score = raw[i] = LEXICAL_WEIGHT * lexical[i] + SEMANTIC_WEIGHT * semantic
            if missing:
                score *= NUMBER_MISMATCH_FACTOR
            if claim_names - span_terms[i] - self._title_terms.get(spans[i].article_id, set()):
                score *= MISSING_NAME_FACTOR
            scored.append(Support([spans[i]], score, lexical[i], semantic, missing))
        scored.sort(key=lambda s: -s.score)
        best = scored[0]
        closest = max(order, key=lambda i: (lexical[i], raw[i]))
        if (numbers(spans[closest].text) and claim_numbers - numbers(spans[closest].text)
                and lexical[index_of(spans, best.spans[0])] < lexical[closest] - CONTRADICTION_MARGIN):
            best.contradicted = True
            return best
        if best.supported or len(scored) < 2:
            return best
        pair = self._pair_support(weights, claim_numbers, claim_names, scored[:4], span_terms, spans)
        return pair if pair is not None and pair.supported else best

    def _pair_support(self, weights, claim_numbers, claim_names, candidates, span_terms, spans) -> Support | None:
        """Two sentences of one article that together carry the claim's terms and numbers."""
        index = {id(s): i for i, s in enumerate(spans)}
        best = None
        for a in range(len(candidates)):
            for b in range(a + 1, len(candidates)):
                sa, sb = candidates[a].spans[0], candidates[b].spans[0]
                # Only neighbouring sentences of one article that each carry part of the claim:
                # two far-apart sentences can be stitched into almost any false statement.
                if (sa.article_id != sb.article_id or abs(sa.position - sb.position) > PAIR_MAX_DISTANCE
                        or min(candidates[a].lexical, candidates[b].lexical) < PAIR_MIN_LEXICAL):
                    continue
                union = span_terms[index[id(sa)]] | span_terms[index[id(sb)]]
                lexical = lexical_coverage(weights, union, self._title_terms.get(sa.article_id, set()))
                semantic = max(candidates[a].semantic, candidates[b].semantic)
                missing = claim_numbers - numbers(sa.text) - numbers(sb.text)
                score = LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * semantic
                if missing:
                    score *= NUMBER_MISMATCH_FACTOR
                # The same name gate as for one sentence: two true sentences plus an invented
                # place ("... in New York") must not add up to support.
                if claim_names - union - self._title_terms.get(sa.article_id, set()):
                    score *= MISSING_NAME_FACTOR
                pair = sorted([sa, sb], key=lambda s: s.position)
                if best is None or score > best.score:
                    best = Support(pair, score, lexical, semantic, missing)
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
