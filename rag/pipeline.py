"""Question in, verified answer out: rewrite follow-up -> retrieve -> gate -> answer -> verify.

``SourceChat`` holds the store, the embedder and (when configured) the model for one set of
settings; ``ask`` returns an Answer, ``ask_stream`` yields the sources first, then text, then
the verified Answer. Both accept the conversation so far as ``history``.
"""

from __future__ import annotations

import threading
from typing import Iterator

from rag.answer.compose import refusal, sources_from_hits
from rag.answer.evidence import gather_evidence
from rag.answer.extractive import answer_extractive
from rag.answer.generative import LLM, LLMError, answer_messages, verify_answer
from rag.answer.record import Answer, AnswerEvent, SourcesEvent, TextEvent
from rag.answer.conversation import history_text, is_follow_up, rewrite_deterministic, turns_from_history
from rag.prompts import render
from rag.answer.retrieve import Filters, Retriever
from rag.index.chunking import Chunk
from rag.index.sources import Article
from rag.index.store import Store
from rag.settings import Settings

MODES = ("extractive", "generative")


class NoIndexError(RuntimeError):
    pass


class SourceChat:
    """The answering pipeline over one store. Collaborators default to those ``settings`` describe."""

    def __init__(self, settings: Settings | None = None, *, embedder=None, store: Store | None = None,
                 llm: LLM | None = None):
        from rag.index.embedding import get_embedder
        from rag.index.store import open_store
        from rag.settings import get_settings

        self.settings = settings or get_settings()
        self.embedder = embedder or get_embedder(self.settings)
        self.store = store or open_store(self.settings, self.embedder)
        self.retriever = Retriever(self.store, self.embedder, self.settings.rrf_k)
        self._llm: LLM | None = llm
        self._lock = threading.Lock()

    # -- what the app, the CLI and the evals read about the index --------------------------------
    def article_count(self) -> int:
        return self.store.article_count()

    def article(self, article_id: str) -> Article | None:
        return self.store.article(article_id)

    def articles(self, article_ids) -> dict[str, Article]:
        return self.store.articles(list(article_ids))

    def list_articles(self) -> list[dict]:
        return self.store.list_articles()

    def chunks(self, chunk_ids) -> dict[str, Chunk]:
        return self.store.chunks(list(chunk_ids))

    @property
    def llm(self) -> LLM:
        if not self.settings.llm_configured:
            raise LLMError("no language model is configured: set OPENAI_API_KEY or OPENAI_BASE_URL", unreachable=True)
        with self._lock:
            if self._llm is None:
                self._llm = LLM(self.settings)
        return self._llm

    def _check_index(self) -> None:
        if self.store.article_count() == 0:
            raise NoIndexError(
                f"no articles are indexed in {self.settings.store_dir}: run `rag ingest` first"
            )

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.settings.default_mode
        if mode not in MODES:
            raise ValueError(f"unknown answer mode {mode!r}; use one of {', '.join(MODES)}")
        return mode

    def standalone(self, question: str, history, mode: str) -> tuple[str, set[str]]:
        """The follow-up as a standalone question, and context terms from earlier turns."""
        standalone, context, _ = self._rewrite(question, history, mode)
        return standalone, context

    def _rewrite(self, question: str, history, mode: str) -> tuple[str, set[str], LLMError | None]:
        """``standalone`` plus the error of a model that could not be reached for the rewrite."""
        turns = turns_from_history(history)
        rewritten, context = rewrite_deterministic(question, turns)
        if mode == "generative" and turns and is_follow_up(question):
            prompt = render("condense", history=history_text(turns), question=question)
            try:
                condensed = self.llm.complete([{"role": "user", "content": prompt}], max_tokens=80)
            except LLMError as err:
                # Keep the rule-based rewrite. A model that answered with an error may still answer
                # the question; one that timed out or cannot be reached is not asked a second time,
                # so a reader waits one timeout for the error, not two.
                return rewritten, context, err if err.unreachable else None
            if condensed and len(condensed) < 400:
                return condensed.strip().strip('"'), context, None
        return rewritten, context, None

    def ask_stream(self, question: str, history=None, mode: str | None = None, top_k: int | None = None,
                   filters: Filters | None = None) -> Iterator[SourcesEvent | TextEvent | AnswerEvent]:
        question = (question or "").strip()
        mode = self._mode(mode)
        if not question:
            raise ValueError("the question is empty")
        self._check_index()
        standalone, context, model_down = self._rewrite(question, history, mode)
        hits = self.retriever.retrieve(standalone, top_k or self.settings.top_k, filters)
        yield SourcesEvent(sources_from_hits(hits), standalone)
        evidence = gather_evidence(standalone, hits, self.embedder, context)
        if evidence.refusal_reason:
            answer = refusal(question, mode, hits, standalone, evidence.refusal_reason)
            yield TextEvent(answer.answer)
            yield AnswerEvent(answer)
            return
        if mode == "extractive":
            answer = answer_extractive(question, hits, evidence, standalone)
            for i, sentence in enumerate(answer.answer_parts()):
                yield TextEvent(sentence if i == 0 else " " + sentence)
            yield AnswerEvent(answer)
            return
        pieces: list[str] = []
        try:
            if model_down is not None:
                raise model_down
            for delta in self.llm.stream(answer_messages(standalone, hits)):
                pieces.append(delta)
                yield TextEvent(delta)
        except LLMError as err:
            yield AnswerEvent(Answer(question=question, answer="", refused=False, mode=mode,
                                     sources=sources_from_hits(hits), standalone_question=standalone,
                                     error=str(err)))
            return
        yield AnswerEvent(verify_answer(question, "".join(pieces), hits, self.embedder, standalone))

    def ask(self, question: str, history=None, mode: str | None = None, top_k: int | None = None,
            filters: Filters | None = None) -> Answer:
        final = None
        for event in self.ask_stream(question, history, mode, top_k, filters):
            if isinstance(event, AnswerEvent):
                final = event.answer
        return final


_default: SourceChat | None = None
_default_lock = threading.Lock()


def default_chat() -> SourceChat:
    global _default
    with _default_lock:
        if _default is None:
            _default = SourceChat()
        return _default


def ask(question: str, history=None, **options) -> Answer:
    """Answer ``question`` from the indexed articles (settings from the environment)."""
    return default_chat().ask(question, history=history, **options)


def ask_stream(question: str, history=None, **options):
    return default_chat().ask_stream(question, history=history, **options)
