"""A damaged or incomplete store, met by the real CLI (issue 12, case 3).

Primary data (the catalog, Chroma's files) that is damaged gives one clear message naming the
file and the repair, ``rag ingest --rebuild`` then works without opening the damaged files, and
the next question gets the same answer as before. Derived data (the keyword index) is rebuilt
from the catalog by itself, with a notice, without embedding anything.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness import REPO, free_port, rag_env, settings_at
from rag.index.catalog import Catalog
from rag.index.ingest import sync
from rag.index.sources import read_article

pytestmark = pytest.mark.slow

QUESTION = "Who signed the letter backing China's human rights record on behalf of Qatar?"


@pytest.fixture(scope="module")
def sound_store(tmp_path_factory, seeds_dir, bbc_sample, embedder, run_rag):
    """A store of the seed article and three BBC ones, and the answer it gives to QUESTION."""
    root = tmp_path_factory.mktemp("sound")
    sources = root / "sources"
    sources.mkdir()
    for path in sorted(seeds_dir.iterdir()):
        shutil.copyfile(path, sources / path.name)
    for i, path in enumerate(bbc_sample(3)):
        shutil.copyfile(path, sources / f"bbc{i}.txt")
    settings = settings_at(root)
    summary = sync(settings, progress=False, embedder=embedder)
    assert summary.added == 4
    answer = json.loads(run_rag(["ask", "--json", QUESTION], settings).stdout)
    assert not answer["refused"]
    return {"root": root, "summary": summary, "answer": answer}


@pytest.fixture
def store_copy(tmp_path, sound_store):
    """Settings on a private copy of the sound store (the sources are shared, read-only)."""
    shutil.copytree(sound_store["root"] / "store", tmp_path / "store")
    return settings_at(tmp_path, sources_dir=sound_store["root"] / "sources")


def truncate(path: Path) -> None:
    """Cut a file in half. An SQLite file is first checkpointed, as it is at rest: otherwise
    its newest pages live in the -wal file and a cut main file may still read fine."""
    if path.suffix == ".sqlite3":
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def assert_clear_error(result, *needles: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def last_json(stdout: str) -> dict:
    return json.loads([line for line in stdout.splitlines() if line.strip()][-1])


def same_answer(run_rag, settings, sound_store) -> None:
    result = run_rag(["ask", "--json", QUESTION], settings)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["answer"], answer["citations"]) == (sound_store["answer"]["answer"], sound_store["answer"]["citations"])


# -- primary data ---------------------------------------------------------------------------------


def ask_ingest_and_doctor_name_the_damage(run_rag, store, damaged: Path) -> None:
    message = (f"the index file {damaged} is damaged", "Repair: `rag ingest --rebuild`")
    assert_clear_error(run_rag(["ask", QUESTION], store), *message)
    assert_clear_error(run_rag(["ingest", "--quiet"], store), *message)
    assert_clear_error(run_rag(["doctor"], store), *message)


def test_truncated_catalog_names_the_file_and_rebuild_repairs_it(store_copy, run_rag, sound_store):
    catalog = store_copy.store_dir / "catalog.sqlite3"
    truncate(catalog)
    ask_ingest_and_doctor_name_the_damage(run_rag, store_copy, catalog)

    rebuilt = run_rag(["ingest", "--json", "--quiet", "--rebuild"], store_copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    summary = last_json(rebuilt.stdout)
    chunks = sound_store["summary"].chunks
    # Chroma was sound: its vectors were taken back for the same chunks, none embedded again.
    assert (summary["added"], summary["embedded_chunks"], summary["reused_chunks"], summary["chunks"]) == (4, 0, chunks, chunks)
    moved = Path(summary["warnings"][-1]["path"])
    assert "damaged index files were moved here" in summary["warnings"][-1]["reason"]
    assert moved.parent == store_copy.store_dir and (moved / "catalog.sqlite3").is_file()
    assert not (moved / "chroma").exists()  # only the damaged part was moved
    same_answer(run_rag, store_copy, sound_store)
    assert run_rag(["doctor"], store_copy).returncode == 0


def test_the_app_with_a_truncated_catalog_stops_with_one_line_naming_the_file(store_copy):
    catalog = store_copy.store_dir / "catalog.sqlite3"
    truncate(catalog)
    env = rag_env(store_copy, RAG_HOST="127.0.0.1", RAG_PORT=str(free_port()))
    app = subprocess.run([sys.executable, str(REPO / "app.py")], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert app.returncode == 1
    assert "Traceback" not in app.stderr, app.stderr
    assert f"error: the index file {catalog} is damaged" in app.stderr
    assert "Repair: `rag ingest --rebuild`" in app.stderr


def test_truncated_chroma_sqlite_names_the_file_and_rebuild_repairs_it(store_copy, run_rag, sound_store):
    chroma = store_copy.store_dir / "chroma" / "chroma.sqlite3"
    truncate(chroma)
    ask_ingest_and_doctor_name_the_damage(run_rag, store_copy, chroma)

    rebuilt = run_rag(["ingest", "--json", "--quiet", "--rebuild"], store_copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    summary = last_json(rebuilt.stdout)
    chunks = sound_store["summary"].chunks
    # The catalog was sound and stays: its articles are unchanged, their vectors embedded again.
    assert (summary["unchanged"], summary["embedded_chunks"], summary["chunks"]) == (4, chunks, chunks)
    assert {"path": "", "reason": f"re-embedded {chunks} chunks missing from Chroma"} in summary["warnings"]
    assert (Path(summary["warnings"][-1]["path"]) / "chroma" / "chroma.sqlite3").is_file()
    same_answer(run_rag, store_copy, sound_store)
    assert run_rag(["doctor"], store_copy).returncode == 0


def test_rebuild_of_a_sound_store_embeds_everything_and_leaves_nothing_behind(store_copy, run_rag, sound_store):
    rebuilt = run_rag(["ingest", "--json", "--quiet", "--rebuild"], store_copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    summary = last_json(rebuilt.stdout)
    assert (summary["added"], summary["embedded_chunks"], summary["reused_chunks"]) == (4, sound_store["summary"].chunks, 0)
    assert not list(store_copy.store_dir.glob("replaced-*"))
    same_answer(run_rag, store_copy, sound_store)


# -- vectors missing from Chroma ---------------------------------------------------------------------


def test_deleted_chroma_folder_is_reported_then_refilled(store_copy, run_rag, sound_store):
    shutil.rmtree(store_copy.store_dir / "chroma")
    chunks = sound_store["summary"].chunks
    missing = f"{chunks} of {chunks} indexed passages have no vector in Chroma"

    asked = run_rag(["ask", "--json", QUESTION], store_copy)
    assert asked.returncode == 0, asked.stderr
    assert f"warning: chroma: {missing}" in asked.stderr and "`rag ingest` embeds them again" in asked.stderr
    doctor = run_rag(["doctor"], store_copy)
    assert doctor.returncode == 1 and f"problem   chroma: {missing}" in doctor.stdout

    repaired = run_rag(["ingest", "--json", "--quiet"], store_copy)
    summary = last_json(repaired.stdout)
    assert (summary["unchanged"], summary["embedded_chunks"]) == (4, chunks)
    assert "warning: re-embedded" in repaired.stderr
    assert run_rag(["doctor"], store_copy).returncode == 0
    same_answer(run_rag, store_copy, sound_store)


# -- derived data: the keyword index -----------------------------------------------------------------


def _truncate_a_matrix(bm25: Path) -> str:
    path = sorted(bm25.glob("*.npy"))[0]
    truncate(path)
    return path.name


def _truncate_the_vocabulary(bm25: Path) -> str:
    truncate(bm25 / "vocab.index.json")
    return "vocab.index.json"


def _delete_a_file(bm25: Path) -> str:
    (bm25 / "indptr.csc.index.npy").unlink()
    return "indptr.csc.index.npy"


def _delete_the_folder(bm25: Path) -> str:
    shutil.rmtree(bm25)
    return "missing"


def _saved_with_older_terms(bm25: Path) -> str:
    """An index saved before accents were folded (rag.text.TERMS_VERSION 2) records no version."""
    manifest = bm25 / "chunks.json"
    info = json.loads(manifest.read_text())
    del info["terms_version"]
    manifest.write_text(json.dumps(info))
    return "older word splitting"


@pytest.mark.parametrize("damage", [_truncate_a_matrix, _truncate_the_vocabulary, _delete_a_file, _delete_the_folder,
                                    _saved_with_older_terms])
def test_damaged_keyword_index_is_rebuilt_from_the_catalog(store_copy, run_rag, sound_store, damage):
    named = damage(store_copy.store_dir / "bm25")
    asked = run_rag(["ask", "--json", QUESTION], store_copy)
    assert asked.returncode == 0, asked.stderr
    assert "notice: keyword index: the keyword index was" in asked.stderr and named in asked.stderr
    assert "rebuilt it from the catalog" in asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] == sound_store["answer"]["citations"]

    doctor = run_rag(["doctor", "--json"], store_copy)
    assert doctor.returncode == 0, doctor.stdout
    assert {c["part"]: c["status"] for c in json.loads(doctor.stdout)["checks"]} == {
        "catalog": "ok", "chroma": "ok", "keyword index": "ok"}
    resync = last_json(run_rag(["ingest", "--json", "--quiet"], store_copy).stdout)
    assert (resync["unchanged"], resync["embedded_chunks"]) == (4, 0)  # nothing was embedded to repair it


def test_doctor_repairs_the_keyword_index_itself(store_copy, run_rag):
    _truncate_the_vocabulary(store_copy.store_dir / "bm25")
    doctor = run_rag(["doctor"], store_copy)
    assert doctor.returncode == 0
    assert "repaired  keyword index: the keyword index was unreadable" in doctor.stdout
    assert "ok        catalog:" in doctor.stdout and "ok        chroma:" in doctor.stdout


# -- an interrupted run ------------------------------------------------------------------------------


def test_half_written_articles_are_reported_and_count_as_added(tmp_path, sound_store, run_rag, bbc_sample, embedder):
    """A run killed after marking a new article pending: doctor says so, the next run finishes it
    and counts it as added (it was counted as updated before)."""
    sources = tmp_path / "sources"
    shutil.copytree(sound_store["root"] / "sources", sources)
    shutil.copytree(sound_store["root"] / "store", tmp_path / "store")
    settings = settings_at(tmp_path)
    new = sources / "late.txt"
    shutil.copyfile(bbc_sample(5)[4], new)
    article = read_article(new, sources, 20 * 1024 * 1024)
    from rag.index.chunking import chunk_article

    Catalog(settings.store_dir / "catalog.sqlite3").mark_pending([(article, chunk_article(article))])

    doctor = run_rag(["doctor"], settings)
    assert doctor.returncode == 1
    assert "problem   catalog: 1 articles were left half-written by an interrupted run (e.g. late.txt)" in doctor.stdout
    summary = last_json(run_rag(["ingest", "--json", "--quiet"], settings).stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (1, 0, 4)
    assert run_rag(["doctor"], settings).returncode == 0


def test_doctor_without_an_index_says_what_to_run(make_settings, run_rag):
    result = run_rag(["doctor"], make_settings())
    assert_clear_error(result, "no index in", "run `rag ingest`")
