"""Comparisons: "Compare what A and B say about X", "How do the sources differ on X".

An ordinary answer takes its best sentences wherever they are, often all from one article. A
comparison wants each side heard: the sentences are grouped per article, at least one from
each article that speaks to the topic (up to ``MAX_ARTICLES``), and figures or dates that one
article gives and another does not are called out, each with its citation.

With sides (A and B: people, organisations, places) each side's sentences come from the
articles that mention it (the mentions index); without, from the best articles for the topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answer.compose import AnswerBuilder, refusal
from rag.answer.evidence import gather_evidence, near_duplicate
from rag.answer.question import read_question
from rag.answer.record import Answer

if TYPE_CHECKING:
    from rag.answer.evidence import RankedSpan
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder

MAX_ARTICLES = 4
_FACT_LABELS = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE")


def best_per_article(topic: str, hits: list[Hit], embedder: Embedder, limit: int = MAX_ARTICLES) -> list[RankedSpan]:
    """The best sentence of each article (best articles first) that speaks to ``topic``.

    Each article is ranked on its own, with the topic read as a briefing's ("the news about X"):
    ranked together, one article's sentences can fill the whole shortlist, and a comparison wants
    each article heard, not the one sentence that answers."""
    asked = read_question(topic, as_briefing=True)
    by_article: dict[str, list[Hit]] = {}
    for hit in hits:  # best article first: the order of its best chunk
        by_article.setdefault(hit.article.id, []).append(hit)
    chosen: list[RankedSpan] = []
    for article_hits in by_article.values():
        evidence = gather_evidence(topic, article_hits, embedder, asked=asked)
        if evidence.ranked and not evidence.refusal_reason:
            chosen.append(evidence.ranked[0])
        if len(chosen) == limit:
            break
    return chosen


def compare_answer(question: str, mode: str, groups: list[tuple[str | None, list[Hit], list[RankedSpan]]],
                   standalone: str = "") -> Answer:
    """``groups``: (side or None, its hits, its chosen sentences). One paragraph per article."""
    hits = [h for _, group_hits, _ in groups for h in group_hits]
    chosen, seen = [], set()
    for side, _, spans in groups:
        for ranked in spans:
            key = (ranked.span.article_id, ranked.span.start)
            # An article that mentions both sides is heard once; so is a story the folder holds twice.
            if key not in seen and not any(near_duplicate(ranked.span.text, c.span.text) for _, c in chosen):
                seen.add(key)
                chosen.append((side, ranked))
    if not chosen:
        return refusal(question, mode, hits, standalone, "no article speaks to the topic")
    builder = AnswerBuilder(question, mode, hits, standalone)
    facts: list[tuple[str, str, int]] = []  # (fact, article title, citation n)
    for side, ranked in chosen:
        article = builder.articles[ranked.span.article_id]
        lead = f"{side}, in {article.title}" if side else article.title
        builder.add(f"{lead}: {ranked.span.text}", [ranked.span], support=1.0)
        n = builder.sentences[-1].citations[0]
        facts += [(fact, article.title, n) for fact in _facts(ranked.span.text)]
    answer = builder.build()
    answer.kind = "compare"
    difference = _differences(facts)
    if difference:
        from rag.answer.record import AnswerSentence

        answer.sentences.append(AnswerSentence(difference[0], difference[1], 1.0))
        answer.answer += " " + difference[0] + "".join(f"[{n}]" for n in difference[1])
    return answer


def _facts(sentence: str) -> list[str]:
    """The figures and dates a sentence gives, as written (the language layer's entities)."""
    from rag import language

    return list(dict.fromkeys(e.text for e in language.entities(sentence) if e.label in _FACT_LABELS))


def _differences(facts: list[tuple[str, str, int]]) -> tuple[str, list[int]] | None:
    """"The figures differ: ... says 13 billion [1]; ... says 12 billion [2]." when articles give different ones."""
    by_article: dict[int, list[str]] = {}
    titles: dict[int, str] = {}
    for fact, title, n in facts:
        by_article.setdefault(n, []).append(fact)
        titles[n] = title
    if len(by_article) < 2:
        return None
    values = {n: frozenset(v.casefold() for v in found) for n, found in by_article.items()}
    if len(set(values.values())) < 2:
        return None
    parts = [f"“{titles[n]}” gives {', '.join(found)}" for n, found in by_article.items()]
    return "Figures and dates differ between the articles: " + "; ".join(parts) + ".", sorted(by_article)
