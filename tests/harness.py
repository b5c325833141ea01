"""What the tests share besides fixtures: settings on temporary folders, the ``rag`` CLI in a
subprocess, a free local port. conftest.py turns these into fixtures; module-scoped fixtures
and helper modules (seed_store.py) call them directly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A local TCP port nothing listens on (a server may take it, or a test may call it closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_at(root: Path, **overrides):
    """``Settings`` on ``root/sources`` and ``root/store``; keyword arguments override any field.

    The environment and any ``.env`` file are ignored for the fields tests depend on, so a
    developer's ``RAG_CHROMA_URL`` or ``RAG_STORE_DIR`` never leaks into a test.
    """
    from rag.settings import Settings

    values = {
        "sources_dir": Path(root) / "sources",
        "store_dir": Path(root) / "store",
        "chroma_url": None,
        "collection": "sourcechat",
        "embedding_backend": "local",
        "chunk_size": 200,
        "chunk_overlap": 30,
        "max_file_mb": 20.0,
        "top_k": 6,
        "answer_mode": None,
        "openai_base_url": None,
        "openai_api_key": None,
        "llm_model": "fake-model",
        "llm_timeout": 10.0,
        "llm_retries": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def rag_command() -> list[str]:
    """The argv prefix that runs the installed ``rag`` CLI."""
    script = Path(sys.executable).with_name("rag")  # the installed console script
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rag.cli"]


def rag_env(settings=None, **extra: str) -> dict[str, str]:
    """Environment for a ``rag`` subprocess: no inherited ``RAG_*``/``OPENAI_*``, ``settings`` as variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
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


def run_rag(args: list[str], settings=None, *, cwd: Path | None = None, prefix: list[str] | None = None,
            stdin: str | None = None, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """``run_rag(["ingest", "--json"], settings)``: run the CLI as a user does, capture its output."""
    return subprocess.run(
        (prefix or []) + rag_command() + list(args),
        env=rag_env(settings, **env),
        cwd=cwd or REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
