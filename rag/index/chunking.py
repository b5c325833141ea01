"""Article -> chunks, each knowing exactly where it sits in the article text.

llama-index's SentenceSplitter decides the chunk boundaries (sentence-aware, token-budgeted);
this module then pins every chunk to character offsets so that
``article.text[chunk.start:chunk.end] == chunk.text`` always holds. Citations rely on that.

The splitter runs one sentence tokenizer over each paragraph it meets, and nltk stops any
single regular expression after 5 s: on a 6 MB one-paragraph file the tokenizer's main
pattern alone ran 9 s (load 9), and the file failed for good. So a text longer than
``SECTION_CHARS`` is cut into sections first (at a paragraph break, else a line break, a
sentence end or a space), and each section is split on its own: the work grows linearly with
the text. No article of BBC News (longest 25,485 characters) or RealTime QA 2025 (100,282)
is that long, so their chunks are the same as without sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from rag.index.sources import Article, SourceError

# Splitting a 200,000-character paragraph takes about 0.3 s (bench/ingest.py box, load 9):
# far below nltk's 5 s limit on one expression, and well above any real news article.
SECTION_CHARS = 200_000
# Where a section may end, best first: a paragraph break, a line break, a sentence end, a space.
_CUTS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?][\"'’”)\]]*\s"), re.compile(r"\s"))


class TooManyChunks(SourceError):
    """The article would make more chunks than allowed; it is skipped, not truncated."""


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    start: int
    end: int
    text: str


def chunk_id(article_id: str, start: int) -> str:
    return f"{article_id}@{start}"


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=min(chunk_overlap, chunk_size // 2))


def chunk_article(article: Article, chunk_size: int = 200, chunk_overlap: int = 30,
                  max_chunks: int | None = None) -> list[Chunk]:
    """The article's chunks in text order; ``TooManyChunks`` as soon as there would be more
    than ``max_chunks`` (the rest of the text is then never split)."""
    chunks: list[Chunk] = []
    for offset, section in sections(article.text):
        for start, end in _spans(section, chunk_size, chunk_overlap):
            start, end = start + offset, end + offset
            chunks.append(Chunk(chunk_id(article.id, start), article.id, start, end, article.text[start:end]))
        if max_chunks is not None and len(chunks) > max_chunks:
            raise TooManyChunks(
                f"too long: more than {max_chunks:,} passages (RAG_MAX_CHUNKS_PER_FILE); "
                "split it into smaller files or raise the limit"
            )
    return chunks


def sections(text: str, limit: int = SECTION_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, section) pieces of ``text``, each at most ``limit`` characters, in order."""
    start = 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit)
        yield start, text[start:end]
        start = end
    yield start, text[start:]


def _cut(text: str, start: int, limit: int) -> int:
    """The best place to end a section in ``text[start:limit]``: the last cut of the best kind
    in its second half, else a hard cut at ``limit``."""
    window = text[(start + limit) // 2 : limit]
    for pattern in _CUTS:
        last = None
        for last in pattern.finditer(window):
            pass
        if last is not None:
            return (start + limit) // 2 + last.end()
    return limit


def _spans(text: str, chunk_size: int, chunk_overlap: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk the splitter makes of ``text``."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    prev_end = 0
    seen: set[int] = set()
    for piece in _splitter(chunk_size, chunk_overlap).split_text(text):
        span = locate(text, piece, cursor, prev_end)
        if span is None or span[0] in seen:
            continue
        start, end = span
        seen.add(start)
        spans.append((start, end))
        # Overlapping chunks start before the previous one ends, but never before it starts.
        cursor = start + 1
        prev_end = max(prev_end, end)
    return spans


def locate(text: str, piece: str, cursor: int, after: int = 0) -> tuple[int, int] | None:
    """Where ``piece`` sits in ``text`` at or after ``cursor``.

    A match that ends by ``after`` (inside the previous chunk) is passed over when a later one
    exists: the next chunk always brings new text, and a short piece ("Mr.") can also occur
    earlier. The splitter normally returns exact substrings; when it has normalised whitespace
    the piece is found again with flexible whitespace, and the offsets are those of the original.
    """
    piece = piece.strip()
    if not piece:
        return None
    at = text.find(piece, cursor)
    while at >= 0 and at + len(piece) <= after:
        later = text.find(piece, at + 1)
        if later < 0:
            break
        at = later
    if at < 0:
        at = text.find(piece)
    if at >= 0:
        return at, at + len(piece)
    words = piece.split()
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    match = pattern.search(text, cursor)
    while match is not None and match.end() <= after:
        later = pattern.search(text, match.start() + 1)
        if later is None:
            break
        match = later
    match = match or pattern.search(text)
    return (match.start(), match.end()) if match else None
