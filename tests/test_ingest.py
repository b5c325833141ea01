"""Incremental, crash-safe sync into a real Chroma store with the real embedder.

The index is always compared with what ``chunk_article`` makes of the sources: Chroma ids,
catalog chunk ids and BM25 chunk ids must each equal that set exactly (no duplicates, no
orphans), and Chroma's documents must be the article text at the recorded offsets.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from rag.index.bm25 import BM25Index
from rag.index.chunking import Chunk, chunk_article
from rag.index.embedding import LOCAL_DIMENSION, LOCAL_MODEL_ID
from rag.index.ingest import sync
from rag.index.sources import article_id, is_utf8, read_article
from rag.index.store import EmbeddingMismatch, Store

LIMIT = 20 * 1024 * 1024


# -- helpers -------------------------------------------------------------------------------------


def expected_chunks(settings, files: list[Path]) -> dict[str, Chunk]:
    """What the index must hold for ``files`` (all readable), straight from chunk_article."""
    out: dict[str, Chunk] = {}
    for path in files:
        article = read_article(path, Path(settings.sources_dir), LIMIT)
        for chunk in chunk_article(article, settings.chunk_size, settings.chunk_overlap):
            out[chunk.id] = chunk
    return out


def catalog_rows(settings) -> tuple[list[str], dict[str, str]]:
    """Every chunk id in the catalog (whatever its article's state) and every article's state."""
    with sqlite3.connect(Path(settings.store_dir) / "catalog.sqlite3") as conn:
        chunk_ids = [row[0] for row in conn.execute("SELECT id FROM chunks")]
        states = dict(conn.execute("SELECT id, state FROM articles"))
    return chunk_ids, states


def assert_index_matches(store: Store, expected: dict[str, Chunk]) -> None:
    want = set(expected)
    # Chroma: ids, no duplicates, documents and metadata at the right offsets.
    got = store.collection.get(include=["documents", "metadatas"])
    ids = got["ids"]
    assert len(ids) == len(set(ids)) == store.vector_count(), "duplicate vectors in Chroma"
    assert set(ids) == want, {"orphans": sorted(set(ids) - want)[:5], "missing": sorted(want - set(ids))[:5]}
    for cid, doc, meta in zip(ids, got["documents"], got["metadatas"]):
        chunk = expected[cid]
        assert doc == chunk.text
        assert (meta["article_id"], meta["start"], meta["end"]) == (chunk.article_id, chunk.start, chunk.end)
    # Catalog: every chunk row, and every article ready.
    chunk_ids, states = catalog_rows(store.settings)
    assert len(chunk_ids) == len(set(chunk_ids))
    assert set(chunk_ids) == want
    assert states == {aid: "ready" for aid in {c.article_id for c in expected.values()}}
    for chunk in store.catalog.chunks(sorted(want)).values():
        assert chunk.text == expected[chunk.id].text  # the catalog's text reproduces the chunk
    # BM25: built from exactly these chunks, and current.
    bm25 = BM25Index.load(store.bm25_dir)
    assert bm25 is not None
    assert len(bm25.chunk_ids) == len(set(bm25.chunk_ids))
    assert set(bm25.chunk_ids) == want
    assert bm25.generation == store.catalog.generation


def chroma_ids_of(store: Store, aid: str) -> set[str]:
    return set(store.collection.get(where={"article_id": aid}, include=[])["ids"])


def copy_files(files: list[Path], corpus_root: Path, target: Path) -> list[Path]:
    """Copy corpus files keeping their relative folders (ids like ``sport/012.txt``)."""
    out = []
    for path in files:
        dest = target / path.relative_to(corpus_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        out.append(dest)
    return out


class OtherModel:
    """Stands in for another embedding model: the real vectors under another name (or size)."""

    def __init__(self, embedder, model_id: str, dimension: int):
        self.embedder, self.model_id, self.dimension = embedder, model_id, dimension

    @property
    def texts_embedded(self) -> int:
        return self.embedder.texts_embedded

    def embed_texts(self, texts):
        return self.embedder.embed_texts(texts)

    def embed_query(self, text):
        return self.embedder.embed_query(text)


def run_sync(settings, embedder, **kwargs):
    """sync() plus how many texts the embedder really embedded during it."""
    before = embedder.texts_embedded
    summary = sync(settings, progress=False, embedder=embedder, **kwargs)
    return summary, embedder.texts_embedded - before


# -- one shared, read-only index of BBC articles + the seed ----------------------------------------


@pytest.fixture(scope="module")
def bbc_index(tmp_path_factory, bbc_dir, bbc_sample, seeds_dir, embedder):
    from rag.settings import Settings

    base = tmp_path_factory.mktemp("bbc_index")
    files = copy_files(bbc_sample(40), bbc_dir, base / "sources")
    for seed in sorted(seeds_dir.glob("*")):
        shutil.copyfile(seed, base / "sources" / seed.name)
        files.append(base / "sources" / seed.name)
    settings = Settings(_env_file=None, sources_dir=base / "sources", store_dir=base / "store", chroma_url=None)
    summary, embedded = run_sync(settings, embedder)
    store = Store(settings, embedder.model_id, embedder.dimension)
    return {"settings": settings, "files": files, "summary": summary, "embedded": embedded, "store": store}


def test_first_sync_indexes_exactly_what_chunking_produces(bbc_index):
    settings, summary = bbc_index["settings"], bbc_index["summary"]
    expected = expected_chunks(settings, bbc_index["files"])
    assert summary.added == len(bbc_index["files"]) == 41
    assert (summary.updated, summary.removed, summary.unchanged, summary.skipped) == (0, 0, 0, [])
    assert summary.embedded_chunks == bbc_index["embedded"] == len(expected)
    assert (summary.articles, summary.chunks) == (41, len(expected))
    assert_index_matches(bbc_index["store"], expected)
    # Ids are relative POSIX paths, folders included.
    assert {c.article_id for c in expected.values()} == {
        article_id(p, settings.sources_dir) for p in bbc_index["files"]
    }
    assert any("/" in c.article_id for c in expected.values())


def test_vectors_are_stored_under_the_right_chunk_ids(bbc_index, embedder):
    """Querying with a chunk's own text finds that chunk first: vectors and ids were not mixed up."""
    store = bbc_index["store"]
    expected = expected_chunks(bbc_index["settings"], bbc_index["files"])
    for chunk in list(expected.values())[::25]:
        hits = store.dense_search(embedder.embed_query(chunk.text), k=3)
        assert hits[0][0] == chunk.id
        assert hits[0][1] > 0.99


def test_resync_of_unchanged_sources_embeds_nothing(bbc_index, embedder):
    settings, store = bbc_index["settings"], bbc_index["store"]
    generation = store.catalog.generation
    summary, embedded = run_sync(settings, embedder)
    assert embedded == 0 and summary.embedded_chunks == 0
    assert summary.unchanged == 41
    assert (summary.added, summary.updated, summary.removed, summary.skipped) == (0, 0, 0, [])
    assert store.catalog.generation == generation  # nothing rewritten, BM25 not rebuilt
    assert_index_matches(store, expected_chunks(settings, bbc_index["files"]))


def test_opening_with_another_embedding_model_is_refused_and_keeps_the_index(bbc_index, embedder):
    settings, store = bbc_index["settings"], bbc_index["store"]
    other_model = OtherModel(embedder, "other-model", LOCAL_DIMENSION)
    with pytest.raises(EmbeddingMismatch) as info:
        Store(settings, other_model.model_id, other_model.dimension).collection
    message = str(info.value)
    assert "--rebuild" in message
    assert LOCAL_MODEL_ID in message and "other-model" in message

    other_dimension = OtherModel(embedder, LOCAL_MODEL_ID, 768)
    with pytest.raises(EmbeddingMismatch, match="--rebuild") as info:
        sync(settings, progress=False, embedder=other_dimension)
    assert "768" in str(info.value) and "384" in str(info.value)
    # Refusing did not touch anything.
    assert_index_matches(store, expected_chunks(settings, bbc_index["files"]))


# -- incremental changes ---------------------------------------------------------------------------


def test_incremental_sync_replaces_only_what_changed(tmp_path, make_settings, embedder, bbc_dir, bbc_sample):
    sources = tmp_path / "sources"
    files = copy_files(bbc_sample(6)[:5], bbc_dir, sources)
    settings = make_settings(sources_dir=sources)
    summary, embedded = run_sync(settings, embedder)
    assert summary.added == 5 and embedded == summary.embedded_chunks
    store = Store(settings, embedder.model_id, embedder.dimension)
    before = expected_chunks(settings, files)
    assert_index_matches(store, before)

    # Unchanged: nothing embedded.
    summary, embedded = run_sync(settings, embedder)
    assert (summary.unchanged, summary.embedded_chunks, embedded) == (5, 0, 0)

    # Edit one file in the middle: only its chunks are replaced.
    edited = files[2]
    aid = article_id(edited, sources)
    text = edited.read_text(encoding="utf-8")
    middle = text.index("\n\n", len(text) // 3)
    edited.write_text(text[:middle] + "\n\nA new paragraph was added in the middle by the editors." + text[middle:])
    others_before = {cid: c for cid, c in before.items() if c.article_id != aid}
    summary, embedded = run_sync(settings, embedder)
    after = expected_chunks(settings, files)
    new_chunks = {cid for cid, c in after.items() if c.article_id == aid}
    assert (summary.updated, summary.added, summary.removed, summary.unchanged) == (1, 0, 0, 4)
    assert summary.embedded_chunks == embedded == len(new_chunks)
    assert chroma_ids_of(store, aid) == new_chunks
    assert {cid: c for cid, c in after.items() if c.article_id != aid} == others_before
    assert_index_matches(store, after)

    # Delete one file: its chunks leave Chroma, the catalog and BM25.
    deleted = files[0]
    gone_id = article_id(deleted, sources)
    gone_chunks = {cid for cid, c in after.items() if c.article_id == gone_id}
    deleted.unlink()
    summary, embedded = run_sync(settings, embedder)
    assert (summary.removed, summary.unchanged, embedded) == (1, 4, 0)
    assert chroma_ids_of(store, gone_id) == set()
    assert not gone_chunks & store.vector_ids()
    assert store.catalog.article(gone_id) is None
    assert store.catalog.chunk_ids_of([gone_id]) == []
    assert not gone_chunks & set(BM25Index.load(store.bm25_dir).chunk_ids)
    assert_index_matches(store, expected_chunks(settings, files[1:]))

    # A new file is added; nothing else is embedded again.
    new_file = copy_files([bbc_sample(6)[5]], bbc_dir, sources)[0]
    summary, embedded = run_sync(settings, embedder)
    final = expected_chunks(settings, files[1:] + [new_file])
    new_id = article_id(new_file, sources)
    assert (summary.added, summary.unchanged) == (1, 4)
    assert embedded == sum(1 for c in final.values() if c.article_id == new_id)
    assert_index_matches(store, final)


def test_sync_of_named_paths_leaves_the_rest_alone(tmp_path, make_settings, embedder, bbc_dir, bbc_sample):
    sources = tmp_path / "sources"
    files = copy_files(bbc_sample(3), bbc_dir, sources)
    settings = make_settings(sources_dir=sources)
    run_sync(settings, embedder)
    files[0].unlink()  # out of scope below: must not be removed yet
    files[1].write_text(files[1].read_text(encoding="utf-8") + "\n\nOne more closing line.\n")
    summary, embedded = run_sync(settings, embedder, paths=[files[1]])
    store = Store(settings, embedder.model_id, embedder.dimension)
    assert (summary.updated, summary.removed) == (1, 0)
    assert chroma_ids_of(store, article_id(files[0], sources))  # still indexed
    summary, _ = run_sync(settings, embedder)  # the whole folder: now it goes
    assert summary.removed == 1
    assert_index_matches(store, expected_chunks(settings, files[1:]))


def test_every_format_through_the_pipeline(tmp_path, make_settings, embedder):
    from reportlab.pdfgen import canvas

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "floods.md").write_text(
        '---\ntitle: "Floods hit the valley"\nurl: https://example.org/floods\npublished: "2025/07/22"\n---\n\n'
        "Heavy rain flooded the valley on Monday. Officials said 300 homes were evacuated.\n"
    )
    (sources / "bridge.html").write_text(
        '<html><head><title>Bridge reopens</title><meta property="article:published_time" '
        'content="2023-05-06T10:00:00Z"><script>var SCRIPT_TEXT = 1;</script></head><body><article>'
        "<h1>Bridge reopens</h1><p>The old bridge over the river reopened on Tuesday after eighteen months "
        "of repairs costing four million pounds.</p><p>Local traders said business had suffered badly while "
        "the crossing was closed.</p></article></body></html>"
    )
    pdf = canvas.Canvas(str(sources / "budget.pdf"))
    pdf.setTitle("Council approves budget")
    pdf.drawString(72, 800, "The city council approved a budget of 12 million pounds on Friday.")
    pdf.save()
    (sources / "strike.txt").write_text("Rail strike called off\n\nUnions agreed a deal on Sunday.\n\nWritten by Sam Lee\n")

    settings = make_settings(sources_dir=sources)
    summary, _ = run_sync(settings, embedder)
    assert (summary.added, summary.skipped, summary.warnings) == (4, [], [])
    store = Store(settings, embedder.model_id, embedder.dimension)
    titles = {a["article_id"]: a["title"] for a in store.catalog.list_articles()}
    assert titles == {
        "floods.md": "Floods hit the valley",
        "bridge.html": "Bridge reopens",
        "budget.pdf": "Council approves budget",
        "strike.txt": "Rail strike called off",
    }
    assert store.catalog.article("strike.txt").meta == {"author": "Sam Lee"}
    got = store.collection.get(include=["documents", "metadatas"])
    by_article = {m["article_id"]: m for m in got["metadatas"]}
    assert by_article["floods.md"]["published_day"] == 20250722  # slashes, as in RealTime QA
    assert by_article["bridge.html"]["published_day"] == 20230506
    assert "published_day" not in by_article["strike.txt"]
    assert not any("SCRIPT_TEXT" in doc for doc in got["documents"])
    for doc, meta in zip(got["documents"], got["metadatas"]):
        assert store.catalog.article(meta["article_id"]).text[meta["start"]:meta["end"]] == doc


def test_rebuild_switches_embedding_model(tmp_path, make_settings, embedder, seeds_dir):
    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    settings = make_settings(sources_dir=sources)
    run_sync(settings, embedder)
    other = OtherModel(embedder, "other-model", LOCAL_DIMENSION)
    with pytest.raises(EmbeddingMismatch):
        sync(settings, progress=False, embedder=other)
    summary = sync(settings, progress=False, embedder=other, rebuild=True)
    expected = expected_chunks(settings, sorted(sources.iterdir()))
    assert summary.added == 1 and summary.embedded_chunks == len(expected)
    store = Store(settings, other.model_id, other.dimension)
    assert store.collection.metadata["embedding_model"] == "other-model"
    assert_index_matches(store, expected)


# -- bad inputs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bbc_non_utf8_file(bbc_files) -> Path:
    found = [p for p in bbc_files if not is_utf8(p.read_bytes())]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.timeout(300)  # a FIFO read would block: fail instead of hanging the suite
def test_bad_inputs_are_skipped_with_reasons_and_never_crash(
    tmp_path, make_settings, embedder, bbc_dir, bbc_sample, bbc_non_utf8_file
):
    sources = tmp_path / "sources"
    good = copy_files(bbc_sample(2), bbc_dir, sources)
    latin = sources / "latin.txt"
    shutil.copyfile(bbc_non_utf8_file, latin)
    (sources / "empty.txt").write_bytes(b"")
    (sources / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    (sources / "notes.docx").write_bytes(b"PK\x03\x04 a word processor file")
    (sources / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    with open(sources / "huge.txt", "wb") as handle:  # 50 MB of ordinary text
        line = b"A perfectly ordinary sentence of news text, repeated to fill a very large file.\n"
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    os.mkfifo(sources / "pipe.txt")
    (sources / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    duplicate = sources / "zz-copy.txt"
    shutil.copyfile(good[0], duplicate)

    settings = make_settings(sources_dir=sources)
    summary, embedded = run_sync(settings, embedder)

    reasons = {item["path"]: item["reason"] for item in summary.skipped}
    assert len(reasons) == len(summary.skipped)  # one entry per file
    assert reasons.pop("empty.txt") == "empty file"
    assert "binary" in reasons.pop("binary.txt")
    assert "unsupported file type '.docx'" in reasons.pop("notes.docx")
    assert "unreadable PDF" in reasons.pop("broken.pdf")
    assert "over the 20 MB limit" in reasons.pop("huge.txt")
    assert "not a regular file" in reasons.pop("pipe.txt")
    assert "No such file" in reasons.pop("dangling.txt")
    assert reasons.pop("zz-copy.txt") == f"duplicate of {article_id(good[0], sources)}"
    assert reasons == {}

    assert summary.warnings == [{"path": "latin.txt", "reason": "not valid UTF-8; decoded as Windows-1252"}]
    assert summary.added == 3
    store = Store(settings, embedder.model_id, embedder.dimension)
    assert "£15.8m" in store.catalog.article("latin.txt").text
    assert_index_matches(store, expected_chunks(settings, good + [latin]))
    assert embedded == summary.embedded_chunks


def test_new_copy_of_an_indexed_file_is_the_duplicate(tmp_path, make_settings, embedder, bbc_sample):
    sources = tmp_path / "sources"
    sources.mkdir()
    original = sources / "story.txt"
    shutil.copyfile(bbc_sample(1)[0], original)
    settings = make_settings(sources_dir=sources)
    run_sync(settings, embedder)
    shutil.copyfile(original, sources / "a-copy.txt")  # sorts before the indexed original
    summary, embedded = run_sync(settings, embedder)
    assert summary.skipped == [{"path": "a-copy.txt", "reason": "duplicate of story.txt", "duplicate_of": "story.txt"}]
    assert (summary.unchanged, summary.removed, summary.added, embedded) == (1, 0, 0, 0)
    assert_index_matches(Store(settings, embedder.model_id, embedder.dimension),
                         expected_chunks(settings, [original]))


@pytest.mark.timeout(300)
def test_indexed_file_that_turns_bad_keeps_its_chunks(
    tmp_path, make_settings, embedder, bbc_dir, bbc_sample, bbc_non_utf8_file
):
    sources = tmp_path / "sources"
    files = copy_files(bbc_sample(4), bbc_dir, sources)
    latin = sources / "latin.txt"
    shutil.copyfile(bbc_non_utf8_file, latin)
    files.append(latin)
    settings = make_settings(sources_dir=sources)
    run_sync(settings, embedder)
    expected = expected_chunks(settings, files)
    store = Store(settings, embedder.model_id, embedder.dimension)
    assert_index_matches(store, expected)
    originals = {p: p.read_bytes() for p in files}

    emptied, binary, piped, dangling, _ = files
    emptied.write_bytes(b"")
    binary.write_bytes(b"\x00\x01\x02" * 1000)
    piped.unlink()
    os.mkfifo(piped)
    dangling.unlink()
    dangling.symlink_to(tmp_path / "nowhere.txt")

    summary, embedded = run_sync(settings, embedder)
    kept = "(previously indexed version kept)"
    reasons = {item["path"]: item["reason"] for item in summary.skipped}
    assert set(reasons) == {article_id(p, sources) for p in (emptied, binary, piped, dangling)}
    assert all(reason.endswith(kept) for reason in reasons.values()), reasons
    assert (summary.removed, summary.updated, embedded) == (0, 0, 0)
    assert (summary.articles, summary.chunks) == (5, len(expected))
    assert_index_matches(store, expected)

    # Restored files are recognised as unchanged: nothing is embedded again.
    for path, data in originals.items():
        if path.is_symlink() or path.exists():
            path.unlink()
        path.write_bytes(data)
    summary, embedded = run_sync(settings, embedder)
    assert (summary.unchanged, summary.skipped, embedded) == (5, [], 0)
    assert_index_matches(store, expected)


def test_unreadable_file_keeps_its_previous_version(tmp_path, make_settings, run_rag, bbc_dir, bbc_sample):
    """chmod 000 on an indexed file. Root reads any file, so as root the second run drops
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv): permissions then apply to root too."""
    sources = tmp_path / "sources"
    files = copy_files(bbc_sample(2), bbc_dir, sources)
    victim = files[1]
    settings = make_settings(sources_dir=sources)
    first = run_rag(["ingest", "--json", "--quiet"], settings)
    assert first.returncode == 0, first.stderr
    first_summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert first_summary["added"] == 2

    victim.chmod(0)
    try:
        prefix: list[str] = []
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root (which reads mode-000 files) and setpriv is not installed")
            drop = "-dac_override,-dac_read_search"
            prefix = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}"]
            probe = subprocess.run(prefix + ["cat", str(victim)], capture_output=True)
            if probe.returncode == 0:
                pytest.skip("running as root and CAP_DAC_OVERRIDE cannot be dropped here")
        second = run_rag(["ingest", "--json", "--quiet"], settings, prefix=prefix)
    finally:
        victim.chmod(0o644)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == [
        {"path": article_id(victim, sources), "reason": "permission denied (previously indexed version kept)"}
    ]
    assert (summary["removed"], summary["embedded_chunks"], summary["unchanged"]) == (0, 0, 1)
    assert (summary["articles"], summary["chunks"]) == (first_summary["articles"], first_summary["chunks"])
    store = Store(settings, LOCAL_MODEL_ID, LOCAL_DIMENSION)
    assert_index_matches(store, expected_chunks(settings, files))


# -- a run killed half-way -------------------------------------------------------------------------


def _ready_count(catalog: Path) -> int:
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(catalog, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM articles WHERE state = 'ready'").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet, or busy
        return 0


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_killed_ingest_is_repaired_by_the_next_run(
    tmp_path, make_settings, rag_command, rag_env, bbc_dir, bbc_sample
):
    sources = tmp_path / "sources"
    files = copy_files(bbc_sample(60), bbc_dir, sources)
    # Small chunks: ~570 of them, so the run writes several groups and the kill lands between
    # one group being ready and the last one being written.
    settings = make_settings(sources_dir=sources, chunk_size=64, chunk_overlap=0, ingest_group_chunks=128)
    expected = expected_chunks(settings, files)
    assert len(expected) > 2 * settings.ingest_group_chunks

    catalog = Path(settings.store_dir) / "catalog.sqlite3"
    proc = subprocess.Popen(
        rag_command + ["ingest", "--json", "--quiet"],
        env=rag_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if 0 < _ready_count(catalog) < len(files):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed:\n{out}\n{err}"

    # The killed run left a partial index behind.
    _, states = catalog_rows(settings)
    ready = {aid for aid, state in states.items() if state == "ready"}
    assert 0 < len(ready) < len(files)
    partial = Store(settings, LOCAL_MODEL_ID, LOCAL_DIMENSION).vector_ids()
    assert 0 < len(partial) < len(expected)
    assert partial <= set(expected)

    rerun = subprocess.run(
        rag_command + ["ingest", "--json", "--quiet"],
        env=rag_env(settings), capture_output=True, text=True, timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["unchanged"] == len(ready)  # finished work is kept...
    assert summary["added"] + summary["updated"] == len(files) - len(ready)
    # ...and only the unfinished articles are embedded again.
    assert summary["embedded_chunks"] == sum(1 for c in expected.values() if c.article_id not in ready)
    assert (summary["removed"], summary["skipped"]) == (0, [])
    assert_index_matches(Store(settings, LOCAL_MODEL_ID, LOCAL_DIMENSION), expected)


def test_progress_moves_within_a_step_of_the_embedder(tmp_path, make_settings, embedder, bbc_dir, bbc_sample):
    """A corpus smaller than one ingest step (1024 chunks) used to show 0/N until the step ended."""
    sources = tmp_path / "sources"
    copy_files(bbc_sample(60), bbc_dir, sources)
    settings = make_settings(sources_dir=sources)
    seen: list[tuple[int, int]] = []
    summary = sync(settings, progress=lambda done, total: seen.append((done, total)), embedder=embedder)
    total = summary.embedded_chunks
    assert settings.ingest_group_chunks >= total > 128  # one step
    assert seen[-1] == (total, total) and len(seen) >= total // 64
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[0][0] < total
