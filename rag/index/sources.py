"""Reading the sources folder: .txt, .md, .html and .pdf files become ``Article`` records.

An article's ``text`` is the exact string every chunk and citation offset refers to; it is
stored in the catalog so a quoted span can always be shown again, even if the file changes.
A file that cannot be read raises ``SourceError`` with a reason a person can act on.

Nothing in a file may make parsing explode: front matter is read as YAML without aliases
(eight nested aliases in 0.5 KB expand ~9x per level, 1.9 GB of RAM before this rule) and
metadata values are short scalars. Ingestion parses in a child process on top of this
(rag/index/isolation.py), so time and memory stay bounded whatever a parser does.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rag.errors import SourceChatError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
# RealTime QA front matter is under 1 KB; a URL or a byline is far below 2,000 characters.
MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_META_CHARS = 2000


class SourceError(SourceChatError):
    """A file that cannot become an article; ``str(err)`` is the reason shown to the user."""


@dataclass(frozen=True)
class Article:
    id: str  # path relative to the sources dir, POSIX style: stable across runs and machines
    title: str
    text: str  # the exact text that chunk and citation offsets index into
    hash: str  # sha256 of the file's bytes
    meta: dict[str, str] = field(default_factory=dict)  # url, published, author when known

    @property
    def source(self) -> str:
        return self.id


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iter_source_files(root: Path, paths: list[Path] | None = None) -> list[Path]:
    """Every candidate file under ``paths`` (default: ``root``), sorted, hidden files left out.

    Unsupported files are returned too, so the caller can report them as skipped.
    """
    found: set[Path] = set()
    for start in paths or [root]:
        start = Path(start)
        if start.is_file() or start.is_symlink():
            found.add(_located(start))
            continue
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    found.add(_located(Path(dirpath) / name))
    return sorted(found)


def _located(path: Path) -> Path:
    """Absolute path with its folders resolved but not the file itself: a symlink keeps its own name."""
    path = Path(os.path.abspath(path))
    return path.parent.resolve() / path.name


def article_id(path: Path, root: Path) -> str:
    try:
        return _located(path).relative_to(root.resolve()).as_posix()
    except ValueError:
        # A path outside the sources dir keeps its absolute path as its id.
        return _located(path).as_posix()


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, or a SourceError saying why they cannot be used."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise SourceError(f"unsupported file type '{path.suffix or '(none)'}'; use .txt, .md, .html or .pdf")
    try:
        info = path.stat()
    except OSError as err:
        raise SourceError(f"cannot read file: {err.strerror or err}") from err
    if not stat.S_ISREG(info.st_mode):
        # Reading a FIFO or a device would block or never end.
        raise SourceError("not a regular file (a pipe, socket or device)")
    size = info.st_size
    if size > max_bytes:
        mib = 1024 * 1024  # RAG_MAX_FILE_MB counts 1024 * 1024 bytes
        raise SourceError(
            f"file is {size / mib:.1f} MB, over the {max_bytes / mib:g} MB limit (RAG_MAX_FILE_MB)"
        )
    try:
        data = path.read_bytes()
    except PermissionError as err:
        raise SourceError("permission denied") from err
    except OSError as err:
        raise SourceError(f"cannot read file: {err.strerror or err}") from err
    if not data.strip():
        raise SourceError("empty file")
    return data


def parse_article(data: bytes, suffix: str, article_id: str, notes: list[str] | None = None) -> Article:
    """Turn one file's bytes into an Article (text, title and metadata).

    ``notes`` collects what was dropped on the way (e.g. front matter that could not be used).
    """
    suffix = suffix.lower()
    notes = [] if notes is None else notes
    if suffix == ".pdf":
        title, text, meta = _parse_pdf(data)
    else:
        raw = decode_text(data)
        if suffix in (".html", ".htm"):
            title, text, meta = _parse_html(raw)
        elif suffix in (".md", ".markdown"):
            title, text, meta = _parse_markdown(raw, notes)
        else:
            title, text, meta = _parse_plain(raw)
    if not text.strip():
        raise SourceError("no text found in file")
    meta = {k: _meta_value(v) for k, v in meta.items() if _meta_value(v)}
    return Article(
        id=article_id,
        title=(title or Path(article_id).stem).strip()[:300],
        text=text,
        hash=file_hash(data),
        meta=meta,
    )


def _meta_value(value: object) -> str:
    """A metadata value as a short string; lists, mappings and empty values are dropped."""
    if value is None or isinstance(value, (list, dict, set, tuple, bytes)):
        return ""
    return str(value).strip()[:MAX_META_CHARS]


def read_article(path: Path, root: Path, max_bytes: int) -> Article:
    data = read_bytes(path, max_bytes)
    return parse_article(data, path.suffix, article_id(path, root))


# -- text decoding -------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; legacy single-byte news encodings second.

    Binary data (NUL bytes, mostly control characters) is refused rather than indexed as noise.
    """
    head = data[:8192]
    if b"\x00" in head:
        raise SourceError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 covers the curly quotes and pound signs of older English news files.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > len(text[:8192]) * 0.05:
        raise SourceError("binary file (mostly control characters), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- formats -------------------------------------------------------------------------------


def _parse_plain(raw: str) -> tuple[str, str, dict]:
    """First non-empty line is the title; a trailing "Written by ..." line is the byline."""
    lines = raw.rstrip().split("\n")
    meta: dict[str, str] = {}
    if lines and lines[-1].strip().lower().startswith("written by"):
        author = lines[-1].strip()[len("written by"):].strip(" :")
        if author:
            meta["author"] = author
        lines = lines[:-1]
    text = "\n".join(lines).rstrip()
    title = next((line.strip() for line in lines if line.strip()), "")
    return title, text, meta


def _parse_markdown(raw: str, notes: list[str]) -> tuple[str, str, dict]:
    front, body = _front_matter(raw, notes)
    meta = {key: front[key] for key in ("url", "published", "author", "date") if front.get(key)}
    if "date" in meta and "published" not in meta:
        meta["published"] = meta.pop("date")
    meta.pop("date", None)
    title = _meta_value(front.get("title"))
    if not title:
        first = next((line for line in body.split("\n") if line.strip()), "")
        title = first.lstrip("#").strip()
    return title, body.strip("\n").rstrip(), meta


@lru_cache(maxsize=1)
def _no_alias_loader() -> type:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """Safe YAML that refuses aliases: each one can repeat a whole subtree (a "billion laughs")."""

        def compose_node(self, parent, index):  # noqa: ANN001 (PyYAML's signature)
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*name) are not allowed", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def _front_matter(raw: str, notes: list[str]) -> tuple[dict, str]:
    """(front matter, body). Front matter that cannot be used is noted and dropped; the text stays."""
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    if not handler.detect(raw):
        return {}, raw
    try:
        fm, body = handler.split(raw)
    except ValueError:  # an opening "---" line without a closing one: all of it is text
        return {}, raw
    if len(fm) > MAX_FRONT_MATTER_CHARS:
        notes.append(f"front matter over {MAX_FRONT_MATTER_CHARS // 1024} KB ignored")
        return {}, body
    try:
        front = yaml.load(fm, Loader=_no_alias_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.composer.ComposerError as err:  # well-formed YAML this reader refuses
        notes.append(f"front matter ignored: {err.problem}")
        return {}, body
    except yaml.YAMLError:
        notes.append("front matter ignored: not valid YAML")
        return {}, raw  # perhaps not front matter at all: keep the text, lose only the metadata
    return (front if isinstance(front, dict) else {}), body


def _parse_html(raw: str) -> tuple[str, str, dict]:
    import trafilatura

    # No extensive date search: it turns a "Copyright 2024" footer into a publication date.
    doc = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is not None:
        found = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        text = (found.get("text") or "").strip()
        meta = {"url": found.get("url"), "published": found.get("date"), "author": found.get("author")}
        if text:
            return found.get("title") or "", text, meta
    # Pages too short for main-text extraction: all visible text, tags dropped.
    text = (trafilatura.html2txt(raw) or "").strip()
    # The title sits in the head: searching only there keeps a page of unclosed <title> tags linear.
    title_match = re.search(r"<title[^>]*>(.*?)</title>", raw[:65536], re.IGNORECASE | re.DOTALL)
    title = re.sub(r"\s+", " ", title_match.group(1)).strip() if title_match else ""
    return title, text, {}


def _parse_pdf(data: bytes) -> tuple[str, str, dict]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError("encrypted PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        info = reader.metadata or {}
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise SourceError(f"unreadable PDF: {err}") from err
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise SourceError("PDF has no extractable text (scanned images?)")
    title = str(info.get("/Title") or "") or next((l.strip() for l in text.split("\n") if l.strip()), "")
    meta = {"author": str(info.get("/Author") or "")}
    return title, text, meta
