"""The extractive answerer end to end: real store, real retrieval, real refusal gate.

Questions about the seed article with known answers; every answer must state the fact,
cite the sentence that says it, and quote it exactly. Out-of-source questions are refused.
A second, made-up article carries a byline, a "Written by" line and a repeated sentence,
as scraped news often does, to check that answers read naturally.
"""

from __future__ import annotations

import re

import pytest

from seed_store import SEED_ID, assert_quotes_exact, build_store, seed_sentence

HARBOUR = """---
title: Kestrel Harbour bridge reopens
published: 2024-03-20
---
By Jane Smith, transport correspondent

The Kestrel Harbour bridge reopened to traffic on Wednesday after eight months of repairs.

The repairs cost 4 million pounds, the city council said.

"The bridge is safe for another fifty years," chief engineer Tomas Vrba said.

The Kestrel Harbour bridge reopened to traffic on Wednesday after eight months of repairs.

Written by Jane Smith

Read more: transport news from the harbour
"""

# (question, what the answer must say, a fragment of the seed sentence that says it)
SEED_QUESTIONS = [
    ("Who signed the letter backing China's human rights record on behalf of Qatar?", "Ali Mansouri",
     "Ali Mansouri had signed on July 12"),
    ("When did Qatar's representative sign the letter backing China?", "July 12", "Ali Mansouri had signed on July 12"),
    ("When did Ambassador Ali Mansouri write to the UN officer?", "July 18", "wrote to the UN officer on July 18"),
    ("Whom did Qatar inform that it was withdrawing its support for China?", "Coly Seck", "President Coly Seck"),
    ("How many countries backed China's human rights record?", "13 countries", "pulled out from the 13 countries"),
    ("How many countries signed the petition calling on the UN to address Beijing's mass detentions?",
     "22 countries", "petition by 22 countries"),
    ("How much was the trade between China and Qatar last year?", "$13 billion", "$13 billion"),
    ("Which Uighur advocate did activists urge Doha not to deport?", "Ablikim Yusuf", "Ablikim Yusuf from Qatar"),
    ("Which Uighur advocate faced deportation from Qatar?", "Ablikim Yusuf", "Ablikim Yusuf from Qatar"),
    ("What reason did Qatar's ambassador give for withdrawing from the letter?", "foreign policy key priorities",
     "foreign policy key priorities"),
    ("Why did Qatar withdraw its support for China?", "concerned about the situation of the Muslim Uighur",
     "concerned about the situation"),
]

OUT_OF_SOURCE = [
    ("What is the capital of France?", "France"),
    ("What did the United States say about Qatar's decision?", "United States"),
    ("What is the population of Qatar?", None),
    ("How many medals did Qatar win at the Olympics?", "Olympics"),
]


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    from rag.pipeline import SourceChat

    settings = build_store(tmp_path_factory.mktemp("extractive"), {"harbour/reopens.md": HARBOUR})
    return SourceChat(settings)


@pytest.fixture(scope="module")
def answers(chat):
    """Every seed question answered once; several tests read the same answers."""
    return {q: chat.ask(q, mode="extractive") for q, _, _ in SEED_QUESTIONS}


@pytest.mark.parametrize("question,expected,fragment", SEED_QUESTIONS, ids=[e for _, e, _ in SEED_QUESTIONS])
def test_seed_questions_are_answered_with_the_sentence_that_says_it(chat, answers, question, expected, fragment):
    answer = answers[question]
    assert not answer.refused and answer.error is None, answer.answer
    assert answer.mode == "extractive"
    assert expected in answer.answer.replace("\u2019", "'")
    supporting = seed_sentence(fragment)
    assert any(c.quote == supporting and c.article_id == SEED_ID for c in answer.citations), (
        supporting, [c.quote for c in answer.citations])
    assert_quotes_exact(answer, chat)
    # Every citation is used by a sentence and every sentence cites a quote (support 1.0).
    used = {n for s in answer.sentences for n in s.citations}
    assert used == {c.n for c in answer.citations}
    assert all(s.citations and s.support == 1.0 and not s.unsupported for s in answer.sentences)
    assert answer.sources and answer.sources[0].article_id == SEED_ID


@pytest.mark.parametrize("question,named", OUT_OF_SOURCE, ids=[q for q, _ in OUT_OF_SOURCE])
def test_out_of_source_questions_are_refused(chat, question, named):
    answer = chat.ask(question, mode="extractive")
    assert answer.refused, answer.answer
    assert answer.answer.startswith("The sources don't say.")
    assert not answer.citations and not answer.sentences
    if named:
        # The reason names what the sources lack, as the reader wrote it.
        assert f"do not mention {named}" in answer.answer
    assert answer.sources, "a refusal still shows the closest sources"


def test_answers_read_naturally(chat, answers):
    harbour = [chat.ask(q, mode="extractive") for q in (
        "When did the Kestrel Harbour bridge reopen?",
        "How much did the repairs of the Kestrel Harbour bridge cost?",
        "Who said the Kestrel Harbour bridge is safe?",
    )]
    assert "Wednesday" in harbour[0].answer and "4 million pounds" in harbour[1].answer
    assert "Tomas Vrba" in harbour[2].answer
    for answer in list(answers.values()) + harbour:
        assert not answer.refused, answer.question
        texts = [s.text for s in answer.sentences]
        # The repeated sentence of the harbour story is quoted once.
        assert len(set(texts)) == len(texts) and len({c.quote for c in answer.citations}) == len(answer.citations)
        assert not re.search(r"written by|\bby jane smith\b|read more", answer.answer, re.IGNORECASE), answer.answer
        # Each sentence ends like a sentence, so a quoted headline does not run into the next one.
        for text in texts:
            assert re.search(r"[.!?][\u201d\u2019\"')]*$", text), text
        assert not re.search(r"\]\s+[A-Z\u201c]", answer.answer), answer.answer
        # The best sentence first, the ones that add to it in the order the article tells them.
        starts = [c.start for c in answer.citations[1:] if c.article_id == answer.citations[0].article_id]
        assert starts == sorted(starts), answer.answer
    assert harbour[0].answer.count("reopened to traffic on Wednesday") == 1


def test_a_why_question_quotes_the_reason_not_only_the_headline(answers):
    answer = answers["Why did Qatar withdraw its support for China?"]
    quotes = [c.quote for c in answer.citations]
    assert any("concerned about" in q for q in quotes), quotes


def test_an_empty_question_and_an_unknown_mode_are_refused_with_a_message(chat):
    with pytest.raises(ValueError, match="empty"):
        chat.ask("   ", mode="extractive")
    with pytest.raises(ValueError, match="unknown answer mode"):
        chat.ask("Who signed the letter?", mode="poetic")


def test_asking_an_empty_store_says_to_ingest_first(tmp_path):
    from rag.pipeline import NoIndexError, SourceChat
    from harness import settings_at

    (tmp_path / "sources").mkdir()
    with pytest.raises(NoIndexError, match="rag ingest"):
        SourceChat(settings_at(tmp_path)).ask("Who signed the letter?", mode="extractive")


def test_answer_json_has_the_documented_fields(answers):
    data = answers[SEED_QUESTIONS[0][0]].to_json()
    assert {"question", "answer", "refused", "mode", "citations", "sources", "standalone_question"} <= set(data)
    citation = data["citations"][0]
    assert {"n", "article_id", "source", "title", "url", "quote", "start", "end", "support"} <= set(citation)
    assert {"article_id", "source", "title", "score"} <= set(data["sources"][0])


@pytest.mark.parametrize("sentence, shown", [
    # BBC politics/003: a quotation of several paragraphs opens each and closes only the last
    ('"Career sexism limits opportunities for women of all ages.', '"Career sexism limits opportunities for women of all ages."'),
    ('Career sexism goes both ways."', '"Career sexism goes both ways."'),
    ('“We will extend the pay to nine months.', '“We will extend the pay to nine months.”'),
    ('He called it "desperate" and "cynical".', 'He called it "desperate" and "cynical".'),
    ("Ryanair has placed an order for 70 Boeing 737-800 planes.", "Ryanair has placed an order for 70 Boeing 737-800 planes."),
])
def test_a_quoted_sentence_is_shown_with_its_quotation_marks_paired(sentence, shown):
    from rag.answer.extractive import balanced_quotes

    assert balanced_quotes(sentence) == shown
