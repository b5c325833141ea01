"""The model's second opinion on generative answers (RAG_VERIFY=model), against the scripted
OpenAI-compatible server of tests/fake_openai.py and the seed store.

The server streams the answer for the streaming request and gives the scripted verdict for the
one non-streaming request the second opinion makes. The tests check what the model was shown
(each sentence with the exact passages it was weighed against), how its labels are merged with
the local claim checker's verdicts, and that a slow or unreadable verdict leaves the local one.
"""

from __future__ import annotations

import json
import time

import pytest

from fake_openai import FakeOpenAI, Reply, source_of
from harness import settings_at
from seed_store import SEED_ID, assert_quotes_exact

SIGNER_Q = "Who signed the letter backing China's human rights record on behalf of Qatar?"
SIGNED = "Ali Mansouri had signed on July 12"
TRUE = "Ali Mansouri signed the letter on July 12 [{n}]."
FALSE_DATE = "Ali Mansouri signed the letter on July 18 [{n}]."


class Script:
    """Replies by request kind: ``answer`` for the streamed answer, ``verdict`` for the second opinion."""

    def __init__(self):
        self.answer = TRUE
        self.verdict: object = "{}"

    def __call__(self, body):
        if body.get("stream"):
            return self.answer.format(n=source_of(body, SIGNED))
        return self.verdict(body) if callable(self.verdict) else self.verdict


def labels(*entries: tuple[str, str]) -> str:
    return json.dumps({"labels": [{"sentence": i, "label": label, "reason": reason}
                                  for i, (label, reason) in enumerate(entries, start=1)]})


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(Script()) as server:
        yield server


@pytest.fixture
def script(fake):
    fake.replies = Script()
    fake.requests.clear()
    return fake.replies


@pytest.fixture(scope="module")
def chat(seeded_root, fake):
    from rag.pipeline import SourceChat

    return SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k", llm_retries=0))


def verify_requests(fake) -> list[dict]:
    return [body for body in fake.requests if not body.get("stream")]


def test_one_call_shows_the_model_every_sentence_with_the_exact_passage_it_rests_on(chat, fake, script):
    script.answer = TRUE + " Qatar was then expelled from the United Nations Human Rights Council [{n}]."
    script.verdict = labels(("SUPPORTED", ""))
    answer = chat.ask(SIGNER_Q, mode="generative")
    [request] = verify_requests(fake)
    prompt = request["messages"][-1]["content"]
    article = chat.article(SEED_ID)
    quote = answer.citations[0].quote
    assert quote == article.text[answer.citations[0].start:answer.citations[0].end]
    assert f"Sentence 1: Ali Mansouri signed the letter on July 12.\nPassages:\n  - \"{' '.join(quote.split())}\"" in prompt
    # the invented sentence is shown too, with the closest passage the local check weighed it against
    assert "Sentence 2: Qatar was then expelled from the United Nations Human Rights Council." in prompt
    assert request["model"] == chat.settings.llm_model and request["temperature"] == 0
    assert answer.verified_by == "local+model"
    true, invented = answer.sentences
    assert (true.unsupported, true.model_label) == (False, "SUPPORTED")
    # the model gave no label for sentence 2: it stays as the local check left it, and the answer says so
    assert invented.unsupported and invented.model_label is None and "expelled" in invented.reason
    assert answer.to_json()["notice"] == "the model gave no label for sentence 2; the local check alone decided there"


def test_a_sentence_the_model_contradicts_is_flagged_though_the_local_check_kept_it(chat, fake, script):
    script.verdict = labels(("CONTRADICTED", "The passage says he signed on behalf of Qatar, not China."))
    answer = chat.ask(SIGNER_Q, mode="generative")
    [sentence] = answer.sentences
    assert sentence.unsupported and sentence.citations == [] and answer.citations == []
    assert sentence.model_label == "CONTRADICTED"
    assert sentence.reason == ("the model's check: The passage says he signed on behalf of Qatar, not China "
                               "(contradicted); the local check found it supported")
    assert answer.to_json()["sentences"][0]["model_label"] == "CONTRADICTED"


def test_the_model_cannot_make_supported_what_the_local_check_flagged(chat, fake, script):
    script.answer = FALSE_DATE
    script.verdict = labels(("SUPPORTED", ""))
    answer = chat.ask(SIGNER_Q, mode="generative")
    [sentence] = answer.sentences
    assert sentence.unsupported and sentence.citations == []
    assert sentence.model_label == "SUPPORTED"
    assert sentence.reason.endswith("; the model's check found it supported")
    assert "July" in sentence.reason  # the local reason comes first: what the source says instead


def test_both_checks_agreeing_keep_the_citation(chat, fake, script):
    script.verdict = "Here is my check:\n```json\n" + labels(("supported", "")) + "\n```"
    answer = chat.ask(SIGNER_Q, mode="generative")
    [sentence] = answer.sentences
    assert not sentence.unsupported and sentence.citations == [1] and sentence.reason is None
    assert SIGNED in answer.citations[0].quote
    assert answer.verified_by == "local+model"
    assert_quotes_exact(answer, chat)


@pytest.mark.parametrize("verdict, notice", [
    ("All sentences look fine to me.", "could not be read (no JSON in the reply)"),
    ('{"labels": [{"sentence": 1, "label": "PROBABLY"}]}', "could not be read (no usable label in the reply)"),
    ('{"verdicts": "yes"}', 'could not be read (no "labels" list in the reply)'),
    (Reply("overloaded", status=503), "no second opinion from the model (the language model at"),
], ids=["prose", "unknown-label", "wrong-shape", "http-503"])
def test_an_unreadable_or_failed_second_opinion_leaves_the_local_verdicts_with_a_notice(chat, fake, script,
                                                                                       verdict, notice):
    script.answer = TRUE + " " + FALSE_DATE
    script.verdict = verdict
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.error is None and answer.verified_by == "local"
    assert notice in answer.notice and answer.notice.endswith("the local check alone decided")
    true, false = answer.sentences
    assert not true.unsupported and true.citations and true.model_label is None
    assert false.unsupported and false.model_label is None


def test_a_second_opinion_slower_than_the_timeout_falls_back_in_time(seeded_root, fake, script):
    from rag.pipeline import SourceChat

    timeout = 1.5
    chat = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k",
                                  llm_timeout=timeout, llm_retries=0))
    script.verdict = Reply(labels(("CONTRADICTED", "too late")), delay=timeout + 3)
    chat.llm  # the client loads before the clock starts
    started = time.monotonic()
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert time.monotonic() - started < timeout + 2.5
    assert answer.notice.startswith("no second opinion from the model (the language model at")
    assert "did not answer within 1.5 s" in answer.notice
    [sentence] = answer.sentences
    assert not sentence.unsupported and sentence.citations  # the local verdict stands


def test_verify_local_asks_nothing_more_and_verify_model_picks_the_model(seeded_root, fake, script):
    from rag.pipeline import SourceChat

    local = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k", verify="local"))
    answer = local.ask(SIGNER_Q, mode="generative")
    assert verify_requests(fake) == [] and answer.verified_by == "local" and answer.notice is None

    other = SourceChat(settings_at(seeded_root, openai_base_url=fake.base_url, openai_api_key="k",
                                   verify_model="checker-model"))
    script.verdict = labels(("SUPPORTED", ""))
    answer = other.ask(SIGNER_Q, mode="generative")
    [request] = verify_requests(fake)
    assert request["model"] == "checker-model"
    assert [b["model"] for b in fake.requests if b.get("stream")] == [other.settings.llm_model] * 2
    assert answer.verified_by == "local+model"


def test_a_refusal_asks_for_no_second_opinion(chat, fake, script):
    script.answer = "The sources don't say."
    answer = chat.ask(SIGNER_Q, mode="generative")
    assert answer.refused and verify_requests(fake) == []


def test_the_app_and_the_api_text_show_who_checked_and_the_notice(chat, fake, script):
    from rag.web.render import ChatTurn, answer_html, answer_markdown

    script.verdict = labels(("SUPPORTED", ""))
    checked = chat.ask(SIGNER_Q, mode="generative")
    assert "generative answer (checked against the sources, and by the model)" in answer_html(0, ChatTurn(checked))
    script.verdict = "no"
    fallback = chat.ask(SIGNER_Q, mode="generative")
    html = answer_html(0, ChatTurn(fallback))
    assert "generative answer (checked against the sources) · 1 citation" in html
    assert "the model&#x27;s second opinion could not be read (no JSON in the reply)" in html
    assert "Notice: the model's second opinion could not be read" in answer_markdown(fallback)
