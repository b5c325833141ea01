"""Our metrics, computed from a recorded case (``CaseRun``), plus the two models ragas needs
from us: the local embedder and (optionally) a judge.

Each of our metrics scores one case in [0, 1] from the typed answer, not from its text alone
(a refusal is ``answer.refused``, a citation is a ``Citation`` with its article and offsets),
so none of them can be fooled by wording. Each catches a fault the others miss; the tests
prove it with a deliberately broken answerer per metric:

* ``refusal_recall`` (cases that must be refused): refused (``answer.refused``).
  Broken answerer: one that answers what the sources don't say.
* ``answer_rate`` (every other case): not refused. Broken answerer: one that refuses questions
  it could answer. ``refusal_accuracy`` (every case: refused exactly when it must) is their mix,
  weighted by how many cases of each kind a dataset has, so it is reported, not gated: an
  answerer that over-refuses can stop refusing altogether and keep the same accuracy.
* ``lead_answer`` (answered cases with ``answer_contains``): the answer's first sentence states
  every short answer (case-insensitive). A reader reads the first sentence; a right answer buried
  in the third quoted sentence is a wrong lead. Broken answerer: one that puts another sentence
  of the article first.
* ``conciseness`` (answered cases with reference quotes, broad questions excepted): how far the
  answer stays within a budget set by the reference: ``min(1, budget / answer words)`` with
  ``budget = max(CONCISE_ALLOWANCE x words of the reference sentences, CONCISE_FLOOR)``.
  Broken answerer: one that quotes the whole article.
* ``cited_reference_article`` (answered cases with reference articles): the share of the
  answer's citations that point into a reference article. Broken answerer: one that quotes a
  sentence saying the same thing from another article.
* ``citation_faithfulness`` (answered cases): the share of answer sentences whose cited spans
  support them, by the answer layer's own ``SupportScorer`` (``SUPPORT_THRESHOLD``, numbers
  matching; two cited sentences count together only when they are neighbours in one article,
  the answer layer's rule, via ``rag.answer.citations.cited_span``). A sentence citing nothing
  counts as unsupported; a briefing's heading (an article's headline and date, ``heading``)
  states no fact and is not counted. A quoted sentence under its answer phrase or speaker
  ("**David Davis**: He said ...", "[David Davis] He said ...") is supported when the quote is
  one of its cited spans and the phrase is written in one of them (the sentence naming him).
  Broken answerer: one that points its citations at other sentences.
* ``answer_hit_at_k``, ``answer_in_cited_article`` (RealTime QA): the gold answer string in a
  retrieved chunk / in the text of a cited article.
* Over the RealTime QA cases a reader labelled (rag/evals/realtimeqa.py: does an own article
  really answer?): ``answered_where_article_answers`` (not refused; broken answerer: one that
  refuses them), ``answer_string_where_article_answers`` (the gold string in the answer, a refusal
  scoring 0), ``answer_in_cited_sentence`` (answered: a cited sentence states the gold string;
  broken answerer: one that cites another sentence; the labelled sentence is one of several that
  may answer, so overlapping it is not required) and ``refused_where_article_does_not`` (the
  string is there, the answer is not: refused; reported, not gated, as a distractor article may
  answer after all).

ragas is imported here, so only ``rag.evals`` imports this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ragas.embeddings.base import BaseRagasEmbeddings

from rag.answer.citations import SupportScorer, cited_span, parse_markers
from rag.evals.realtimeqa import ANSWERS_TAG, MENTIONS_TAG
from rag.evals.runner import CaseRun
from rag.text import sentence_spans, words

# Three quoted sentences answer a question (the extractive answerer's MAX_SENTENCES); the floor
# keeps a short reference sentence from marking a normal three-sentence answer as long. Measured
# at a93adf4 (bbc-rtqa with 300 BBC articles / seeds): reference sentences have a median of 21 / 29
# words, honest extractive answers a median of 24 / 35 words and at most 92 / 107, scoring 0.998 /
# 0.991; the same answers followed by the rest of their article score 0.237 / 0.288.
CONCISE_ALLOWANCE = 3
CONCISE_FLOOR = 75


@dataclass(frozen=True)
class CaseMetric:
    """A metric of ours: ``score(run)`` in [0, 1] for the runs ``applies`` accepts."""

    name: str
    applies: Callable[[CaseRun], bool]
    score: Callable[[CaseRun], float]


# -- helpers ------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Case- and typography-insensitive form for "does the answer say X"."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-")
    return " ".join(text.casefold().split())


def answer_text(run: CaseRun) -> str:
    """The answer as read, without [n] markers."""
    if run.answer is None:
        return ""
    return parse_markers(run.answer.answer)[0]


def lead_sentence(run: CaseRun) -> str:
    """The first sentence a reader reads."""
    text = answer_text(run)
    spans = sentence_spans(text)
    return text[spans[0][0]:spans[0][1]] if spans else text


def says(text: str, wanted: str) -> bool:
    return _plain(wanted) in _plain(text)


def _word_count(text: str) -> int:
    return len(words(text))


# -- the metrics --------------------------------------------------------------------------------


def refusal_accuracy(run: CaseRun) -> float:
    return float(run.refused == run.case.must_refuse)


def refusal_recall(run: CaseRun) -> float:
    return float(run.refused)


def answer_rate(run: CaseRun) -> float:
    return float(not run.refused)


def lead_answer(run: CaseRun) -> float:
    lead = lead_sentence(run)
    return float(all(says(lead, wanted) for wanted in run.case.answer_contains))


def concise_budget(run: CaseRun) -> int:
    reference_words = sum(_word_count(s) for s in run.reference_sentences)
    return max(CONCISE_ALLOWANCE * reference_words, CONCISE_FLOOR)


def conciseness(run: CaseRun) -> float:
    length = _word_count(answer_text(run))
    return min(1.0, concise_budget(run) / length) if length else 0.0


def cited_reference_article(run: CaseRun) -> float:
    citations = run.answer.citations
    if not citations:
        return 0.0
    wanted = set(run.case.reference_article_ids)
    return sum(1 for c in citations if c.article_id in wanted) / len(citations)


def citation_faithfulness(embedder, titles: dict[str, str]) -> Callable[[CaseRun], float]:
    def score(run: CaseRun) -> float:
        answer = run.answer
        by_number = {c.n: c for c in answer.citations}
        scorer = SupportScorer(embedder, titles)
        supported = 0
        claims = [sentence for sentence in answer.sentences if not sentence.heading]
        for sentence in claims:
            cited = [by_number[n] for n in sentence.citations if n in by_number and by_number[n].article_id in run.texts]
            spans = [cited_span(c, run.texts[c.article_id]) for c in cited]
            if not sentence.text or not spans:
                continue
            if any(_verbatim(sentence.text, span.text) for span in spans):
                supported += 1  # a quoted sentence supports itself: no need to score it
                continue
            phrases, quote = _phrases_and_quote(sentence.text)
            if phrases and any(_verbatim(quote, span.text) for span in spans) \
                    and all(any(says(span.text, phrase) for span in spans) for phrase in phrases):
                supported += 1  # a quote under a phrase the cited spans write
                continue
            support = scorer.best_support(sentence.text, spans)
            if support is not None and support.supported:
                supported += 1
        return supported / len(claims) if claims else 0.0

    return score


_LEAD_PHRASE = re.compile(r"^\*\*(.+?)\*\*:\s*")
_SPEAKER = re.compile(r"^\[([^\]]+)\]\s*")


def _phrases_and_quote(sentence: str) -> tuple[list[str], str]:
    """"**David Davis**: [X] He said ..." -> (["David Davis", "X"], "He said ...")."""
    phrases = []
    for pattern in (_LEAD_PHRASE, _SPEAKER):
        match = pattern.match(sentence)
        if match:
            phrases.append(match.group(1))
            sentence = sentence[match.end():]
    return phrases, sentence


def _verbatim(sentence: str, quote: str) -> bool:
    """The sentence is the quote (the answer layer closes an unpunctuated headline with a full stop,
    and pairs the quotation marks of a quotation the sentence opens or closes alone)."""
    from rag.answer.extractive import balanced_quotes

    strip = ".!?…:; \n\t"
    return sentence.strip().rstrip(strip) in (quote.strip().rstrip(strip), balanced_quotes(quote.strip()).rstrip(strip))


def answer_hit_at_k(run: CaseRun) -> float:
    return float(any(says(context, run.case.answer_contains[0]) for context in run.contexts))


def answer_in_cited_article(run: CaseRun) -> float:
    return float(any(says(text, run.case.answer_contains[0]) for text in run.cited_article_texts))


def answer_string(run: CaseRun) -> float:
    return float(run.answered and any(says(answer_text(run), wanted) for wanted in run.case.answer_contains))


def answer_in_cited_sentence(run: CaseRun) -> float:
    return float(any(says(c.quote, wanted) for c in run.answer.citations for wanted in run.case.answer_contains))


# -- which cases each applies to ----------------------------------------------------------------


def _with_answer_strings(run: CaseRun) -> bool:
    return bool(run.case.answer_contains)


def _answered_with_answer_strings(run: CaseRun) -> bool:
    return run.answered and bool(run.case.answer_contains)


def _answered_with_references(run: CaseRun) -> bool:
    return run.answered and bool(run.case.reference_article_ids)


def _answered_focused(run: CaseRun) -> bool:
    return run.answered and bool(run.case.reference_quotes) and not run.case.broad


def _article_answers(run: CaseRun) -> bool:
    return ANSWERS_TAG in run.case.tags


def _answered_where_article_answers(run: CaseRun) -> bool:
    return run.answered and _article_answers(run)


def case_metrics(profile: str, embedder, titles: dict[str, str]) -> list[CaseMetric]:
    """Our metrics for a scoring profile ("golden" or "realtimeqa"), in report order."""
    answer = [
        CaseMetric("lead_answer", _answered_with_answer_strings, lead_answer),
        CaseMetric("conciseness", _answered_focused, conciseness),
        CaseMetric("cited_reference_article", _answered_with_references, cited_reference_article),
        CaseMetric("citation_faithfulness", lambda r: r.answered, citation_faithfulness(embedder, titles)),
    ]
    refusals = [
        CaseMetric("refusal_recall", lambda r: r.case.must_refuse, refusal_recall),
        CaseMetric("answer_rate", lambda r: not r.case.must_refuse, answer_rate),
        CaseMetric("refusal_accuracy", lambda r: True, refusal_accuracy),
    ]
    if profile == "realtimeqa":
        return [
            CaseMetric("answer_hit_at_k", _with_answer_strings, answer_hit_at_k),
            CaseMetric("answer_in_cited_article", _with_answer_strings, answer_in_cited_article),
            *answer, *refusals,
            CaseMetric("answered_where_article_answers", _article_answers, answer_rate),
            CaseMetric("answer_string_where_article_answers", _article_answers, answer_string),
            CaseMetric("answer_in_cited_sentence", _answered_where_article_answers, answer_in_cited_sentence),
            CaseMetric("refused_where_article_does_not", lambda r: MENTIONS_TAG in r.case.tags, refusal_recall),
        ]
    return answer + refusals


# -- the models ragas needs from us -------------------------------------------------------------


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


class JudgeMeter:
    """Counts the judge's HTTP requests: the run-time cost of judge metrics is reported per case."""

    def __init__(self):
        self.calls = 0

    async def on_request(self, request) -> None:
        self.calls += 1


def make_judge(settings, meter: JudgeMeter | None = None):
    """The judge model, passed to ragas explicitly (ragas' own default would be OpenAI's).

    ``llm_factory`` with an ``AsyncOpenAI`` client: instructor in JSON mode, so any
    OpenAI-compatible server that honours ``response_format=json_object`` works.
    """
    import httpx
    from openai import AsyncOpenAI
    from ragas.llms import llm_factory

    from rag.errors import UsageError

    if not settings.judge_model:
        raise UsageError("no judge model is configured: set RAG_JUDGE_MODEL")
    if not (settings.judge_api_key or settings.judge_base_url):
        raise UsageError("the judge needs RAG_JUDGE_BASE_URL or an API key (RAG_JUDGE_API_KEY / OPENAI_API_KEY)")
    hooks = {"request": [meter.on_request]} if meter is not None else {}
    client = AsyncOpenAI(
        api_key=settings.judge_api_key or "not-needed",  # local servers ignore the key
        base_url=settings.judge_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        http_client=httpx.AsyncClient(event_hooks=hooks, timeout=settings.llm_timeout),
    )
    return llm_factory(settings.judge_model, client=client, temperature=0.0)
