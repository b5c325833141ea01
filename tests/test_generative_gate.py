"""Generative mode measured against labels: recorded model answers (evals/datasets/generative.jsonl)
replayed by the scripted OpenAI-compatible server through SourceChat, gated by
``[generative.replay]`` in evals/thresholds.toml (rag/evals/generative_replay.py).

The answerer under test is the real one: retrieval over a store of the recordings' articles, the
openai client reading the stream, the verifier. A verifier that trusts the model's markers (each
sentence keeps the sentence of its cited block that shares most of its words) must fail the gate.
"""

from __future__ import annotations

import pytest

from harness import settings_at

pytestmark = [pytest.mark.eval, pytest.mark.language]


@pytest.fixture(scope="module")
def replayed(shared_data_dir, tmp_path_factory, language_model):
    from rag.evals.generative_replay import run_generative

    root = tmp_path_factory.mktemp("generative-gate")
    return run_generative(root, settings_at(root), data_dir=shared_data_dir, log=lambda line: None)


def test_recorded_answers_pass_the_generative_gate(replayed):
    from rag.evals.generative_replay import report_lines

    assert replayed.passed, "\n".join(report_lines(replayed))
    assert not [r for r in replayed.results if r.error], "every recorded answer is verified, none refused"
    assert {line.name for line in replayed.gate_lines} == {"true_kept", "false_flagged"}
    flagged = [r for r in replayed.results if not r.kept]
    assert flagged and all(r.reason for r in flagged), "a flagged sentence says why"
    # the wrong marker is moved to the sentence that supports the claim
    assert all(r.cited_evidence for r in replayed.results if r.sentence.kind == "wrong_marker")


def test_a_verifier_that_trusts_the_markers_fails_the_gate(replayed):
    from rag.answer.generative import answer_messages
    from rag.evals.generative_replay import DATASET, Table, gate, load_gate, load_recordings, recorded_reply, replay
    from rag.pipeline import SourceChat

    from test_claims_gate import _overlap_verifier

    recordings = load_recordings(DATASET)
    chat = SourceChat(replayed.settings)  # the same store of the recordings' articles
    model = recorded_reply(recordings)
    trusting = _overlap_verifier(chat.embedder)

    def ask(question):
        hits = chat.retriever.retrieve(question, chat.settings.top_k)
        return trusting(question, model({"messages": answer_messages(question, hits)}), hits)

    table = Table.of(replay(ask, recordings))
    lines = {line.name: line for line in gate(table, load_gate())}
    assert not lines["false_flagged"].ok, "\n".join(table.lines())
    assert table.rate(["negation", "role_reversal", "date"]) < 0.5

