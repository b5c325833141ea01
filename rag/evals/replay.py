"""Replaying labelled claims as model answers through the generative answerer.

Each claim of ``evals/datasets/claims.jsonl`` is treated as one answer sentence a model wrote:
its question's sources are the chunks hybrid retrieval finds for the claim in a store of the
benchmark's own articles (top k, the chunk that holds the evidence always among them), and the
sentence cites the source block that holds its evidence, as a model reading the prompt would.
The verifier then keeps or flags it. A true claim flagged and a false claim kept are the two
errors; ``Confusion`` counts them per kind. The labels come from the dataset, never from the
verifier, so the figures measure it.

``rag eval --dataset claims`` asks each claim of SourceChat in generative mode over exactly
the sources ``claim_hits`` chose (``SourceChat.answer_from_hits``), with the scripted
OpenAI-compatible server (rag/evals/scripted_openai.py) as the model: it streams the claim with
its [n] markers (``answer_text``), so the answer travels the real openai client, stream and
verifier (RAG_VERIFY=local: no model's second opinion is scripted). ``replay_claim`` takes the
answering step as an argument, so a broken verifier can be put through the same claims.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from rag.evals.claims import FALSE_KINDS, TRUE_KINDS, Claim, evidence_spans
from rag.evals.corpus import SHARED_DATA, EvalCorpus, golden_corpus

if TYPE_CHECKING:
    from rag.answer.record import Answer
    from rag.answer.retrieve import Hit
    from rag.pipeline import SourceChat

CORPUS_NAME = "claims"


def claims_corpus(out_dir: Path, claims: Iterable[Claim], settings, data_dir: Path = SHARED_DATA) -> EvalCorpus:
    """The benchmark's articles, written from the shared tarballs to the eval's own folder."""
    ids = sorted({c.article_id for c in claims})
    corpus = golden_corpus(out_dir, CORPUS_NAME, ids, settings, data_dir=data_dir)
    corpus.notes = [f"{len(ids)} articles of the claims benchmark"]
    return corpus


def claim_hits(chat: SourceChat, claim: Claim, top_k: int = 6) -> tuple[list[Hit], list[int]]:
    """The sources a model would have seen for the claim and the block numbers it would cite.

    Retrieval with the claim as query; when the chunk holding the evidence is not among the
    top ``top_k``, it takes the last place (a model can only cite what it was shown). The cited
    blocks are the fewest chunks that hold every evidence sentence whole.
    """
    from rag.answer.retrieve import Filters, Hit

    article = chat.article(claim.article_id)
    if article is None:
        raise LookupError(f"claim {claim.id}: article {claim.article_id} is not in the store")
    spans = evidence_spans(claim, article.text)
    hits = chat.retriever.retrieve(claim.claim, top_k)
    own = chat.retriever.retrieve(" ".join(claim.evidence), 50, Filters(article_ids=[claim.article_id]))
    holding = [h for h in own if h.chunk.start <= spans[0][0] and spans[-1][1] <= h.chunk.end]
    needed = holding[:1] or [next(h for h in own if h.chunk.start <= s and e <= h.chunk.end) for s, e in spans]
    for hit in needed:
        if all(h.chunk.id != hit.chunk.id for h in hits):
            keep = [h for h in hits if h.chunk.id in {n.chunk.id for n in needed}]
            others = [h for h in hits if h not in keep]
            hits = keep + others[: top_k - len(keep) - 1] + [Hit(chunk=hit.chunk, article=hit.article, score=0.0)]
    ids = [h.chunk.id for h in hits]
    return hits, [ids.index(n.chunk.id) + 1 for n in needed]


def answer_text(claim: Claim, blocks: list[int]) -> str:
    """The claim as a model writes it: the sentence with its markers before the full stop."""
    from rag.answer.citations import with_markers

    return with_markers(claim.claim, blocks)


@dataclass
class Verdict:
    claim: Claim
    flagged: bool
    reason: str | None  # the verifier's words, when it flagged the sentence
    cited_evidence: bool  # the sentence kept its citation to (one of) the evidence sentence(s)
    answer: Answer

    def to_json(self) -> dict:
        return {"id": self.claim.id, "split": self.claim.split, "label": self.claim.label, "kind": self.claim.kind,
                "claim": self.claim.claim, "flagged": self.flagged, "reason": self.reason,
                "cited_evidence": self.cited_evidence, "evidence": list(self.claim.evidence)}


def replay_claim(chat: SourceChat, claim: Claim, answer_with: Callable[[str, str, list[Hit]], Answer],
                 top_k: int = 6) -> Verdict:
    """The verdict on the claim as a one-sentence model answer over the hits ``claim_hits``
    chose; ``answer_with(question, text, hits)`` answers when the model writes ``text``
    (``ScriptedAnswerer``, or another verifier to compare). Raises when the answer failed: a
    replay whose model did not answer has measured nothing, and must not count as a flag."""
    hits, blocks = claim_hits(chat, claim, top_k)
    answer = answer_with(claim.claim, answer_text(claim, blocks), hits)
    if answer.error:
        raise RuntimeError(f"claim {claim.id}: {answer.error}")
    sentence = answer.sentences[0] if answer.sentences else None
    flagged = answer.refused or sentence is None or sentence.unsupported
    quotes = {c.n: c.quote for c in answer.citations}
    cited = sentence is not None and any(quotes.get(n) in claim.evidence for n in sentence.citations)
    reason = getattr(sentence, "reason", None) if sentence is not None else None
    return Verdict(claim, flagged, reason, cited, answer)


class ScriptedAnswerer:
    """``chat``'s generative answerer with the scripted OpenAI-compatible server as its model.

    ``answerer(question, text, hits)`` asks ``question`` over exactly ``hits``
    (``SourceChat.answer_from_hits``) while the server, on 127.0.0.1, streams ``text`` as the
    reply to that question. Open it with ``with``; ``requests`` are the chat requests the server
    got, each with the numbered sources the model was shown.
    """

    def __init__(self, chat: SourceChat):
        from rag.evals.scripted_openai import FakeOpenAI

        self.server = FakeOpenAI(self._reply)
        self._chat = chat
        self._served: SourceChat | None = None
        self._written: dict[str, str] = {}  # question -> the text the model writes

    def _reply(self, body: dict) -> str:
        # A question nobody scripted fails the request (KeyError): the answer then carries an error.
        return self._written[body["messages"][-1]["content"]]

    @property
    def requests(self) -> list[dict]:
        return self.server.requests

    def __enter__(self) -> ScriptedAnswerer:
        from rag.pipeline import SourceChat

        self.server.__enter__()
        self._served = SourceChat(self.server.replay_settings(self._chat.settings),
                                  embedder=self._chat.embedder, store=self._chat.store)
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    def __call__(self, question: str, text: str, hits: list[Hit]) -> Answer:
        if self._served is None:
            raise RuntimeError("open the ScriptedAnswerer with `with` before asking")
        self._written[question] = text
        return self._served.answer_from_hits(question, hits)


@dataclass
class Confusion:
    """Per kind: how many claims, how many the verifier got right (true kept, false flagged)."""

    total: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)

    def add(self, verdict: Verdict) -> None:
        kind = verdict.claim.kind
        self.total[kind] += 1
        self.right[kind] += int(verdict.flagged != verdict.claim.supported)

    def rate(self, kinds: Iterable[str]) -> float:
        kinds = list(kinds)
        total = sum(self.total[k] for k in kinds)
        return sum(self.right[k] for k in kinds) / total if total else float("nan")

    @property
    def true_kept(self) -> float:
        return self.rate(TRUE_KINDS)

    @property
    def false_flagged(self) -> float:
        return self.rate(FALSE_KINDS)

    def summaries(self) -> list:
        """Each kind's rate, ``true_kept`` and ``false_flagged`` as the gate file records them."""
        from rag.evals.scoring import MetricSummary

        groups = {kind: [kind] for kind in (*TRUE_KINDS, *FALSE_KINDS) if self.total[kind]}
        groups |= {"true_kept": list(TRUE_KINDS), "false_flagged": list(FALSE_KINDS)}
        out = []
        for name, kinds in groups.items():
            cases = sum(self.total[k] for k in kinds)
            out.append(MetricSummary(name, self.rate(kinds) if cases else None, cases, 0, False, binary=True))
        return out

    def lines(self) -> list[str]:
        out = [f"{'kind':<14} {'right':>5} / {'all':>3}   rate"]
        for kind in (*TRUE_KINDS, *FALSE_KINDS):
            if self.total[kind]:
                verb = "kept" if kind in TRUE_KINDS else "flagged"
                out.append(f"{kind:<14} {self.right[kind]:>5} / {self.total[kind]:>3}   {self.rate([kind]):.3f} {verb}")
        out.append(f"{'true kept':<14} {sum(self.right[k] for k in TRUE_KINDS):>5} / "
                   f"{sum(self.total[k] for k in TRUE_KINDS):>3}   {self.true_kept:.3f}")
        out.append(f"{'false flagged':<14} {sum(self.right[k] for k in FALSE_KINDS):>5} / "
                   f"{sum(self.total[k] for k in FALSE_KINDS):>3}   {self.false_flagged:.3f}")
        return out


def confusion(verdicts: Iterable[Verdict]) -> Confusion:
    table = Confusion()
    for verdict in verdicts:
        table.add(verdict)
    return table


# -- the gate ------------------------------------------------------------------------------------

GATE_PROFILE = "claims.verifier"


@dataclass(frozen=True)
class GateLine:
    name: str  # a kind, "true_kept" or "false_flagged"
    minimum: float
    value: float
    ok: bool

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<14} {self.value:.3f} (minimum {self.minimum:.2f})"


def gate(table: Confusion, minimums: dict[str, float]) -> list[GateLine]:
    """Each minimum of ``[claims.verifier]`` against the table: a kind's rate (true kinds kept,
    false kinds flagged), ``true_kept`` and ``false_flagged`` overall. A kind with no claims
    fails: a gate that measured nothing has not held."""
    lines = []
    for name, minimum in minimums.items():
        if name == "true_kept":
            value = table.true_kept
        elif name == "false_flagged":
            value = table.false_flagged
        elif name in TRUE_KINDS or name in FALSE_KINDS:
            value = table.rate([name])
        else:
            raise ValueError(f"[{GATE_PROFILE}] {name}: not a kind of the claims benchmark, true_kept or false_flagged")
        lines.append(GateLine(name, minimum, value, value == value and value >= minimum))
    return lines


def load_gate(path: Path | None = None) -> dict[str, float]:
    from rag.evals.thresholds import required_minimums

    return required_minimums(GATE_PROFILE, path)


# -- one run -------------------------------------------------------------------------------------


@dataclass
class ClaimsRun:
    verdicts: list[Verdict]
    table: Confusion
    gate_lines: list[GateLine]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(line.ok for line in self.gate_lines)


def run_claims(out_dir: Path, settings=None, split: str = "test", data_dir: Path = SHARED_DATA,
               log: Callable[[str], None] = print, thresholds: Path | None = None) -> ClaimsRun:
    """Replay the claims of ``split`` ("dev", "test" or "all") through the generative answerer and
    the scripted server (``ScriptedAnswerer``) over a store of the benchmark's articles under
    ``out_dir``; gated by ``[claims.verifier]`` when the split is "test" (the held-out figures
    are the ones reported)."""
    import time

    from rag.evals.claims import CLAIMS_FILE, load_claims
    from rag.evals.corpus import sync_corpus
    from rag.pipeline import SourceChat
    from rag.settings import get_settings

    claims = load_claims(CLAIMS_FILE)
    base = settings or get_settings()
    corpus = claims_corpus(Path(out_dir), claims, base, data_dir)
    chosen_settings = corpus.settings(base)
    sync_corpus(corpus, chosen_settings, log, progress=False)
    chat = SourceChat(chosen_settings)
    chosen = [c for c in claims if split in ("all", c.split)]
    log(f"[{CORPUS_NAME}] replaying {len(chosen)} claims ({split})")
    started = time.perf_counter()
    with ScriptedAnswerer(chat) as answerer:
        verdicts = [replay_claim(chat, c, answerer) for c in chosen]
    table = confusion(verdicts)
    lines = gate(table, load_gate(thresholds)) if split == "test" else []
    return ClaimsRun(verdicts, table, lines, time.perf_counter() - started)
