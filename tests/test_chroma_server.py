"""Ingest against a real Chroma server (``chroma run``) started by the test on a free local port."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from harness import free_port
from rag.index.chunking import chunk_article
from rag.index.ingest import sync
from rag.index.sources import article_id, read_article
from rag.index.store import Store, StoreError

pytestmark = pytest.mark.slow

LIMIT = 20 * 1024 * 1024


class ChromaServer:
    def __init__(self, data_dir: Path, log: Path):
        self.data_dir, self.log = data_dir, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "ChromaServer":
        chroma = Path(sys.executable).with_name("chroma")
        assert chroma.is_file(), f"chroma CLI not found next to {sys.executable}"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma server exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma server did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log").start()
    try:
        yield server
    finally:
        server.stop()


def expected_ids(sources: Path, files: list[Path]) -> set[str]:
    return {c.id for p in files for c in chunk_article(read_article(p, sources, LIMIT))}


def test_ingest_into_a_chroma_server(tmp_path, chroma_server, make_settings, embedder, run_rag, bbc_sample):
    sources = tmp_path / "sources"
    sources.mkdir()
    files = []
    for i, path in enumerate(bbc_sample(5)):
        files.append(sources / f"story{i}.txt")
        shutil.copyfile(path, files[-1])
    settings = make_settings(sources_dir=sources, chroma_url=chroma_server.url)

    # The CLI, as scripts call it: RAG_CHROMA_URL points at the server.
    result = run_rag(["ingest", "--json", "--quiet"], settings)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["added"] == 5
    assert not (Path(settings.store_dir) / "chroma").exists()  # vectors went to the server, not local

    store = Store(settings, embedder.model_id, embedder.dimension)
    want = expected_ids(sources, files)
    assert store.vector_ids() == want and store.vector_count() == len(want) == summary["embedded_chunks"]
    assert store.collection.metadata["embedding_model"] == embedder.model_id
    first = next(iter(sorted(want)))
    hit = store.dense_search(embedder.embed_query(store.catalog.chunks([first])[first].text), k=1)
    assert hit[0][0] == first

    # Incremental, in-process: unchanged costs nothing; an edit replaces that article's chunks.
    before = embedder.texts_embedded
    again = sync(settings, progress=False, embedder=embedder)
    assert (again.unchanged, again.embedded_chunks, embedder.texts_embedded - before) == (5, 0, 0)
    files[3].write_text("A different story\n\nThe whole text of this article was replaced today.\n")
    changed = sync(settings, progress=False, embedder=embedder)
    assert (changed.updated, changed.unchanged) == (1, 4)
    assert changed.embedded_chunks == len(expected_ids(sources, [files[3]])) == 1
    assert store.vector_ids() == expected_ids(sources, files)
    files[4].unlink()
    removed = sync(settings, progress=False, embedder=embedder)
    assert removed.removed == 1
    assert store.vector_ids() == expected_ids(sources, files[:4])
    assert not store.collection.get(where={"article_id": article_id(files[4], sources)}, include=[])["ids"]


def seeds_synced_into_a_server_then_stopped(tmp_path, make_settings, embedder, seeds_dir):
    """(sync summary, a Store opened while the server ran) after syncing seeds/ into a
    Chroma server that is then stopped; the catalog and BM25 stay in the store folder."""
    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    server = ChromaServer(tmp_path / "server-a", tmp_path / "a.log").start()
    try:
        settings = make_settings(sources_dir=sources, chroma_url=server.url)
        summary = sync(settings, progress=False, embedder=embedder)
        store = Store(settings, embedder.model_id, embedder.dimension)
    finally:
        server.stop()
    assert summary.added == 1 and summary.embedded_chunks > 0
    return summary, store


def test_wiped_server_is_refilled_from_the_catalog(tmp_path, make_settings, embedder, seeds_dir):
    summary, _ = seeds_synced_into_a_server_then_stopped(tmp_path, make_settings, embedder, seeds_dir)
    sources = tmp_path / "sources"

    # The same store folder (catalog, BM25) now meets an empty server: the vectors come back.
    second = ChromaServer(tmp_path / "server-b", tmp_path / "b.log").start()
    try:
        settings = make_settings(sources_dir=sources, chroma_url=second.url)
        repaired = sync(settings, progress=False, embedder=embedder)
        assert repaired.unchanged == 1 and repaired.updated == 0
        assert repaired.embedded_chunks == summary.embedded_chunks
        assert any("missing from Chroma" in w["reason"] for w in repaired.warnings)
        store = Store(settings, embedder.model_id, embedder.dimension)
        assert store.vector_ids() == expected_ids(sources, sorted(sources.iterdir()))
    finally:
        second.stop()


def test_unreachable_server_is_a_clear_error(tmp_path, make_settings, run_rag, seeds_dir):
    settings = make_settings(sources_dir=seeds_dir, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        Store(settings, "m", 384)
    result = run_rag(["ingest", "--json", "--quiet"], settings)
    assert result.returncode == 1
    assert "cannot reach the Chroma server" in result.stderr and "Traceback" not in result.stderr


def test_questions_are_answered_from_a_chroma_server(tmp_path, chroma_server, make_settings, run_rag, seeds_dir):
    """The same ingest and ask commands, with only RAG_CHROMA_URL pointing at the server."""
    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    settings = make_settings(sources_dir=sources, chroma_url=chroma_server.url)
    assert run_rag(["ingest", "--quiet"], settings).returncode == 0

    result = run_rag(["ask", "--json", "When did Qatar's representative sign the letter backing China?"], settings)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert not answer["refused"] and "July 12" in answer["answer"]
    text = next(sources.glob("*.txt")).read_text(encoding="utf-8")
    assert answer["citations"] and all(text[c["start"]:c["end"]] == c["quote"] for c in answer["citations"])
    # BM25 runs beside the server: an exact rare name is found through the fused ranking too.
    rare = run_rag(["ask", "--json", "Ablikim Yusuf"], settings)
    assert "Ablikim Yusuf" in json.loads(rare.stdout)["citations"][0]["quote"]

    refused = json.loads(run_rag(["ask", "--json", "What is the capital of France?"], settings).stdout)
    assert refused["refused"] and refused["sources"]


def test_a_rebuild_that_cannot_drop_the_vectors_keeps_the_catalog(tmp_path, make_settings, embedder, seeds_dir):
    """``--rebuild`` clears the catalog only after Chroma dropped the collection: a server that goes
    away in between leaves the index as it was, not a catalog wiped over vectors still stored."""
    summary, store = seeds_synced_into_a_server_then_stopped(tmp_path, make_settings, embedder, seeds_dir)
    with pytest.raises(StoreError, match="could not drop the vectors in Chroma.*nothing was removed"):
        store.reset()
    assert (store.article_count(), store.chunk_count()) == (summary.articles, summary.chunks) != (0, 0)


def test_a_second_replica_takes_the_vectors_already_in_the_server(tmp_path, chroma_server, make_settings, run_rag,
                                                                   seeds_dir, bbc_sample):
    """Two replicas (two store folders: catalog and keyword index each), one Chroma server, one
    sources folder: the second replica builds its catalog from the sources and embeds nothing."""
    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    for i, path in enumerate(bbc_sample(4)):
        shutil.copyfile(path, sources / f"bbc{i}.txt")
    first = make_settings(sources_dir=sources, store_dir=tmp_path / "replica1", chroma_url=chroma_server.url)
    second = make_settings(sources_dir=sources, store_dir=tmp_path / "replica2", chroma_url=chroma_server.url)

    one = json.loads(run_rag(["ingest", "--json", "--quiet"], first).stdout)
    assert one["added"] == 5 and one["embedded_chunks"] == one["chunks"] > 0
    two = json.loads(run_rag(["ingest", "--json", "--quiet"], second).stdout)
    assert (two["added"], two["embedded_chunks"], two["reused_chunks"], two["chunks"]) == (5, 0, one["chunks"], one["chunks"])

    question = "When did Qatar's representative sign the letter backing China?"
    answers = [json.loads(run_rag(["ask", "--json", question], s).stdout) for s in (first, second)]
    assert not answers[0]["refused"]
    assert (answers[0]["answer"], answers[0]["citations"]) == (answers[1]["answer"], answers[1]["citations"])
    assert run_rag(["doctor"], second).returncode == 0
