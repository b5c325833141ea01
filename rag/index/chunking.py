"""Article -> chunks, each knowing exactly where it sits in the article text.

llama-index's SentenceSplitter decides the chunk boundaries (sentence-aware, token-budgeted);
this module then pins every chunk to character offsets so that
``article.text[chunk.start:chunk.end] == chunk.text`` always holds. Citations rely on that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.index.sources import Article


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


def chunk_article(article: Article, chunk_size: int = 200, chunk_overlap: int = 30) -> list[Chunk]:
    pieces = _splitter(chunk_size, chunk_overlap).split_text(article.text)
    chunks: list[Chunk] = []
    cursor = 0
    prev_end = 0
    seen: set[int] = set()
    for piece in pieces:
        span = locate(article.text, piece, cursor, prev_end)
        if span is None or span[0] in seen:
            continue
        start, end = span
        seen.add(start)
        chunks.append(Chunk(chunk_id(article.id, start), article.id, start, end, article.text[start:end]))
        # Overlapping chunks start before the previous one ends, but never before it starts.
        cursor = start + 1
        prev_end = max(prev_end, end)
    return chunks


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
