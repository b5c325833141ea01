"""HTML for the chat column: answers with clickable [n] citations, the header, the list of
conversations, notices; and the plain-text answer the /chat API returns.

Pure functions of an ``Answer`` (and the article texts it quotes), testable without a browser.
Every piece of text that came from an article, a question, a title or a model goes through
``esc`` here or in ``panel``, and nowhere else is raw text put into HTML; the Chatbot's own
sanitizer is a second line of defence, not the first.

Ids tie the chat to the sources panel (rag.web.panel): citation ``n`` of turn ``k`` is
``<a href="#cite-k-n">`` here and the passage ``id="cite-k-n"`` there; retrieved passages are
``src-k-i``. The script in static/app.js opens them, shows the hover preview and, on a phone,
the passage inline under the answer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlparse

from rag.answer.record import Answer, Citation

# The same closing punctuation rule as rag.answer.citations.with_markers: "signed on July 12 [1]."
_CLOSING = re.compile(r"([.!?]+[”\"’')]*)$")


@dataclass
class ChatTurn:
    """One answered question as the app shows it.

    ``texts`` holds the text of each article the answer quotes or retrieved: as it was when the
    answer was given, or, for a conversation reopened later, as it is now; ``changed`` names the
    articles whose text is no longer the one the answer quoted (re-ingested or removed since).
    ``llm_error`` is set when the generative answer failed and ``answer`` is the extractive
    fallback shown in its place.
    """

    answer: Answer
    texts: dict[str, str] = field(default_factory=dict)
    llm_error: str | None = None
    changed: set[str] = field(default_factory=set)


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


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- the chat message --------------------------------------------------------------------------


def _cite_link(turn: int, citation: Citation) -> str:
    # No title attribute: the styled preview (app.js) replaces the browser's plain tooltip;
    # the label tells a screen reader what the number is.
    label = f"Citation {citation.n}: {citation.title}"
    return (f'<a class="sc-cite" href="#cite-{turn}-{citation.n}" aria-label="{esc(label)}">'
            f"[{citation.n}]</a>")


_BOLD = re.compile(r"\*\*([^*<>]+)\*\*")


def _strong(escaped: str) -> str:
    """The answer's own emphasis, ``**short answer**`` and ``**headline**``, as bold. Runs on
    escaped text, so only the asterisks become markup."""
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def _sentence_html(text: str, links: str) -> str:
    """Escaped sentence with its citation links placed before the closing punctuation."""
    if not links:
        return _strong(esc(text))
    match = _CLOSING.search(text)
    if match:
        return f"{_strong(esc(text[:match.start()]))} {links}{esc(match.group(1))}"
    return f"{_strong(esc(text))} {links}"


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
        elif sentence.heading:  # a briefing's article headline: a line of its own (app.css)
            parts.append(f'<span class="sc-sentence sc-heading">{body}</span>')
        else:
            parts.append(f'<span class="sc-sentence">{body}</span>')
    if answer.kind == "quote" and answer.report:
        verdict = answer.report.get("verdict", "")
        label = {"verbatim": "Verbatim", "close": "Close, not exact", "not_found": "Not found"}.get(verdict, verdict)
        parts.insert(0, f'<span class="sc-badge sc-verdict sc-verdict-{esc(verdict)}">{esc(label)}</span>')
    # A mentions list is one article per line.
    return f'<p class="sc-text">{("<br>" if answer.kind == "mentions" else " ").join(parts)}</p>'


def _footer(answer: Answer, fallback: bool) -> str:
    bits = ["extractive answer (quoted from the sources)" if answer.mode == "extractive"
            else "generative answer (checked against the sources, and by the model)"
            if answer.verified_by == "local+model" else "generative answer (checked against the sources)"]
    if answer.citations:
        bits.append(f"{plural(len(answer.citations), 'citation')} · click a number to see the passage")
    if answer.unsupported_count:
        bits.append(f"{plural(answer.unsupported_count, 'sentence')} not supported by the sources")
    if fallback:
        bits[0] = "extractive fallback (quoted from the sources)"
    if answer.kind == "mentions":
        bits[0] = "every mention in the indexed articles (not a sample)"
    elif answer.kind == "quote":
        bits[0] = "quote check against the indexed articles"
    if answer.scope:
        bits.append(answer.scope)
    if answer.notice:
        bits.append(answer.notice)
    return f'<p class="sc-footer">{esc(" · ".join(bits))}</p>'


def _refusal_body(answer: Answer, turn: int) -> str:
    closest = [f'<a class="sc-src" href="#src-{turn}-{i}">{esc(clip(source.title, 80))}</a>'
               for i, source in answer.closest_sources()]
    text = f'<p class="sc-text"><span class="sc-badge">Not in the sources</span> {esc(answer.answer)}</p>'
    if closest:
        text += f'<p class="sc-closest">Closest sources: {", ".join(closest)}</p>'
    if answer.scope:  # "searched 3 articles, published 2025-03": what the refusal speaks of
        text += f'<p class="sc-footer">{esc(answer.scope)}</p>'
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
    if answer.refused and answer.kind != "quote":  # a quote not found shows its verdict and closest passages
        classes.append("sc-refusal")
        parts.append(_refusal_body(answer, turn_index))
    else:
        parts.append(_answer_body(answer, turn_index))
        parts.append(_footer(answer, fallback=bool(turn.llm_error)))
    return f'<div class="{" ".join(classes)}" id="answer-{turn_index}">{"".join(parts)}</div>'


def question_html(question: str) -> str:
    return f'<div class="sc-question">{esc(question)}</div>'


def messages(turns: list[ChatTurn]) -> list[dict]:
    """The Chatbot's value: each turn's question and answer."""
    out = []
    for k, turn in enumerate(turns):
        out.append({"role": "user", "content": question_html(turn.answer.question)})
        out.append({"role": "assistant", "content": answer_html(k, turn)})
    return out


def progress_html(status: str, text: str = "") -> str:
    """The message while an answer streams in: a status line, then the text so far."""
    streamed = f'<p class="sc-text">{esc(text)}<span class="sc-caret"></span></p>' if text else ""
    return (f'<div class="sc-answer sc-streaming"><p class="sc-status">{esc(status)}</p>'
            f"{streamed}</div>")


def notice_html(message: str, kind: str = "error") -> str:
    return f'<div class="sc-answer sc-notice sc-{esc(kind)}"><p>{esc(message)}</p></div>'


def sources_status(sources) -> str:
    articles = len({s.article_id for s in sources})
    if not sources:
        return "No passages found. Writing the answer…"
    return f"Found {plural(len(sources), 'passage')} in {plural(articles, 'article')}. Writing the answer…"


# -- the page around the chat ------------------------------------------------------------------


def header_html(count: int, folder_name: str) -> str:
    """The title line. ``folder_name`` is the sources folder's own name: never a server path."""
    folder = f"<code>{esc(folder_name)}</code>"
    if count:
        what = f'Ask about the <strong class="sc-count">{plural(count, "article")}</strong> in {folder}. '
    else:
        what = (f'<strong class="sc-count">No articles</strong> are indexed yet: add files under '
                f"“Add articles”, or put them in {folder} and run “rag ingest”. ")
    return (
        f'<div class="sc-header"><h1>sourcechat</h1><p>{what}'
        "Every answer quotes the sentences it rests on: hover or click a number such as [1] to see "
        "the passage. When the articles don't say, the app says so.</p></div>"
    )


def _when(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return ""
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def conversation_list_html(chats, current: str | None) -> str:
    """The sidebar list: one button per saved conversation, the open one marked."""
    if not chats:
        return '<p class="sc-chats-empty">Your conversations are saved here.</p>'
    items = []
    for chat in chats:
        state = ' aria-current="true"' if chat.id == current else ""
        shared = ' <span class="sc-shared" title="Shared">shared</span>' if chat.shared else ""
        items.append(
            f'<li><button type="button" class="sc-chat-item" data-chat="{esc(chat.id)}"{state}>'
            f'<span class="sc-chat-title">{esc(chat.title)}</span>'
            f'<span class="sc-chat-date">{esc(_when(chat.updated))}{shared}</span></button></li>'
        )
    return f'<ul class="sc-chats" aria-label="Saved conversations">{"".join(items)}</ul>'


def read_only_html(title: str) -> str:
    return (f'<div class="sc-read-only" role="status"><strong>Read-only:</strong> “{esc(title)}”, a conversation '
            "shared with you. Ask your own questions in a new chat.</div>")


def upload_status_html(lines: list[tuple[str, str]]) -> str:
    marks = {"added": "✓", "same": "=", "rejected": "✗", "info": ""}
    items = "".join(f'<li class="sc-up-{kind}">{marks.get(kind, "")} {esc(text)}</li>' for kind, text in lines)
    return f'<ul class="sc-upload-status">{items}</ul>'


# -- plain text for API clients ----------------------------------------------------------------


def answer_markdown(answer: Answer, llm_error: str | None = None) -> str:
    """The answer with [n] markers, then each citation's title and quote: for gradio_client."""
    lines = []
    standalone = answer.standalone_question
    if standalone and standalone != answer.question:
        lines += [f"(Understood as: {standalone})", ""]
    if llm_error:
        lines += [f"No generative answer: {llm_error}. Extractive answer from the sources instead:", ""]
    lines.append(answer.answer)
    unsupported = [s for s in answer.sentences if s.unsupported]
    if unsupported:
        lines += ["", "Not supported by the sources:"] + [
            f"- {s.text}" + (f" ({s.reason})" if s.reason else "") for s in unsupported]
    if answer.notice:
        lines += ["", f"Notice: {answer.notice}."]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            where = ", ".join(x for x in (c.source, (c.published or "")[:10], c.url or "") if x)
            lines.append(f"[{c.n}] {c.title} ({where}): {quoted(c.quote)}")
    elif answer.refused and answer.closest_sources():
        lines += ["", "Closest sources:"]
        lines += [f"- {s.title} ({s.source})" for _, s in answer.closest_sources(limit=len(answer.sources))]
    return "\n".join(lines)
