"""Support scoring: how well one source sentence matches a claim (citations.py) or a question
(evidence.py). One formula, its constants in one place:

    score = LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * semantic      (0.6 and 0.4)

* lexical (``lexical_coverage``): the share of the claim's content terms (stemmed, stop words
  out; capitalised names weigh double, ``claim_terms``) found in the span. A term found only in
  the article's headline counts half: "it withdrew" in an article headlined "Qatar withdraws
  ..." is about Qatar; so does a term sharing a 4+ letter root with a span term ("signed" /
  "signatories").
* semantic (``semantic_score``): MiniLM cosine of claim and span, mapped from [0.25, 0.75] to
  [0, 1].

Penalties (``support_score``), for the verifier: a number or month of the claim missing from the
span multiplies the score by NUMBER_MISMATCH_FACTOR (0.3); a capitalised name of the claim in
neither the span nor the headline by MISSING_NAME_FACTOR (0.5). Evidence ranking uses the plain
``blend`` plus its own answer-type bonus and headline factor (evidence.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from rag.text import names, terms

if TYPE_CHECKING:
    from rag.index.embedding import Embedder

TermWeights = dict[str, float]  # stemmed term -> weight

LEXICAL_WEIGHT, SEMANTIC_WEIGHT = 0.6, 0.4
# Cosines of MiniLM between unrelated news sentences sit near 0.25, paraphrases above 0.75.
SEMANTIC_FLOOR, SEMANTIC_CEILING = 0.25, 0.75
NUMBER_MISMATCH_FACTOR = 0.3
MISSING_NAME_FACTOR = 0.5


def claim_terms(text: str) -> TermWeights:
    """Content terms of a claim or question with their weights (names double, numbers out)."""
    name_stems = set(terms(" ".join(names(text))))
    weights: TermWeights = {}
    for term in terms(text):
        if term.replace(".", "").isdigit():
            continue
        weights[term] = 2.0 if term in name_stems else 1.0
    return weights


def lexical_coverage(weights: TermWeights, span_terms: set[str], title_terms: set[str] = frozenset()) -> float:
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
    return float(np.clip((cosine - SEMANTIC_FLOOR) / (SEMANTIC_CEILING - SEMANTIC_FLOOR), 0.0, 1.0))


def semantic_scores(embedder: Embedder, texts: Sequence[str], query_vector: np.ndarray) -> list[float]:
    """``semantic_score`` of each text against the (unit) query vector, in order."""
    cosines = embedder.embed_texts(list(texts)) @ np.asarray(query_vector)
    return [semantic_score(float(c)) for c in cosines]


def blend(lexical: float, semantic: float) -> float:
    return LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * semantic


def support_score(lexical: float, semantic: float, numbers_missing: bool, names_missing: bool) -> float:
    score = blend(lexical, semantic)
    if numbers_missing:
        score *= NUMBER_MISMATCH_FACTOR
    if names_missing:
        score *= MISSING_NAME_FACTOR
    return score
