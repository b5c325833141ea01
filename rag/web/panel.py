"""HTML for the sources panel: each turn's sources grouped per article, and whole-article readers.

One card per article, cited articles first and then by retrieval rank: its cited passages
together (the quoted sentence highlighted in its paragraphs), then the passages that were
retrieved but not cited, collapsed. Only the newest turn is shown; a click on an older [n]
switches turns (static/app.js).

Each article the conversation touched has one reader: the whole text with every sentence
cited anywhere in the conversation highlighted, and previous/next buttons between them. A
reader is also what a span link (``?a=<article id>&s=<start>-<end>``) opens.

A conversation reopened after its articles were re-ingested is shown against today's text: a
quote still at its offsets is shown as before; one that moved is found again by its words; one
that is gone is shown on its own, and the card says the article changed since.

Ids: turn ``k`` is ``turn-k``; its citation ``n`` is ``cite-k-n``; its retrieved passage ``i``
(1-based, in retrieval order) is ``src-k-i``; the reader of the ``j``-th article is ``reader-j``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rag.answer.citations import SUPPORT_THRESHOLD
from rag.answer.record import Citation, Source
from rag.web.render import ChatTurn, clip, esc, plural, quoted, safe_url

# About a screenful of context around a quote in a card.
PASSAGE_BUDGET = 700
QUOTE_PREVIEW = 90
CHANGED = "article changed since"


@dataclass
class ArticleInfo:
    """What a card or reader shows about an article besides its text."""

    article_id: str
    title: str
    source: str
    url: str | None = None
    published: str | None = None


@dataclass
class SpanLink:
    """``?a=<article id>&s=<start>-<end>``: one sentence of one article, to open in a reader."""

    info: ArticleInfo
    text: str | None  # None: the article is not in the index
    start: int
    end: int


@dataclass
class ArticleGroup:
    info: ArticleInfo
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[tuple[int, Source]] = field(default_factory=list)  # (1-based index, source), not cited
    rank: int = 0  # position of its best retrieved passage


def span_href(article_id: str, start: int, end: int) -> str:
    return "?" + urlencode({"a": article_id, "s": f"{start}-{end}"})


def _info_of(item: Citation | Source) -> ArticleInfo:
    return ArticleInfo(item.article_id, item.title, item.source, item.url, item.published)


def group_by_article(answer) -> list[ArticleGroup]:
    """One group per article; the cited ones first (the answer rests on them), then by rank."""
    groups: dict[str, ArticleGroup] = {}
    for rank, source in enumerate(answer.sources):
        groups.setdefault(source.article_id, ArticleGroup(_info_of(source), rank=rank))
    for citation in answer.citations:
        group = groups.setdefault(citation.article_id, ArticleGroup(_info_of(citation), rank=len(groups)))
        group.citations.append(citation)
    cited_chunks = {c.chunk_id for c in answer.citations}
    for i, source in enumerate(answer.sources, start=1):
        if source.chunk_id not in cited_chunks:
            groups[source.article_id].retrieved.append((i, source))
    return sorted(groups.values(), key=lambda g: (not g.citations, g.rank))


def locate(text: str | None, quote: str, start: int) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text`` now: at ``start`` if unchanged, else its nearest occurrence."""
    if text is None or not quote:
        return None
    if text[start : start + len(quote)] == quote:
        return start, start + len(quote)
    found = [m.start() for m in re.finditer(re.escape(quote), text)]
    if not found:
        return None
    at = min(found, key=lambda x: abs(x - start))
    return at, at + len(quote)


# -- passages ----------------------------------------------------------------------------------


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


def _quote_only(quote: str) -> str:
    return f'<blockquote class="sc-passage"><mark class="sc-quote">{esc(quote)}</mark></blockquote>'


def meta_line(info: ArticleInfo) -> str:
    bits = [f'<span class="sc-file">{esc(info.source)}</span>']
    if info.published:
        bits.append(f'<span class="sc-date">{esc(info.published[:10])}</span>')
    link = safe_url(info.url)
    if link:
        bits.append(f'<a class="sc-url" href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow">'
                    f"{esc(clip(link, 60))}</a>")
    elif info.url:
        bits.append(f'<span class="sc-url">{esc(info.url)}</span>')
    return f'<div class="sc-meta">{" · ".join(bits)}</div>'


def support_label(support: float) -> str:
    """Plain words for the support score shown with a cited passage."""
    if support >= 0.999:
        return "quoted word for word"
    return f"checked: supports the sentence (score {support:.2f}, {SUPPORT_THRESHOLD:.2f} needed)"


def _read_button(reader: str, focus: str, label: str) -> str:
    return (f'<button type="button" class="sc-read" data-reader="{esc(reader)}" data-focus="{esc(focus)}">'
            f"{esc(label)}</button>")


def _cited_block(k: int, citation: Citation, text: str | None, changed: bool, reader: str) -> str:
    where = locate(text, citation.quote, citation.start)
    note = ""
    if where is None:
        passage = _quote_only(citation.quote)
        if text is None:
            note = "This article is no longer in the index; the quote is as it was."
        else:
            note = f"The {CHANGED}: this sentence is no longer in it."
    else:
        passage = passage_html(text, *where)
        if changed:
            note = f"The {CHANGED}; the sentence is still in it."
    head = (f'<span class="sc-n">[{citation.n}]</span> <span class="sc-support">{esc(support_label(citation.support))}</span>'
            f'<a class="sc-span-link" href="{esc(span_href(citation.article_id, citation.start, citation.end))}"'
            f' target="_blank" rel="noopener">link to this sentence</a>')
    if text is not None:
        head += _read_button(reader, f"{k}-{citation.n}", "whole article")
    note_html = f'<p class="sc-changed">{esc(note)}</p>' if note else ""
    return (
        f'<div class="sc-cited" id="cite-{k}-{citation.n}" tabindex="-1" data-n="{citation.n}"'
        f' data-title="{esc(citation.title)}" data-date="{esc((citation.published or "")[:10])}"'
        f' data-quote="{esc(citation.quote)}">'
        f'<div class="sc-cited-head">{head}</div>{note_html}{passage}</div>'
    )


def _retrieved_block(k: int, i: int, source: Source, text: str | None, changed: bool, reader: str) -> str:
    if text is None:
        body = '<p class="sc-missing">This article is no longer in the index.</p>'
    elif changed:
        body = (f'<p class="sc-changed">The {CHANGED}: this passage cannot be shown as it was. '
                f'{_read_button(reader, "", "Read it as it is now")}</p>')
    else:
        body = (f'<blockquote class="sc-passage">{esc(text[source.start:source.end].strip())}</blockquote>'
                + _read_button(reader, f"src-{k}-{i}", "in the whole article"))
    return f'<div class="sc-retrieved" id="src-{k}-{i}" tabindex="-1">{body}</div>'


def _article_card(k: int, group: ArticleGroup, turn: ChatTurn, reader: str) -> str:
    aid = group.info.article_id
    text, changed = turn.texts.get(aid), aid in turn.changed
    numbers = "".join(f'<span class="sc-n">[{c.n}]</span>' for c in group.citations)
    flag = f'<span class="sc-changed-flag">{CHANGED}</span>' if changed else ""
    parts = [f'<div class="sc-card-head"><span class="sc-card-title">{esc(group.info.title)}</span>'
             f'{numbers}{flag}</div>{meta_line(group.info)}']
    parts += [_cited_block(k, c, text, changed, reader) for c in sorted(group.citations, key=lambda c: c.n)]
    if group.retrieved:
        count = len(group.retrieved)
        label = (f"{plural(count, 'more retrieved passage')} (not cited)" if group.citations
                 else plural(count, "retrieved passage"))
        preview = ""
        if not group.citations and text is not None and not changed:
            first = group.retrieved[0][1]
            snippet = " ".join(text[first.start:first.end].split())
            preview = f'<span class="sc-preview">{esc(quoted(clip(snippet, QUOTE_PREVIEW)))}</span>'
        blocks = "".join(_retrieved_block(k, i, s, text, changed, reader) for i, s in group.retrieved)
        parts.append(f'<details class="sc-more"><summary>{esc(label)}{preview}</summary>{blocks}</details>')
    if not group.citations and text is not None:
        parts.append(_read_button(reader, "", "Read the whole article"))
    kind = "sc-has-cited" if group.citations else "sc-only-retrieved"
    return f'<article class="sc-card sc-article {kind}" data-article="{esc(aid)}">{"".join(parts)}</article>'


def _sources_for(question: str, standalone: str = "") -> str:
    line = f'<p class="sc-for">Sources for: <q>{esc(clip(question, 140))}</q>'
    if standalone and standalone != question:
        line += f'<br><span class="sc-understood">understood as: <q>{esc(clip(standalone, 200))}</q></span>'
    return line + "</p>"


def _turn_section(k: int, turn: ChatTurn, current: bool, readers: dict[str, str], pending: bool = False) -> str:
    answer = turn.answer
    parts = [_sources_for(answer.question, answer.standalone_question)]
    groups = group_by_article(answer)
    if groups:
        if pending:
            heading = "Retrieved passages"
        elif answer.refused:
            # retrieval ranks something whatever is asked: say so when none of it is on the question
            heading = "Closest sources" if answer.closest_sources() else "Retrieved passages (none on the question)"
        else:
            heading = f"Sources: {plural(len(groups), 'article')}"
        parts.append(f'<h4 class="sc-h">{heading}</h4>')
        parts += [_article_card(k, g, turn, readers[g.info.article_id]) for g in groups]
    else:
        parts.append('<p class="sc-empty">No passages were retrieved for this question.</p>')
    classes = "sc-turn" + (" sc-current" if current else "") + (" sc-pending" if pending else "")
    return f'<section class="{classes}" id="turn-{k}">{"".join(parts)}</section>'


# -- whole-article readers ---------------------------------------------------------------------


@dataclass
class _Mark:
    start: int
    end: int
    keys: list[str]  # "k-n" of every citation of this span


def _marked_text(text: str, marks: list[_Mark], anchors: list[tuple[int, str]]) -> str:
    """The escaped text with each mark in <mark> and zero-width anchors where passages start."""
    merged: list[_Mark] = []
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        if merged and mark.start < merged[-1].end:  # the same sentence cited twice, or overlapping
            merged[-1].end = max(merged[-1].end, mark.end)
            merged[-1].keys += mark.keys
        else:
            merged.append(_Mark(mark.start, mark.end, list(mark.keys)))
    events: list[tuple[int, int, object]] = [(m.start, 1, m) for m in merged]
    for at, key in anchors:
        inside = next((m for m in merged if m.start < at < m.end), None)
        events.append((inside.start if inside else at, 0, key))
    out, at = [], 0
    for pos, kind, item in sorted(events, key=lambda e: (e[0], e[1])):
        out.append(esc(text[at:pos]))
        at = max(at, pos)
        if kind == 0:
            out.append(f'<span class="sc-anchor" data-src="{esc(item)}"></span>')
        else:
            out.append(f'<mark class="sc-quote" tabindex="-1" data-cites="{esc(" ".join(item.keys))}">'
                       f"{esc(text[item.start:item.end])}</mark>")
            at = item.end
    out.append(esc(text[at:]))
    return "".join(out)


def _reader(reader_id: str, info: ArticleInfo, text: str | None, marks: list[_Mark], anchors: list[tuple[int, str]],
            notes: list[str], open_focus: str | None = None, back: bool = True) -> str:
    count = len({(m.start, m.end) for m in marks})
    back_button = '<button type="button" class="sc-reader-back">← Sources</button>' if back else "<span></span>"
    bar = (f'<div class="sc-reader-bar">{back_button}'
           '<span class="sc-reader-nav">'
           '<button type="button" class="sc-prev" aria-label="Previous cited sentence">◀</button>'
           f'<span class="sc-reader-pos" aria-live="polite">{plural(count, "cited sentence")}</span>'
           '<button type="button" class="sc-next" aria-label="Next cited sentence">▶</button></span></div>')
    if text is None:
        body = '<p class="sc-missing">This article is no longer in the index.</p>'
    else:
        body = f'<div class="sc-reader-text">{_marked_text(text, marks, anchors)}</div>'
        lead = len(info.title) + len(text[len(info.title):]) - len(text[len(info.title):].lstrip())
        if info.title and text.startswith(info.title) and not any(m.start < lead for m in marks):
            # The text opens with the title shown above it: show it once. The offsets are untouched.
            body = body.replace(esc(text[:lead]), f'<span class="sc-reader-dup">{esc(text[:lead])}</span>', 1)
    notes_html = "".join(f'<p class="sc-changed">{esc(n)}</p>' for n in notes)
    state = f' data-focus="{esc(open_focus)}"' if open_focus is not None else " hidden"
    return (f'<article class="sc-reader" id="{esc(reader_id)}" data-article="{esc(info.article_id)}"'
            f' aria-label="{esc(info.title)}"{state}>{bar}'
            f'<h4 class="sc-reader-title">{esc(info.title)}</h4>{meta_line(info)}{notes_html}{body}</article>')


def _readers(turns: list[ChatTurn]) -> tuple[dict[str, str], str]:
    """Reader ids by article id, and the readers' HTML, for every article the turns touched."""
    infos: dict[str, ArticleInfo] = {}
    texts: dict[str, str] = {}
    for turn in turns:
        for item in [*turn.answer.citations, *turn.answer.sources]:
            infos.setdefault(item.article_id, _info_of(item))
        texts.update({aid: text for aid, text in turn.texts.items() if text is not None})
    ids = {aid: f"reader-{j}" for j, aid in enumerate(infos)}
    html = []
    for aid, info in infos.items():
        text = texts.get(aid)
        marks, anchors, gone = [], [], []
        for k, turn in enumerate(turns):
            for c in turn.answer.citations:
                if c.article_id != aid:
                    continue
                where = locate(text, c.quote, c.start)
                if where is None:
                    gone.append(c.quote)
                else:
                    marks.append(_Mark(*where, [f"{k}-{c.n}"]))
            if turn.texts.get(aid) == text and text is not None:
                anchors += [(s.start, f"src-{k}-{i}") for i, s in enumerate(turn.answer.sources, start=1)
                            if s.article_id == aid]
        notes = []
        if any(aid in t.changed for t in turns) and text is not None:
            notes.append(f"The {CHANGED} it was quoted: this is the text as it is now.")
        if gone and text is not None:
            notes += [f"No longer in the article: {quoted(clip(q, 200))}" for q in dict.fromkeys(gone)]
        html.append(_reader(ids[aid], info, text, marks, anchors, notes))
    return ids, "".join(html)


def _link_reader(link: SpanLink) -> str:
    text = link.text
    notes, marks = [], []
    if text is not None:
        if 0 <= link.start < link.end <= len(text):
            marks.append(_Mark(link.start, link.end, ["link"]))
        else:
            notes.append(f"Characters {link.start}–{link.end} are not in this article (it has {len(text)}).")
    return _reader("reader-link", link.info, text, marks, [], notes, open_focus="link" if marks else "",
                   back=False)


# -- the panel ---------------------------------------------------------------------------------

PANEL_TITLE = '<h3 class="sc-panel-title">Sources</h3>'
PANEL_PLACEHOLDER = (
    f'<div class="sc-panel sc-panel-empty">{PANEL_TITLE}<p>Sources appear here.</p>'
    "<p>Click a number such as [1] in an answer to see the passage it quotes, with the quoted "
    "sentence highlighted, and open the whole article from there.</p></div>"
)


def panel_html(turns: list[ChatTurn], pending: ChatTurn | None = None, link: SpanLink | None = None) -> str:
    """The panel for a conversation: every turn's sources (the newest shown) and the readers.

    ``pending`` is the turn being answered, its ``answer`` holding only the sources so far: they
    are shown before the answer text arrives. ``link`` opens that article's reader at a span.
    """
    if not turns and pending is None and link is None:
        return PANEL_PLACEHOLDER
    everything = turns + ([pending] if pending is not None else [])
    readers, readers_html = _readers(everything)
    sections = [_turn_section(k, t, current=(pending is None and link is None and k == len(turns) - 1),
                              readers=readers) for k, t in enumerate(turns)]
    if pending is not None:
        sections.append(_turn_section(len(turns), pending, current=True, readers=readers, pending=True))
    if link is not None:
        readers_html += _link_reader(link)
    return (f'<div class="sc-panel{" sc-reading" if link is not None else ""}">{PANEL_TITLE}'
            f'<div class="sc-turns">{"".join(sections)}</div><div class="sc-readers">{readers_html}</div></div>')
