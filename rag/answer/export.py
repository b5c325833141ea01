"""Answers as Markdown with footnotes, so citations survive a paste into a document.

Each ``[n]`` becomes ``[^n]`` and each citation a footnote:
``[^1]: "quote" — Title, source, published, URL, chars start–end``. The quote is the exact span
(``quote == article.text[start:end]``); ``quotes_of`` reads them back, which is how the tests
check that an export round-trips. A conversation is its answers in order, footnotes numbered
across the whole document (``[^2.1]`` is citation 1 of answer 2) so they never collide.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

from rag.answer.record import Answer, Citation

_FOOTNOTE = re.compile(r'^\[\^(?P<label>[\w.]+)\]: "(?P<quote>.*)" — .*, chars (?P<start>\d+)–(?P<end>\d+)$')


def _label(turn: int | None, n: int) -> str:
    return str(n) if turn is None else f"{turn}.{n}"


def _escape(quote: str) -> str:
    # One line per footnote: a quote spanning lines keeps them as spaces would lose the exact text.
    return quote.replace("\\", "\\\\").replace("\n", "\\n")


def _unescape(quote: str) -> str:
    return re.sub(r"\\(\\|n)", lambda m: "\n" if m.group(1) == "n" else "\\", quote)


def footnote(citation: Citation, turn: int | None = None) -> str:
    parts = [citation.title, citation.source]
    if citation.published:
        parts.append(citation.published[:10])
    if citation.url:
        parts.append(citation.url)
    parts.append(f"chars {citation.start}–{citation.end}")
    return f'[^{_label(turn, citation.n)}]: "{_escape(citation.quote)}" — {", ".join(parts)}'


def _body(answer: Answer, turn: int | None) -> str:
    if answer.error:
        return f"_No answer: {answer.error}_"
    if answer.sentences:
        lines = []
        for sentence in answer.sentences:
            marks = "".join(f"[^{_label(turn, n)}]" for n in sentence.citations)
            flag = " _(not supported by the sources)_" if sentence.unsupported else ""
            lines.append(sentence.text + marks + flag)
        separator = "\n" if answer.kind == "mentions" else " "
        return separator.join(lines)
    return re.sub(r"\[(\d+)\]", lambda m: f"[^{_label(turn, int(m.group(1)))}]", answer.answer)


def answer_markdown(answer: Answer, turn: int | None = None, heading: bool = True) -> str:
    """One answer: the question as a heading, the text with footnote marks, then the footnotes."""
    out = [f"## {answer.question}", ""] if heading else []
    if answer.scope:
        out += [f"_{answer.scope}_", ""]
    out.append(_body(answer, turn))
    if answer.refused:
        out.append("\n_Not in the sources._")
    if answer.citations:
        out.append("")
        out += [footnote(c, turn) for c in answer.citations]
    return "\n".join(out) + "\n"


def conversation_markdown(answers: Iterable[Answer], title: str = "Conversation") -> str:
    parts = [f"# {title}\n"]
    for turn, answer in enumerate(answers, start=1):
        parts.append(answer_markdown(answer, turn))
    return "\n".join(parts)


def conversation_json(answers: Iterable[Answer], title: str = "Conversation") -> str:
    return json.dumps({"title": title, "turns": [a.to_json() for a in answers]}, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class ExportedQuote:
    label: str
    quote: str
    start: int
    end: int


def quotes_of(markdown: str) -> list[ExportedQuote]:
    """The footnotes of an exported document, read back."""
    out = []
    for line in markdown.splitlines():
        match = _FOOTNOTE.match(line)
        if match:
            out.append(ExportedQuote(match["label"], _unescape(match["quote"]), int(match["start"]), int(match["end"])))
    return out
