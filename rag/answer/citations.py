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

from rag.answer.support import TermWeights, blend, claim_terms, lexical_coverage, semantic_scores, support_score
from rag.text import names, numbers, sentence_spans, terms

if TYPE_CHECKING:
    from rag.answer.record import Citation
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder

SUPPORT_THRESHOLD = 0.6
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


def spans_for_hits(hits: list[Hit]) -> list[SentenceSpan]:
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


def cited_span(citation: Citation, article_text: str) -> SentenceSpan:
    """The span a ``Citation`` quotes, positioned as ``spans_for_hits`` positions it (the index of
    its sentence in the article), so whoever re-checks a citation applies the same neighbour rule
    (``PAIR_MAX_DISTANCE``) as the answer layer did."""
    sentences = _article_sentences(citation.article_id, "", article_text)
    position = next((i for i, (s, e) in enumerate(sentences) if s <= citation.start < e), -1)
    if position < 0:  # not at a sentence of ours: place it after the last one that starts before it
        position = sum(1 for s, _ in sentences if s < citation.start)
    return SentenceSpan(citation.article_id, citation.chunk_id, citation.start, citation.end, citation.quote, position)


# -- support of a claim ------------------------------------------------------------------------


class SupportScorer:
    """Scores claims against sentence spans; ``titles`` (article id -> headline) lend their terms."""

    def __init__(self, embedder: Embedder, titles: dict[str, str] | None = None):
        self.embedder = embedder
        self.titles = titles or {}  # article id -> headline
        self._title_terms = {aid: set(terms(t)) for aid, t in self.titles.items()}

    def best_support(self, claim: str, spans: list[SentenceSpan], claim_vector: np.ndarray | None = None) -> Support | None:
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
        semantics = semantic_scores(self.embedder, [spans[i].text for i in order], claim_vector)
        scored: list[Support] = []
        unpenalised: dict[int, float] = {}
        for i, semantic in zip(order, semantics):
            missing = claim_numbers - numbers(spans[i].text)
            names_missing = bool(claim_names - span_terms[i] - self._title_terms.get(spans[i].article_id, set()))
            unpenalised[i] = blend(lexical[i], semantic)
            score = support_score(lexical[i], semantic, bool(missing), names_missing)
            scored.append(Support([spans[i]], score, lexical[i], semantic, missing))
        scored.sort(key=lambda s: -s.score)
        best = scored[0]
        closest = max(order, key=lambda i: (lexical[i], unpenalised[i]))
        if (numbers(spans[closest].text) and claim_numbers - numbers(spans[closest].text)
                and lexical[index_of(spans, best.spans[0])] < lexical[closest] - CONTRADICTION_MARGIN):
            best.contradicted = True
            return best
        if best.supported or len(scored) < 2:
            return best
        pair = self._pair_support(weights, claim_numbers, claim_names, scored[:4], span_terms, spans)
        return pair if pair is not None and pair.supported else best

    def _pair_support(self, weights: TermWeights, claim_numbers: set[str], claim_names: set[str],
                      candidates: list[Support], span_terms: list[set[str]], spans: list[SentenceSpan]) -> Support | None:
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
                # The same name penalty as for one sentence: two true sentences plus an invented
                # place ("... in New York") must not add up to support.
                names_missing = bool(claim_names - union - self._title_terms.get(sa.article_id, set()))
                score = support_score(lexical, semantic, bool(missing), names_missing)
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
