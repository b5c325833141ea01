"""The eval's own sources folder and store, so an eval never touches the user's ``.rag/``.

A golden dataset names its articles by id: a file of ``seeds/`` (``000_7d40094ea373a31e.txt``),
a BBC News article (``bbc/<topic>/NNN.txt``) or a RealTime QA 2025 article
(``realtimeqa-2025/<id>.md``), the last two read from the shared data folder beside the
repository. Its corpus is those articles plus, with ``--distractors N``, a pool of N BBC
articles spread evenly over the five topics, so that retrieval has to choose. The folder is
``<out>/corpora/<name>``; files are written only when their bytes change and files that no
longer belong are removed, so it always holds exactly the corpus asked for. With
``--sources DIR`` the maintainer's own folder is the corpus, used as it is.

Stores are cached between runs under ``<out>/stores/<name>/<fingerprint>`` and synced
incrementally (a second run embeds nothing). The fingerprint covers the indexing code
(``rag/index/*.py``) and the settings that shape chunks and vectors: a file-hash sync
cannot see that chunking changed, so a change there starts a fresh store instead of
scoring stale chunks. The real corpora are copyrighted: the output folder is gitignored.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO / "seeds"
DATASETS_DIR = REPO / "evals" / "datasets"
THRESHOLDS_FILE = REPO / "evals" / "thresholds.toml"
# CI clones the repository somewhere else, with shared/ beside it.
SHARED_DATA = REPO.parent / "shared" / "data"
INDEX_CODE = REPO / "rag" / "index"

BBC_TARBALL = "bbc-news.tar.gz"
BBC_PREFIX = "bbc/"  # article id prefix; the tarball's members are bbc-news/<topic>/NNN.txt
RTQA_TARBALL = "realtimeqa-2025-articles.tar.gz"
RTQA_PREFIX = "realtimeqa-2025/"  # the tarball's own folder name, kept as the id prefix


class CorpusError(UsageError):
    """The articles a corpus needs cannot be found or used."""


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


# -- where a corpus lives ----------------------------------------------------------------------


def index_fingerprint(settings) -> str:
    """Short hash of the indexing code and of the settings that decide chunks and vectors."""
    digest = hashlib.sha256()
    for path in sorted(INDEX_CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    shape = (settings.chunk_size, settings.chunk_overlap, settings.embedding_backend,
             settings.openai_embedding_model if settings.embedding_backend == "openai" else "", settings.collection)
    digest.update(repr(shape).encode())
    return digest.hexdigest()[:12]


def store_dir(out_dir: Path, name: str, settings) -> Path:
    """``<out>/stores/<name>/<fingerprint>``; stores of older fingerprints are removed."""
    parent = Path(out_dir) / "stores" / name
    current = parent / index_fingerprint(settings)
    if parent.is_dir():
        for old in parent.iterdir():
            if old != current and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return current


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


# -- articles from the shared data -----------------------------------------------------------


def _tarball(data_dir: Path, name: str) -> Path:
    path = Path(data_dir) / name
    if not path.is_file():
        raise CorpusError(f"the eval needs {path} (the shared data folder beside the repository; see --data-dir)")
    return path


def bbc_pool(data_dir: Path, n: int) -> list[tuple[str, bytes]]:
    """``n`` BBC articles as (article id, bytes), spread evenly over the sorted corpus (all five topics)."""
    with tarfile.open(_tarball(data_dir, BBC_TARBALL)) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")), key=lambda m: m.name)
        return [(BBC_PREFIX + m.name.split("/", 1)[1], tar.extractfile(m).read()) for m in evenly_spread(members, n)]


def _from_tarball(path: Path, wanted: dict[str, str]) -> dict[str, bytes]:
    """Members of ``path`` by article id; ``wanted`` maps member name -> article id."""
    found: dict[str, bytes] = {}
    with tarfile.open(path) as tar:
        for member in tar:
            if member.name in wanted and member.isfile():
                found[wanted[member.name]] = tar.extractfile(member).read()
    return found


def resolve_articles(article_ids: list[str], seeds_dir: Path, data_dir: Path) -> list[tuple[str, bytes]]:
    """The bytes of each article id, from ``seeds/`` or the shared data; an unknown id is an error."""
    seeds_dir = Path(seeds_dir)
    found: dict[str, bytes] = {}
    bbc, rtqa, missing = {}, {}, []
    for article_id in article_ids:
        if (seeds_dir / article_id).is_file():
            found[article_id] = (seeds_dir / article_id).read_bytes()
        elif article_id.startswith(BBC_PREFIX):
            bbc["bbc-news/" + article_id[len(BBC_PREFIX):]] = article_id
        elif article_id.startswith(RTQA_PREFIX):
            rtqa[article_id] = article_id
        else:
            missing.append(article_id)
    if bbc:
        found.update(_from_tarball(_tarball(data_dir, BBC_TARBALL), bbc))
    if rtqa:
        found.update(_from_tarball(_tarball(data_dir, RTQA_TARBALL), rtqa))
    missing += [a for a in article_ids if a not in found and a not in missing]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CorpusError(
            f"{len(missing)} reference article(s) not found: {shown}. Ids are paths in the sources folder: a file of "
            f"{seeds_dir}, {BBC_PREFIX}<topic>/NNN.txt or {RTQA_PREFIX}<id>.md; for your own articles use --sources DIR"
        )
    return [(a, found[a]) for a in article_ids]


# -- corpora -----------------------------------------------------------------------------------


def golden_corpus(out_dir: Path, name: str, article_ids: list[str], settings, distractors: int = 0,
                  seeds_dir: Path = SEEDS_DIR, data_dir: Path = SHARED_DATA) -> EvalCorpus:
    """A dataset's reference articles plus ``distractors`` BBC articles, in ``<out>/corpora/<name>``."""
    if distractors < 0:
        raise CorpusError("--distractors must be 0 or more")
    files = resolve_articles(article_ids, seeds_dir, data_dir)
    pool = bbc_pool(data_dir, distractors) if distractors else []
    taken = {a for a, _ in files}
    seen = {hashlib.sha256(data).digest() for _, data in files}
    duplicates = 0
    for article_id, data in pool:
        digest = hashlib.sha256(data).digest()
        if article_id in taken:
            continue
        if digest in seen:  # the BBC set holds a few byte-identical stories: sync would skip them
            duplicates += 1
            continue
        seen.add(digest)
        taken.add(article_id)
        files.append((article_id, data))
    sources = Path(out_dir) / "corpora" / name
    for article_id, data in files:
        write_if_changed(sources / article_id, data)
    prune(sources, {sources / a for a, _ in files})
    notes = [f"{len(article_ids)} reference article(s)"]
    if distractors:
        notes.append(f"{len(files) - len(article_ids)} BBC News articles of a pool of {distractors} spread evenly "
                     f"over {BBC_TARBALL} ({duplicates} byte-identical duplicate(s) left out)")
    return EvalCorpus(name, sources, store_dir(out_dir, name, settings), notes)


def sources_corpus(out_dir: Path, sources: Path, article_ids: list[str], settings) -> EvalCorpus:
    """A maintainer's own folder as the corpus; every reference article must be in it."""
    sources = Path(sources).resolve()
    if not sources.is_dir():
        raise CorpusError(f"--sources: folder not found: {sources}")
    missing = [a for a in article_ids if not (sources / a).is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CorpusError(f"{len(missing)} reference article(s) are not in {sources}: {shown} "
                          "(reference_article_ids are paths relative to the --sources folder)")
    tag = hashlib.sha256(str(sources).encode()).hexdigest()[:8]
    name = f"sources-{sources.name}-{tag}"
    return EvalCorpus(name, sources, store_dir(out_dir, name, settings), [f"your folder {sources}"])


def sync_corpus(corpus: EvalCorpus, settings, log: Callable[[str], None] = print, progress=True):
    """Bring the corpus' store up to date; returns ``rag.index.ingest.SyncSummary``."""
    from rag.index.ingest import sync

    summary = sync(settings, progress=progress)
    log(f"[{corpus.name}] {summary.line()}")
    for item in summary.skipped:
        log(f"[{corpus.name}] skipped {item['path']}: {item['reason']}")
    return summary
