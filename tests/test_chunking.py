"""Chunks are pinned to exact offsets: ``article.text[chunk.start:chunk.end] == chunk.text``."""

from __future__ import annotations

import pytest

from rag.index.chunking import chunk_article, chunk_id
from rag.index.sources import Article, read_article

LIMIT = 20 * 1024 * 1024


def check_chunks(article: Article, chunks) -> None:
    """Every invariant a citation relies on, for one article's chunks."""
    assert chunks, f"{article.id}: no chunks"
    text = article.text
    starts = [c.start for c in chunks]
    assert starts == sorted(starts), f"{article.id}: chunks out of order"
    assert len(set(c.id for c in chunks)) == len(chunks), f"{article.id}: duplicate chunk ids"
    covered = bytearray(len(text))
    previous_end = -1
    for chunk in chunks:
        assert chunk.article_id == article.id
        assert chunk.id == chunk_id(article.id, chunk.start)
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start:chunk.end] == chunk.text, f"{chunk.id}: offsets do not round-trip"
        assert chunk.text == chunk.text.strip()
        assert chunk.end > previous_end, f"{chunk.id}: adds no text beyond the previous chunk"
        previous_end = chunk.end
        covered[chunk.start:chunk.end] = b"\x01" * (chunk.end - chunk.start)
    lost = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not lost, f"{article.id}: text not in any chunk: {text[lost[0]:lost[0] + 60]!r}"


def test_seed_article_chunks_round_trip(seeds_dir):
    paths = sorted(seeds_dir.glob("*"))
    assert paths, "seeds/ is empty"
    for path in paths:
        article = read_article(path, seeds_dir, LIMIT)
        chunks = chunk_article(article)
        check_chunks(article, chunks)
        assert len(chunks) >= 2  # the seed article is longer than one chunk


def test_bbc_sample_chunks_round_trip(bbc_dir, bbc_sample):
    sample = bbc_sample(150)
    assert len(sample) == 150
    total = 0
    for path in sample:
        article = read_article(path, bbc_dir, LIMIT)
        chunks = chunk_article(article)
        check_chunks(article, chunks)
        total += len(chunks)
    assert total > 150  # most BBC articles need more than one chunk


def test_chunks_fit_the_embedders_window(bbc_dir, bbc_sample):
    """200-token chunks must stay inside MiniLM's 256 wordpieces, or their ends are never embedded."""
    from tokenizers import Tokenizer

    from rag.index.embedding import MAX_TOKENS, local_model_files

    tokenizer = Tokenizer.from_file(str(local_model_files()[1]))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    longest = 0
    for path in bbc_sample(150):
        for chunk in chunk_article(read_article(path, bbc_dir, LIMIT)):
            longest = max(longest, len(tokenizer.encode(chunk.text).ids))
    assert 100 < longest <= MAX_TOKENS


def test_short_last_chunk_is_pinned_to_its_own_place_not_an_earlier_copy():
    # The splitter returns "He said no." as a last chunk of its own; the same words occur earlier,
    # inside the first chunk. Pinning it there would leave the real last sentence uncitable.
    text = (
        "The minister was asked about the budget on Monday. He said no. Reporters then waited "
        "outside the building for three hours in heavy rain word. He said no."
    )
    article = Article(id="a.txt", title="t", text=text, hash="h")
    chunks = chunk_article(article, chunk_size=32, chunk_overlap=0)
    assert [c.text for c in chunks][-1] == "He said no."
    assert chunks[-1].start == text.rindex("He said no.")
    check_chunks(article, chunks)


@pytest.mark.parametrize("size,overlap", [(32, 0), (64, 10), (200, 30)])
def test_irregular_whitespace_keeps_exact_offsets(size, overlap):
    paragraphs = []
    for i in range(40):
        paragraphs.append(
            f"Paragraph {i}:\tthe  committee\u00a0met on day {i} and\u2003agreed   a plan \n"
            f"costing £{i}.5m — “a fair deal”, said Mr. Smith.\r\n"
        )
    text = "  \n".join(paragraphs).strip()
    article = Article(id="ws.txt", title="t", text=text, hash="h")
    chunks = chunk_article(article, chunk_size=size, chunk_overlap=overlap)
    check_chunks(article, chunks)
    assert len(chunks) > 1


def test_overlapping_chunks_share_text_and_ids_are_stable():
    text = " ".join(f"Sentence number {i} says something about topic {i % 7}." for i in range(120))
    article = Article(id="dir/over.txt", title="t", text=text, hash="h")
    first = chunk_article(article, chunk_size=64, chunk_overlap=16)
    check_chunks(article, first)
    assert any(b.start < a.end for a, b in zip(first, first[1:])), "overlap requested but none produced"
    # Same text, same chunks: ids are what incremental sync compares.
    assert chunk_article(article, chunk_size=64, chunk_overlap=16) == first
    no_overlap = chunk_article(article, chunk_size=64, chunk_overlap=0)
    check_chunks(article, no_overlap)
    assert all(b.start >= a.end for a, b in zip(no_overlap, no_overlap[1:]))
