"""Start the real web app (``python app.py``) for tests, on a free port, over a temporary corpus.

``running_app(folder, seeds_dir, **env)`` copies seeds/ plus a hostile and a dated article into
``folder/sources``, runs ``rag ingest`` and then ``app.py`` in a subprocess with only the
``RAG_*``/``OPENAI_*`` variables given here, waits until the page answers, and stops the
process afterwards. The server's output goes to ``folder/app.log`` and is shown when it fails.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness import REPO, free_port, rag_command, rag_env

# An article whose text is markup: it must always be shown as text, never run.
HOSTILE_NAME = "harbour-festival.txt"
HOSTILE_ARTICLE = """Harbour festival draws record crowds

The harbour festival in Port Elwin drew a record 48,000 visitors on Saturday, organisers said.

Organisers removed a prank banner near the pier that read <script>alert(1)</script> in large letters.

A second prank sign, <img src=x onerror=alert(2)>, was taken down by festival staff on Sunday.

The mayor of Port Elwin, Petra Lindqvist, said the festival would return next summer.
"""
SEED_ARTICLE = "000_7d40094ea373a31e.txt"
# An article with a date and an address, as a Markdown file with front matter gives them.
DATED_NAME = "ferry.md"
DATED_ARTICLE = """---
title: Night ferry returns to the Sound of Arle
url: https://news.example/2024/ferry
published: 2024-05-14
---

The night ferry across the Sound of Arle will run again from June 3, the operator Arle Lines said on Tuesday.

The crossing takes 95 minutes and a single ticket costs 38 euros.

"We missed the night crossing as much as our passengers did," Arle Lines chief Mira Holt said.
"""


def make_corpus(sources: Path, seeds_dir: Path) -> Path:
    shutil.copytree(seeds_dir, sources)
    (sources / HOSTILE_NAME).write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (sources / DATED_NAME).write_text(DATED_ARTICLE, encoding="utf-8")
    return sources


def app_env(sources: Path, store: Path, port: int, **extra: str) -> dict[str, str]:
    """The parent's environment without any RAG_* / OPENAI_* setting, plus this app's."""
    return rag_env(RAG_SOURCES_DIR=str(sources), RAG_STORE_DIR=str(store), RAG_HOST="127.0.0.1",
                   RAG_PORT=str(port), PYTHONUNBUFFERED="1", **extra)


@dataclass
class AppServer:
    url: str
    sources: Path
    store: Path
    log: Path
    process: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the app did not start within {timeout:g} s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running_app(folder: Path, seeds_dir: Path, startup_timeout: float = 120, extra_files: dict[str, Path] | None = None,
                **extra_env: str):
    """``extra_files``: more articles (path under the sources folder -> a file to copy there)."""
    sources = make_corpus(folder / "sources", seeds_dir)
    for relative, original in (extra_files or {}).items():
        (sources / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, sources / relative)
    store = folder / "store"
    port = free_port()
    env = app_env(sources, store, port, **extra_env)
    ingest = subprocess.run(rag_command() + ["ingest", "--quiet"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=180)
    assert ingest.returncode == 0, ingest.stderr
    log = folder / "app.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, str(REPO / "app.py")], env=env, cwd=REPO,
                                   stdout=out, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", sources, store, log, process)
    try:
        _wait_until_up(server.url, process, log, startup_timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
