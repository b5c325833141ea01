"""Readers' feedback as evaluation cases: what ``rag feedback export`` writes.

Each rating becomes one case in the golden dataset's format (rag.evals.dataset), plus two keys
the loader ignores: ``feedback`` (what the reader saw and said) and ``todo`` (what a maintainer
must fill in before the case joins a dataset). The reference answer is always left empty for a
maintainer to write, so an exported answerable case does not load until someone has; a liked
refusal is complete as it is (its reference is the refusal).

What the reader's rating tells, and no more:
- a liked answer: its cited articles and quotes are proposed as the reference ones;
- a disliked answer: nothing about where the answer is; the maintainer finds the articles;
- a question asked after others: a ``follow_up`` case with the earlier questions as history.
"""

from __future__ import annotations

from rag.chats import Feedback
from rag.evals.dataset import Case


def _kind(item: Feedback) -> str:
    if item.history:
        return "follow_up"
    if item.answer.refused and item.rating == "up":
        return "refusal"
    return "answerable"


def case_from_feedback(item: Feedback) -> dict:
    answer = item.answer
    kind = _kind(item)
    liked_citations = answer.citations if item.rating == "up" and not answer.refused else []
    case = Case(
        id=f"feedback-{item.id}",
        kind=kind,
        question=item.question,
        reference="",
        reference_article_ids=list(dict.fromkeys(c.article_id for c in liked_citations)),
        reference_quotes=list(dict.fromkeys(c.quote for c in liked_citations)),
        history=list(item.history) if kind == "follow_up" else [],
    )
    if kind == "refusal":
        todo = "check that the sources really don't say"
    elif liked_citations:
        todo = "write 'reference' and 'answer_contains'; check the proposed reference articles and quotes"
    else:
        todo = "write 'reference' and 'answer_contains'; find the reference articles and quotes"
    return case.to_json() | {
        "todo": todo,
        "feedback": {
            "rating": item.rating,
            "note": item.note,
            "answer": answer.answer,
            "refused": answer.refused,
            "mode": answer.mode,
            "citations": [{"n": c.n, "article_id": c.article_id, "quote": c.quote, "start": c.start, "end": c.end}
                          for c in answer.citations],
            "conversation": item.chat_id,
            "turn": item.position,
            "given": item.updated,
        },
    }
