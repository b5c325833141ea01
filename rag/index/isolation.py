"""Parsing and chunking in a child process, under a time and a memory budget.

A source file is untrusted input: a parser may run for minutes, allocate without bound or
crash (lxml under trafilatura, pypdf, YAML). Ingestion hands each new or changed file to one
long-lived child process (``FileParser``), which parses and chunks it and sends back the
article and its chunk offsets. A file that takes longer than ``timeout`` seconds gets the
child killed (the next file starts a new one); a file that needs more than ``memory_mb`` above
the child's baseline fails its allocation (RLIMIT_AS); a crash ends only the child. Each case
is a ``SourceError``: the file is skipped with its reason and the folder goes on.

The child imports every parser before it says it is ready, so the budget covers the file's
own work, not imports. It is a fresh interpreter (``python -m rag.index.isolation``), not a
fork: a fork of a process running Chroma's and onnxruntime's threads could inherit a lock one
of them holds, and multiprocessing's ``spawn`` re-runs the caller's main script, which breaks
any script without an ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import atexit
import os
import resource
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rag.errors import SourceChatError
from rag.index.chunking import Chunk, chunk_article, chunk_id
from rag.index.sources import Article, SourceError, parse_article

# Imports alone take ~5 s idle, and more than 40 s were seen with the 2 cores at load 15.
START_TIMEOUT_S = 300


class ParseFailure(SourceError):
    """The file's content could not be parsed within the limits: skipped until it changes."""


@dataclass(frozen=True)
class Limits:
    """What one file may cost: the chunking it gets and the budget it runs under."""

    chunk_size: int = 200
    chunk_overlap: int = 30
    max_chunks: int = 500
    timeout: float = 60.0  # seconds of parsing and chunking
    memory_mb: int = 1024  # above the child's baseline after imports

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(settings.chunk_size, settings.chunk_overlap, settings.max_chunks_per_file,
                   settings.parse_timeout_s, settings.parse_memory_mb)

    def key(self) -> str:
        """Changes when a file that failed under these limits might pass under new ones."""
        return f"{self.chunk_size}/{self.chunk_overlap}/{self.max_chunks}/{self.timeout:g}/{self.memory_mb}"


@dataclass
class Parsed:
    article: Article
    chunks: list[Chunk]
    notes: list[str]  # what parsing dropped (unusable front matter ...), for the warnings


def parse_and_chunk(data: bytes, suffix: str, article_id: str, limits: Limits) -> Parsed:
    """The work the child does, callable in-process too (same result, no budget)."""
    notes: list[str] = []
    article = parse_article(data, suffix, article_id, notes)
    chunks = chunk_article(article, limits.chunk_size, limits.chunk_overlap, limits.max_chunks)
    return Parsed(article, chunks, notes)


class FileParser:
    """One child process that parses files one at a time; thread-safe, restarted when needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._memory_mb: int | None = None

    def parse(self, data: bytes, suffix: str, article_id: str, limits: Limits) -> Parsed:
        """The parsed article, or SourceError saying why this file cannot be used."""
        with self._lock:
            conn = self._ready(limits.memory_mb)
            conn.send((data, suffix, article_id, limits))
            if not conn.poll(limits.timeout):
                self._stop()
                raise ParseFailure(
                    f"parsing took longer than {limits.timeout:g} s (RAG_PARSE_TIMEOUT_S); the file was skipped"
                )
            try:
                status, value = conn.recv()
            except (EOFError, OSError):
                code = self._stop()
                raise ParseFailure(f"the parser crashed on this file (exit code {code})") from None
        if status == "restart":  # the child ran out of memory and exits; the next file gets a new one
            self.close()
            raise ParseFailure(value)
        if status != "ok":
            raise ParseFailure(value)
        article, spans, notes = value
        chunks = [Chunk(chunk_id(article.id, s), article.id, s, e, article.text[s:e]) for s, e in spans]
        return Parsed(article, chunks, notes)

    def start_soon(self, memory_mb: int) -> None:
        """Start the child in the background (imports take seconds), so it is ready when needed."""

        def start() -> None:
            with self._lock:
                try:
                    self._ready(memory_mb)
                except SourceChatError:
                    pass  # parse() tries again and reports why

        threading.Thread(target=start, name="sourcechat-parser-start", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _ready(self, memory_mb: int) -> Connection:
        if self._proc is not None and (self._proc.poll() is not None or self._memory_mb != memory_mb):
            self._stop()
        if self._proc is None:
            self._start(memory_mb)
        assert self._conn is not None
        return self._conn

    def _start(self, memory_mb: int) -> None:
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[2])  # so a source checkout works uninstalled
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        with theirs:
            proc = subprocess.Popen(
                [sys.executable, "-m", "rag.index.isolation", str(theirs.fileno()), str(memory_mb)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env,
            )
        conn = Connection(ours.detach())
        try:
            ready = conn.poll(START_TIMEOUT_S) and conn.recv()
        except (EOFError, OSError):
            ready = None
        if not ready:
            conn.close()
            proc.kill()
            raise SourceChatError(f"the file parser process did not start (exit code {proc.wait()})")
        self._proc, self._conn, self._memory_mb = proc, conn, memory_mb

    def _stop(self) -> int | None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        return proc.wait()


_shared: FileParser | None = None
_shared_lock = threading.Lock()


def shared_parser() -> FileParser:
    """The process's parser child, started on first use and kept for later syncs."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FileParser()
            atexit.register(_shared.close)
        return _shared


# -- the child ------------------------------------------------------------------------------------


def _serve(conn: Connection, memory_mb: int) -> None:
    import warnings

    warnings.simplefilter("ignore")  # the parent reports per file; library chatter goes nowhere
    _warm_up()
    limit = _limit_memory(memory_mb)
    conn.send(("ready", None))
    out_of_memory = (f"parsing needs more than {memory_mb} MB of memory (RAG_PARSE_MEMORY_MB); "
                     "the file was skipped")
    while True:
        try:
            data, suffix, article_id, limits = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            parsed = parse_and_chunk(data, suffix, article_id, limits)
            reply: tuple[str, Any] = ("ok", (parsed.article, [(c.start, c.end) for c in parsed.chunks], parsed.notes))
        except MemoryError:
            reply = ("restart", out_of_memory)
        except SourceError as err:
            reply = ("skip", str(err))
        except RecursionError:
            reply = ("skip", "too deeply nested to parse")
        except Exception as err:  # a parser's own bug on a strange file: that file is skipped
            reply = ("skip", f"could not be parsed ({type(err).__name__}: {err})"[:500])
        parsed = None  # free the text before the next file arrives
        if reply[0] != "ok" and limit and _peak_address_space() > limit - 64 * 1024 * 1024:
            # A library that swallowed its MemoryError ("no text found") failed for want of memory.
            reply = ("restart", out_of_memory)
        conn.send(reply)
        if reply[0] == "restart":  # a new child starts with a clean heap and peak
            return


def _warm_up() -> None:
    """Load every parser and the splitter, so a file's budget is spent on the file."""
    import frontmatter  # noqa: F401
    import pypdf  # noqa: F401
    import trafilatura  # noqa: F401
    import yaml  # noqa: F401

    warm = "Warm-up. The splitter, its tokenizer and the sentence model load now.\n\n" * 40
    parse_and_chunk(warm.encode(), ".txt", "warm-up.txt", Limits())
    parse_and_chunk(b"<html><body><p>" + warm.encode() + b"</p></body></html>", ".html", "warm-up.html", Limits())


def _limit_memory(memory_mb: int) -> int | None:
    """Cap the address space at what the child uses now plus ``memory_mb``; returns the cap."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except OSError:  # not Linux: the time budget still applies
        return None
    limit = pages * resource.getpagesize() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def _peak_address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0

if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
