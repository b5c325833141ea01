"""A running reader sees an outside ``rag ingest`` without a restart (issue 12, case 5).

Two processes on one store folder: the reader (this test's SourceChat, then the real app) and
``rag ingest`` run as a subprocess. Embedded Chroma keeps its vector index in memory, so before
the fix new articles were found by keywords but not by vectors until the reader restarted.
"""

from __future__ import annotations

import shutil

import pytest

from app_server import running_app
from harness import settings_at

pytestmark = pytest.mark.slow


def title_of(path) -> str:
    return path.read_text(encoding="utf-8").split("\n")[0].strip()


def test_vectors_of_an_outside_ingest_are_found_by_a_running_reader(tmp_path, seeds_dir, bbc_sample, run_rag,
                                                                     embedder):
    from rag.pipeline import SourceChat

    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    settings = settings_at(tmp_path)
    assert run_rag(["ingest", "--quiet"], settings).returncode == 0
    chat = SourceChat(settings, embedder=embedder)
    assert chat.article_count() == 1
    chat.ask("Who signed the letter backing China's human rights record on behalf of Qatar?")  # Chroma is open

    new = bbc_sample(7)[3]
    shutil.copyfile(new, sources / "late.txt")
    assert run_rag(["ingest", "--quiet"], settings).returncode == 0  # another process

    vector = embedder.embed_query(title_of(new))
    top = chat.store.dense_search(vector, 1)
    assert top[0][0].startswith("late.txt@")
    answer = chat.ask(title_of(new))
    assert not answer.refused and answer.citations[0].article_id == "late.txt"
    assert chat.article_count() == 2


def test_the_app_answers_from_an_article_ingested_by_another_process(tmp_path, seeds_dir, bbc_sample, run_rag):
    from gradio_client import Client

    new = bbc_sample(7)[5]
    with running_app(tmp_path, seeds_dir) as app:
        client = Client(app.url, verbose=False)
        before = client.predict(title_of(new) + "?", [], api_name="/chat")
        assert "late.txt" not in before
        shutil.copyfile(new, app.sources / "late.txt")
        settings = settings_at(tmp_path, sources_dir=app.sources, store_dir=app.store)
        ingest = run_rag(["ingest", "--json", "--quiet"], settings)
        assert ingest.returncode == 0, ingest.stderr
        after = client.predict(title_of(new) + "?", [], api_name="/chat")
        assert "Sources:" in after and "late.txt" in after.split("Sources:")[1], after
