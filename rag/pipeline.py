"""Question in, verified answer out: rewrite follow-up -> retrieve -> gate -> answer -> verify.

``SourceChat`` holds the store, the embedder and (when configured) the model for one set of
settings; ``ask`` returns an Answer, ``ask_stream`` yields the sources first, then text, then
the verified Answer. Both accept the conversation so far as ``history``. The stages live in
rag/answer/; this module only puts them in order.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from typing import Iterable, Iterator

from rag.answer.analyst import expansion_answer, mentions_answer, next_mentions_page, quote_answer
from rag.answer.compare import best_per_article, compare_answer
from rag.answer.compose import refusal, sources_from_hits
from rag.answer import spelling
from rag.answer.conversation import History, Rewrite, rewrite
from rag.answer.evidence import Evidence, gather_evidence, with_names_read
from rag.answer.extractive import answer_extractive, continue_answer
from rag.answer.filters import Filters, Scope, period_in, scope_of
from rag.answer.question import Question, read_question
from rag.answer.generative import LLM, ChatModel, LLMError, answer_messages, verify_answer
from rag.answer.record import Answer, AnswerEvent, SourcesEvent, TextEvent
from rag.answer.mentions import MentionsResult, find_mentions
from rag.index.mentions import words_of
from rag.answer.quotes import QuoteCheck, check_quote
from rag.answer.requests import (CompareRequest, ExpansionRequest, MentionsRequest, QuoteRequest, asks_for_more,
                                  request_of)
from rag.answer.retrieve import Hit, Retriever
from rag.errors import SourceChatError, UsageError
from rag.index.chunking import Chunk
from rag.index.embedding import Embedder
from rag.index.health import Health, check_store
from rag.index.sources import Article
from rag.index.store import Store
from rag.settings import MAX_TOP_K, Settings
from rag.text import strip_control

MODES = ("extractive", "generative")
# A question whose name the top chunks lack is searched again within the articles that write it,
# unless more than this many do (a name that common narrows nothing; the search stays bounded).
MENTIONED_ARTICLES_LIMIT = 2000

Event = SourcesEvent | TextEvent | AnswerEvent


class NoIndexError(SourceChatError):
    """Nothing is ingested yet."""


class SourceChat:
    """The answering pipeline over one store. Collaborators default to those ``settings`` describe."""

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, llm: ChatModel | None = None):
        from rag.index.embedding import get_embedder
        from rag.index.store import open_store
        from rag.settings import get_settings

        self.settings = settings or get_settings()
        self.embedder = embedder or get_embedder(self.settings)
        self.store = store or open_store(self.settings, self.embedder)
        self.retriever = Retriever(self.store, self.embedder, self.settings.rrf_k)
        self._llm: ChatModel | None = llm
        self._verifier: ChatModel | None = None  # a second-opinion model other than the answering one
        self._lock = threading.Lock()

    # -- what the app, the CLI and the evals read about the index --------------------------------
    def article_count(self) -> int:
        return self.store.article_count()

    def article(self, article_id: str) -> Article | None:
        return self.store.article(article_id)

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        return self.store.articles(list(article_ids))

    def list_articles(self) -> list[dict]:
        return self.store.list_articles()

    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
        return self.store.chunks(list(chunk_ids))

    def health(self, thorough: bool = False) -> Health:
        """The store's checks (rag/index/health.py): derived data repaired, problems named."""
        return check_store(self.store, thorough)

    def generation(self) -> tuple[str, int]:
        """Changes whenever the indexed articles change, in this process or another."""
        return self.store.generation()

    # -- analyst tools: every mention, quote checks ---------------------------------------------
    def scope(self, question: str, filters: Filters | None) -> tuple[Filters | None, Scope | None]:
        """The filters ``question`` is answered with (its period applied) and what to show of them."""
        if (filters is None or filters.is_empty()) and period_in(question or "") is None:
            return None, None
        return scope_of(question, filters, self.store.list_articles())

    def mentions(self, query: str, filters: Filters | None = None) -> MentionsResult:
        """Every article that mentions ``query`` (complete, newest first), within ``filters``."""
        self._check_index()
        applied, scope = self.scope("", filters)
        result = find_mentions(query, self.store, applied)
        result.scope = scope.to_json() if scope else None
        return result

    def check_quote(self, text: str, speaker: str | None = None, filters: Filters | None = None) -> QuoteCheck:
        """Whether ``text`` is quoted in the articles: verbatim, close (with differences) or not found."""
        self._check_index()
        applied, scope = self.scope("", filters)
        check = check_quote(text, self.store, applied, speaker, self.store.bm25())
        check.scope = scope.to_json() if scope else None
        return check

    @property
    def llm(self) -> ChatModel:
        """The configured chat model; LLMError (unreachable) when none is configured."""
        with self._lock:
            if self._llm is None:
                if not self.settings.llm_configured:
                    raise LLMError("no language model is configured: set OPENAI_API_KEY or OPENAI_BASE_URL",
                                   unreachable=True)
                self._llm = LLM(self.settings)
        return self._llm

    @property
    def second_opinion_model(self) -> ChatModel | None:
        """The model asked for a second opinion on generative answers (RAG_VERIFY=model), or None."""
        if self.settings.verify == "local" or not self.settings.llm_configured:
            return None
        if not self.settings.verify_model or self.settings.verify_model == self.settings.llm_model:
            return self.llm
        with self._lock:
            if self._verifier is None:
                self._verifier = LLM(self.settings, model=self.settings.verify_model)
        return self._verifier

    # -- answering ---------------------------------------------------------------------------------
    def ask_stream(self, question: str, history: History | None = None, mode: str | None = None,
                   top_k: int | None = None, filters: Filters | None = None) -> Iterator[Event]:
        """SourcesEvent, then TextEvents, then one AnswerEvent. Raises only before the first event."""
        question = strip_control(question or "").strip()
        mode = self._mode(mode)
        if not question:
            raise UsageError("the question is empty")
        history = self._within_limits(question, history, top_k)
        self._check_index()
        applied, scope = self.scope(question, filters)
        if history and isinstance(history[-1], Answer) and asks_for_more(question):
            page = next_mentions_page(question, history[-1], mode)
            if page is not None:
                page = self._with_chunks(page)
                yield SourcesEvent([], question)
                yield TextEvent(page.answer)
                yield AnswerEvent(page)
                return
        request = request_of(question)
        if isinstance(request, CompareRequest):
            yield from self._scoped(self._compare(question, request, mode, applied, top_k), scope)
            return
        if request is not None:
            answer = self._analyst(question, request, mode, applied, scope)
            yield SourcesEvent([], question)
            yield TextEvent(answer.answer)
            yield AnswerEvent(answer)
            return
        model, model_error = self._model(mode)
        standalone = rewrite(question, history, model)
        hits, evidence = self._retrieve_and_gate(standalone, top_k or self.settings.top_k, applied)
        if evidence.read_names:
            # a name read as the sources write it: the answer shows the question as it was read
            standalone = replace(standalone, question=with_names_read(standalone.question, evidence.read_names))
        yield SourcesEvent(sources_from_hits(hits), standalone.question)
        yield from self._scoped(self._answer(question, standalone, hits, evidence, mode, model, model_error), scope)

    def _analyst(self, question: str, request: MentionsRequest | QuoteRequest | ExpansionRequest, mode: str,
                 filters: Filters | None, scope: Scope | None) -> Answer:
        scope_text = scope.text if scope else ""
        if isinstance(request, MentionsRequest):
            query = request.query
            if scope is not None and scope.period:  # "mention Blair in June 2005": the period is a filter
                query = re.sub(rf"\s+\w+\s+{re.escape(scope.period)}$", "", query) or query
            result = find_mentions(query, self.store, filters)
            result.scope = scope.to_json() if scope else None
            return self._with_chunks(mentions_answer(question, result, mode, scope_text))
        if isinstance(request, ExpansionRequest):
            result = find_mentions(request.short, self.store, filters)
            return self._with_chunks(expansion_answer(question, request.short, result, mode, scope_text))
        check = check_quote(request.text, self.store, filters, request.speaker, self.store.bm25())
        check.scope = scope.to_json() if scope else None
        return self._with_chunks(quote_answer(question, check, mode, scope_text))

    def _with_chunks(self, answer: Answer) -> Answer:
        """Name the chunk each citation and source of a mentions list or quote check falls in."""
        items = [*answer.citations, *answer.sources]
        for item, chunk_id in zip(items, self.store.chunk_ids_at([(i.article_id, i.start) for i in items])):
            item.chunk_id = chunk_id
        return answer

    def _compare(self, question: str, request: CompareRequest, mode: str, filters: Filters | None,
                 top_k: int | None) -> Iterator[Event]:
        """Each side (or each article) heard: the best sentence per article, grouped."""
        k = max(top_k or self.settings.top_k, 6) * 3  # deeper than one answer: several articles are wanted
        groups = []
        if request.sides:
            for side in request.sides:
                try:
                    mentioned = {a.article_id for a in find_mentions(side, self.store, filters).articles}
                except UsageError:
                    mentioned = set()
                if not mentioned:
                    continue
                side_filters = replace(filters or Filters(), article_ids=sorted(mentioned))
                query = f"{side} {request.topic}"
                hits = self.retriever.retrieve(query, k, side_filters)
                groups.append((side, hits, best_per_article(query, hits, self.embedder, limit=2)))
        else:
            hits = self.retriever.retrieve(request.topic, k, filters)
            groups.append((None, hits, best_per_article(request.topic, hits, self.embedder)))
        yield SourcesEvent(sources_from_hits([h for _, hits, _ in groups for h in hits]), question)
        answer = compare_answer(question, mode, groups, question)
        yield TextEvent(answer.answer)
        yield AnswerEvent(answer)

    @staticmethod
    def _scoped(events: Iterator[Event], scope: Scope | None) -> Iterator[Event]:
        for event in events:
            if isinstance(event, AnswerEvent) and scope is not None:
                event.answer.scope = scope.text
            yield event

    def _answer(self, question: str, standalone: Rewrite, hits: list[Hit], evidence: Evidence, mode: str,
                model: ChatModel | None, model_error: LLMError | None) -> Iterator[Event]:
        if evidence.refusal_reason:
            answer = refusal(question, mode, hits, standalone.question, evidence.refusal_reason)
            yield TextEvent(answer.answer)
            yield AnswerEvent(answer)
        elif mode == "extractive":
            yield from self._extractive(question, standalone, hits, evidence)
        else:
            yield from self._generative(question, standalone.question, hits, model,
                                        model_error or standalone.model_error)

    def ask(self, question: str, history: History | None = None, mode: str | None = None,
            top_k: int | None = None, filters: Filters | None = None) -> Answer:
        return _answer_of(self.ask_stream(question, history, mode, top_k, filters))

    def answer_from_hits(self, question: str, hits: list[Hit]) -> Answer:
        """The generative answer to ``question`` written from exactly ``hits``, numbered in that
        order: the model's stream and the verifier as ``ask`` runs them, without the follow-up
        rewrite, the retrieval and the refusal gate, for a caller that chose the sources itself
        (the claims replay, rag/evals/replay.py). A model failure goes into the Answer."""
        model, model_error = self._model("generative")
        return _answer_of(self._generative(question, question, hits, model, model_error))

    def _within_limits(self, question: str, history: History | None, top_k: int | None) -> list:
        """What one request may ask, whichever edge it comes from (CLI, Python, the web app):
        bounded work per request, so one reader's huge request cannot starve the others.
        Returns the part of ``history`` that is read: the newest turns, within the limits."""
        limits = self.settings
        if len(question) > limits.max_question_chars:
            raise UsageError(f"the question is {len(question):,} characters long; the limit is "
                             f"{limits.max_question_chars:,} (RAG_MAX_QUESTION_CHARS)")
        if top_k is not None and not (isinstance(top_k, int) and 1 <= top_k <= MAX_TOP_K):
            raise UsageError(f"top_k must be a whole number from 1 to {MAX_TOP_K}, not {top_k!r}")
        # An Answer is one turn, a chat message half of one: 2 items per turn keeps enough of either.
        items = list(history or [])[-2 * limits.max_history_turns:] if limits.max_history_turns else []
        kept: list = []
        size = 0
        for item in reversed(items):
            size += _history_chars(item)
            if size > limits.max_history_chars:
                if not kept:
                    raise UsageError(f"the last turn of the conversation is {size:,} characters long; the limit "
                                     f"is {limits.max_history_chars:,} (RAG_MAX_HISTORY_CHARS): start a new chat")
                break
            kept.append(item)
        return kept[::-1]

    def _mode(self, mode: str | None) -> str:
        mode = mode or self.settings.default_mode
        if mode not in MODES:
            raise UsageError(f"unknown answer mode {mode!r}; use one of {', '.join(MODES)}")
        return mode

    def _check_index(self) -> None:
        if not self.store.has_articles():
            raise NoIndexError(f"no articles are indexed in {self.settings.store_dir}: run `rag ingest` first")

    def _model(self, mode: str) -> tuple[ChatModel | None, LLMError | None]:
        """The chat model generative mode uses, or why there is none; extractive mode uses none."""
        if mode != "generative":
            return None, None
        try:
            return self.llm, None
        except LLMError as err:
            return None, err

    def _retrieve_and_gate(self, standalone: Rewrite, k: int, filters: Filters | None) -> tuple[list[Hit], Evidence]:
        """Retrieve and gate. A follow-up searches the articles the previous answer quoted first, and
        all of them only when those cannot answer: "Why did it rise?" after a Time Warner answer stays
        with Time Warner."""
        asked = read_question(standalone.reading, standalone.context_terms)
        previous = standalone.previous
        if asked.kind == "more" and previous is not None and not previous.cited:
            # "Tell me more" with no quotes to go on from (a text-only history): a briefing on the
            # previous question
            asked = read_question(previous.standalone or previous.question, as_briefing=True)
        scoped = previous.cited_articles if previous is not None else []
        if scoped:
            narrowed = replace(filters or Filters(),
                               article_ids=[a for a in scoped if filters is None or not filters.article_ids
                                            or a in filters.article_ids])
            if narrowed.article_ids:
                hits = self.retriever.retrieve(standalone.question, k, narrowed)
                evidence = self._gate(asked, standalone, hits)
                if not evidence.refusal_reason or asked.kind == "more":
                    return hits, evidence
        # a misspelt word is searched as the closest term the index holds ("ryanar" -> "ryanair")
        query = spelling.correct(standalone.question, self.retriever.vocabulary(), stemmed=True)
        hits = self.retriever.retrieve(query, k, filters)
        evidence = self._gate(asked, standalone, hits)
        if evidence.question != asked.text:
            # a misspelt question ("waht did ryanar orderd") retrieves again as corrected
            read_names = evidence.read_names
            hits = self.retriever.retrieve(evidence.question, k, filters)
            evidence = replace(self._gate(evidence.asked, standalone, hits), read_names=read_names)
        if evidence.missing_names and evidence.asked is not None:
            # the top chunks lack a name the question gives: search the articles that write every
            # name of the question before saying the sources do not mention it (a refusal then
            # speaks of those articles)
            names = [n.text for n in evidence.asked.names if not evidence.asked.sets_scene(n)]
            each = self._articles_with_words(names, filters)
            together = set.intersection(*each) if each else set()
            if together and len(together) <= MENTIONED_ARTICLES_LIMIT:
                narrowed = replace(filters or Filters(), article_ids=sorted(together))
                retried = self.retriever.retrieve(evidence.question, k, narrowed)
                return retried, self._gate(evidence.asked, standalone, retried)
            elif len(each) > 1 and all(each) and not together:
                # each name is somewhere, never in one article: say so, not that one is missing
                evidence = replace(evidence, refusal_reason=f"no article mentions {' and '.join(names)} together")
        return hits, evidence

    def _articles_with_words(self, names: list[str], filters: Filters | None) -> list[set[str]]:
        """For each of ``names``, the articles (within ``filters``) whose words include all of its
        words: the keyword part of the mentions index, no parsing."""
        index = self.store.mentions()
        allowed = filters.allowed(self.store.list_articles()) if filters is not None and not filters.is_empty() else None
        found = []
        for name in names:
            if words_of(name):
                ids = index.articles_with(words_of(name))
                found.append(ids & allowed if allowed is not None else ids)
        return found

    def _gate(self, asked: Question, standalone: Rewrite, hits: list[Hit]) -> Evidence:
        if asked.kind == "more" and standalone.previous is not None and standalone.previous.cited:
            return Evidence(asked.text, [], None, asked)  # continued from the previous answer's quotes
        # a question read with its spelling corrected is compared with the sentences as corrected
        semantic = standalone.question.replace(standalone.reading, asked.text) if standalone.reading else asked.text
        return gather_evidence(asked.text, hits, self.embedder, standalone.context_terms, asked=asked,
                               semantic_text=semantic)

    def _extractive(self, question: str, standalone: Rewrite, hits: list[Hit], evidence: Evidence) -> Iterator[Event]:
        previous = standalone.previous
        if evidence.asked is not None and evidence.asked.kind == "more" and previous is not None and previous.cited:
            last_quoted: dict[str, int] = {}
            for article_id, _, end in previous.cited:
                last_quoted[article_id] = max(end, last_quoted.get(article_id, 0))
            answer = continue_answer(question, hits, list(last_quoted.items()),
                                     self.store.articles(list(last_quoted)), standalone.question)
        else:
            answer = answer_extractive(question, hits, evidence, standalone.question)
        for piece in answer.text_pieces():
            yield TextEvent(piece)
        yield AnswerEvent(answer)

    def _generative(self, question: str, standalone: str, hits: list[Hit], model: ChatModel | None,
                    model_error: LLMError | None) -> Iterator[Event]:
        """Stream the model's answer, then verify every sentence; a model failure goes into the Answer."""
        pieces: list[str] = []
        try:
            if model_error is not None:
                raise model_error
            assert model is not None  # _model returns a model or an error
            for delta in model.stream(answer_messages(standalone, hits)):
                pieces.append(delta)
                yield TextEvent(delta)
        except LLMError as err:
            yield AnswerEvent(Answer(question=question, answer="", refused=False, mode="generative",
                                     sources=sources_from_hits(hits), standalone_question=standalone,
                                     error=str(err)))
            return
        yield AnswerEvent(verify_answer(question, "".join(pieces), hits, self.embedder, standalone,
                                        second_opinion_model=self.second_opinion_model))


def _answer_of(events: Iterable[Event]) -> Answer:
    for event in events:
        if isinstance(event, AnswerEvent):
            return event.answer
    raise RuntimeError("the answer stream ended without an answer")


def _history_chars(item: object) -> int:
    """Characters of one history item (an Answer, a (question, answer) pair or a chat message)."""
    if isinstance(item, dict):
        parts = [item.get("content")]
    elif isinstance(item, (tuple, list)):
        parts = list(item)
    else:
        parts = [getattr(item, "question", ""), getattr(item, "answer", "")]
    return sum(len(part) if isinstance(part, str) else len(repr(part)) for part in parts)


_default: SourceChat | None = None
_default_lock = threading.Lock()


def default_chat() -> SourceChat:
    global _default
    with _default_lock:
        if _default is None:
            _default = SourceChat()
        return _default


def ask(question: str, history: History | None = None, **options) -> Answer:
    """Answer ``question`` from the indexed articles (settings from the environment)."""
    return default_chat().ask(question, history=history, **options)


def ask_stream(question: str, history: History | None = None, **options) -> Iterator[Event]:
    return default_chat().ask_stream(question, history=history, **options)
