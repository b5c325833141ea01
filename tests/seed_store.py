"""A real store built from seeds/ (plus optional extra files) for the answer-layer tests.

Each test module builds its own store once (module-scoped fixture) on a temporary folder:
real parsing, chunking, ONNX embeddings, Chroma and BM25, exactly as ``rag ingest`` does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import REPO, settings_at

SEEDS = REPO / "seeds"
SEED_ID = "000_7d40094ea373a31e.txt"
SEED_FILE = SEEDS / SEED_ID


def seed_sentence(fragment: str) -> str:
    """The whole sentence of the seed file that contains ``fragment`` (as the file spells it)."""
    from rag.text import sentence_spans

    text = SEED_FILE.read_text(encoding="utf-8")
    found = [text[s:e] for s, e in sentence_spans(text) if fragment in text[s:e]]
    assert len(found) == 1, f"{fragment!r} should be in exactly one seed sentence, found {found}"
    return found[0]


def build_store(root: Path, extra_files: dict[str, str] | None = None, **overrides):
    """Copy seeds/ (and ``extra_files``: relative path -> text) into ``root/sources`` and ingest."""
    from rag.index.ingest import sync

    sources = root / "sources"
    shutil.copytree(SEEDS, sources)
    for relative, text in (extra_files or {}).items():
        path = sources / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    settings = settings_at(root, **overrides)
    summary = sync(settings, progress=False)
    assert not summary.skipped, summary.skipped
    return settings


def assert_quotes_exact(answer, chat) -> None:
    """Every citation quotes its article exactly: quote == article.text[start:end]."""
    for citation in answer.citations:
        article = chat.article(citation.article_id)
        assert article is not None, citation.article_id
        assert citation.quote == article.text[citation.start:citation.end], citation
        assert citation.quote.strip() == citation.quote and citation.quote
