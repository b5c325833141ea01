"""Ask every case through the pipeline and keep what scoring needs.

A follow-up case first asks its ``history`` questions in the same conversation. For each case
we record the answer, the retrieved chunks (texts, article ids), the whole sentences those
chunks cover, the sentences of the reference articles that hold the reference quotes, and
the text of every article the answer touched; texts come from the eval store through
``SourceChat``, the same strings citation offsets index into.

``with_answer`` puts another answer in a recorded case without asking again: the tests derive
deliberately broken answerers from one honest run that way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable

from rag.answer.record import Answer
from rag.evals.dataset import Case, quote_spans
from rag.text import sentence_spans


@dataclass
class CaseRun:
    case: Case
    answer: Answer | None
    contexts: list[str] = field(default_factory=list)  # retrieved chunk texts, best first
    context_article_ids: list[str] = field(default_factory=list)  # article of each retrieved chunk
    context_sentences: list[str] = field(default_factory=list)  # whole sentences of the retrieved chunks
    reference_sentences: list[str] = field(default_factory=list)  # sentences holding the reference quotes
    texts: dict[str, str] = field(default_factory=dict)  # article id -> text: retrieved, cited and reference articles
    error: str | None = None
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return self.answer is not None and self.answer.refused

    @property
    def answered(self) -> bool:
        """An answer with sentences to check (not a refusal, not a failure)."""
        return self.answer is not None and not self.error and not self.answer.refused and bool(self.answer.sentences)

    @property
    def response(self) -> str:
        return self.answer.answer if self.answer is not None else ""

    @property
    def cited_article_ids(self) -> list[str]:
        if self.answer is None:
            return []
        return list(dict.fromkeys(c.article_id for c in self.answer.citations))

    @property
    def cited_article_texts(self) -> list[str]:
        return [self.texts[a] for a in self.cited_article_ids if a in self.texts]

    def to_json(self) -> dict:
        return {
            "case": self.case.to_json(),
            "answer": self.answer.to_json() if self.answer else None,
            "refused": self.refused,
            "retrieved_article_ids": self.context_article_ids,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@lru_cache(maxsize=512)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


def covering_sentences(text: str, start: int, end: int) -> list[str]:
    return [text[s:e] for s, e in _sentences(text) if s < end and e > start]


def run_case(chat, case: Case, mode: str, top_k: int | None = None) -> CaseRun:
    from rag.answer.generative import LLMError

    started = time.perf_counter()
    history: list[Answer] = []
    try:
        for earlier in case.history:
            history.append(chat.ask(earlier, history=list(history), mode=mode, top_k=top_k))
        answer = chat.ask(case.question, history=history, mode=mode, top_k=top_k)
    except (LLMError, ValueError) as err:
        return CaseRun(case, None, error=str(err), seconds=time.perf_counter() - started)
    run = CaseRun(case, answer, error=answer.error, seconds=time.perf_counter() - started)
    describe_retrieval(run, chat)
    return run


def describe_retrieval(run: CaseRun, chat) -> None:
    answer, case = run.answer, run.case
    chunks = chat.chunks([s.chunk_id for s in answer.sources])
    wanted = {s.article_id for s in answer.sources} | set(case.reference_article_ids)
    wanted |= {c.article_id for c in answer.citations}
    articles = chat.articles(sorted(wanted))
    run.texts = {aid: a.text for aid, a in articles.items()}
    run.contexts, run.context_article_ids, run.context_sentences, run.reference_sentences = [], [], [], []
    seen: set[str] = set()
    for source in answer.sources:
        chunk, article = chunks.get(source.chunk_id), articles.get(source.article_id)
        if chunk is None or article is None:
            continue
        run.contexts.append(chunk.text)
        run.context_article_ids.append(source.article_id)
        for sentence in covering_sentences(article.text, chunk.start, chunk.end):
            if sentence not in seen:
                seen.add(sentence)
                run.context_sentences.append(sentence)
    for article_id, start, end in quote_spans(case, run.texts):
        for sentence in covering_sentences(run.texts[article_id], start, end):
            if sentence not in run.reference_sentences:
                run.reference_sentences.append(sentence)


def with_answer(run: CaseRun, answer: Answer, chat) -> CaseRun:
    """``run`` with ``answer`` in place of the one it got: retrieval and timing kept, nothing asked."""
    derived = replace(run, answer=answer, error=answer.error)
    describe_retrieval(derived, chat)
    return derived


def run_cases(chat, cases: list[Case], mode: str, top_k: int | None = None,
              log: Callable[[str], None] = print, every: int = 25) -> list[CaseRun]:
    runs = []
    for i, case in enumerate(cases, start=1):
        run = run_case(chat, case, mode, top_k)
        runs.append(run)
        if i % every == 0 or i == len(cases):
            refused = sum(1 for r in runs if r.refused)
            log(f"asked {i}/{len(cases)} ({refused} refused, {sum(1 for r in runs if r.error)} failed)")
    return runs
