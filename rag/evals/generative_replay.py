"""Recorded model answers replayed through the generative answerer: the gate of generative mode.

``evals/datasets/generative.jsonl`` holds answers as a model writes them about real articles
(the seed and BBC News), sentence by sentence with a label: true sentences (verbatim, paraphrase,
compression), true sentences with no marker or a marker to the wrong source, and distorted ones
(a number, date or name changed, a negation, roles reversed, an added consequence, a fact from
outside the article). Each sentence names the passage its marker points at (``cite``) and, when
true, a fragment of the sentence that supports it (``evidence``).

``rag eval --dataset generative`` starts the scripted OpenAI-compatible server
(rag/evals/scripted_openai.py), which streams each recorded answer with its [n] markers read off
the numbered sources the request carried, and asks each question through SourceChat in
generative mode: the real client, stream, retrieval and verifier. RAG_VERIFY=local: no model's
second opinion is recorded, so the local verifier is what is measured. Every sentence is scored
against its label (true kept and citing its evidence, false flagged), per kind, and gated by
``[generative.replay]`` in evals/thresholds.toml. The labels are the dataset's, never the
verifier's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rag.evals.corpus import REPO, SHARED_DATA, golden_corpus, sync_corpus
from rag.evals.replay import GateLine

if TYPE_CHECKING:
    from rag.answer.record import Answer

DATASET = REPO / "evals" / "datasets" / "generative.jsonl"
PROFILE = "generative.replay"
CORPUS_NAME = "generative"
TRUE_KINDS = ("verbatim", "paraphrase", "compression", "uncited", "wrong_marker")
FALSE_KINDS = ("number", "date", "entity", "negation", "role_reversal", "addition", "outside")


@dataclass(frozen=True)
class RecordedSentence:
    text: str
    kind: str
    supported: bool  # the label: the article supports the sentence
    cite: str | None  # a fragment of the passage the model's marker points at; None = no marker
    evidence: str | None  # a fragment of the sentence that supports it (true sentences)


@dataclass(frozen=True)
class Recording:
    id: str
    question: str
    article_ids: tuple[str, ...]
    sentences: tuple[RecordedSentence, ...]


def load_recordings(path: Path = DATASET) -> list[Recording]:
    recordings = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        data = json.loads(line)
        sentences = tuple(RecordedSentence(**s) for s in data["sentences"])
        for s in sentences:
            if s.kind not in TRUE_KINDS + FALSE_KINDS or s.supported != (s.kind in TRUE_KINDS):
                raise ValueError(f"{path}:{number}: kind {s.kind!r} does not fit supported={s.supported}")
            if s.supported and not s.evidence:
                raise ValueError(f"{path}:{number}: a true sentence needs its evidence fragment")
        recordings.append(Recording(data["id"], data["question"], tuple(data["article_ids"]), sentences))
    return recordings


# -- the model's side: each recorded answer, its markers read off the request's sources ---------


def _plain(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split())


def block_holding(body: dict, fragment: str) -> int | None:
    """The number of the source block of a chat request that holds ``fragment``."""
    from rag.evals.scripted_openai import source_blocks

    return next((n for n, block in source_blocks(body).items() if _plain(fragment) in _plain(block)), None)


def recorded_reply(recordings: list[Recording]) -> Callable[[dict], str]:
    """The scripted server's reply function: the recorded answer to the request's question."""
    from rag.answer.citations import with_markers

    by_question = {r.question: r for r in recordings}

    def reply(body: dict) -> str:
        recording = by_question.get(body["messages"][-1]["content"])
        if recording is None:
            return "The sources don't say."
        parts = []
        for s in recording.sentences:
            n = block_holding(body, s.cite) if s.cite else None
            parts.append(with_markers(s.text, [n] if n else []))
        return " ".join(parts)

    return reply


# -- scoring --------------------------------------------------------------------------------------


@dataclass
class SentenceResult:
    recording: str
    sentence: RecordedSentence
    kept: bool  # shown as supported
    cited_evidence: bool  # kept, and one of its citations holds the evidence fragment
    reason: str | None = None  # why the verifier flagged it
    error: str | None = None  # the answer could not be scored (refused, another number of sentences)

    @property
    def right(self) -> bool:
        if self.error:
            return False
        return self.kept and self.cited_evidence if self.sentence.supported else not self.kept

    def to_json(self) -> dict:
        return {"recording": self.recording, "kind": self.sentence.kind, "supported": self.sentence.supported,
                "text": self.sentence.text, "kept": self.kept, "cited_evidence": self.cited_evidence,
                "right": self.right, "reason": self.reason, "error": self.error}


def score(recording: Recording, answer: Answer) -> list[SentenceResult]:
    """Each recorded sentence against the verified answer's sentence in the same place."""
    if answer.error or answer.refused or len(answer.sentences) != len(recording.sentences):
        error = answer.error or ("refused: " + answer.answer if answer.refused else
                                 f"{len(answer.sentences)} sentences verified, {len(recording.sentences)} recorded")
        return [SentenceResult(recording.id, s, False, False, error=error) for s in recording.sentences]
    quotes = {c.n: _plain(c.quote) for c in answer.citations}
    results = []
    for recorded, verified in zip(recording.sentences, answer.sentences):
        kept = not verified.unsupported and bool(verified.citations)
        cited = kept and recorded.evidence is not None and any(
            _plain(recorded.evidence) in quotes.get(n, "") for n in verified.citations)
        results.append(SentenceResult(recording.id, recorded, kept, cited, verified.reason))
    return results


@dataclass
class Table:
    total: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, results: list[SentenceResult]) -> Table:
        table = cls()
        for r in results:
            table.total[r.sentence.kind] += 1
            table.right[r.sentence.kind] += int(r.right)
        return table

    def rate(self, kinds) -> float:
        total = sum(self.total[k] for k in kinds)
        return sum(self.right[k] for k in kinds) / total if total else float("nan")

    def figures(self) -> dict[str, float]:
        """true_kept (kept and citing the evidence), false_flagged, and each kind's rate."""
        return {"true_kept": self.rate(TRUE_KINDS), "false_flagged": self.rate(FALSE_KINDS),
                **{k: self.rate([k]) for k in TRUE_KINDS + FALSE_KINDS if self.total[k]}}

    def lines(self) -> list[str]:
        out = [f"{'kind':<14} {'right':>5} / {'all':>3}   rate"]
        for kind in TRUE_KINDS + FALSE_KINDS:
            if self.total[kind]:
                verb = "kept, citing its evidence" if kind in TRUE_KINDS else "flagged"
                out.append(f"{kind:<14} {self.right[kind]:>5} / {self.total[kind]:>3}   {self.rate([kind]):.3f} {verb}")
        for name, kinds in (("true kept", TRUE_KINDS), ("false flagged", FALSE_KINDS)):
            out.append(f"{name:<14} {sum(self.right[k] for k in kinds):>5} / {sum(self.total[k] for k in kinds):>3}"
                       f"   {self.rate(kinds):.3f}")
        return out


def gate(table: Table, minimums: dict[str, float]) -> list[GateLine]:
    """Each minimum of [generative.replay]; a name the table has no figure for fails (NaN)."""
    figures = table.figures()
    values = {name: figures.get(name, float("nan")) for name in minimums}
    return [GateLine(name, minimum, values[name], values[name] >= minimum) for name, minimum in minimums.items()]


def load_gate(path: Path | None = None) -> dict[str, float]:
    from rag.evals.thresholds import required_minimums

    return required_minimums(PROFILE, path)


# -- one run -------------------------------------------------------------------------------------


@dataclass
class GenerativeRun:
    results: list[SentenceResult]
    table: Table
    gate_lines: list[GateLine]
    seconds: float
    settings: object = None  # the settings of the corpus' store the answers came from

    @property
    def passed(self) -> bool:
        return all(line.ok for line in self.gate_lines) and not any(r.error for r in self.results)


def replay(ask: Callable[[str], Answer], recordings: list[Recording]) -> list[SentenceResult]:
    """Score the answer ``ask`` gives to every recorded question: SourceChat.ask in generative
    mode against a server that gives the recorded answers (``recorded_reply``)."""
    results = []
    for recording in recordings:
        results.extend(score(recording, ask(recording.question)))
    return results


def run_generative(out_dir: Path, settings=None, data_dir: Path = SHARED_DATA, dataset: Path = DATASET,
                   log: Callable[[str], None] = print) -> GenerativeRun:
    import time

    from rag.evals.scripted_openai import FakeOpenAI
    from rag.pipeline import SourceChat
    from rag.settings import get_settings

    recordings = load_recordings(dataset)
    base = settings or get_settings()
    ids = sorted({a for r in recordings for a in r.article_ids})
    corpus = golden_corpus(Path(out_dir), CORPUS_NAME, ids, base, data_dir=data_dir)
    chosen = corpus.settings(base)
    sync_corpus(corpus, chosen, log, progress=False)
    started = time.perf_counter()
    with FakeOpenAI(recorded_reply(recordings)) as server:
        chat = SourceChat(server.replay_settings(chosen))
        log(f"[{CORPUS_NAME}] replaying {len(recordings)} recorded answers "
            f"({sum(len(r.sentences) for r in recordings)} sentences)")
        results = replay(lambda question: chat.ask(question, mode="generative"), recordings)
    table = Table.of(results)
    return GenerativeRun(results, table, gate(table, load_gate()), time.perf_counter() - started, chosen)


def report_lines(run: GenerativeRun) -> list[str]:
    lines = run.table.lines() + [line.line() for line in run.gate_lines]
    for r in run.results:
        if not r.right:
            why = r.error or r.reason or ("kept" if r.kept else "kept without citing its evidence")
            lines.append(f"  wrong: [{r.sentence.kind}] {r.sentence.text} ({why})")
    return lines

