"""Sentence spans, support scoring of true and false claims, and [n] markers in model text.

The claims are about the seed article (seeds/000_7d40094ea373a31e.txt). True claims include
paraphrases a model would write; false ones change a date, an amount, a count or a name.
"""

from __future__ import annotations

import pytest

from harness import settings_at
from seed_store import SEED_ID, seed_sentence


@pytest.fixture(scope="module")
def seed(seeded_root):
    """The seed article's chunks as retrieval hits, and a scorer on the real embedder."""
    from rag.answer.citations import SupportScorer
    from rag.pipeline import SourceChat
    from rag.answer.retrieve import Hit

    chat = SourceChat(settings_at(seeded_root))
    catalog = chat.store.catalog
    article = catalog.article(SEED_ID)
    chunks = sorted(catalog.chunks(catalog.chunk_ids_of([SEED_ID])).values(), key=lambda c: c.start)
    hits = [Hit(chunk=c, article=article, score=0.0) for c in chunks]
    scorer = SupportScorer(chat.embedder, {article.id: article.title}, {article.id: article.text})
    return {"article": article, "hits": hits, "scorer": scorer, "chunks": chunks}


# -- sentence spans ----------------------------------------------------------------------------


def test_spans_are_whole_sentences_quoted_exactly_once_in_article_order(seed):
    from rag.answer.citations import spans_for_hits

    article, hits = seed["article"], seed["hits"]
    assert len(seed["chunks"]) >= 2, "the seed should be split into overlapping chunks"
    spans = spans_for_hits(hits + hits[::-1])  # the same chunks twice: no span twice
    assert [(s.start, s.end) for s in spans] == sorted({(s.start, s.end) for s in spans})
    for span in spans:
        assert span.text == article.text[span.start:span.end]
        assert span.text == span.text.strip()
    positions = [s.position for s in spans]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    # The chunks cover the whole article, so every sentence of it is a span.
    body = [s.text for s in spans]
    for fragment in ("Ali Mansouri had signed on July 12", "Coly Seck", "$13 billion", "Ablikim Yusuf from Qatar"):
        assert seed_sentence(fragment).replace("\u2019", "'") in [b.replace("\u2019", "'") for b in body]


def test_a_chunk_boundary_inside_a_sentence_still_yields_the_whole_sentence(seed):
    from rag.answer.citations import spans_for_hits

    article = seed["article"]
    later = [h for h in seed["hits"] if h.chunk.start > 0]
    assert later, "needs a chunk that starts inside the article"
    spans = spans_for_hits(later[:1])
    first = spans[0]
    # The first span starts at a sentence start at or before the chunk, never mid-sentence.
    assert first.start <= later[0].chunk.start
    assert first.start == 0 or article.text[first.start - 1] in " \n\u201c\""


# -- support scoring ---------------------------------------------------------------------------

TRUE_CLAIMS = [
    # (claim, a fragment of the sentence that supports it)
    ("Ali Mansouri signed the letter on July 12.", "Ali Mansouri had signed on July 12"),
    ("Qatar's ambassador in Geneva signed the letter backing China on July 12.", "Ali Mansouri had signed on July 12"),
    ("Qatar's UN envoy in Geneva put his signature on the pro-China letter on July 12.", "Ali Mansouri had signed on July 12"),
    ("Ali Mansouri wrote to the UN officer on July 18.", "wrote to the UN officer on July 18"),
    ("Trade between China and Qatar was worth $13 billion.", "$13 billion"),
    ("China is Qatar's third-largest trading partner.", "third largest trade partner"),
    ("13 countries backed China's human rights record.", "pulled out from the 13 countries"),
    ("22 countries signed a petition against Beijing's mass detentions.", "petition by 22 countries"),
    ("Activists urged Qatar not to deport the Uighur advocate Ablikim Yusuf.", "Ablikim Yusuf from Qatar"),
    ("President Xi Jinping defended the crackdown as necessary to combat terrorism.", "combat terrorism"),
    ("China installed facial recognition technology and security checkpoints at markets.", "facial recognition"),
    ("Saudi Arabia, Pakistan and Russia also signed the letter.", "Other signatories"),
    ("Qatar told the president of the UN Human Rights Council, Coly Seck, that it was withdrawing.", "Coly Seck"),
]

FALSE_CLAIMS = [
    "Ali Mansouri signed the letter on July 18.",  # the date of the other event
    "Ali Mansouri wrote to the UN officer on July 12.",  # likewise, the other way round
    "Trade between China and Qatar was worth $30 billion.",
    "15 countries backed China's human rights record.",
    "30 countries signed a petition against Beijing's mass detentions.",
    "Germany also signed the letter.",
    "Japan and Canada also signed the letter.",
    "The letter was signed on July 12 by Ali Mansouri in New York.",  # true facts plus an invented place
    "Around 5 million Uighurs live in Xinjiang province.",
    "The weather in Doha was hot and humid.",
]


@pytest.mark.parametrize("claim,fragment", TRUE_CLAIMS, ids=[c for c, _ in TRUE_CLAIMS])
def test_true_claims_and_paraphrases_are_supported_by_the_right_sentence(seed, claim, fragment):
    from rag.answer.citations import SUPPORT_THRESHOLD, spans_for_hits

    support = seed["scorer"].best_support(claim, spans_for_hits(seed["hits"]))
    assert support.supported, (claim, support)
    assert support.score >= SUPPORT_THRESHOLD
    assert not support.missing_numbers and not support.contradicted
    assert any(fragment in span.text for span in support.spans), [s.text for s in support.spans]


@pytest.mark.parametrize("claim", FALSE_CLAIMS)
def test_false_claims_are_not_supported(seed, claim):
    from rag.answer.citations import spans_for_hits

    support = seed["scorer"].best_support(claim, spans_for_hits(seed["hits"]))
    assert not support.supported, (claim, support.score, [s.text for s in support.spans])


def test_a_changed_number_is_reported_as_missing_or_contradicted(seed):
    from rag.answer.citations import spans_for_hits

    spans = spans_for_hits(seed["hits"])
    amount = seed["scorer"].best_support("Trade between China and Qatar was worth $30 billion.", spans)
    assert "30" in amount.missing_numbers
    # "July 18" is in the article, but in the sentence about the other event.
    date = seed["scorer"].best_support("Ali Mansouri signed the letter on July 18.", spans)
    assert date.contradicted or date.missing_numbers


def test_a_claim_joining_two_neighbouring_sentences_cites_both(seed):
    from rag.answer.citations import spans_for_hits

    claim = ("Qatar informed Coly Seck that it was withdrawing, and its ambassador Ali Mansouri "
             "had signed the letter on July 12.")
    support = seed["scorer"].best_support(claim, spans_for_hits(seed["hits"]))
    assert support.supported
    quoted = " ".join(s.text for s in support.spans)
    assert "Coly Seck" in quoted and "July 12" in quoted
    assert [s.position for s in support.spans] == sorted(s.position for s in support.spans)


def test_no_spans_means_no_support(seed):
    assert seed["scorer"].best_support("Ali Mansouri signed the letter on July 12.", []) is None


# -- [n] markers in generated text -------------------------------------------------------------


@pytest.mark.parametrize("raw,clean,numbers", [
    ("Qatar withdrew [1][3].", "Qatar withdrew.", [1, 3]),
    ("Qatar withdrew [2, 1].", "Qatar withdrew.", [2, 1]),
    ("Qatar withdrew [1]. ", "Qatar withdrew.", [1]),
    ("Qatar withdrew [1] [1].", "Qatar withdrew.", [1]),
    ("Trade was $13 billion.", "Trade was $13 billion.", []),
    # Forms small models write instead of the one asked for.
    ("Qatar withdrew [Source 2].", "Qatar withdrew.", [2]),
    ("Qatar withdrew [Sources 1, 3].", "Qatar withdrew.", [1, 3]),
    ("Qatar withdrew [2-4].", "Qatar withdrew.", [2, 3, 4]),
    ("In 2019 [1], Qatar withdrew.", "In 2019, Qatar withdrew.", [1]),
])
def test_parse_markers(raw, clean, numbers):
    from rag.answer.citations import parse_markers

    assert parse_markers(raw) == (clean, numbers)


def test_markers_after_the_full_stop_stay_with_their_sentence():
    from rag.answer.citations import parse_markers, split_answer_sentences

    text = "Ali Mansouri signed the letter on July 12. [1] He wrote to the UN officer on July 18. [2][3]"
    assert [parse_markers(s) for s in split_answer_sentences(text)] == [
        ("Ali Mansouri signed the letter on July 12.", [1]),
        ("He wrote to the UN officer on July 18.", [2, 3]),
    ]


def test_with_markers_puts_the_numbers_before_the_closing_punctuation():
    from rag.answer.citations import with_markers

    assert with_markers("Qatar withdrew.", [1, 2]) == "Qatar withdrew [1][2]."
    assert with_markers("He said \u201cno.\u201d", [3]) == "He said \u201cno [3].\u201d"
    assert with_markers("Qatar withdrew.", []) == "Qatar withdrew."


# -- distortions that keep the words: the claim checker reads who did what ---------------------

# claim -> the kind of problem found, and a word its reason must name
SAME_WORDS_OTHER_MEANING = {
    # the article: activists urged Doha *not* to deport him
    "Qatar deported Ablikim Yusuf to China.": ("negation", "deport"),
    # the headline: Qatar withdraws its support
    "Qatar increased its support for China.": ("opposite", "withdraw"),
    # the article: China is Qatar's third largest trade partner
    "Qatar is China's third largest trade partner.": ("roles", "China"),
}
TRUE_IN_OTHER_WORDS = [
    "Qatar said it wanted to keep a neutral stance.",  # "we wish to maintain a neutral stance": "we" is Qatar
    "Around 2 million Uighurs live in Xinjiang province.",  # a side fact of a long sentence about the letter
]


@pytest.mark.parametrize("claim", list(SAME_WORDS_OTHER_MEANING))
def test_false_claims_with_the_same_words_are_flagged_with_their_reason(seed, claim):
    from rag.answer.citations import spans_for_hits

    kind, word = SAME_WORDS_OTHER_MEANING[claim]
    support = seed["scorer"].best_support(claim, spans_for_hits(seed["hits"]))
    assert not support.supported
    assert kind in {p.kind for p in support.problems}, support.problems
    assert word in support.reason


@pytest.mark.parametrize("claim", TRUE_IN_OTHER_WORDS)
def test_true_claims_in_other_words_are_supported(seed, claim):
    from rag.answer.citations import spans_for_hits

    support = seed["scorer"].best_support(claim, spans_for_hits(seed["hits"]))
    assert support.supported, support.problems
    assert support.reason is None
