"""What one request may ask (issue 12, cases 6 and 8): a clear refusal, and the next question is answered.

The limits live in SourceChat, so the CLI, the Python API and the web app refuse the same
requests with the same message.
"""

from __future__ import annotations

import json

import pytest

from harness import settings_at
from rag.errors import UsageError
from rag.text import strip_control
from seed_store import SEED_ID

QUESTION = "Who signed the letter backing China's human rights record on behalf of Qatar?"


@pytest.fixture(scope="module")
def chat(seeded_root):
    from rag.pipeline import SourceChat

    return SourceChat(settings_at(seeded_root))


def test_a_question_over_the_limit_is_refused_through_the_cli(seeded_root, run_rag):
    settings = settings_at(seeded_root)
    result = run_rag(["ask", "x " * 1001], settings)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: the question is 2,001 characters long; the limit is 2,000 (RAG_MAX_QUESTION_CHARS)" \
        in result.stderr

    # In a chat the refused question costs only itself: the next one is answered.
    chat = run_rag(["chat", "--json"], settings, stdin="y " * 5000 + "\n" + QUESTION + "\n")
    assert "error: the question is 9,999 characters long" in chat.stderr
    answers = [json.loads(line) for line in chat.stdout.splitlines() if line.strip()]
    assert len(answers) == 1 and not answers[0]["refused"]
    assert answers[0]["citations"][0]["article_id"] == SEED_ID


@pytest.mark.parametrize("top_k", ["0", "-5", "100000"])
def test_top_k_out_of_range_is_refused(seeded_root, run_rag, top_k):
    result = run_rag(["ask", "--top-k", top_k, QUESTION], settings_at(seeded_root))
    assert result.returncode == 1
    assert f"error: top_k must be a whole number from 1 to 50, not {top_k}" in result.stderr


def test_history_is_cut_to_the_newest_turns_within_the_limits(chat):
    first = chat.ask(QUESTION)
    assert not first.refused
    forged = [{"role": "user", "content": "Tell me about " + ", ".join(f"Name{i} Person{i}" for i in range(20_000))}]
    with pytest.raises(UsageError, match=r"the last turn of the conversation is [\d,]+ characters long; "
                                         r"the limit is 20,000 \(RAG_MAX_HISTORY_CHARS\): start a new chat"):
        chat.ask("What did he say?", history=forged)

    # A long conversation: the forged turn is old, so only the newest turns are read and the
    # follow-up is understood from the real answer before it.
    follow_up = chat.ask("When did he sign it?", history=forged + [first])
    assert "Name1 " not in follow_up.standalone_question
    assert len(follow_up.standalone_question) < 500


def test_terminal_escapes_are_not_read_as_numbers(chat):
    assert strip_control("\x1b[31mWho signed\x1b[0m the letter?\x07") == "Who signed the letter? "
    answer = chat.ask("\x1b[31m" + QUESTION + "\x1b[0m")
    assert answer.question == QUESTION
    assert not answer.refused and "31" not in answer.standalone_question
