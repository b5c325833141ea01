"""Hybrid retrieval on a real store: the seed article, 40 BBC articles and three dated Markdown
articles. Dense search alone misses an article asked for by a rare name that BM25 finds; the
fusion keeps it. Metadata filters (article ids, publication dates) hold in every method.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from seed_store import SEED_ID, build_store

BBC_SAMPLE = 40
K = 6

# Three stories on one subject, a month apart: date filters must pick the right one.
DATED = {
    "harbour/2024-01-closure.md": """---
title: Kestrel Harbour bridge to close for repairs
published: 2024-01-08
url: https://example.org/harbour/closure
---
The Kestrel Harbour bridge will close to traffic for repairs from next month, the city council said.

Inspectors found corrosion in the steel cables that hold the bridge deck over the harbour.

Drivers will be diverted along the coast road, adding twenty minutes to the journey into town.
""",
    "harbour/2024-02-repairs.md": """---
title: Repairs on Kestrel Harbour bridge ahead of schedule
published: 2024-02-14
url: https://example.org/harbour/repairs
---
Work to replace the corroded cables of the Kestrel Harbour bridge is ahead of schedule, engineers said.

Crews working through the night have replaced half of the steel cables over the harbour.

The council still expects the bridge to stay closed to traffic until spring.
""",
    "harbour/2024-03-reopening.md": """---
title: Kestrel Harbour bridge reopens to traffic
published: 2024-03-20
url: https://example.org/harbour/reopening
---
The Kestrel Harbour bridge reopened to traffic on Wednesday after the repairs to its steel cables.

The council said the repairs cost 4 million pounds, less than planned.

Drivers no longer need to take the coast road into town.
""",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, bbc_sample):
    """A store of the seed, BBC articles spread over every topic, and the dated stories."""
    from rag.pipeline import SourceChat

    root = tmp_path_factory.mktemp("retrieval")
    extra = dict(DATED)
    for path in bbc_sample(BBC_SAMPLE):
        try:
            extra[f"bbc/{path.parent.name}/{path.name}"] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # the one non-UTF-8 file is another test's subject
    chat = SourceChat(build_store(root, extra))
    texts = {a["article_id"]: chat.article(a["article_id"]).text for a in chat.list_articles()}
    assert len(texts) >= BBC_SAMPLE
    return {"retriever": chat.retriever, "texts": texts}


def rare_surnames(texts: dict[str, str]) -> list[tuple[str, str]]:
    """(surname, article id) for surnames (after a first name) that occur in exactly one article."""
    seen_in = Counter()
    for text in texts.values():
        seen_in.update({w.lower() for w in re.findall(r"[A-Za-z]+", text)})
    found = []
    for article_id, text in sorted(texts.items()):
        if not article_id.startswith("bbc/"):
            continue
        for surname in sorted(set(re.findall(r"\b[A-Z][a-z]+ ([A-Z][a-z]{4,})\b", text))):
            if seen_in[surname.lower()] == 1:
                found.append((surname, article_id))
    return found


# -- hybrid vs dense ---------------------------------------------------------------------------


def test_hybrid_finds_an_article_by_a_rare_name_that_dense_search_misses(corpus):
    retriever = corpus["retriever"]
    candidates = rare_surnames(corpus["texts"])[:30]
    assert len(candidates) >= 10, candidates

    dense_missed = []
    for surname, article_id in candidates:
        hybrid = {h.article.id for h in retriever.retrieve(surname, k=K, method="hybrid")}
        # The fusion never loses an exact rare name: BM25 ranks its only article first.
        assert article_id in hybrid, (surname, article_id, hybrid)
        dense = {h.article.id for h in retriever.retrieve(surname, k=K, method="dense")}
        if article_id not in dense:
            dense_missed.append((surname, article_id))

    # The reason hybrid exists: a small embedding model blurs names it has never seen.
    assert dense_missed, "expected dense search alone to miss at least one rare name"
    surname, article_id = dense_missed[0]
    dense = retriever.retrieve(surname, k=K, method="dense")
    hybrid = retriever.retrieve(surname, k=K, method="hybrid")
    assert article_id not in {h.article.id for h in dense}
    found = [h for h in hybrid if h.article.id == article_id]
    assert found and surname in found[0].chunk.text
    assert found[0].lexical is not None and found[0].ranks["bm25"] == 1


def test_a_paraphrase_in_other_words_is_found_through_dense_search(corpus):
    from rag.text import terms

    retriever = corpus["retriever"]
    query = "Arab monarchy stops endorsing Chinese persecution of Islamic people"
    # One stemmed word in common with the seed ("endorsement"); the meaning is the same.
    assert set(terms(query)) & set(terms(corpus["texts"][SEED_ID])) == {"endors"}
    assert retriever.retrieve(query, k=K, method="bm25")[0].article.id != SEED_ID
    assert SEED_ID in [h.article.id for h in retriever.retrieve(query, k=K, method="dense")[:2]]
    assert retriever.retrieve(query, k=K, method="hybrid")[0].article.id == SEED_ID


def test_hits_quote_their_article_exactly_and_are_ordered_by_score(corpus):
    hits = corpus["retriever"].retrieve("Kestrel Harbour bridge cables", k=K)
    assert 0 < len(hits) <= K
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.chunk.id for h in hits}) == len(hits)
    for hit in hits:
        assert hit.chunk.text == corpus["texts"][hit.article.id][hit.chunk.start:hit.chunk.end]
        assert hit.dense is not None or hit.lexical is not None
    assert hits[0].article.id.startswith("harbour/")


# -- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
def test_article_id_filter_keeps_only_those_articles(corpus, method):
    retriever = corpus["retriever"]
    from rag.answer.retrieve import Filters

    query = "Qatar letter backing China's human rights record"
    unfiltered = retriever.retrieve(query, k=K, method=method)
    assert unfiltered and unfiltered[0].article.id == SEED_ID
    other = "harbour/2024-02-repairs.md"
    hits = retriever.retrieve(query, k=K, method=method, filters=Filters(article_ids=[other, "bbc/no/such.txt"]))
    assert {h.article.id for h in hits} <= {other}
    if method != "bm25":  # dense search always returns the nearest chunks it is allowed to
        assert hits
    both = retriever.retrieve(query, k=K, method=method, filters=Filters(article_ids=[SEED_ID, other]))
    assert both[0].article.id == SEED_ID and {h.article.id for h in both} <= {SEED_ID, other}


@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
def test_date_range_filter_uses_published_front_matter(corpus, method):
    from rag.answer.retrieve import Filters

    retriever = corpus["retriever"]
    query = "Kestrel Harbour bridge steel cables repairs"
    everything = {h.article.id for h in retriever.retrieve(query, k=K, method=method)}
    assert len(everything & set(DATED)) >= 2, "without a filter the stories compete"

    february = Filters(published_from="2024-02-01", published_to="2024-02-29")
    hits = retriever.retrieve(query, k=K, method=method, filters=february)
    assert hits and {h.article.id for h in hits} == {"harbour/2024-02-repairs.md"}
    assert all(h.article.meta["published"].startswith("2024-02") for h in hits)

    # Open-ended ranges; undated articles (the seed, BBC) never match a date filter.
    later = {h.article.id for h in retriever.retrieve(query, k=K, method=method,
                                                      filters=Filters(published_from="2024-02-14"))}
    assert later and later <= {"harbour/2024-02-repairs.md", "harbour/2024-03-reopening.md"}
    earlier = {h.article.id for h in retriever.retrieve(query, k=K, method=method,
                                                        filters=Filters(published_to="2024-01-31"))}
    assert earlier == {"harbour/2024-01-closure.md"}


def test_date_and_article_filters_combine(corpus):
    from rag.answer.retrieve import Filters

    filters = Filters(article_ids=["harbour/2024-01-closure.md", "harbour/2024-03-reopening.md"],
                      published_from="2024-03-01")
    hits = corpus["retriever"].retrieve("bridge reopened", k=K, filters=filters)
    assert hits and {h.article.id for h in hits} == {"harbour/2024-03-reopening.md"}


def test_bad_filter_dates_and_methods_are_refused_with_a_message(corpus):
    from rag.answer.retrieve import Filters

    with pytest.raises(ValueError, match="ISO date"):
        Filters(published_from="last week")
    with pytest.raises(ValueError, match="list of article ids"):
        Filters(article_ids=SEED_ID)
    with pytest.raises(ValueError, match="unknown retrieval method"):
        corpus["retriever"].retrieve("Qatar", k=K, method="semantic")
