"""The mentions index is derived data: built at ingest, kept in step with every change of the
sources (added, edited, removed files), and rebuilt by itself when its file is gone."""

from __future__ import annotations

import pytest

from seed_store import build_store

QUILL = """Zorblax Industries opens a plant in Port Elwin

Zorblax Industries will open its first plant in Port Elwin next spring, its chief executive Harriet Quill said.

"We chose Port Elwin for its harbour," Ms Quill told reporters. Zorblax's shares rose 4%.
"""
OTHER = """Harbour authority backs Zorblax plan

The Port Elwin harbour authority said it welcomed the Zorblax plant and the 300 jobs it brings.
"""


@pytest.fixture
def store_settings(tmp_path):
    return build_store(tmp_path, {"news/zorblax.txt": QUILL})


def test_ingest_indexes_names_and_every_change_of_the_sources(store_settings):
    from rag.index.ingest import sync
    from rag.pipeline import SourceChat

    settings = store_settings
    chat = SourceChat(settings)
    assert chat.store.find_names() == 0  # ingest found every name already
    result = chat.mentions("Ms Quill")
    assert [a.article_id for a in result.articles] == ["news/zorblax.txt"]
    assert {m.text for s in result.articles[0].mentions for m in s.matches} == {"Harriet Quill", "Ms Quill"}
    assert chat.mentions("Zorblax").total_mentions == 3  # "Zorblax's" counted

    sources = settings.sources_dir
    (sources / "news" / "other.txt").write_text(OTHER, encoding="utf-8")
    sync(settings, progress=False)
    assert chat.store.find_names() == 0
    assert sorted(a.article_id for a in chat.mentions("Zorblax").articles) == ["news/other.txt", "news/zorblax.txt"]

    (sources / "news" / "zorblax.txt").write_text(QUILL.replace("Harriet Quill", "Tom Reed").replace("Ms Quill", "Mr Reed"),
                                                  encoding="utf-8")
    sync(settings, progress=False)
    assert chat.mentions("Quill").articles == []
    assert [a.article_id for a in chat.mentions("Mr Reed").articles] == ["news/zorblax.txt"]

    (sources / "news" / "other.txt").unlink()
    sync(settings, progress=False)
    assert [a.article_id for a in chat.mentions("Zorblax").articles] == ["news/zorblax.txt"]


def test_a_deleted_index_rebuilds_itself(store_settings):
    from rag.index.mentions import FILE_NAME
    from rag.pipeline import SourceChat

    before = SourceChat(store_settings).mentions("Harriet Quill").to_json()
    (store_settings.store_dir / FILE_NAME).unlink()
    for leftover in store_settings.store_dir.glob(FILE_NAME + "-*"):
        leftover.unlink()
    assert SourceChat(store_settings).mentions("Harriet Quill").to_json() == before
