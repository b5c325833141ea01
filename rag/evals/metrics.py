"""Metrics of our own, written against ragas' metric API so they sit in the same reports,
plus the two models ragas needs from us: the local embedder and (optionally) a judge.

* ``CitationFaithfulness``: the share of answer sentences whose cited span supports them, by
  the answer layer's own support scoring (``rag.answer.citations.SupportScorer``, supported means
  score >= ``SUPPORT_THRESHOLD`` with numbers matching). A sentence citing nothing counts as
  unsupported. The sample carries the answer sentence by sentence in ``multi_responses``
  (each with its [n] markers), the cited quotes in ``retrieved_contexts`` (quote n at index
  n-1) and their article ids in ``retrieved_context_ids``.
* ``RefusalAccuracy``: 1 when the answer refused exactly when the reference is a refusal.
* ``AnswerInContexts``: 1 when the reference answer string (case-insensitive) occurs in one of
  the contexts: answer-hit@k over retrieved chunks, or "a cited article holds the answer".

ragas is imported here, so only ``rag.evals`` imports this module.
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass, field

from ragas.dataset_schema import SingleTurnSample
from ragas.embeddings.base import BaseRagasEmbeddings
from ragas.metrics.base import MetricOutputType, MetricType, SingleTurnMetric

from rag.answer.compose import REFUSAL_TEXT
from rag.answer.citations import SentenceSpan, SupportScorer, parse_markers


def is_refusal(text: str | None) -> bool:
    return (text or "").strip().lower().startswith(REFUSAL_TEXT.lower().rstrip("."))


@dataclass
class CitationFaithfulness(SingleTurnMetric):
    name: str = "citation_faithfulness"
    embedder: t.Any = None  # rag.index.embedding.Embedder
    titles: dict[str, str] = field(default_factory=dict)  # article id -> headline, as the answer layer uses
    _required_columns: dict = field(
        default_factory=lambda: {MetricType.SINGLE_TURN: {"multi_responses", "retrieved_contexts", "retrieved_context_ids"}}
    )
    output_type: MetricOutputType = MetricOutputType.CONTINUOUS

    def init(self, run_config) -> None:
        if self.embedder is None:
            raise ValueError("citation_faithfulness needs the embedder the answer layer uses")

    async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks) -> float:
        sentences = sample.multi_responses or []
        if not sentences:
            return math.nan  # nothing to judge: the caller must not ask
        quotes = sample.retrieved_contexts or []
        article_ids = [str(i) for i in sample.retrieved_context_ids or []]
        scorer = SupportScorer(self.embedder, self.titles)
        supported = 0
        for raw in sentences:
            text, numbers = parse_markers(raw)
            spans = [
                SentenceSpan(article_ids[n - 1], "", 0, 0, quotes[n - 1], position=n - 1)
                for n in numbers if 1 <= n <= len(quotes)
            ]
            if not text or not spans:
                continue
            support = scorer.best_support(text, spans)
            if support is not None and support.supported:
                supported += 1
        return supported / len(sentences)


@dataclass
class BinaryCheck(SingleTurnMetric):
    """A yes/no metric of ours computed from the sample alone: no model, nothing to set up."""

    output_type: MetricOutputType = MetricOutputType.BINARY

    def init(self, run_config) -> None:
        pass


@dataclass
class RefusalAccuracy(BinaryCheck):
    name: str = "refusal_accuracy"
    _required_columns: dict = field(default_factory=lambda: {MetricType.SINGLE_TURN: {"response", "reference"}})

    async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks) -> float:
        return float(is_refusal(sample.response) == is_refusal(sample.reference))


@dataclass
class AnswerInContexts(BinaryCheck):
    name: str = "answer_in_contexts"
    _required_columns: dict = field(default_factory=lambda: {MetricType.SINGLE_TURN: {"reference", "retrieved_contexts"}})

    async def _single_turn_ascore(self, sample: SingleTurnSample, callbacks) -> float:
        wanted = (sample.reference or "").lower()
        if not wanted:
            return math.nan
        return float(any(wanted in (context or "").lower() for context in sample.retrieved_contexts or []))


class LocalEmbeddings(BaseRagasEmbeddings):
    """Our ONNX embedder for ragas (ResponseRelevancy): never ragas' OpenAI default."""

    def __init__(self, embedder):
        super().__init__()
        self.embedder = embedder

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_texts(list(texts)).tolist()

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)


def make_judge(settings):
    """The judge model, passed to ragas explicitly (ragas' own default would be OpenAI's).

    ``llm_factory`` with an ``AsyncOpenAI`` client: instructor in JSON mode, so any
    OpenAI-compatible server that honours ``response_format=json_object`` works.
    """
    from openai import AsyncOpenAI
    from ragas.llms import llm_factory

    if not settings.judge_model:
        raise ValueError("no judge model is configured: set RAG_JUDGE_MODEL")
    if not (settings.judge_api_key or settings.judge_base_url):
        raise ValueError("the judge needs RAG_JUDGE_BASE_URL or an API key (RAG_JUDGE_API_KEY / OPENAI_API_KEY)")
    client = AsyncOpenAI(
        api_key=settings.judge_api_key or "not-needed",  # local servers ignore the key
        base_url=settings.judge_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )
    return llm_factory(settings.judge_model, client=client, temperature=0.0)
