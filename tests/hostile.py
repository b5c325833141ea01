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
