"""The generative answerer against a real HTTP server speaking the OpenAI API (tests/fake_openai.py).

The server streams scripted replies as Server-Sent Events. Replies are written the way a
model that follows the prompt would write them: the [n] markers are read off the numbered
sources the request actually carried. Then the replies go wrong in the ways models do
(wrong source, a number out of range, a false statement, no marker) and the endpoint fails
in the ways endpoints do (slow, down, HTTP 500, empty body).
"""

from __future__ import annotations

import re
import time

import pytest

from fake_openai import FakeOpenAI, Reply, source_blocks, source_of
from harness import free_port, settings_at
from seed_store import SEED_ID, assert_quotes_exact, seed_sentence

SIGNER_Q = "Who signed the letter backing China's human rights record on behalf of Qatar?"
SIGNED = "Ali Mansouri had signed on July 12"


class Script:
    """The fake server's reply function; each test sets ``handler`` (request body -> reply)."""

    def __init__(self):
        self.handler = lambda body: "The sources don't say."

    def __call__(self, body):
        return self.handler(body)


def user_question(body) -> str:
    return body["messages"][-1]["content"]


@pytest.fixture(scope="module")
def fake():
    script = Script()
    with FakeOpenAI(script) as server:
        server.script = script
        yield server


@pytest.fixture(scope="module")
def chat(seeded_root, fake):
    from rag.pipeline import SourceChat

    # The local claim checker alone: the model's second opinion is tested in tests/test_second_opinion.py.
    return SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="test-key",
                                  verify="local"))


@pytest.fixture
def script(fake):
    fake.requests.clear()
    yield fake.script
    fake.script.handler = lambda body: "The sources don't say."


# -- seed questions answered with realistic replies ----------------------------------------------

# question -> (reply template with {fragment} markers, facts the answer must state, supporting fragments)
SEED_CASES = {
    SIGNER_Q: (
        "Ali Mansouri, Qatar's permanent representative to the UN in Geneva, signed the letter on July 12 [{%s}]." % SIGNED,
        ["Ali Mansouri", "July 12"], [SIGNED],
    ),
    "Whom did Qatar inform that it was withdrawing its support for China?": (
        "Qatar informed Coly Seck, the President of the United Nations Human Rights Council, "
        "that it was withdrawing its support for China [{President Coly Seck}].",
        ["Coly Seck"], ["President Coly Seck"],
    ),
    "How many countries backed China's human rights record, and how many signed the petition against it?": (
        "13 countries backed China's human rights record [{pulled out from the 13 countries}]. "
        "A petition by 22 countries called on the UN High Commissioner for Human Rights to address "
        "Beijing's mass detentions [{petition by 22 countries}].",
        ["13 countries", "22 countries"], ["pulled out from the 13 countries", "petition by 22 countries"],
    ),
    "How much was the trade between China and Qatar last year?": (
        "China was Qatar's third largest trade partner last year, with a total of $13 billion [{$13 billion}].",
        ["$13 billion"], ["$13 billion"],
    ),
    "Which Uighur advocate faced deportation from Qatar?": (
        "Activists pressed Doha not to deport the Uighur advocate Ablikim Yusuf back to China "
        "[{Ablikim Yusuf from Qatar}].",
        ["Ablikim Yusuf"], ["Ablikim Yusuf from Qatar"],
    ),
    "What reason did Qatar give for withdrawing its support for China?": (
        "Qatar said it is concerned about the situation of the Muslim Uighur minority "
        "[{concerned about the situation}]. Ambassador Ali Mansouri wrote that co-authorizing the letter "
        "would compromise its foreign policy key priorities [{foreign policy key priorities}].",
        ["concerned about the situation of the Muslim Uighur minority", "foreign policy key priorities"],
        ["concerned about the situation", "foreign policy key priorities"],
    ),
}


def realistic_reply(template: str):
    """A reply function citing each fact by the number of the source that holds it."""
    def reply(body):
        return re.sub(r"\{([^{}]+)\}", lambda m: str(source_of(body, m.group(1))), template)
    return reply


@pytest.mark.parametrize("question", list(SEED_CASES), ids=[c[1][0] for c in SEED_CASES.values()])
def test_seed_questions_are_answered_and_every_citation_is_checked(chat, fake, script, question):
    template, facts, fragments = SEED_CASES[question]
    script.handler = realistic_reply(template)
    answer = chat.ask(question, mode="generative")

    assert answer.error is None and not answer.refused, answer
    assert answer.mode == "generative"
    for fact in facts:
        assert fact in answer.answer, (fact, answer.answer)
    quotes = [c.quote for c in answer.citations]
    for fragment in fragments:
        assert seed_sentence(fragment) in quotes, (fragment, quotes)
    assert_quotes_exact(answer, chat)
    assert all(s.citations and not s.unsupported for s in answer.sentences), answer.sentences
    # One request: the question as asked, with the retrieved chunks as numbered sources.
    assert len(fake.requests) == 1
    body = fake.requests[0]
    assert user_question(body) == question and body["stream"] is True
    blocks = source_blocks(body)
    assert len(blocks) == len(answer.sources)
    texts = chat.chunks([s.chunk_id for s in answer.sources])
    for n, source in enumerate(answer.sources, start=1):
        assert texts[source.chunk_id].text.strip() in blocks[n]


# -- refusals: the gate runs before the model ----------------------------------------------------


@pytest.mark.parametrize("question", ["What is the capital of France?",
                                      "What did the United States say about Qatar's decision?"])
def test_out_of_source_questions_are_refused_without_calling_the_model(chat, fake, script, question):
    script.handler = lambda body: "Paris is the capital of France [1]."  # would be wrong to ask
    answer = chat.ask(question, mode="generative")
    assert answer.refused and answer.error is None
    assert answer.answer.startswith("The sources don't say.")
    assert not answer.citations
    assert fake.requests == []


def test_the_model_saying_the_sources_dont_say_is_a_refusal(chat, script):
    script.handler = lambda body: "The sources don't say."
    answer = chat.ask("What did Qatar's foreign minister say about the letter?", mode="generative")
    assert answer.refused and not answer.citations and answer.error is None


# -- the model's markers are hints, checked against the sources -----------------------------------


def test_a_citation_to_the_wrong_source_is_moved_to_the_sentence_that_supports_it(chat, script):
    def wrong_source(body):
        right = source_of(body, SIGNED)
        wrong = next(n for n in source_blocks(body) if n != right)
        return f"Ali Mansouri signed the letter on July 12 [{wrong}]."

    script.handler = wrong_source
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert [c.quote for c in answer.citations] == [seed_sentence(SIGNED)]
    assert answer.sentences[0].citations == [1] and not answer.sentences[0].unsupported
    assert answer.answer == "Ali Mansouri signed the letter on July 12 [1]."


def test_a_wrong_source_for_a_claim_nothing_supports_leaves_it_unsupported(chat, script):
    script.handler = lambda body: "Germany also signed the letter [2]."
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.sentences[0].unsupported and not answer.citations
    assert "[2]" not in answer.answer


def test_a_marker_beyond_the_sources_is_dropped(chat, script):
    script.handler = lambda body: "Ali Mansouri signed the letter on July 12 [9]."
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert "[9]" not in answer.answer
    # The sentence is true, so it is cited where the sources say it.
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].quote == seed_sentence(SIGNED)


def test_source_markers_in_another_style_are_read_not_shown(chat, script):
    script.handler = lambda body: f"Ali Mansouri signed the letter on July 12 [Source {source_of(body, SIGNED)}]."
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.answer == "Ali Mansouri signed the letter on July 12 [1]."
    assert answer.citations[0].quote == seed_sentence(SIGNED) and not answer.sentences[0].unsupported


def test_a_false_statement_is_flagged_unsupported_and_not_cited(chat, script):
    def false_date(body):
        return f"Ali Mansouri signed the letter on July 18 [{source_of(body, SIGNED)}]."

    script.handler = false_date
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert not answer.refused and answer.error is None
    [sentence] = answer.sentences
    assert sentence.text == "Ali Mansouri signed the letter on July 18."
    assert sentence.unsupported is True and sentence.citations == []
    assert answer.citations == [] and answer.unsupported_count == 1
    assert answer.to_json()["sentences"][0]["unsupported"] is True


def test_an_invented_consequence_after_a_true_sentence_is_flagged_with_its_reason(chat, script):
    def true_then_invented(body):
        n = source_of(body, "President Coly Seck")
        return ("Qatar informed Coly Seck, the President of the United Nations Human Rights Council, "
                f"that it was withdrawing its support for China [{n}]. "
                f"Qatar was then expelled from the United Nations Human Rights Council [{n}].")

    script.handler = true_then_invented
    answer = chat.ask("Whom did Qatar inform that it was withdrawing its support for China?", mode="generative")
    true, invented = answer.sentences
    assert not true.unsupported and true.citations and true.reason is None
    assert invented.unsupported and invented.citations == []
    assert "expelled" in invented.reason
    assert answer.to_json()["sentences"][1]["reason"] == invented.reason


def test_a_negated_fact_is_flagged_with_what_the_source_says(chat, script):
    script.handler = lambda body: f"Qatar deported Ablikim Yusuf to China [{source_of(body, 'Ablikim Yusuf from Qatar')}]."
    answer = chat.ask("Which Uighur advocate faced deportation from Qatar?", mode="generative")
    [sentence] = answer.sentences
    assert sentence.unsupported and sentence.citations == []
    assert sentence.reason and "deport" in sentence.reason


def test_a_true_sentence_without_a_marker_gets_a_citation(chat, script):
    def half_cited(body):
        return (f"Ali Mansouri signed the letter on July 12 [{source_of(body, SIGNED)}]. "
                "Qatar later told Coly Seck, the President of the UN Human Rights Council, that it was withdrawing its support.")

    script.handler = half_cited
    answer = chat.ask(SIGNER_Q, mode="generative")
    first, second = answer.sentences
    assert first.citations and second.citations and not second.unsupported
    cited = {c.n: c.quote for c in answer.citations}
    assert any("President Coly Seck" in cited[n] for n in second.citations)
    assert_quotes_exact(answer, chat)


# -- streaming ---------------------------------------------------------------------------------


def test_ask_stream_yields_sources_then_text_then_the_verified_answer(chat, script):
    from rag.answer.record import AnswerEvent, SourcesEvent, TextEvent

    reply = f"Ali Mansouri signed the letter on July 12 [9]. He is Qatar's permanent representative in Geneva."
    script.handler = lambda body: reply
    events = list(chat.ask_stream(SIGNER_Q, mode="generative"))
    assert isinstance(events[0], SourcesEvent) and isinstance(events[-1], AnswerEvent)
    middle = events[1:-1]
    assert len(middle) > 1 and all(isinstance(e, TextEvent) for e in middle)  # streamed in pieces
    assert "".join(e.delta for e in middle) == reply
    answer = events[-1].answer
    assert events[0].sources == answer.sources and events[0].sources[0].article_id == SEED_ID
    assert events[0].standalone_question == SIGNER_Q
    assert "[9]" not in answer.answer


# -- a failing endpoint -------------------------------------------------------------------------


def test_a_model_slower_than_the_timeout_gives_a_readable_error_in_time(seeded_root, fake, script):
    from rag.pipeline import SourceChat

    timeout = 1.5
    chat = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k",
                                    llm_timeout=timeout, llm_retries=0))
    script.handler = lambda body: Reply("Ali Mansouri signed the letter on July 12 [1].", delay=timeout + 3)
    chat.llm  # the client (and the openai package) load before the clock starts
    started = time.monotonic()
    answer = chat.ask(SIGNER_Q, mode="generative")
    elapsed = time.monotonic() - started
    assert answer.error and "did not answer within 1.5 s" in answer.error
    assert elapsed < timeout + 2.0, elapsed
    assert not answer.citations and answer.sources  # the sources were found; only the model failed


def test_an_unreachable_endpoint_gives_a_readable_error(seeded_root):
    from rag.pipeline import SourceChat

    url = f"http://127.0.0.1:{free_port()}/v1"
    chat = SourceChat(settings_at(seeded_root, openai_base_url=url, openai_api_key="k", llm_timeout=5))
    started = time.monotonic()
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.error == f"cannot reach the language model at {url}"
    assert time.monotonic() - started < 5


def test_an_http_500_gives_a_readable_error_after_the_configured_retries(seeded_root, fake, script):
    from rag.pipeline import SourceChat

    chat = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k", llm_retries=1))
    script.handler = lambda body: Reply("internal error", status=500)
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.error == f"the language model at {fake.base_url} failed (HTTP 500)"
    assert len(fake.requests) == 2  # one try and one retry
    assert not answer.refused and answer.answer == ""


@pytest.mark.parametrize("reply", [Reply(""), Reply(raw_body="this is not an event stream")],
                         ids=["no-text", "not-sse"])
def test_an_empty_reply_is_an_error_not_an_empty_answer(chat, script, reply):
    script.handler = lambda body: reply
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.error and "empty reply" in answer.error
    assert answer.answer == "" and not answer.citations


def test_generative_mode_without_a_configured_model_says_how_to_configure_one(seeded_root):
    from rag.pipeline import SourceChat

    chat = SourceChat(settings_at(seeded_root))
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.error and "OPENAI_BASE_URL" in answer.error
