"""Files added from the browser: checked, given a safe name and saved under the sources folder.

A name from the browser is only a suggestion: it is reduced to a plain file name (no folders,
no "..", no leading dot) before it touches the disk, and a file never replaces a different
file of the same name; it gets a numbered name instead. Uploading the same bytes again under
the same name reuses the file already there.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.index.sources import SUPPORTED_SUFFIXES, file_hash

UPLOADS_FOLDER = "uploads"
MAX_NAME = 100


@dataclass
class SavedFile:
    name: str  # as the browser sent it
    path: Path  # where it is now
    reused: bool = False  # identical bytes were already saved under this name

    @property
    def renamed(self) -> bool:
        return self.path.name != safe_name(self.name)


@dataclass
class UploadResult:
    saved: list[SavedFile] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder or hide: 'a/../x y.TXT' -> 'x_y.txt'."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._-") or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    stem = stem[: MAX_NAME - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def uploads_dir(sources_dir: Path) -> Path:
    return Path(sources_dir) / UPLOADS_FOLDER


def check_upload(name: str, size: int, max_bytes: int) -> str | None:
    """Why the file cannot be added, or None when it can."""
    suffix = Path(safe_name(name)).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        return f"unsupported file type {shown}; use .txt, .md, .html or .pdf"
    if size == 0:
        return "empty file"
    if size > max_bytes:
        mib = 1024 * 1024
        return f"file is {size / mib:.1f} MB, over the {max_bytes / mib:g} MB upload limit"
    return None


def _candidates(name: str):
    stem, suffix = os.path.splitext(name)
    yield name
    n = 2
    while True:
        yield f"{stem}-{n}{suffix}"
        n += 1


def save_upload(data: bytes, name: str, folder: Path) -> SavedFile:
    """Write ``data`` under a safe, unused name in ``folder`` (reusing an identical file)."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = file_hash(data)
    for candidate in _candidates(safe_name(name)):
        target = folder / candidate
        try:
            # O_EXCL: two uploads racing for one name can never overwrite each other.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if target.is_file() and not target.is_symlink() and file_hash(target.read_bytes()) == digest:
                return SavedFile(name, target, reused=True)
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return SavedFile(name, target)
    raise AssertionError("unreachable")  # _candidates never ends


def accept_uploads(files: list[tuple[str, Path]], sources_dir: Path, max_upload_mb: float) -> UploadResult:
    """Check and save each (name as sent, temporary path) into ``sources_dir/uploads``."""
    result = UploadResult()
    max_bytes = int(max_upload_mb * 1024 * 1024)
    folder = uploads_dir(sources_dir)
    for name, temp in files:
        try:
            size = Path(temp).stat().st_size
        except OSError:
            result.rejected.append((name, "the upload did not arrive; try again"))
            continue
        reason = check_upload(name, size, max_bytes)
        if reason:
            result.rejected.append((name, reason))
            continue
        result.saved.append(save_upload(Path(temp).read_bytes(), name, folder))
    return result
