"""The eval's own sources folder and store, so an eval never touches the user's ``.rag/``.

A corpus is a folder under ``<out>/corpora/<name>`` and a store under ``<out>/stores/<name>``,
synced with ``rag.index.ingest.sync`` (incremental: a second run embeds nothing). Files are
written only when their bytes change, and files that no longer belong are removed, so the
folder always holds exactly the corpus asked for.

Distractors make retrieval non-trivial for the one-article seed set: N BBC News articles
from ``../shared/data/bbc-news.tar.gz``, spread evenly over the corpus. They are used for
scoring only and never committed (the output folder is gitignored).
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.errors import SourceChatError

REPO = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO / "seeds"
DATASETS_DIR = REPO / "evals" / "datasets"
THRESHOLDS_FILE = REPO / "evals" / "thresholds.toml"
# CI clones the repository somewhere else, with shared/ beside it.
SHARED_DATA = REPO.parent / "shared" / "data"
BBC_TARBALL = "bbc-news.tar.gz"


class CorpusError(SourceChatError):
    pass


@dataclass
class EvalCorpus:
    name: str
    sources_dir: Path
    store_dir: Path
    notes: list[str] = field(default_factory=list)

    def settings(self, base):
        """``base`` settings pointed at this corpus: embedded Chroma in the eval's own store."""
        return base.model_copy(update={
            "sources_dir": self.sources_dir, "store_dir": self.store_dir, "chroma_url": None,
        })


def corpus_dirs(out_dir: Path, name: str) -> tuple[Path, Path]:
    return Path(out_dir) / "corpora" / name, Path(out_dir) / "stores" / name


def write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    path.write_bytes(data)


def link_or_copy(target: Path, link: Path) -> None:
    """``link`` -> ``target`` (absolute: a relative target would resolve from the link's folder);
    a copy where symlinks are not allowed."""
    target = Path(target).resolve()
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink()
    try:
        link.symlink_to(target)
    except OSError:
        link.write_bytes(target.read_bytes())


def prune(root: Path, keep: set[Path]) -> int:
    """Remove files under ``root`` that are not in ``keep``; returns how many went."""
    removed = 0
    for path in sorted(root.rglob("*"), reverse=True):
        if (path.is_file() or path.is_symlink()) and path not in keep:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def evenly_spread(items: list, n: int) -> list:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def bbc_articles(data_dir: Path, n: int) -> list[tuple[str, bytes]]:
    """``n`` BBC articles as (relative path, bytes), spread over all five topics."""
    tarball = Path(data_dir) / BBC_TARBALL
    if not tarball.is_file():
        raise CorpusError(f"distractors need {tarball} (the shared data folder beside the repository)")
    with tarfile.open(tarball) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")), key=lambda m: m.name)
        chosen = evenly_spread(members, n)
        out = []
        for member in chosen:
            relative = member.name.split("/", 1)[1] if "/" in member.name else member.name
            out.append((f"distractors/bbc/{relative}", tar.extractfile(member).read()))
    return out


def seed_corpus(out_dir: Path, seeds_dir: Path = SEEDS_DIR, distractors: int = 0,
                data_dir: Path = SHARED_DATA) -> EvalCorpus:
    """The seed articles (ids unchanged: their file names), plus ``distractors`` BBC articles."""
    seeds_dir = Path(seeds_dir)
    if not seeds_dir.is_dir():
        raise CorpusError(f"seeds folder not found: {seeds_dir}")
    if distractors < 0:
        raise CorpusError("--distractors must be 0 or more")
    name = "seeds" if not distractors else f"seeds+bbc{distractors}"
    sources, store = corpus_dirs(out_dir, name)
    files: list[tuple[str, bytes]] = [
        (path.relative_to(seeds_dir).as_posix(), path.read_bytes())
        for path in sorted(seeds_dir.rglob("*")) if path.is_file() and not path.name.startswith(".")
    ]
    if distractors:
        files += bbc_articles(data_dir, distractors)
    for relative, data in files:
        write_if_changed(sources / relative, data)
    prune(sources, {sources / relative for relative, _ in files})
    notes = [f"{len(files) - distractors} seed article(s)"]
    if distractors:
        notes.append(f"{distractors} BBC News distractor articles from {BBC_TARBALL}")
    return EvalCorpus(name, sources, store, notes)


def sync_corpus(corpus: EvalCorpus, settings, log: Callable[[str], None] = print, progress=True):
    """Bring the corpus' store up to date; returns ``rag.index.ingest.SyncSummary``."""
    from rag.index.ingest import sync

    summary = sync(settings, progress=progress)
    log(f"[{corpus.name}] {summary.line()}")
    for item in summary.skipped:
        log(f"[{corpus.name}] skipped {item['path']}: {item['reason']}")
    return summary
