"""Putting an answer together: numbered citations, sources, text with [n] markers, refusals."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer.record import Answer, AnswerSentence, Citation, Source
from rag.answer.citations import SentenceSpan, with_markers
from rag.text import match_terms

if TYPE_CHECKING:
    from rag.answer.retrieve import Hit
    from rag.index.sources import Article

REFUSAL_TEXT = "The sources don't say."
_CLOSED = re.compile(r"[.!?…:;][”\"’')\]]*$")


def sources_from_hits(hits: list[Hit]) -> list[Source]:
    return [
        Source(
            article_id=h.article.id, source=h.article.source, title=h.article.title, score=h.score,
            chunk_id=h.chunk.id, start=h.chunk.start, end=h.chunk.end,
            url=h.article.meta.get("url"), published=h.article.meta.get("published"),
        )
        for h in hits
    ]


class AnswerBuilder:
    """Collects sentences with the spans they rest on; numbers each distinct span once."""

    def __init__(self, question: str, mode: str, hits: list[Hit], standalone_question: str = "",
                 extra_articles: dict[str, Article] | None = None):
        self.question = question
        self.mode = mode
        self.hits = hits
        self.standalone_question = standalone_question or question
        # articles quoted without a retrieved chunk ("tell me more" goes on past what was retrieved)
        self.articles = {**(extra_articles or {}), **{h.article.id: h.article for h in hits}}
        self.citations: list[Citation] = []
        self.sentences: list[AnswerSentence] = []
        self._number: dict[tuple[str, int, int], int] = {}

    def cite(self, span: SentenceSpan, support: float) -> int:
        key = (span.article_id, span.start, span.end)
        if key not in self._number:
            article = self.articles[span.article_id]
            n = len(self.citations) + 1
            self._number[key] = n
            self.citations.append(Citation(
                n=n, article_id=article.id, source=article.source, title=article.title,
                url=article.meta.get("url"), published=article.meta.get("published"),
                quote=article.text[span.start:span.end], start=span.start, end=span.end,
                support=round(float(support), 4), chunk_id=span.chunk_id,
            ))
        return self._number[key]

    def add(self, text: str, spans: list[SentenceSpan], support: float, unsupported: bool = False,
            reason: str | None = None, model_label: str | None = None) -> None:
        ns = [self.cite(span, support) for span in spans]
        if text and not _CLOSED.search(text):
            # A quoted headline has no full stop; without one the next sentence runs on.
            text += "."
        self.sentences.append(AnswerSentence(text=text, citations=ns, support=round(float(support), 4),
                                             unsupported=unsupported, reason=reason, model_label=model_label))

    def add_heading(self, text: str) -> None:
        """A line over the quotes that follow (an article's headline and date): cites nothing."""
        self.sentences.append(AnswerSentence(text=text, citations=[], support=1.0, heading=True))

    def build(self) -> Answer:
        answer = Answer(
            question=self.question, answer="", refused=False, mode=self.mode,
            citations=self.citations, sources=sources_from_hits(self.hits), sentences=self.sentences,
            standalone_question=self.standalone_question,
        )
        answer.answer = "".join(answer.text_pieces())
        return answer


def refusal(question: str, mode: str, hits: list[Hit], standalone_question: str = "", reason: str | None = None) -> Answer:
    """An honest "the sources don't say", with the closest sources so the reader can look."""
    text = REFUSAL_TEXT if not reason else f"{REFUSAL_TEXT} ({reason[0].upper()}{reason[1:]}.)"
    sources = sources_from_hits(hits)
    wanted = _wanted_terms(standalone_question or question)
    for source, hit in zip(sources, hits):
        source.on_topic = bool(wanted & set(match_terms(f"{hit.article.title}\n{hit.chunk.text}")))
    return Answer(
        question=question, answer=text, refused=True, mode=mode,
        sources=sources, standalone_question=standalone_question or question,
    )


def _wanted_terms(question: str) -> set[str]:
    """What a close source must share with the question: a word of its names, or of the question
    when it names nothing ("Who joined Robert Kilroy-Silk ...?" is not close to a story on Chelsea
    that shares "join")."""
    from rag.answer.question import read_question

    asked = read_question(question)
    return asked.name_terms or set(asked.weights)
