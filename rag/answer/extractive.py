"""The extractive answerer: quotes the few sentences that best answer the question.

No model writes anything, so every sentence is its own citation (support 1.0). Sentences
are chosen by relevance (rag/answer/evidence.py), near-duplicates dropped; the best one
comes first and the rest follow in the order the article tells them.
"""

from __future__ import annotations

from rag.answer.compose import AnswerBuilder, refusal
from rag.answer.evidence import Evidence, near_duplicate
from rag.answer.record import Answer
from rag.answer.retrieve import Hit

MAX_SENTENCES = 3
# A second or third sentence must be nearly as relevant as the best one to be worth reading.
KEEP_RATIO = 0.85


def answer_extractive(question: str, hits: list[Hit], evidence: Evidence, standalone_question: str = "") -> Answer:
    if evidence.refusal_reason:
        return refusal(question, "extractive", hits, standalone_question, evidence.refusal_reason)
    best = evidence.ranked[0]
    chosen = [best]
    for candidate in evidence.ranked[1:]:
        if len(chosen) == MAX_SENTENCES:
            break
        if candidate.relevance < best.relevance * KEEP_RATIO:
            break
        if any(near_duplicate(candidate.span.text, c.span.text) for c in chosen):
            continue
        chosen.append(candidate)
    # The answer first; the sentences that add to it follow in the order their articles tell them.
    article_order = {aid: i for i, aid in enumerate(dict.fromkeys(c.span.article_id for c in chosen))}
    chosen[1:] = sorted(chosen[1:], key=lambda c: (article_order[c.span.article_id], c.span.position))
    builder = AnswerBuilder(question, "extractive", hits, standalone_question)
    for item in chosen:
        builder.add(item.span.text, [item.span], support=1.0)
    return builder.build()
