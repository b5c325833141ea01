"""HTML for the browser app: answers with clickable [n] citations, and the sources panel.

Pure functions of an ``Answer`` and the article texts it quotes, so they can be tested
without a browser. Every piece of text that came from an article, a question or a model is
passed through ``html.escape`` here and nowhere else is raw text put into HTML; the Chatbot's
own sanitizer is a second line of defence, not the first.

Ids tie the two halves together: citation ``n`` of turn ``k`` is ``<a href="#cite-k-n">`` in
the chat and ``<details id="cite-k-n">`` in the panel; retrieved passages are ``src-k-i``.
A small script (``CLICK_JS``) opens the panel entry when a marker is clicked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from rag.answer.citations import SUPPORT_THRESHOLD
from rag.answer.record import Answer, Citation, Source

# The same closing punctuation rule as rag.answer.citations.with_markers: "signed on July 12 [1]."
_CLOSING = re.compile(r"([.!?]+[”\"’')]*)$")
# About a screenful of context around a quote in the panel.
PASSAGE_BUDGET = 700
QUOTE_PREVIEW = 90


@dataclass
class ChatTurn:
    """One answered question as the app shows it.

    ``texts`` keeps each quoted article's text as it was when the answer was given, so the
    passage can still be shown with the right offsets after the article is re-ingested.
    ``llm_error`` is set when the generative answer failed and ``answer`` is the extractive
    fallback shown in its place.
    """

    answer: Answer
    texts: dict[str, str] = field(default_factory=dict)
    llm_error: str | None = None


def esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable; anything else (javascript:, data:) stays text."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return url.strip()
    return None


def quoted(text: str) -> str:
    """Text in curly quotes, unless it already starts with a quotation mark."""
    return text if text[:1] in "“\"‘'" else f"“{text}”"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- the chat message --------------------------------------------------------------------------


def _cite_link(turn: int, citation: Citation) -> str:
    tip = f"[{citation.n}] {citation.title}: {quoted(_clip(citation.quote, 200))}"
    return (f'<a class="sc-cite" href="#cite-{turn}-{citation.n}" title="{esc(tip)}">'
            f"[{citation.n}]</a>")


def _sentence_html(text: str, links: str) -> str:
    """Escaped sentence with its citation links placed before the closing punctuation."""
    if not links:
        return esc(text)
    match = _CLOSING.search(text)
    if match:
        return f"{esc(text[:match.start()])} {links}{esc(match.group(1))}"
    return f"{esc(text)} {links}"


def _answer_body(answer: Answer, turn: int) -> str:
    by_n = {c.n: c for c in answer.citations}
    if not answer.sentences:
        return f'<p class="sc-text">{esc(answer.answer)}</p>'
    parts = []
    for sentence in answer.sentences:
        links = "".join(_cite_link(turn, by_n[n]) for n in sentence.citations if n in by_n)
        body = _sentence_html(sentence.text, links)
        if sentence.unsupported:
            why = sentence.reason or "no sentence in the sources says this"
            parts.append(
                f'<span class="sc-unsupported" title="{esc(why)}">'
                f'{body} <span class="sc-flag">⚠ not supported by the sources: '
                f'<span class="sc-reason">{esc(why)}</span></span></span>'
            )
        else:
            parts.append(f'<span class="sc-sentence">{body}</span>')
    return f'<p class="sc-text">{" ".join(parts)}</p>'


def _footer(answer: Answer, fallback: bool) -> str:
    bits = ["extractive answer (quoted from the sources)" if answer.mode == "extractive"
            else "generative answer (checked against the sources)"]
    if answer.citations:
        bits.append(f"{len(answer.citations)} citation{'s' if len(answer.citations) != 1 else ''}"
                    " · click a number to see the passage")
    if answer.unsupported_count:
        count = answer.unsupported_count
        bits.append(f"{count} sentence{'s' if count != 1 else ''} not supported by the sources")
    if fallback:
        bits[0] = "extractive fallback (quoted from the sources)"
    return f'<p class="sc-footer">{esc(" · ".join(bits))}</p>'


def _refusal_body(answer: Answer, turn: int) -> str:
    closest = []
    seen: set[str] = set()
    for i, source in enumerate(answer.sources, start=1):
        if source.article_id in seen:
            continue
        seen.add(source.article_id)
        closest.append(f'<a class="sc-src" href="#src-{turn}-{i}">{esc(_clip(source.title, 80))}</a>')
        if len(closest) == 3:
            break
    text = f'<p class="sc-text"><span class="sc-badge">Not in the sources</span> {esc(answer.answer)}</p>'
    if closest:
        text += f'<p class="sc-closest">Closest sources: {", ".join(closest)}</p>'
    return text


def answer_html(turn_index: int, turn: ChatTurn) -> str:
    """The assistant's chat message for one turn.

    One ``<div>`` with no blank line inside: Markdown leaves an HTML block alone, so nothing in
    the (escaped) text is reinterpreted as emphasis or links.
    """
    answer = turn.answer
    classes = ["sc-answer"]
    parts = []
    if turn.llm_error:
        classes.append("sc-has-error")
        parts.append(f'<p class="sc-error" role="alert">⚠ No generative answer: {esc(turn.llm_error)}.</p>')
        parts.append('<p class="sc-fallback-label">Extractive answer from the sources instead:</p>')
    if answer.refused:
        classes.append("sc-refusal")
        parts.append(_refusal_body(answer, turn_index))
    else:
        parts.append(_answer_body(answer, turn_index))
        parts.append(_footer(answer, fallback=bool(turn.llm_error)))
    return f'<div class="{" ".join(classes)}" id="answer-{turn_index}">{"".join(parts)}</div>'


def progress_html(status: str, text: str = "") -> str:
    """The message while an answer streams in: a status line, then the text so far."""
    streamed = f'<p class="sc-text">{esc(text)}<span class="sc-caret"></span></p>' if text else ""
    return (f'<div class="sc-answer sc-streaming"><p class="sc-status">{esc(status)}</p>'
            f"{streamed}</div>")


def notice_html(message: str, kind: str = "error") -> str:
    return f'<div class="sc-answer sc-notice sc-{esc(kind)}"><p>{esc(message)}</p></div>'


def sources_status(sources: list[Source]) -> str:
    articles = len({s.article_id for s in sources})
    if not sources:
        return "No passages found. Writing the answer…"
    return (f"Found {len(sources)} passage{'s' if len(sources) != 1 else ''} in {articles} "
            f"article{'s' if articles != 1 else ''}. Writing the answer…")


# -- the sources panel -------------------------------------------------------------------------


def passage_window(text: str, start: int, end: int, budget: int = PASSAGE_BUDGET) -> tuple[int, int]:
    """(a, b) around text[start:end]: whole paragraphs (lines) while they fit ``budget``, else words."""
    lines = [m.span() for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    first = next((i for i, (s, e) in enumerate(lines) if e > start), None)
    if first is None:
        return start, end
    last = next((i for i in range(first, len(lines)) if lines[i][1] >= end), len(lines) - 1)
    a, b = min(lines[first][0], start), max(lines[last][1], end)
    if b - a > budget:
        # One very long paragraph: cut at word boundaries, keeping the quote whole.
        room = max(0, (budget - (end - start)) // 2)
        if start - a > room:
            cut = text.find(" ", start - room, start)
            a = cut + 1 if cut >= 0 else start
        if b - end > room:
            cut = text.rfind(" ", end, end + room)
            b = cut if cut >= 0 else end
        return a, b
    # Neighbouring paragraphs, one on each side in turn, while the window stays within budget.
    grown = True
    while grown:
        grown = False
        if first > 0 and b - lines[first - 1][0] <= budget:
            first -= 1
            a, grown = lines[first][0], True
        if last + 1 < len(lines) and lines[last + 1][1] - a <= budget:
            last += 1
            b, grown = lines[last][1], True
    return a, b


def passage_html(text: str, start: int, end: int, highlight: bool = True) -> str:
    """The passage around text[start:end], escaped, with the span in <mark> when ``highlight``."""
    a, b = passage_window(text, start, end)
    # "…" only where the window cuts into a paragraph; a whole paragraph needs no mark.
    before = ("…" if a > 0 and text[a - 1] != "\n" else "") + text[a:start]
    after = text[end:b] + ("…" if b < len(text) and text[b] != "\n" else "")
    middle = esc(text[start:end])
    if highlight:
        middle = f'<mark class="sc-quote">{middle}</mark>'
    return f'<blockquote class="sc-passage">{esc(before)}{middle}{esc(after)}</blockquote>'


def _meta_line(source: str, published: str | None, url: str | None, extra: str = "") -> str:
    bits = [f'<span class="sc-file">{esc(source)}</span>']
    if published:
        bits.append(f'<span class="sc-date">{esc(published[:10])}</span>')
    link = safe_url(url)
    if link:
        bits.append(f'<a class="sc-url" href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow">'
                    f"{esc(_clip(link, 60))}</a>")
    elif url:
        bits.append(f'<span class="sc-url">{esc(url)}</span>')
    if extra:
        bits.append(f"<span>{esc(extra)}</span>")
    return f'<div class="sc-meta">{" · ".join(bits)}</div>'


def support_label(support: float) -> str:
    """Plain words for the support score shown on a citation card."""
    if support >= 0.999:
        return "quoted word for word"
    return f"checked: supports the sentence (score {support:.2f}, {SUPPORT_THRESHOLD:.2f} needed)"


def _citation_card(turn_index: int, citation: Citation, text: str | None) -> str:
    if text is not None and text[citation.start : citation.end] == citation.quote:
        passage = passage_html(text, citation.start, citation.end)
    else:
        # The article is gone from the catalog: the quote itself is all there is to show.
        passage = f'<blockquote class="sc-passage"><mark class="sc-quote">{esc(citation.quote)}</mark></blockquote>'
    return (
        f'<details class="sc-card sc-citation" id="cite-{turn_index}-{citation.n}">'
        f'<summary><span class="sc-n">[{citation.n}]</span> <span class="sc-title">{esc(citation.title)}</span>'
        f'<span class="sc-preview">{esc(quoted(_clip(citation.quote, QUOTE_PREVIEW)))}</span></summary>'
        f"{_meta_line(citation.source, citation.published, citation.url, support_label(citation.support))}"
        f"{passage}</details>"
    )


def _source_card(turn_index: int, i: int, source: Source, text: str | None) -> str:
    if text is not None:
        passage = text[source.start : source.end].strip()
        preview = f'<span class="sc-preview">{esc(quoted(_clip(" ".join(passage.split()), QUOTE_PREVIEW)))}</span>'
        body = f'<blockquote class="sc-passage">{esc(passage)}</blockquote>'
    else:
        preview = ""
        body = '<p class="sc-missing">This article is no longer in the index.</p>'
    return (
        f'<details class="sc-card sc-source" id="src-{turn_index}-{i}">'
        f'<summary><span class="sc-title">{esc(source.title)}</span>{preview}</summary>'
        f"{_meta_line(source.source, source.published, source.url)}{body}</details>"
    )


def _sources_for(question: str, standalone: str = "") -> str:
    line = f'<p class="sc-for">Sources for: <q>{esc(_clip(question, 140))}</q>'
    if standalone and standalone != question:
        line += f'<br><span class="sc-understood">understood as: <q>{esc(_clip(standalone, 200))}</q></span>'
    return line + "</p>"


def _turn_section(turn_index: int, turn: ChatTurn, current: bool) -> str:
    answer = turn.answer
    parts = [_sources_for(answer.question, answer.standalone_question)]
    if answer.citations:
        parts.append('<h4 class="sc-h">Cited passages</h4>')
        parts += [_citation_card(turn_index, c, turn.texts.get(c.article_id)) for c in answer.citations]
    cited_chunks = {c.chunk_id for c in answer.citations}
    others = [(i, s) for i, s in enumerate(answer.sources, start=1) if s.chunk_id not in cited_chunks]
    if others:
        heading = "Closest sources" if answer.refused else "Other retrieved passages"
        parts.append(f'<h4 class="sc-h">{heading}</h4>')
        parts += [_source_card(turn_index, i, s, turn.texts.get(s.article_id)) for i, s in others]
    if not answer.citations and not others:
        parts.append('<p class="sc-empty">No passages were retrieved for this question.</p>')
    state = " sc-current" if current else ""
    return f'<section class="sc-turn{state}" id="turn-{turn_index}">{"".join(parts)}</section>'


PANEL_TITLE = '<h3 class="sc-panel-title">Sources</h3>'
PANEL_PLACEHOLDER = (
    f'<div class="sc-panel sc-panel-empty">{PANEL_TITLE}<p>Sources appear here.</p>'
    "<p>Click a number such as [1] in an answer to open the passage it quotes, "
    "with the quoted sentence highlighted.</p></div>"
)


def panel_html(turns: list[ChatTurn], pending: tuple[str, str, list[Source], dict[str, str]] | None = None) -> str:
    """Every turn's sources (only the newest shown; a click on an older [n] switches turns).

    ``pending`` is (question, standalone question, sources, article texts) for the question
    being answered: its sources are shown before the answer text arrives.
    """
    if not turns and pending is None:
        return PANEL_PLACEHOLDER
    sections = [_turn_section(k, t, current=(pending is None and k == len(turns) - 1))
                for k, t in enumerate(turns)]
    if pending is not None:
        question, standalone, sources, texts = pending
        k = len(turns)
        cards = [_source_card(k, i, s, texts.get(s.article_id)) for i, s in enumerate(sources, start=1)]
        sections.append(
            f'<section class="sc-turn sc-current sc-pending" id="turn-{k}">'
            f"{_sources_for(question, standalone)}"
            f'<h4 class="sc-h">Retrieved passages</h4>{"".join(cards)}</section>'
        )
    return f'<div class="sc-panel">{PANEL_TITLE}{"".join(sections)}</div>'


# -- plain text for API clients ----------------------------------------------------------------


def answer_markdown(answer: Answer, llm_error: str | None = None) -> str:
    """The answer with [n] markers, then each citation's title and quote: for gradio_client."""
    lines = []
    standalone = answer.standalone_question
    if standalone and standalone != answer.question:
        lines += [f"(Follow-up understood as: {standalone})", ""]
    if llm_error:
        lines += [f"No generative answer: {llm_error}. Extractive answer from the sources instead:", ""]
    lines.append(answer.answer)
    unsupported = [s for s in answer.sentences if s.unsupported]
    if unsupported:
        lines += ["", "Not supported by the sources:"] + [
            f"- {s.text}" + (f" ({s.reason})" if s.reason else "") for s in unsupported]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            where = ", ".join(x for x in (c.source, (c.published or "")[:10], c.url or "") if x)
            lines.append(f"[{c.n}] {c.title} ({where}): {quoted(c.quote)}")
    elif answer.refused and answer.sources:
        lines += ["", "Closest sources:"]
        seen: set[str] = set()
        for s in answer.sources:
            if s.article_id not in seen:
                seen.add(s.article_id)
                lines.append(f"- {s.title} ({s.source})")
    return "\n".join(lines)


# -- what runs in the browser ------------------------------------------------------------------

# A delegated listener (the chat re-renders its messages; the panel is replaced every turn):
# a click on [n] shows that turn's sources, opens citation n and scrolls it into view.
CLICK_JS = """
() => {
  const open = (id) => {
    const card = document.getElementById(id);
    if (!card) return false;
    const turn = card.closest('.sc-turn');
    document.querySelectorAll('.sc-turn').forEach((t) => t.classList.toggle('sc-current', t === turn));
    if (turn) turn.querySelectorAll('details.sc-card').forEach((d) => { if (d !== card) d.open = false; });
    document.querySelectorAll('.sc-active').forEach((x) => x.classList.remove('sc-active'));
    card.open = true;
    card.classList.add('sc-active');
    card.scrollIntoView({block: 'nearest'});
    return true;
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#cite-"], a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    open(link.getAttribute('href').slice(1));
  }, true);
}
"""

CSS = """
#sc-sources { max-height: 78vh; overflow-y: auto; }
.sc-answer p { margin: 0.2em 0; }
.sc-cite { font-weight: 700; }
.sc-cite, .sc-src { text-decoration: none; color: var(--color-accent, #2563eb);
  cursor: pointer; padding: 0 1px; }
.sc-cite:hover, .sc-src:hover { text-decoration: underline; }
.sc-unsupported { background: rgba(234, 88, 12, 0.12); border-bottom: 2px dotted #ea580c; }
.sc-flag { font-size: 0.8em; color: #c2410c; font-weight: 600; white-space: nowrap; }
.sc-badge { display: inline-block; font-size: 0.8em; font-weight: 700; padding: 0 6px; margin-right: 4px;
  border-radius: 4px; background: #fde68a; color: #78350f; }
.sc-closest { font-size: 0.9em; }
.sc-footer { font-size: 0.78em; opacity: 0.7; margin-top: 0.4em !important; }
.sc-status { font-size: 0.85em; opacity: 0.75; font-style: italic; }
.sc-caret::after { content: '▍'; opacity: 0.6; }
.sc-error { color: #b91c1c; font-size: 0.92em; }
.sc-fallback-label { font-size: 0.85em; font-weight: 600; opacity: 0.8; }
.sc-panel-empty { opacity: 0.7; font-size: 0.95em; }
.sc-turn { display: none; }
.sc-turn.sc-current { display: block; }
.sc-for { font-size: 0.85em; opacity: 0.75; margin: 0 0 0.4em 0; }
.sc-h { font-size: 0.85em; font-weight: 700; opacity: 0.7; margin: 0.8em 0 0.3em 0; }
.sc-card { border: 1px solid var(--border-color-primary, #ddd); border-radius: 8px; padding: 6px 10px; margin: 6px 0; }
.sc-card > summary { cursor: pointer; }
.sc-card.sc-active { border-color: var(--color-accent, #2563eb); box-shadow: 0 0 0 2px rgba(37, 99, 235, 0.25); }
.sc-n { font-weight: 700; color: var(--color-accent, #2563eb); }
.sc-title { font-weight: 600; font-size: 0.95em; }
.sc-preview { display: block; font-size: 0.85em; opacity: 0.75; font-style: italic; margin-left: 1.2em; }
.sc-card[open] .sc-preview { display: none; }
.sc-meta { font-size: 0.8em; opacity: 0.75; margin: 4px 0; word-break: break-all; }
.sc-passage { white-space: pre-wrap; font-size: 0.9em; line-height: 1.45; margin: 6px 0 2px 0;
  padding-left: 10px; border-left: 3px solid var(--border-color-primary, #ddd); }
.sc-quote { background: #fef08a; color: #1f2937; padding: 1px 0; border-radius: 2px; }
.sc-header h1 { margin: 0 0 0.2em 0; font-size: 1.6em; }
.sc-header p { margin: 0; opacity: 0.8; }
.sc-panel-title { margin: 0 0 0.4em 0; }
.sc-upload-status { list-style: none; padding-left: 0; margin: 0.4em 0; }
.sc-up-rejected { color: #b91c1c; }
.sc-up-added { color: #15803d; }
"""
