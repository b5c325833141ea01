"""Shared fixtures: where the data lives, settings on temporary folders, the real embedder.

Nothing here replaces project code with a fake: stores are real Chroma on temporary folders
and embeddings come from the real ONNX model.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

import harness
import rag  # noqa: F401  (sets the offline environment before the heavy libraries load)
from harness import settings_at

# Every test states the settings it needs; a developer's own RAG_* or OPENAI_* variables must not
# leak in (an OPENAI_API_KEY alone would switch answers to a real, paid model).
for _name in [n for n in os.environ if n.startswith(("RAG_", "OPENAI_"))]:
    del os.environ[_name]

REPO = harness.REPO
# CI clones the repository somewhere else, with shared/ beside it.
SHARED_DATA = REPO.parent / "shared" / "data"
BBC_TARBALL = SHARED_DATA / "bbc-news.tar.gz"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return REPO / "seeds"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DATA} (expected beside the repository)")
    return SHARED_DATA


def _unpacked(tarball: Path, tmp_path_factory, folder: str) -> Path:
    """``folder`` of ``tarball``, unpacked into a fresh temporary folder; a skip when the tarball is missing."""
    if not tarball.is_file():
        pytest.skip(f"{tarball} not found")
    target = tmp_path_factory.mktemp(folder)
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / folder


@pytest.fixture(scope="session")
def bbc_dir(shared_data_dir, tmp_path_factory) -> Path:
    """The BBC News corpus, unpacked once per session: ``<dir>/<topic>/NNN.txt``. Treat as read-only."""
    return _unpacked(shared_data_dir / BBC_TARBALL.name, tmp_path_factory, "bbc-news")


@pytest.fixture(scope="session")
def rtqa_dir(shared_data_dir, tmp_path_factory) -> Path:
    """The RealTime QA 2025 articles, unpacked once per session: ``<dir>/<id>.md`` with YAML front
    matter. Treat as read-only. (The 2026 files are held out: never unpack them.)"""
    return _unpacked(shared_data_dir / "realtimeqa-2025-articles.tar.gz", tmp_path_factory, "realtimeqa-2025")


@pytest.fixture(scope="session")
def bbc_files(bbc_dir) -> list[Path]:
    """Every BBC article file, sorted."""
    return sorted(bbc_dir.rglob("*.txt"))


@pytest.fixture(scope="session")
def bbc_sample(bbc_files):
    """``bbc_sample(n)``: ``n`` BBC files spread evenly over the sorted corpus (all five topics)."""

    from rag.evals.corpus import evenly_spread

    def sample(n: int) -> list[Path]:
        return evenly_spread(bbc_files, n)

    return sample


@pytest.fixture
def make_settings(tmp_path):
    """``make_settings(sources_dir=None, store_dir=None, **overrides)``: ``harness.settings_at`` on
    this test's temporary folder (an empty ``sources/`` is created when none is given)."""

    def build(sources_dir: Path | None = None, store_dir: Path | None = None, **overrides):
        if sources_dir is None:
            (tmp_path / "sources").mkdir(exist_ok=True)
        else:
            overrides["sources_dir"] = Path(sources_dir)
        if store_dir is not None:
            overrides["store_dir"] = Path(store_dir)
        return settings_at(tmp_path, **overrides)

    return build


@pytest.fixture(scope="session")
def seeded_root(tmp_path_factory) -> Path:
    """A store built from seeds/ alone, once per session, shared read-only by the answer-layer
    tests: ``settings_at(seeded_root, ...)`` opens it with the settings a test needs."""
    from seed_store import build_store

    root = tmp_path_factory.mktemp("seeded")
    build_store(root)
    return root


@pytest.fixture(scope="session")
def embedder():
    """The real local embedder (MiniLM int8 on onnxruntime), loaded once per session."""
    from rag.index.embedding import get_embedder
    from rag.settings import Settings

    return get_embedder(Settings(_env_file=None, embedding_backend="local"))


@pytest.fixture(scope="session")
def language_model():
    """The full spaCy pipeline of rag.language, loaded once for the session (the module caches it per
    process; tests that analyse text use this fixture and the ``language`` marker)."""
    from rag import language

    return language.model(language.Pipes.FULL)


@pytest.fixture(scope="session")
def rag_command() -> list[str]:
    """The argv prefix that runs the ``rag`` CLI."""
    return harness.rag_command()


@pytest.fixture(scope="session")
def rag_env():
    """``rag_env(settings, **extra)``: environment for a ``rag`` subprocess, no inherited ``RAG_*``."""
    return harness.rag_env


@pytest.fixture(scope="session")
def run_rag():
    """``run_rag(["ingest", "--json"], settings)``: run the CLI in a subprocess, capture its output."""
    return harness.run_rag
