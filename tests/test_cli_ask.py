"""``rag ask`` and ``rag chat`` as a user runs them: a subprocess with RAG_* in the environment."""

from __future__ import annotations

import json

import pytest

from harness import free_port, run_rag, settings_at
from seed_store import SEED_FILE, SEED_ID

SIGNER_Q = "Who signed the letter backing China's human rights record on behalf of Qatar?"


@pytest.fixture(scope="module")
def seeded(seeded_root):
    """The settings of the shared store built from seeds/."""
    return settings_at(seeded_root)


def test_ask_json_prints_one_object_with_the_answer_citations_and_sources(seeded):
    result = run_rag(["ask", SIGNER_Q, "--json"], seeded)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert {"question", "answer", "refused", "mode", "citations", "sources"} <= set(data)
    assert data["question"] == SIGNER_Q and data["mode"] == "extractive" and data["refused"] is False
    assert "Ali Mansouri" in data["answer"]
    seed_text = SEED_FILE.read_text(encoding="utf-8")
    assert data["citations"]
    for citation in data["citations"]:
        assert {"n", "article_id", "source", "title", "url", "quote", "start", "end", "support"} <= set(citation)
        assert citation["article_id"] == SEED_ID and citation["source"] == SEED_ID
        assert citation["quote"] == seed_text[citation["start"]:citation["end"]]
        assert f"[{citation['n']}]" in data["answer"]
    assert "Ali Mansouri had signed on July 12" in data["citations"][0]["quote"]
    assert data["sources"]
    for source in data["sources"]:
        assert {"article_id", "source", "title", "score"} <= set(source)
        assert source["title"].startswith("Qatar withdraws support for China")


def test_ask_prints_the_answer_and_its_quotes_for_a_reader(seeded):
    result = run_rag(["ask", "How much was the trade between China and Qatar last year?"], seeded)
    assert result.returncode == 0, result.stderr
    assert "$13 billion" in result.stdout
    assert "[1] Qatar withdraws support for China" in result.stdout and f"({SEED_ID}, chars " in result.stdout
    assert "\u201cChina last year ranked as Qatar\u2019s third largest trade partner" in result.stdout


def test_ask_without_a_store_fails_with_a_message(tmp_path):
    (tmp_path / "sources").mkdir()
    result = run_rag(["ask", SIGNER_Q, "--json"], settings_at(tmp_path))
    assert result.returncode != 0
    assert result.stdout == ""
    assert "no articles are indexed" in result.stderr and "rag ingest" in result.stderr


def test_ask_with_the_language_model_down_fails_with_a_message(seeded):
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_rag(["ask", SIGNER_Q, "--mode", "generative"], seeded, OPENAI_BASE_URL=url, RAG_LLM_RETRIES="0")
    assert result.returncode != 0
    assert f"cannot reach the language model at {url}" in result.stderr
    assert result.stdout == ""  # no half answer


def test_chat_json_reads_questions_from_stdin_and_keeps_the_conversation(seeded):
    result = run_rag(["chat", "--json"], seeded, stdin=f"{SIGNER_Q}\n\nWhen did he write to the UN officer?\n")
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(turns) == 2  # the blank line is not a question
    first, second = turns
    assert first["question"] == SIGNER_Q and "Ali Mansouri" in first["answer"]
    assert second["question"] == "When did he write to the UN officer?"
    assert "Ali Mansouri" in second["standalone_question"]
    assert "July 18" in second["answer"] and not second["refused"]
    assert any("wrote to the UN officer on July 18" in c["quote"] for c in second["citations"])
