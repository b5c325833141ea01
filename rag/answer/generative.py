"""The generative answerer: an OpenAI-compatible model writes, the code checks every sentence.

The model sees the retrieved chunks as numbered sources and is asked for [n] markers. Its
markers are only hints: each sentence is matched to the sentence span that best supports it
inside the chunks it cited; a marker pointing nowhere is dropped, a sentence the model left
uncited gets a citation when a span clearly supports it, and a sentence nothing supports is
flagged ``unsupported``. Calls have a timeout and a bounded number of retries; a failing
endpoint raises LLMError with a message meant for the reader.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator, Protocol

from rag.answer.citations import SUPPORT_THRESHOLD, SupportScorer, parse_markers, spans_for_hits, split_answer_sentences
from rag.answer.compose import REFUSAL_TEXT, AnswerBuilder, refusal
from rag.answer.record import Answer
from rag.answer.second_opinion import Verdict, second_opinion
from rag.errors import SourceChatError
from rag.prompts import render

if TYPE_CHECKING:
    from rag.answer.retrieve import Hit
    from rag.index.embedding import Embedder
    from rag.settings import Settings

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

MAX_SENTENCES = 4
# A citation the model did not give is added only when the support is clearly there.
UNCITED_MARGIN = 0.1


class LLMError(SourceChatError):
    """The language model could not answer; the message is shown to the reader as is.

    ``unreachable``: it timed out or could not be connected to, so asking again at once is
    pointless (as opposed to an error reply, which a second request may not repeat).
    """

    def __init__(self, message: str, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class ChatModel(Protocol):
    """What the answer layer needs from a language model. Both methods raise only LLMError."""

    def complete(self, messages: list[Message], max_tokens: int = 200) -> str:
        """The whole reply, stripped."""

    def stream(self, messages: list[Message], max_tokens: int = 400) -> Iterator[str]:
        """The reply as text deltas; an empty reply is an LLMError, not ""."""


class LLM:
    """A chat model behind any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)."""

    def __init__(self, settings: Settings, model: str | None = None):
        import httpx
        from openai import OpenAI

        self.model = model or settings.llm_model
        self.timeout = settings.llm_timeout
        self.where = settings.openai_base_url or "api.openai.com"
        self.client = OpenAI(
            api_key=settings.openai_api_key or "not-needed",  # local servers ignore the key
            base_url=settings.openai_base_url,
            timeout=httpx.Timeout(settings.llm_timeout, connect=min(5.0, settings.llm_timeout)),
            max_retries=settings.llm_retries,
        )

    def _explain(self, err: Exception) -> LLMError:
        import openai

        if isinstance(err, openai.APITimeoutError):
            return LLMError(f"the language model at {self.where} did not answer within {self.timeout:g} s",
                            unreachable=True)
        if isinstance(err, openai.APIConnectionError):
            return LLMError(f"cannot reach the language model at {self.where}", unreachable=True)
        if isinstance(err, openai.AuthenticationError):
            return LLMError(f"the language model at {self.where} rejected the API key")
        if isinstance(err, openai.NotFoundError):
            return LLMError(f"the language model at {self.where} has no model named {self.model!r}")
        if isinstance(err, openai.APIStatusError):
            return LLMError(f"the language model at {self.where} failed (HTTP {err.status_code})")
        return LLMError(f"the language model failed: {err}")

    def complete(self, messages: list[Message], max_tokens: int = 200) -> str:
        try:
            reply = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0
            )
        except Exception as err:
            raise self._explain(err) from err
        if not reply.choices:
            raise LLMError(f"the language model at {self.where} sent an empty reply")
        return (reply.choices[0].message.content or "").strip()

    def stream(self, messages: list[Message], max_tokens: int = 400) -> Iterator[str]:
        """Text deltas. The whole stream is bounded too, not only the wait for each piece."""
        deadline = time.monotonic() + self.timeout * 3
        written = False
        try:
            stream = self.client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0, stream=True
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    written = written or bool(chunk.choices[0].delta.content.strip())
                    yield chunk.choices[0].delta.content
                if time.monotonic() > deadline:
                    stream.close()
                    raise LLMError(f"the language model at {self.where} took longer than {self.timeout * 3:g} s")
        except LLMError:
            raise
        except Exception as err:
            raise self._explain(err) from err
        if not written:
            # A body that is not an event stream parses as no events at all: say so, not "".
            raise LLMError(f"the language model at {self.where} sent an empty reply")


def format_sources(hits: list[Hit]) -> str:
    blocks = []
    for n, hit in enumerate(hits, start=1):
        dated = f" ({hit.article.meta['published'][:10]})" if hit.article.meta.get("published") else ""
        blocks.append(f"[{n}] {hit.article.title}{dated}\n{hit.chunk.text.strip()}")
    return "\n\n".join(blocks)


def answer_messages(question: str, hits: list[Hit]) -> list[Message]:
    system = render("answer", sources=format_sources(hits), max_sentences=MAX_SENTENCES)
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def is_refusal_text(text: str) -> bool:
    plain = parse_markers(text)[0].strip().lower().rstrip(".")
    return plain in {REFUSAL_TEXT.lower().rstrip("."), "the sources do not say", "i don't know", "i do not know"}


def verify_answer(question: str, text: str, hits: list[Hit], embedder: Embedder, standalone_question: str = "",
                  second_opinion_model: ChatModel | None = None) -> Answer:
    """Turn the model's text into an Answer whose every citation is a checked sentence span.

    A flagged sentence carries the reason: what the span it cited says instead (or, when it
    cited nothing usable, what the closest sentence of the sources lacks). With
    ``second_opinion_model`` (RAG_VERIFY=model) that model labels every sentence too, and a
    sentence stays supported only when both checks agree (rag/answer/second_opinion.py).
    """
    if is_refusal_text(text):
        return refusal(question, "generative", hits, standalone_question, "the model found no answer in the sources")
    verdicts = local_verdicts(text, hits, embedder)
    verified_by, notice = "local", None
    if second_opinion_model is not None:
        opinion = second_opinion(second_opinion_model, verdicts, {h.article.id: h.article.title for h in hits})
        verdicts, notice = opinion.verdicts, opinion.notice
        verified_by = "local+model" if opinion.asked else "local"
    builder = AnswerBuilder(question, "generative", hits, standalone_question)
    for verdict in verdicts:
        # a flagged sentence cites nothing: the spans it was weighed against are not its evidence
        builder.add(verdict.text, [] if verdict.unsupported else verdict.spans, verdict.score,
                    unsupported=verdict.unsupported, reason=verdict.reason, model_label=verdict.model_label)
    answer = builder.build()
    answer.verified_by, answer.notice = verified_by, notice
    return answer


def local_verdicts(text: str, hits: list[Hit], embedder: Embedder) -> list[Verdict]:
    """Each sentence of the model's text as the local claim checker judges it against the sources."""
    scorer = SupportScorer(embedder, {h.article.id: h.article.title for h in hits},
                           {h.article.id: h.article.text for h in hits})
    all_spans = spans_for_hits(hits)
    verdicts = []
    for raw in split_answer_sentences(text):
        sentence, markers = parse_markers(raw)
        if not sentence:
            continue
        valid = [n for n in markers if 1 <= n <= len(hits)]  # markers pointing nowhere are dropped
        claim_vector = embedder.embed_query(sentence)
        cited = scorer.best_support(sentence, spans_for_hits([hits[n - 1] for n in valid]), claim_vector) if valid else None
        if cited is not None and cited.supported:
            verdicts.append(Verdict(sentence, cited.spans, cited.score, unsupported=False))
            continue
        # A cited sentence that states otherwise decides: another source cannot make it true.
        anywhere = None if cited is not None and cited.contradicts else scorer.best_support(sentence, all_spans, claim_vector)
        needed = SUPPORT_THRESHOLD + (UNCITED_MARGIN if not valid else 0.0)
        if anywhere is not None and anywhere.supported and anywhere.score >= needed:
            verdicts.append(Verdict(sentence, anywhere.spans, anywhere.score, unsupported=False))
        else:
            best = max((s.score for s in (cited, anywhere) if s is not None), default=0.0)
            explained = cited if cited is not None and cited.problems else anywhere or cited
            reason = explained.reason if explained is not None else "no source sentence says this"
            verdicts.append(Verdict(sentence, explained.spans if explained is not None else [], best,
                                    unsupported=True, reason=reason))
    return verdicts
