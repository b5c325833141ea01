"""Follow-up questions: rewritten to stand alone before retrieval, in both answer modes.

Extractive mode rewrites by rule ("he" -> the person named in the last answer). Generative
mode asks the model to rewrite (the condense request goes to the fake OpenAI server) and
retrieves with the model's rewrite; when that call fails the rule-based rewrite is used.
"""

from __future__ import annotations

import re

import pytest

from fake_openai import FakeOpenAI, Reply, source_of
from harness import settings_at
from seed_store import assert_quotes_exact, seed_sentence

SIGNER_Q = "Who signed the letter backing China's human rights record on behalf of Qatar?"
WROTE_Q = "When did he write to the UN officer?"
WROTE_STANDALONE = "When did Ali Mansouri write to the UN officer?"
WROTE = "wrote to the UN officer on July 18"


@pytest.fixture(scope="module")
def chat(seeded_root):
    from rag.pipeline import SourceChat

    return SourceChat(settings_at(seeded_root))


@pytest.fixture(scope="module")
def first_turn(chat):
    answer = chat.ask(SIGNER_Q, mode="extractive")
    assert "Ali Mansouri" in answer.answer
    return answer


# -- extractive: the rule-based rewrite ------------------------------------------------------------


def test_extractive_follow_up_resolves_he_to_the_person_in_the_last_answer(chat, first_turn):
    answer = chat.ask(WROTE_Q, history=[first_turn], mode="extractive")
    assert answer.question == WROTE_Q
    assert "Ali Mansouri" in answer.standalone_question and "UN officer" in answer.standalone_question
    assert not answer.refused and "July 18" in answer.answer
    assert seed_sentence(WROTE) in [c.quote for c in answer.citations]
    assert_quotes_exact(answer, chat)


@pytest.mark.parametrize("first,follow_up,expected,fragment", [
    ("Which Uighur advocate did activists urge Doha not to deport?", "Where did he post his appeal?",
     "video post", "Yusuf in a video post"),
    ("How many countries backed China's human rights record?",
     "And how many countries signed the petition against it?", "22 countries", "petition by 22 countries"),
    ("Whom did Qatar inform that it was withdrawing its support for China?", "Which council is he the president of?",
     "Human Rights Council", "President Coly Seck"),
], ids=["he-advocate", "and-it-petition", "he-after-a-title"])
def test_extractive_follow_ups(chat, first, follow_up, expected, fragment):
    previous = chat.ask(first, mode="extractive")
    answer = chat.ask(follow_up, history=[previous], mode="extractive")
    assert not answer.refused, (answer.standalone_question, answer.answer)
    assert expected in answer.answer
    assert seed_sentence(fragment) in [c.quote for c in answer.citations]
    if " he " in follow_up:
        # The person, not the office before the name ("... Council President Coly Seck").
        person = re.search(r"(Ablikim Yusuf|Coly Seck)", answer.standalone_question)
        assert person, answer.standalone_question
        assert "President Coly" not in answer.standalone_question


def test_every_history_format_gives_the_same_rewrite(chat, first_turn):
    histories = {
        "answers": [first_turn],
        "pairs": [(first_turn.question, first_turn.answer)],
        "messages": [{"role": "user", "content": first_turn.question},
                     {"role": "assistant", "content": first_turn.answer}],
        # Gradio 6 sends content as a list of parts.
        "message-parts": [{"role": "user", "content": [{"type": "text", "text": first_turn.question}]},
                          {"role": "assistant", "content": [{"type": "text", "text": first_turn.answer}]}],
    }
    results = {name: chat.ask(WROTE_Q, history=h, mode="extractive") for name, h in histories.items()}
    standalones = {a.standalone_question for a in results.values()}
    assert standalones == {WROTE_STANDALONE}, standalones
    assert {a.answer for a in results.values()} == {results["answers"].answer}


@pytest.mark.parametrize("question", [
    "When did Qatar's representative sign the letter backing China?",
    "How much was the trade between China and Qatar last year?",
])
def test_a_fresh_question_after_a_conversation_is_not_rewritten(chat, first_turn, question):
    answer = chat.ask(question, history=[first_turn], mode="extractive")
    assert answer.standalone_question == question
    assert answer.to_json()["standalone_question"] == question


def test_without_history_a_pronoun_question_is_left_alone(chat):
    answer = chat.ask(WROTE_Q, mode="extractive")
    assert answer.standalone_question == WROTE_Q


# -- generative: the model rewrites --------------------------------------------------------------


def is_condense(body) -> bool:
    return len(body["messages"]) == 1 and "Rewrite the last question" in body["messages"][0]["content"]


def model(condense_reply):
    """Replies like a model following the prompts: a rewrite, or an answer citing its source."""
    def reply(body):
        if is_condense(body):
            return condense_reply
        question = body["messages"][-1]["content"]
        if "UN officer" in question:
            return f"Ali Mansouri wrote to the UN officer on July 18 [{source_of(body, WROTE)}]."
        return f"Ali Mansouri signed the letter on July 12 [{source_of(body, 'Ali Mansouri had signed on July 12')}]."
    return reply


@pytest.fixture(scope="module")
def fake():
    holder = {"reply": model(WROTE_STANDALONE)}
    with FakeOpenAI(lambda body: holder["reply"](body)) as server:
        server.holder = holder
        yield server


@pytest.fixture
def generative(seeded_root, fake):
    from rag.pipeline import SourceChat

    fake.requests.clear()
    fake.holder["reply"] = model(WROTE_STANDALONE)
    # These tests count the rewrite and answer calls; the second opinion's call is tested in test_second_opinion.
    return SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k", verify="local"))


def test_generative_follow_up_is_condensed_by_the_model_and_retrieved_as_rewritten(generative, fake):
    from rag.answer.record import AnswerEvent, SourcesEvent

    first = generative.ask(SIGNER_Q, mode="generative")
    assert "July 12" in first.answer and first.error is None
    assert len(fake.requests) == 1, "a first question needs no rewrite"
    fake.requests.clear()

    events = list(generative.ask_stream(WROTE_Q, history=[first], mode="generative"))
    condense, answer_request = fake.requests
    # The condense request carries the conversation and the follow-up...
    prompt = condense["messages"][0]["content"]
    assert is_condense(condense) and condense.get("stream") in (None, False)
    assert SIGNER_Q in prompt and "Ali Mansouri signed the letter on July 12" in prompt and WROTE_Q in prompt
    assert "[1]" not in prompt  # markers are noise to the rewrite
    # ...and the answer request asks the rewritten question, with sources retrieved for it.
    assert answer_request["messages"][-1]["content"] == WROTE_STANDALONE
    assert WROTE in answer_request["messages"][0]["content"]
    assert isinstance(events[0], SourcesEvent) and events[0].standalone_question == WROTE_STANDALONE
    answer = events[-1].answer
    assert isinstance(events[-1], AnswerEvent)
    assert answer.question == WROTE_Q and answer.standalone_question == WROTE_STANDALONE
    assert "July 18" in answer.answer and seed_sentence(WROTE) in [c.quote for c in answer.citations]


def test_when_the_rewrite_call_fails_the_rule_based_rewrite_is_used(generative, fake, first_turn):
    answer_model = model(WROTE_STANDALONE)
    fake.holder["reply"] = lambda body: Reply("overloaded", status=503) if is_condense(body) else answer_model(body)
    answer = generative.ask(WROTE_Q, history=[first_turn], mode="generative")
    assert [is_condense(b) for b in fake.requests] == [True, False]
    assert answer.error is None
    assert answer.standalone_question == WROTE_STANDALONE  # by rule: "he" -> Ali Mansouri
    assert fake.requests[1]["messages"][-1]["content"] == WROTE_STANDALONE
    assert "July 18" in answer.answer


def test_a_fresh_question_in_a_generative_conversation_costs_no_rewrite_call(generative, fake, first_turn):
    question = "How much was the trade between China and Qatar last year?"
    fake.holder["reply"] = lambda body: (
        "Rewritten." if is_condense(body)
        else f"Trade between China and Qatar totalled $13 billion [{source_of(body, '$13 billion')}].")
    answer = generative.ask(question, history=[first_turn], mode="generative")
    assert [is_condense(b) for b in fake.requests] == [False]
    assert answer.standalone_question == question and "$13 billion" in answer.answer


def test_a_follow_up_to_a_model_that_times_out_waits_one_timeout_not_two(seeded_root, fake, first_turn):
    import time

    from rag.pipeline import SourceChat

    timeout = 2.0
    chat = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k",
                                    llm_timeout=timeout, llm_retries=0))
    fake.requests.clear()
    fake.holder["reply"] = lambda body: Reply(WROTE_STANDALONE, delay=timeout + 3)
    chat.llm  # the client (and the openai package) load before the clock starts
    started = time.monotonic()
    answer = chat.ask(WROTE_Q, history=[first_turn], mode="generative")
    elapsed = time.monotonic() - started
    assert answer.error and "did not answer within 2 s" in answer.error
    assert [is_condense(b) for b in fake.requests] == [True]  # the answer call is not tried as well
    assert elapsed < 2 * timeout, elapsed
    # The reader still sees where the answer would have come from, found with the rule-based rewrite.
    assert answer.standalone_question == WROTE_STANDALONE and answer.sources


def test_a_follow_up_of_a_follow_up_goes_on_from_the_same_story_without_nesting():
    from rag.answer.conversation import Turn, resolve

    first = Turn("Tell me more", "She said so.",
                 standalone="Tell me more (following up on: What did Theresa May say about maternity pay?)")
    _, standalone, _ = resolve("Why?", [first])
    assert standalone == "Why? (following up on: Tell me more; What did Theresa May say about maternity pay?)"
    assert standalone.count("following up on") == 1
