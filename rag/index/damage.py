"""Store errors, and what to do with a store whose files are damaged.

The catalog and Chroma's files are primary data: a damaged one cannot be rebuilt from the
rest of the store, only from the sources. An error in either names the file and the repair
(``rag ingest --rebuild``), which first moves the store's files aside (``set_aside``) so it
never has to open what is broken. The keyword index is derived data: the store rebuilds it
from the catalog by itself (rag/index/store.py).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from rag.errors import SourceChatError

REPAIR = "`rag ingest --rebuild`"
# SQLite's primary result codes for a damaged file (https://sqlite.org/rescode.html).
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
# How Chroma (Rust over SQLite) words the same two conditions.
_CHROMA_DAMAGE = ("(code: 11)", "(code: 26)", "malformed", "not a database", "file is encrypted")


class StoreError(SourceChatError):
    """A store that cannot be used as asked; the message says what to do."""


class DamagedStore(StoreError):
    """A file of the store is damaged; the message names it and the repair command."""

    def __init__(self, path: Path | str, detail: str):
        self.path = Path(path)
        super().__init__(
            f"the index file {path} is damaged ({detail}). Repair: {REPAIR} moves the damaged files "
            "aside and indexes the sources again"
        )


def is_sqlite_damage(err: BaseException) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return isinstance(err, sqlite3.DatabaseError) and code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def is_chroma_damage(err: BaseException | None) -> bool:
    """Whether Chroma failed on a damaged SQLite file (here or in the errors that caused it:
    a damaged file fails the client's construction with "Could not connect to tenant")."""
    seen = 0
    while err is not None and seen < 10:
        if any(mark in str(err) for mark in _CHROMA_DAMAGE):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def set_aside(store_dir: Path, names: list[str]) -> Path | None:
    """Move the store's ``names`` (files or folders) into ``store_dir/replaced-<time>/``.

    Returns that folder, or None when there was nothing to move. Renames only, so it works
    whatever state the files are in, and another process that still has them open keeps
    reading its old copy until it reopens the store.
    """
    store_dir = Path(store_dir)
    present = [store_dir / name for name in names if (store_dir / name).exists() or (store_dir / name).is_symlink()]
    if not present:
        return None
    target = store_dir / time.strftime("replaced-%Y%m%d-%H%M%S")
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{target.name.split('.')[0]}.{n}")
    target.mkdir(parents=True)
    for path in present:
        path.rename(target / path.name)
    return target


def remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
