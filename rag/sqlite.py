"""One SQLite connection per thread on one file, in WAL mode.

The web app answers from several threads at once, and a sqlite3 connection must stay in the
thread that opened it; the stores that keep derived or saved data (mentions, conversations)
open theirs through this.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ThreadConnections:
    """``get()`` returns this thread's connection to ``path``, opened on first use."""

    def __init__(self, path: Path, timeout: float, pragmas: tuple[str, ...] = ()):
        self.path = Path(path)
        self.timeout = timeout
        self.pragmas = ("journal_mode=WAL", *pragmas)
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout)
            for pragma in self.pragmas:
                conn.execute(f"PRAGMA {pragma}")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Closes this thread's connection (the next ``get()`` opens a new one)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
