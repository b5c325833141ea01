"""Source files built to hurt the ingest pipeline (issue 12), written from real BBC News text."""

from __future__ import annotations

from pathlib import Path

MB = 1024 * 1024


def bbc_sentences(files: list[Path]) -> list[str]:
    """Every sentence-like line piece of these BBC articles (title lines left out)."""
    sentences: list[str] = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        for paragraph in text.split("\n")[1:]:
            sentences += [piece.strip() + "." for piece in paragraph.split(". ") if len(piece) > 40]
    return sentences


def one_paragraph(sentences: list[str], size: int) -> str:
    """Real sentences joined by spaces into one paragraph of at least ``size`` characters."""
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = sentences[len(parts) % len(sentences)]
        parts.append(sentence)
        total += len(sentence) + 1
    return " ".join(parts)


def write_one_paragraph_txt(path: Path, sentences: list[str], size: int) -> Path:
    path.write_text("One long paragraph\n\n" + one_paragraph(sentences, size) + "\n", encoding="utf-8")
    return path


def write_one_paragraph_html(path: Path, sentences: list[str], size: int) -> Path:
    path.write_text("<html><head><title>One paragraph</title></head><body><article><p>"
                    + one_paragraph(sentences, size) + "</p></article></body></html>", encoding="utf-8")
    return path


def write_without_full_stops(path: Path, sentences: list[str], size: int) -> Path:
    """Words and commas only, never a sentence end: the splitter must fall back to windows."""
    words = " ".join(s.replace(".", "") for s in sentences)
    text = (words + " ") * (size // len(words) + 1)
    path.write_text("No full stops\n\n" + text[:size] + "\n", encoding="utf-8")
    return path


def alias_bomb(levels: int) -> str:
    """Front matter whose last key expands to 9**levels scalars through nested YAML aliases."""
    lines = ["---", "title: Harmless title", "a0: &a0 [x,x,x,x,x,x,x,x,x]"]
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 9) + "]")
    lines.append(f"author: *a{levels - 1}")
    lines += ["---", "", "The body of this article is one short paragraph that must still be indexed."]
    return "\n".join(lines) + "\n"


def deep_html(depth: int) -> str:
    """A paragraph of real text inside ``depth`` nested <div>s (lxml and trafilatura recurse)."""
    return ("<html><head><title>Deep</title></head><body>" + "<div>" * depth
            + "<p>Deep inside the nesting sits one sentence of text.</p>" + "</div>" * depth + "</body></html>")


def pdf_with_stream(content: bytes) -> bytes:
    """A one-page PDF whose page content is ``content``, Flate-compressed: 300 MB of spaces fit
    in 300 KB (a decompression bomb for the text extractor)."""
    import zlib

    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zip_bomb(size: int) -> bytes:
    """A zip archive of one file of ``size`` zero bytes (a few KB per 100 MB)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.txt", "w") as member:
            chunk = b"\0" * MB
            for _ in range(size // MB):
                member.write(chunk)
    return buffer.getvalue()
