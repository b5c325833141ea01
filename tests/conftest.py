"""Shared fixtures: where the data lives, settings on temporary folders, the real embedder.

Nothing here replaces project code with a fake: stores are real Chroma on temporary folders
and embeddings come from the real ONNX model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import rag  # noqa: F401  (sets the offline environment before the heavy libraries load)

# Every test states the settings it needs; a developer's own RAG_* or OPENAI_* variables must not
# leak in (an OPENAI_API_KEY alone would switch answers to a real, paid model).
for _name in [n for n in os.environ if n.startswith(("RAG_", "OPENAI_"))]:
    del os.environ[_name]

REPO = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def bbc_dir(shared_data_dir, tmp_path_factory) -> Path:
    """The BBC News corpus, unpacked once per session: ``<dir>/<topic>/NNN.txt``. Treat as read-only."""
    tarball = shared_data_dir / BBC_TARBALL.name
    if not tarball.is_file():
        pytest.skip(f"{tarball} not found")
    target = tmp_path_factory.mktemp("bbc")
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "bbc-news"


@pytest.fixture(scope="session")
def rtqa_dir(shared_data_dir, tmp_path_factory) -> Path:
    """The RealTime QA 2025 articles, unpacked once per session: ``<dir>/<id>.md`` with YAML front
    matter. Treat as read-only. (The 2026 files are held out: never unpack them.)"""
    tarball = shared_data_dir / "realtimeqa-2025-articles.tar.gz"
    if not tarball.is_file():
        pytest.skip(f"{tarball} not found")
    target = tmp_path_factory.mktemp("rtqa")
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "realtimeqa-2025"


@pytest.fixture(scope="session")
def bbc_files(bbc_dir) -> list[Path]:
    """Every BBC article file, sorted."""
    return sorted(bbc_dir.rglob("*.txt"))


@pytest.fixture(scope="session")
def bbc_sample(bbc_files):
    """``bbc_sample(n)``: ``n`` BBC files spread evenly over the sorted corpus (all five topics)."""

    def sample(n: int) -> list[Path]:
        if n >= len(bbc_files):
            return list(bbc_files)
        step = len(bbc_files) / n
        return [bbc_files[int(i * step)] for i in range(n)]

    return sample


@pytest.fixture
def make_settings(tmp_path):
    """Build ``Settings`` on temporary folders; keyword arguments override any field.

    The environment and any ``.env`` file are ignored for the fields tests care about, so a
    developer's ``RAG_CHROMA_URL`` or ``RAG_STORE_DIR`` never leaks into a test.
    """
    from rag.settings import Settings

    def build(sources_dir: Path | None = None, store_dir: Path | None = None, **overrides):
        if sources_dir is None:
            sources_dir = tmp_path / "sources"
            sources_dir.mkdir(exist_ok=True)
        if store_dir is None:
            store_dir = tmp_path / "store"
        values = {
            "sources_dir": Path(sources_dir),
            "store_dir": Path(store_dir),
            "chroma_url": None,
            "collection": "sourcechat",
            "chunk_size": 200,
            "chunk_overlap": 30,
            "max_file_mb": 20.0,
            "embedding_backend": "local",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return build


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


def _rag_command() -> list[str]:
    script = Path(sys.executable).with_name("rag")  # the installed console script
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rag.cli"]


def _rag_env(settings=None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    if settings is not None:
        env["RAG_SOURCES_DIR"] = str(settings.sources_dir)
        env["RAG_STORE_DIR"] = str(settings.store_dir)
        if settings.chroma_url:
            env["RAG_CHROMA_URL"] = settings.chroma_url
        env["RAG_CHUNK_SIZE"] = str(settings.chunk_size)
        env["RAG_CHUNK_OVERLAP"] = str(settings.chunk_overlap)
        env["RAG_INGEST_GROUP_CHUNKS"] = str(settings.ingest_group_chunks)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def rag_command() -> list[str]:
    """The argv prefix that runs the ``rag`` CLI."""
    return _rag_command()


@pytest.fixture(scope="session")
def rag_env():
    """``rag_env(settings, **extra)``: environment for a ``rag`` subprocess, no inherited ``RAG_*``."""
    return _rag_env


@pytest.fixture(scope="session")
def run_rag():
    """``run_rag(["ingest", "--json"], settings)``: run the CLI in a subprocess, capture its output."""

    def run(args: list[str], settings=None, *, cwd: Path | None = None, prefix: list[str] | None = None,
            timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            (prefix or []) + _rag_command() + list(args),
            env=_rag_env(settings, **env),
            cwd=cwd or REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
