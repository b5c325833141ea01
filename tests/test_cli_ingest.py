"""``rag ingest`` as scripts use it: env variables, the --json contract, progress on stderr, --rebuild."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from rag.index.embedding import LOCAL_DIMENSION, LOCAL_MODEL_ID

SUMMARY_KEYS = {"added", "updated", "removed", "unchanged", "embedded_chunks", "skipped"}


def last_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "nothing on stdout"
    summary = json.loads(lines[-1])
    assert isinstance(summary, dict)
    assert SUMMARY_KEYS <= set(summary), SUMMARY_KEYS - set(summary)
    for key in SUMMARY_KEYS - {"skipped"}:
        assert isinstance(summary[key], int)
    assert all(set(item) >= {"path", "reason"} for item in summary["skipped"])
    return summary


def test_json_contract_and_progress_on_stderr(tmp_path, make_settings, run_rag, bbc_dir, bbc_sample):
    sources = tmp_path / "sources"
    sources.mkdir()
    for i, path in enumerate(bbc_sample(3)):
        shutil.copyfile(path, sources / f"article{i}.txt")
    (sources / "empty.txt").write_bytes(b"")
    (sources / "slides.pptx").write_bytes(b"PK\x03\x04")
    settings = make_settings(sources_dir=sources)

    result = run_rag(["ingest", "--json"], settings)  # progress bar on: it must go to stderr
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["added"] == 3
    assert summary["embedded_chunks"] >= 3
    assert (summary["updated"], summary["removed"], summary["unchanged"]) == (0, 0, 0)
    assert sorted(summary["skipped"], key=lambda s: s["path"]) == [
        {"path": "empty.txt", "reason": "empty file"},
        {"path": "slides.pptx", "reason": "unsupported file type '.pptx'; use .txt, .md, .html or .pdf"},
    ]
    assert "embedding" in result.stderr and "chunk" in result.stderr  # the tqdm bar
    assert "embedding" not in result.stdout and "\r" not in result.stdout
    assert "skipped empty.txt: empty file" in result.stderr
    assert (settings.store_dir / "catalog.sqlite3").is_file()

    again = run_rag(["ingest", "--json"], settings)
    assert again.returncode == 0, again.stderr
    summary = last_json(again.stdout)
    assert (summary["unchanged"], summary["embedded_chunks"], summary["added"]) == (3, 0, 0)
    assert "embedding" not in again.stderr  # nothing to embed, no bar

    plain = run_rag(["ingest", "--quiet"], settings)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("added 0, updated 0, removed 0, unchanged 3, skipped 2;")


def test_defaults_are_seeds_and_dot_rag_in_the_working_directory(tmp_path, run_rag, seeds_dir):
    shutil.copytree(seeds_dir, tmp_path / "seeds")
    result = run_rag(["ingest", "--json", "--quiet"], None, cwd=tmp_path)  # no RAG_* at all
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["added"] == len(list(seeds_dir.iterdir()))
    assert (tmp_path / ".rag" / "catalog.sqlite3").is_file()
    assert (tmp_path / ".rag" / "chroma").is_dir()


def test_paths_arguments_and_missing_paths(tmp_path, make_settings, run_rag, bbc_sample):
    sources = tmp_path / "sources"
    sources.mkdir()
    picked = bbc_sample(2)
    for i, path in enumerate(picked):
        shutil.copyfile(path, sources / f"a{i}.txt")
    settings = make_settings(sources_dir=sources)
    result = run_rag(["ingest", "--json", "--quiet", str(sources / "a1.txt"), str(tmp_path / "nope.txt")], settings)
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert summary["added"] == 1
    assert summary["skipped"] == [{"path": str(tmp_path / "nope.txt"), "reason": "no such file or folder"}]
    assert summary["articles"] == 1


def test_missing_sources_folder_is_a_clear_error(tmp_path, make_settings, run_rag):
    settings = make_settings(sources_dir=tmp_path / "not-there")
    result = run_rag(["ingest", "--json"], settings)
    assert result.returncode == 1
    assert "sources folder not found" in result.stderr and "RAG_SOURCES_DIR" in result.stderr
    assert "Traceback" not in result.stderr


_BUILD_WITH_OTHER_MODEL = """
from rag.index.embedding import LocalEmbedder
from rag.index.ingest import sync
from rag.settings import get_settings

class OtherModel(LocalEmbedder):
    model_id = "other-model"

print(sync(get_settings(), progress=False, embedder=OtherModel()).embedded_chunks)
"""


def test_model_mismatch_error_then_rebuild(tmp_path, make_settings, run_rag, rag_env, seeds_dir):
    sources = tmp_path / "sources"
    shutil.copytree(seeds_dir, sources)
    settings = make_settings(sources_dir=sources)
    # An index built by another embedding model (same vectors, another recorded model id).
    built = subprocess.run([sys.executable, "-c", _BUILD_WITH_OTHER_MODEL], env=rag_env(settings),
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    chunks = int(built.stdout.strip().splitlines()[-1])
    assert chunks > 0

    refused = run_rag(["ingest", "--json", "--quiet"], settings)
    assert refused.returncode == 1
    assert "--rebuild" in refused.stderr and "other-model" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not refused.stdout.strip()  # no summary pretends that it worked

    rebuilt = run_rag(["ingest", "--json", "--quiet", "--rebuild"], settings)
    assert rebuilt.returncode == 0, rebuilt.stderr
    summary = last_json(rebuilt.stdout)
    assert (summary["added"], summary["embedded_chunks"]) == (1, chunks)

    from rag.index.store import Store

    store = Store(settings, LOCAL_MODEL_ID, LOCAL_DIMENSION)
    assert store.collection.metadata["embedding_model"] == LOCAL_MODEL_ID
    assert store.vector_count() == chunks == store.catalog.chunk_count()

    after = run_rag(["ingest", "--json", "--quiet"], settings)
    assert after.returncode == 0, after.stderr
    assert last_json(after.stdout)["embedded_chunks"] == 0
