"""The verifier measured against labels: the claims benchmark's held-out split replayed through
the generative answerer, gated by ``[claims.verifier]`` in evals/thresholds.toml.

Each claim of the ``test`` split (evals/datasets/claims.jsonl, never tuned on) is one answer
sentence citing the source block that holds its evidence, streamed by the scripted
OpenAI-compatible server (rag/evals/replay.py), over a real store of the benchmark's 77
articles. True claims must be kept and false ones flagged, per kind; a flagged sentence must
say why. A verifier that accepts whatever shares the cited sentence's words must fail the same
gate.
"""

from __future__ import annotations

import pytest

from harness import settings_at
from rag.evals.claims import CLAIMS_FILE, load_claims

pytestmark = [pytest.mark.eval, pytest.mark.slow, pytest.mark.language]

# Share of the claim's term weight the cited sentence must hold for the broken verifier to accept it.
OVERLAP_ACCEPTED = 0.5


@pytest.fixture(scope="module")
def benchmark(shared_data_dir, tmp_path_factory, language_model):
    from rag.evals.replay import claims_corpus
    from rag.index.ingest import sync
    from rag.pipeline import SourceChat

    claims = load_claims(CLAIMS_FILE)
    root = tmp_path_factory.mktemp("claims-gate")
    base = settings_at(root)
    corpus = claims_corpus(root, claims, base, shared_data_dir)
    settings = corpus.settings(base)
    sync(settings, progress=False)
    return SourceChat(settings), [c for c in claims if c.split == "test"]


def _report(table, lines) -> str:
    return "\n".join(table.lines() + [line.line() for line in lines])


def test_the_verifier_passes_the_claims_gate_on_the_held_out_split(benchmark):
    from rag.evals.replay import ScriptedAnswerer, confusion, gate, load_gate, replay_claim

    chat, claims = benchmark
    with ScriptedAnswerer(chat) as answerer:
        verdicts = [replay_claim(chat, c, answerer) for c in claims]
    assert len(answerer.requests) == len(claims)  # one chat completion per claim
    table = confusion(verdicts)
    lines = gate(table, load_gate())
    assert all(line.ok for line in lines), _report(table, lines)
    from rag.evals.corpus import THRESHOLDS_FILE
    from rag.evals.replay import GATE_PROFILE
    from rag.evals.thresholds import drift

    stale = drift(THRESHOLDS_FILE, GATE_PROFILE, table.summaries())
    assert not stale, ("[claims.verifier] no longer says what the verifier measures; re-measure with "
                       "`rag eval --dataset claims --update-thresholds`:\n" + "\n".join(stale))
    unexplained = [v.claim.id for v in verdicts if v.flagged and not v.reason]
    assert not unexplained, f"flagged without a reason: {unexplained}"
    # A kept true claim cites (one of) its own evidence sentence(s), not some other sentence.
    elsewhere = [v.claim.id for v in verdicts if not v.flagged and v.claim.supported and not v.cited_evidence]
    assert len(elsewhere) <= len(verdicts) // 20, f"kept citing another sentence: {elsewhere}"


def _overlap_verifier(embedder):
    """A deliberately broken verifier: a sentence is supported when its cited block has a
    sentence holding OVERLAP_ACCEPTED of its words, whatever that sentence says about them."""
    from rag.answer.citations import parse_markers, spans_for_hits, split_answer_sentences
    from rag.answer.compose import AnswerBuilder
    from rag.answer.support import claim_terms, lexical_coverage
    from rag.text import terms

    def verify(question, text, hits):
        builder = AnswerBuilder(question, "generative", hits)
        for raw in split_answer_sentences(text):
            sentence, cited = parse_markers(raw)
            spans = spans_for_hits([hits[n - 1] for n in cited if 0 < n <= len(hits)])
            weights = claim_terms(sentence)
            scored = sorted(((lexical_coverage(weights, set(terms(s.text))), i) for i, s in enumerate(spans)),
                            reverse=True)
            if scored and scored[0][0] >= OVERLAP_ACCEPTED:
                builder.add(sentence, [spans[scored[0][1]]], scored[0][0])
            else:
                builder.add(sentence, [], 0.0, unsupported=True, reason="few of its words are in the source")
        return builder.build()

    return verify


def test_the_gate_fails_for_a_verifier_that_accepts_word_overlap(benchmark):
    from rag.evals.replay import confusion, gate, load_gate, replay_claim

    chat, claims = benchmark
    verify = _overlap_verifier(chat.embedder)
    table = confusion(replay_claim(chat, c, verify) for c in claims)
    failed = {line.name for line in gate(table, load_gate()) if not line.ok}
    assert {"negation", "role_reversal", "false_flagged"} <= failed, _report(table, gate(table, load_gate()))
