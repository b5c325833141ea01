"""The web app's pieces without a browser: answer and panel HTML, readers, examples, uploads,
login, settings."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rag.answer.record import Answer, AnswerSentence, Citation, Source
from rag.web.app import parse_auth, static_text
from rag.web.examples import MainName, main_name, plain_title
from rag.web.panel import ArticleInfo, SpanLink, group_by_article, panel_html, passage_html, passage_window
from rag.web.render import ChatTurn, answer_html, answer_markdown, header_html, safe_url
from rag.web.uploads import accept_uploads, check_upload, safe_name, save_upload

SEED = "000_7d40094ea373a31e.txt"
HOSTILE_TEXT = ("Prank at the pier\n\nA banner read <script>alert(1)</script> by the water.\n\n"
                "A sign said <img src=x onerror=alert(2)> and was removed.\n")


@pytest.fixture(scope="module")
def seed_text(seeds_dir) -> str:
    return (seeds_dir / SEED).read_text(encoding="utf-8")


def citation(n: int, article_id: str, text: str, quote: str, title: str = "Title", url: str | None = None) -> Citation:
    start = text.index(quote)
    return Citation(n=n, article_id=article_id, source=article_id, title=title, url=url, published="2019-08-21T10:00",
                    quote=quote, start=start, end=start + len(quote), support=0.91, chunk_id=f"{article_id}@0")


def source(article_id: str, start: int, end: int, title: str = "Title") -> Source:
    return Source(article_id=article_id, source=article_id, title=title, score=0.03, chunk_id=f"{article_id}@{start}",
                  start=start, end=end)


class Elements(HTMLParser):
    """Every element as (tag, attributes, text directly inside it), to check what HTML means."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict, list[str]]] = []
        self._open: list[int] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs), []))
        if tag not in ("br", "img", "input", "meta"):
            self._open.append(len(self.found) - 1)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for index in self._open:
            self.found[index][2].append(data)

    def tags(self) -> set[str]:
        return {tag for tag, _, _ in self.found}

    def text_of(self, tag: str, **attrs) -> list[str]:
        return ["".join(text) for t, a, text in self.found
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


# -- answers in the chat -----------------------------------------------------------------------


def test_answer_links_each_marker_to_its_panel_entry(seed_text):
    quote = seed_text[seed_text.index("Qatar’s permanent"):seed_text.index("Xinjiang province.") + 18]
    cite = citation(1, SEED, seed_text, quote)
    answer = Answer(question="Who signed?", answer="Ali Mansouri signed it [1].", refused=False, mode="extractive",
                    citations=[cite], sentences=[AnswerSentence("Ali Mansouri signed it.", [1], 0.9)])
    markup = answer_html(2, ChatTurn(answer, {SEED: seed_text}))
    links = Elements(markup).text_of("a", href="#cite-2-1")
    assert links == ["[1]"]
    # The marker sits before the full stop, as in the plain-text answer.
    assert re.search(r"signed it <a [^>]+>\[1\]</a>\.", markup)
    panel = Elements(panel_html([ChatTurn(answer, {SEED: seed_text})]))
    assert panel.text_of("div", id="cite-0-1")
    # Highlighted in the passage under the card, and in the whole-article reader.
    assert panel.text_of("mark", **{"class": "sc-quote"}) == [quote, quote]
    assert [a.get("data-cites") for t, a, _ in panel.found if t == "mark"] == [None, "0-1"]
    # The preview on hover reads the quote, title and date from the passage's element.
    cited = next(a for t, a, _ in panel.found if a.get("id") == "cite-0-1")
    assert (cited["data-quote"], cited["data-title"], cited["data-date"]) == (quote, "Title", "2019-08-21")
    # No plain tooltip on the marker: the styled preview replaces it.
    link = next(a for t, a, _ in Elements(markup).found if t == "a")
    assert "title" not in link and link["aria-label"] == "Citation 1: Title"


def test_the_short_answer_lead_is_bold_and_markup_inside_it_stays_text(seed_text):
    quote = seed_text[seed_text.index("Qatar’s permanent"):seed_text.index("Xinjiang province.") + 18]
    cite = citation(1, SEED, seed_text, quote)
    lead = "**Ali Mansouri**: " + quote
    answer = Answer(question="Who signed?", answer=lead + " [1]", refused=False, mode="extractive",
                    citations=[cite], sentences=[AnswerSentence(lead, [1], 1.0)])
    markup = answer_html(0, ChatTurn(answer, {SEED: seed_text}))
    assert Elements(markup).text_of("strong") == ["Ali Mansouri"]
    assert "**" not in markup
    hostile = "**<img src=x onerror=alert(1)>**: a sentence."
    answer = Answer(question="?", answer=hostile, refused=False, mode="extractive",
                    sentences=[AnswerSentence(hostile, [], 1.0)])
    elements = Elements(answer_html(0, ChatTurn(answer, {})))
    assert "img" not in elements.tags()
    assert elements.text_of("strong") == ["<img src=x onerror=alert(1)>"]  # shown as text, in bold


def test_a_briefings_article_headlines_are_lines_of_their_own(seed_text):
    quote = seed_text[seed_text.index("Qatar’s permanent"):seed_text.index("Xinjiang province.") + 18]
    heading = AnswerSentence("**Qatar withdraws support for China** (21 August 2019)", [], 1.0, heading=True)
    answer = Answer(question="Summarize the news about Qatar", answer="", refused=False, mode="extractive",
                    citations=[citation(1, SEED, seed_text, quote)], sentences=[heading, AnswerSentence(quote, [1], 1.0)])
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text})))
    headings = [a for t, a, _ in elements.found if t == "span" and "sc-heading" in a.get("class", "")]
    assert len(headings) == 1  # the quote under it is an ordinary sentence
    assert ".sc-heading { display: block;" in static_text("app.css")


def test_article_markup_in_answers_quotes_and_titles_is_escaped():
    quote = "A banner read <script>alert(1)</script> by the water."
    cite = citation(1, "prank.txt", HOSTILE_TEXT, quote, title="<b onmouseover=alert(3)>Prank</b>",
                    url="javascript:alert(4)")
    answer = Answer(question="<img src=x onerror=alert(5)>", answer=quote + " [1]", refused=False,
                    mode="extractive", citations=[cite], sentences=[AnswerSentence(quote, [1], 0.9)],
                    sources=[source("prank.txt", 0, len(HOSTILE_TEXT), title="<b onmouseover=alert(3)>Prank</b>")])
    turn = ChatTurn(answer, {"prank.txt": HOSTILE_TEXT})
    for markup in (answer_html(0, turn), panel_html([turn])):
        elements = Elements(markup)
        assert not {"script", "img", "b"} & elements.tags()
        assert not any(k.startswith("on") for _, attrs, _ in elements.found for k in attrs)
        assert not any((attrs.get("href") or "").startswith("javascript:") for _, attrs, _ in elements.found)
    shown = "".join(t for _, _, texts in Elements(panel_html([turn])).found for t in texts)
    assert "<script>alert(1)</script>" in shown
    assert "<img src=x onerror=alert(2)>" in shown
    assert "javascript:alert(4)" in shown  # shown as text, not as a link


def test_unsupported_sentences_are_marked_and_counted(seed_text):
    cite = citation(1, SEED, seed_text, "Ali Mansouri had signed on July 12")
    answer = Answer(question="q", answer="a", refused=False, mode="generative", citations=[cite], sentences=[
        AnswerSentence("Ali Mansouri signed on July 12.", [1], 0.9),
        AnswerSentence("Germany also signed.", [], 0.1, unsupported=True),
    ])
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text})))
    flagged = elements.text_of("span", **{"class": "sc-unsupported"})
    assert len(flagged) == 1 and flagged[0].startswith("Germany also signed.")
    assert "not supported by the sources" in flagged[0]
    assert "1 sentence not supported by the sources" in elements.text_of("p", **{"class": "sc-footer"})[0]


def test_a_flagged_sentence_shows_why_it_is_flagged(seed_text):
    cite = citation(1, SEED, seed_text, "Ali Mansouri had signed on July 12")
    reason = 'the source says "July 12", not "<July 18>"'
    answer = Answer(question="q", answer="a", refused=False, mode="generative", citations=[cite], sentences=[
        AnswerSentence("Ali Mansouri signed on July 18.", [], 0.5, unsupported=True, reason=reason),
        AnswerSentence("Germany also signed.", [], 0.1, unsupported=True),
    ])
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text})))
    assert elements.text_of("span", **{"class": "sc-reason"}) == [reason, "no sentence in the sources says this"]
    assert "july" not in elements.tags()  # "<July 18>" in a reason is text, never markup


def test_refusal_is_shown_as_a_refusal_with_the_closest_sources(seed_text):
    answer = Answer(question="What is the capital of France?", answer="The sources don't say. (No match.)",
                    refused=True, mode="extractive",
                    sources=[source(SEED, 0, 300, "Qatar withdraws"), source(SEED, 300, 600, "Qatar withdraws"),
                             source("other.txt", 0, 10, "Harbour festival")])
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text, "other.txt": "Harbour festival news"})))
    assert elements.text_of("span", **{"class": "sc-badge"}) == ["Not in the sources"]
    # Each article once, linked to its first passage in the panel.
    assert [(a["href"], "".join(t)) for tag, a, t in elements.found if tag == "a"] == [
        ("#src-0-1", "Qatar withdraws"), ("#src-0-3", "Harbour festival")]
    assert not elements.text_of("a", **{"class": "sc-cite"})
    panel = Elements(panel_html([ChatTurn(answer, {SEED: seed_text, "other.txt": "Harbour festival news"})]))
    assert panel.text_of("h4", **{"class": "sc-h"}) == ["Closest sources"]
    # a passage sharing nothing with the question is no close source, though the panel shows what was retrieved
    answer.sources[2].on_topic = False
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text, "other.txt": "Harbour festival news"})))
    assert [(a["href"], "".join(t)) for tag, a, t in elements.found if tag == "a"] == [("#src-0-1", "Qatar withdraws")]
    assert "Harbour festival" not in answer_markdown(answer)
    for retrieved in answer.sources:
        retrieved.on_topic = False
    panel = Elements(panel_html([ChatTurn(answer, {SEED: seed_text, "other.txt": "Harbour festival news"})]))
    assert panel.text_of("h4", **{"class": "sc-h"}) == ["Retrieved passages (none on the question)"]
    assert panel.text_of("blockquote", **{"class": "sc-passage"})[0] == seed_text[0:300].strip()
    # One card per article, its two passages under it, folded away.
    cards = [a["data-article"] for t, a, _ in panel.found if t == "article" and "sc-article" in a["class"]]
    assert cards == [SEED, "other.txt"]
    summaries = panel.text_of("summary")
    assert summaries[0].startswith("2 retrieved passages“Qatar withdraws support for China")  # + a preview
    assert summaries[1] == "1 retrieved passage“Harbour fe”"


def test_a_failed_model_shows_its_error_above_the_labelled_fallback(seed_text):
    cite = citation(1, SEED, seed_text, "China last year ranked as Qatar’s third largest trade partner")
    fallback = Answer(question="q", answer="x", refused=False, mode="extractive", citations=[cite],
                      sentences=[AnswerSentence("Trade was $13 billion.", [1], 0.9)])
    turn = ChatTurn(fallback, {SEED: seed_text}, llm_error="cannot reach the language model at http://x/v1")
    elements = Elements(answer_html(0, turn))
    assert elements.text_of("p", **{"class": "sc-error", "role": "alert"}) == [
        "⚠ No generative answer: cannot reach the language model at http://x/v1."]
    assert elements.text_of("p", **{"class": "sc-fallback-label"}) == ["Extractive answer from the sources instead:"]
    assert elements.text_of("p", **{"class": "sc-footer"})[0].startswith("extractive fallback")
    text = answer_markdown(fallback, llm_error=turn.llm_error)
    assert text.startswith("No generative answer: cannot reach the language model at http://x/v1. Extractive")


# -- the sources panel -------------------------------------------------------------------------


def test_passage_keeps_whole_paragraphs_around_the_quote(seed_text):
    quote = "Ali Mansouri had signed on July 12"
    start = seed_text.index(quote)
    a, b = passage_window(seed_text, start, start + len(quote))
    window = seed_text[a:b]
    assert quote in window
    assert len(window) <= 700
    # Paragraph boundaries, not mid-word cuts: the window starts and ends at line edges.
    assert a == 0 or seed_text[a - 1] == "\n"
    assert b == len(seed_text) or seed_text[b] == "\n"
    assert "Coly Seck" in window and "July 18" in window  # the neighbouring paragraphs


def test_a_very_long_paragraph_is_cut_at_words_and_the_quote_kept_whole():
    text = " ".join(f"word{i}" for i in range(2000)) + " The key sentence is here. " + " ".join(
        f"tail{i}" for i in range(2000))
    start = text.index("The key sentence")
    end = start + len("The key sentence is here.")
    a, b = passage_window(text, start, end)
    assert a < start and b > end and b - a <= 700
    assert text[a - 1] == " " and text[b] == " "
    markup = passage_html(text, start, end)
    assert markup.startswith('<blockquote class="sc-passage">…word')
    assert markup.endswith("…</blockquote>")
    assert Elements(markup).text_of("mark") == ["The key sentence is here."]


def test_only_the_newest_turn_is_shown_and_a_pending_turn_lists_its_sources(seed_text):
    first = Answer(question="first?", answer="a", refused=False, mode="extractive",
                   sources=[source(SEED, 0, 100)])
    second = Answer(question="When did he write?", answer="b", refused=False, mode="extractive",
                    standalone_question="When did Ali Mansouri write?", sources=[source(SEED, 100, 200)])
    turns = [ChatTurn(first, {SEED: seed_text}), ChatTurn(second, {SEED: seed_text})]
    sections = [(a["id"], a["class"]) for tag, a, _ in Elements(panel_html(turns)).found if tag == "section"]
    assert sections == [("turn-0", "sc-turn"), ("turn-1", "sc-turn sc-current")]
    assert "understood as: When did Ali Mansouri write?" in "".join(
        Elements(panel_html(turns)).text_of("p", **{"class": "sc-for"}))
    third = Answer("third?", "", False, "extractive", sources=[source(SEED, 0, 50)])
    pending = Elements(panel_html(turns, ChatTurn(third, {SEED: seed_text})))
    sections = [(a["id"], a["class"]) for tag, a, _ in pending.found if tag == "section"]
    assert sections[-1] == ("turn-2", "sc-turn sc-current sc-pending")
    assert pending.text_of("div", id="src-2-1")


def test_sources_are_grouped_one_card_per_article_with_cited_passages_first(seed_text):
    other_text = "Harbour festival\n\nThe harbour festival drew 48,000 visitors on Saturday.\n"
    first = citation(1, SEED, seed_text, "Ali Mansouri had signed on July 12")
    second = citation(2, SEED, seed_text, "Ambassador Ali Mansouri wrote to the UN officer on July 18")
    second.chunk_id = f"{SEED}@1"
    sources = [Source("other.txt", "other.txt", "Harbour festival", 0.04, "other.txt@0", 0, len(other_text)),
               Source(SEED, SEED, "Qatar withdraws", 0.03, first.chunk_id, 0, 900),
               Source(SEED, SEED, "Qatar withdraws", 0.02, second.chunk_id, 800, 1700),
               Source(SEED, SEED, "Qatar withdraws", 0.01, f"{SEED}@2", 1600, 2400)]
    answer = Answer(question="q", answer="a", refused=False, mode="extractive", citations=[first, second],
                    sources=sources, sentences=[AnswerSentence("a.", [1, 2], 0.9)])
    assert [(g.info.article_id, [c.n for c in g.citations], [i for i, _ in g.retrieved])
            for g in group_by_article(answer)] == [(SEED, [1, 2], [4]), ("other.txt", [], [1])]

    panel = Elements(panel_html([ChatTurn(answer, {SEED: seed_text, "other.txt": other_text})]))
    cards = [(a["data-article"], a["class"]) for t, a, _ in panel.found if t == "article" and "sc-article" in a["class"]]
    # The cited article first although the other one ranked higher.
    assert cards == [(SEED, "sc-card sc-article sc-has-cited"), ("other.txt", "sc-card sc-article sc-only-retrieved")]
    assert panel.text_of("h4", **{"class": "sc-h"}) == ["Sources: 2 articles"]
    assert panel.text_of("summary") == ["1 more retrieved passage (not cited)", "1 retrieved passage"
                                        "“Harbour festival The harbour festival drew 48,000 visitors on Saturday.”"]
    ids = [a["id"] for t, a, _ in panel.found if a.get("id", "").startswith(("cite-", "src-"))]
    assert ids == ["cite-0-1", "cite-0-2", "src-0-4", "src-0-1"]
    # Each cited passage links to its sentence and opens the whole article at it.
    links = [a["href"] for t, a, _ in panel.found if t == "a" and a.get("class") == "sc-span-link"]
    assert links == [f"?a={SEED}&s={first.start}-{first.end}", f"?a={SEED}&s={second.start}-{second.end}"]
    assert [(a["data-reader"], a["data-focus"]) for t, a, _ in panel.found if a.get("class") == "sc-read"][:2] == [
        ("reader-0", "0-1"), ("reader-0", "0-2")]


def test_a_reader_shows_the_whole_article_with_every_sentence_the_conversation_cited(seed_text):
    signed = citation(1, SEED, seed_text, "Ali Mansouri had signed on July 12")
    wrote = citation(2, SEED, seed_text, "Ambassador Ali Mansouri wrote to the UN officer on July 18")
    first = Answer("Who signed?", "a", False, "extractive", citations=[signed],
                   sources=[source(SEED, 0, 900)], sentences=[AnswerSentence("a.", [1], 0.9)])
    second = Answer("When?", "b", False, "extractive", citations=[replace(signed, n=1), wrote],
                    sources=[source(SEED, 0, 900)], sentences=[AnswerSentence("b.", [1, 2], 0.9)])
    panel = Elements(panel_html([ChatTurn(first, {SEED: seed_text}), ChatTurn(second, {SEED: seed_text})]))
    readers = [(a["id"], a["data-article"]) for t, a, _ in panel.found if t == "article" and a.get("class") == "sc-reader"]
    assert readers == [("reader-0", SEED)]  # one reader per article, however often it was cited
    reader_text = "".join(panel.text_of("div", **{"class": "sc-reader-text"}))
    assert reader_text == seed_text  # the whole article, exactly
    marks = [(a["data-cites"], "".join(t)) for tag, a, t in panel.found if tag == "mark" and "data-cites" in a]
    assert marks == [("0-1 1-1", signed.quote), ("1-2", wrote.quote)]  # the same sentence cited twice: one mark
    assert panel.text_of("span", **{"class": "sc-reader-pos", "aria-live": "polite"}) == ["2 cited sentences"]


def test_a_reopened_conversation_says_which_articles_changed_since_and_still_shows_its_quotes(seed_text):
    signed = citation(1, SEED, seed_text, "Ali Mansouri had signed on July 12")
    answer = Answer("Who signed?", "a", False, "extractive", citations=[signed],
                    sources=[source(SEED, 0, 900), source(SEED, 900, 1500)], sentences=[AnswerSentence("a.", [1], 0.9)])
    moved = "An editor's note added later.\n\n" + seed_text
    panel = Elements(panel_html([ChatTurn(answer, {SEED: moved}, changed={SEED})]))
    assert panel.text_of("span", **{"class": "sc-changed-flag"}) == ["article changed since"]
    cited = panel.text_of("div", id="cite-0-1")
    assert "".join(cited) and panel.text_of("p", **{"class": "sc-changed"})[0] == (
        "The article changed since; the sentence is still in it.")
    assert [t for tag, a, t in panel.found if tag == "mark"][0] == [signed.quote]  # found at its new place
    # The retrieved passage's offsets mean nothing in the new text: it is not shown as if they did.
    assert "cannot be shown as it was" in "".join(panel.text_of("p", **{"class": "sc-changed"}))

    gone = seed_text.replace(signed.quote, "someone signed")
    panel = Elements(panel_html([ChatTurn(answer, {SEED: gone}, changed={SEED})]))
    notes = panel.text_of("p", **{"class": "sc-changed"})
    assert "The article changed since: this sentence is no longer in it." in notes
    assert f"No longer in the article: “{signed.quote}”" in notes  # said in the reader too
    assert panel.text_of("mark", **{"class": "sc-quote"}) == [signed.quote]  # the quote as it was, on its own

    removed = Elements(panel_html([ChatTurn(answer, {}, changed={SEED})]))
    assert "This article is no longer in the index; the quote is as it was." in removed.text_of(
        "p", **{"class": "sc-changed"})


def test_a_span_link_opens_the_article_at_that_sentence(seed_text):
    quote = "Ali Mansouri had signed on July 12"
    start = seed_text.index(quote)
    info = ArticleInfo(SEED, "Qatar withdraws", SEED, "https://n.example/a", "2019-08-21")
    panel = Elements(panel_html([], link=SpanLink(info, seed_text, start, start + len(quote))))
    [reader] = [a for t, a, _ in panel.found if t == "article"]
    assert (reader["id"], reader["data-focus"], "hidden" in reader) == ("reader-link", "link", False)
    assert [(a["data-cites"], "".join(t)) for tag, a, t in panel.found if tag == "mark"] == [("link", quote)]
    assert "".join(panel.text_of("div", **{"class": "sc-reader-text"})) == seed_text

    outside = Elements(panel_html([], link=SpanLink(info, seed_text, 10, 10 ** 6)))
    assert not outside.text_of("mark")
    assert outside.text_of("p", **{"class": "sc-changed"}) == [
        f"Characters 10–1000000 are not in this article (it has {len(seed_text)})."]
    missing = Elements(panel_html([], link=SpanLink(ArticleInfo("gone.txt", "gone.txt", "gone.txt"), None, 0, 5)))
    assert missing.text_of("p", **{"class": "sc-missing"}) == ["This article is no longer in the index."]


def test_the_header_names_the_folder_never_its_path():
    markup = header_html(300, "sources")
    assert "300 articles" in "".join(Elements(markup).text_of("strong", **{"class": "sc-count"}))
    assert Elements(markup).text_of("code") == ["sources"]
    assert "1 article<" in header_html(1, "news")
    assert "No articles" in header_html(0, "news")


def test_only_http_links_are_clickable():
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,<script>", "//evil.example", "ftp://x/y", "", None):
        assert safe_url(bad) is None


def test_api_text_lists_each_citation_with_its_quote(seed_text):
    quote = "Ali Mansouri had signed on July 12"
    answer = Answer(question="q", answer="Ali Mansouri signed on July 12 [1].", refused=False, mode="extractive",
                    citations=[citation(1, SEED, seed_text, quote, title="Qatar withdraws", url="https://n.example/a")],
                    sentences=[AnswerSentence("Ali Mansouri signed on July 12.", [1], 0.9)])
    assert answer_markdown(answer) == (
        "Ali Mansouri signed on July 12 [1].\n\nSources:\n"
        f"[1] Qatar withdraws ({SEED}, 2019-08-21, https://n.example/a): “Ali Mansouri had signed on July 12”")


# -- uploads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sent, saved", [
    ("report.TXT", "report.txt"),
    ("../../etc/passwd.md", "passwd.md"),
    ("..\\..\\windows\\evil.html", "evil.html"),
    (".hidden.md", "hidden.md"),
    ("my report (final).md", "my_report_final.md"),
    ("../", "upload"),
    ("Zürich – notes.pdf", "Z_rich_notes.pdf"),
    ("a" * 300 + ".txt", "a" * 96 + ".txt"),
])
def test_safe_name_keeps_files_inside_their_folder(sent, saved):
    assert safe_name(sent) == saved


def test_upload_never_overwrites_a_different_file_and_reuses_an_identical_one(tmp_path):
    first = save_upload(b"first version", "../notes.txt", tmp_path)
    assert first.path == tmp_path / "notes.txt" and not first.reused
    second = save_upload(b"second version", "notes.txt", tmp_path)
    assert second.path == tmp_path / "notes-2.txt" and second.renamed
    again = save_upload(b"first version", "notes.txt", tmp_path)
    assert again.path == tmp_path / "notes.txt" and again.reused
    assert (tmp_path / "notes.txt").read_bytes() == b"first version"
    assert (tmp_path / "notes-2.txt").read_bytes() == b"second version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes-2.txt", "notes.txt"]


def test_a_refusal_under_filters_says_what_was_searched(seed_text):
    """Trying the app: a refusal with a date filter read as if the whole library lacked the names."""
    answer = Answer(question="What did Liam Neeson say?", answer="The sources don't say. (No match.)",
                    refused=True, mode="extractive", sources=[source(SEED, 0, 300, "Qatar withdraws")],
                    scope="searched 1 article, published 2025-03")
    elements = Elements(answer_html(0, ChatTurn(answer, {SEED: seed_text})))
    assert elements.text_of("p", **{"class": "sc-footer"}) == ["searched 1 article, published 2025-03"]


def test_uploads_of_the_wrong_type_size_or_empty_are_refused_with_the_reason(tmp_path):
    assert check_upload("x.exe", 10, 100) == "unsupported file type '.exe'; use .txt, .md, .html or .pdf"
    assert check_upload("README", 10, 100) == "unsupported file type (no extension); use .txt, .md, .html or .pdf"
    assert check_upload("x.txt", 0, 100) == "empty file"
    assert check_upload("x.txt", 3 * 1024 * 1024, 2 * 1024 * 1024) == "file is 3.0 MB, over the 2 MB upload limit"
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "ok.md").write_text("# Fine\n\nText.")
    (incoming / "big.txt").write_bytes(b"x" * (1024 * 1024 + 1))
    (incoming / "tool.sh").write_text("echo hi")
    result = accept_uploads([(p.name, p) for p in sorted(incoming.iterdir())] + [("gone.txt", incoming / "gone.txt")],
                            tmp_path / "sources", max_upload_mb=1)
    assert [s.path for s in result.saved] == [tmp_path / "sources" / "uploads" / "ok.md"]
    assert dict(result.rejected) == {
        "big.txt": "file is 1.0 MB, over the 1 MB upload limit",
        "tool.sh": "unsupported file type '.sh'; use .txt, .md, .html or .pdf",
        "gone.txt": "the upload did not arrive; try again",
    }


@pytest.fixture
def upload_service(make_settings, seeds_dir, tmp_path):
    """(service, sources folder, a folder of files to upload) over an index of the seed article.
    Uploads go under the sources folder: each test gets its own copy of it."""
    from rag.index.ingest import sync
    from rag.web.service import ChatService

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / SEED).write_bytes((seeds_dir / SEED).read_bytes())
    settings = make_settings(sources_dir=sources)
    sync(settings, progress=False)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    return ChatService(settings), sources, incoming


def test_uploaded_files_are_ingested_and_answerable(upload_service):
    service, sources, incoming = upload_service
    (incoming / "lighthouse.md").write_text("# Lighthouse reopens\n\nThe Kestrel Bay lighthouse reopened on "
                                            "March 3 after a restoration costing 2.4 million euros.\n")
    (incoming / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    progress: list[tuple[int, int]] = []
    lines = service.add_files([(p.name, p) for p in sorted(incoming.iterdir())],
                              progress=lambda done, total: progress.append((done, total)))
    kinds = dict((text.split(":")[0].split(" ")[0], kind) for kind, text in lines)
    assert kinds["lighthouse.md"] == "added" and kinds["broken.pdf"] == "rejected"
    assert lines[-1] == ("info", "The index now holds 2 articles (4 passages).")
    assert progress and progress[-1][0] == progress[-1][1]
    assert (sources / "uploads" / "lighthouse.md").is_file()
    assert not (sources / "uploads" / "broken.pdf").exists()  # unreadable: not kept

    reply = service.ask("How much did the restoration of the Kestrel Bay lighthouse cost?")
    assert "2.4 million euros" in reply.partition("\n\nSources:\n")[0]
    assert "uploads/lighthouse.md" in reply.partition("\n\nSources:\n")[2]

    # The same file again: nothing new is written or embedded.
    again = service.add_files([("lighthouse.md", incoming / "lighthouse.md")])
    assert again[0] == ("same", "lighthouse.md is already indexed as uploads/lighthouse.md.")
    assert sorted(p.name for p in (sources / "uploads").iterdir()) == ["lighthouse.md"]


def test_an_upload_of_an_indexed_article_says_which_and_a_cancel_leaves_the_rest_out(upload_service, seeds_dir,
                                                                                      bbc_sample):
    service, sources, incoming = upload_service
    (incoming / "copy.txt").write_bytes((seeds_dir / SEED).read_bytes())

    # Same bytes under another name: the app and `rag ingest` agree it is a duplicate.
    lines = service.add_files([("copy.txt", incoming / "copy.txt")])
    assert lines[0] == ("same", f"copy.txt is already indexed as {SEED}.")
    assert not (sources / "uploads" / "copy.txt").exists()
    assert service.article_count() == 1

    # A cancel while the first of three files is read: none is indexed, the index is as it was.
    for i, path in enumerate(bbc_sample(3)):
        (incoming / f"bbc{i}.txt").write_bytes(path.read_bytes())
    events = []

    def on_file(event) -> None:
        events.append((event.path, event.stage))
        assert service.cancel_upload()

    lines = service.add_files([(f"bbc{i}.txt", incoming / f"bbc{i}.txt") for i in range(3)], on_file=on_file)
    assert events[0] == ("uploads/bbc0.txt", "parsed")
    assert [kind for kind, _ in lines] == ["rejected"] * 3 + ["info", "info"]
    assert lines[1] == ("rejected", "bbc1.txt: cancelled before it was indexed")
    assert lines[3] == ("info", "Cancelled: the files not indexed yet were left out.")
    assert service.article_count() == 1 and not service.cancel_upload()

    # Nothing is lost: the same files again are indexed.
    lines = service.add_files([(f"bbc{i}.txt", incoming / f"bbc{i}.txt") for i in range(3)])
    assert [kind for kind, _ in lines] == ["added"] * 3 + ["info"]
    assert service.article_count() == 4


def test_a_saved_conversation_reopens_against_the_re_ingested_article(make_settings, seeds_dir, tmp_path):
    from rag.index.ingest import sync
    from rag.web.service import ChatService

    sources = tmp_path / "sources"
    sources.mkdir()
    seed_file = sources / SEED
    seed_file.write_bytes((seeds_dir / SEED).read_bytes())
    settings = make_settings(sources_dir=sources)
    sync(settings, progress=False)
    service = ChatService(settings)
    turn = list(service.answer_stream("Who signed the letter backing China's human rights record on behalf of Qatar?",
                                      [], "extractive", None))[-1]
    [cited] = turn.answer.citations
    chat_id = service.save_turn(None, "browser:me", turn)

    [reopened] = service.reopen(service.chats.get(chat_id))
    assert reopened.changed == set() and reopened.texts[SEED] == service.chat.article(SEED).text

    original = seed_file.read_text(encoding="utf-8")
    seed_file.write_text(original.replace("\n\n", "\n\nA paragraph added by an editor.\n\n", 1), encoding="utf-8")
    sync(settings, progress=False, store=service.store, embedder=service.embedder)
    [reopened] = service.reopen(service.chats.get(chat_id))
    assert reopened.changed == {SEED}
    assert reopened.answer.citations == [cited]  # the quote and its offsets as they were given
    panel = Elements(panel_html([reopened]))
    assert "The article changed since; the sentence is still in it." in panel.text_of("p", **{"class": "sc-changed"})
    assert cited.quote in panel.text_of("mark", **{"class": "sc-quote"})

    seed_file.write_text(original.replace(cited.quote, "The ambassador signed it"), encoding="utf-8")
    sync(settings, progress=False, store=service.store, embedder=service.embedder)
    [reopened] = service.reopen(service.chats.get(chat_id))
    panel = Elements(panel_html([reopened]))
    assert "The article changed since: this sentence is no longer in it." in panel.text_of(
        "p", **{"class": "sc-changed"})
    assert panel.text_of("mark", **{"class": "sc-quote"}) == [cited.quote]


@pytest.mark.language
def test_example_questions_come_from_the_articles_and_follow_uploads(make_settings, seeds_dir, tmp_path,
                                                                     language_model):
    from rag.index.ingest import sync
    from rag.web.service import ChatService

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / SEED).write_bytes((seeds_dir / SEED).read_bytes())
    settings = make_settings(sources_dir=sources)
    sync(settings, progress=False)
    service = ChatService(settings)
    assert service.folder_name == "sources"
    assert service.examples.current() == [
        "What is the story behind “Qatar withdraws support for China over Beijing’s crackdown on Uighur minority”?"]
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "lighthouse.md").write_text(
        "# Mara Lindqvist reopens the Kestrel Bay lighthouse\n\nMara Lindqvist, who chairs the harbour trust, "
        "reopened the lighthouse on March 3. Lindqvist said the restoration cost 2.4 million euros.\n")
    service.add_files([("lighthouse.md", incoming / "lighthouse.md")])
    assert service.examples.current() == [
        "What is the story behind “Qatar withdraws support for China over Beijing’s crackdown on Uighur minority”?",
        "What did Mara Lindqvist say?"]


@pytest.mark.language
def test_the_main_name_is_the_title_s_name_the_opening_mentions_most(language_model):
    title = "Raul Ruiz tells residents how to fight the agenda | The Week"
    text = ("Rep. Raul Ruiz spoke to residents of Indio on Monday. Ruiz said the city would fight back, "
            "and Ruiz urged them to call The Week.")
    assert main_name(title, text) == MainName("Raul Ruiz", "PERSON", speaks=True)
    assert plain_title(title) == "Raul Ruiz tells residents how to fight the agenda"  # no site name
    assert main_name("Rain expected again tomorrow", "Rain fell all day. More is expected.") is None
    # Written in full, with "the" as the article writes it; it says nothing here, so no "What did ... say?".
    assert main_name("EU ministers to mull jet fuel tax", "The European Union's finance ministers will meet. "
                     "The EU wants a tax.") == MainName("the European Union", "ORG", speaks=False)
    # "He said" counts for the person "he" stands for.
    assert main_name("Lindqvist opens the bridge", "Mara Lindqvist opened the bridge on Monday. "
                     "\"It took ten years,\" she said.").speaks


@pytest.mark.language
def test_main_names_of_real_articles_are_names_of_their_title(bbc_sample, rtqa_dir, language_model):
    import frontmatter

    articles = []
    for path in bbc_sample(30):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        articles.append((text.splitlines()[0], text))
    rtqa = sorted(rtqa_dir.glob("*.md"))
    for path in rtqa[:: max(1, len(rtqa) // 20)][:20]:
        post = frontmatter.load(path)
        articles.append((str(post.get("title") or ""), post.content))
    found = [(title, main_name(title, text)) for title, text in articles if title]
    named = [(title, name) for title, name in found if name is not None]
    for title, name in named:
        # The name is written in the title, possibly shorter: "Blair" for Tony Blair, "EU" for the European Union.
        words = name.text.removeprefix("the ").split()
        acronym = "".join(w[0] for w in words if w[0].isupper())
        assert any(w in plain_title(title) for w in words) or acronym in plain_title(title), (title, name)
        assert name.label.isupper()
    assert len(named) >= len(found) // 2  # most news titles name someone or something
    # Some of them are quoted (6 of 39 at the commit that added this test), and only those get "What did ... say?".
    assert any(name.speaks for _, name in named)


# -- login and settings ------------------------------------------------------------------------


def test_rag_auth_is_user_colon_password_for_one_or_several_readers():
    assert parse_auth(None) is None
    assert parse_auth("") is None
    assert parse_auth("reader:pa:ss") == [("reader", "pa:ss")]
    assert parse_auth("alice:one, bob:two") == [("alice", "one"), ("bob", "two")]
    for bad in ("reader", "reader:", ":secret", "alice:one,", "alice:one,bob"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)
    with pytest.raises(ValueError, match="same user twice"):
        parse_auth("alice:one,alice:two")


def test_generative_mode_is_disabled_with_a_reason_when_no_model_is_configured(make_settings, seeds_dir):
    from rag.settings import Settings
    from rag.web.app import build_app, launch_options

    settings = make_settings(sources_dir=seeds_dir, openai_base_url=None, openai_api_key=None)
    demo = build_app(settings)
    by_id = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert by_id["sc-mode"].interactive is False
    assert by_id["sc-mode"].value == "extractive"
    assert "Generative answers need a language model" in by_id["sc-mode-note"].value
    options = launch_options(settings)
    assert (options["server_name"], options["server_port"]) == (settings.host, settings.port)
    assert (Settings.model_fields["host"].default, Settings.model_fields["port"].default) == ("127.0.0.1", 7860)
    assert options["auth"] is None
    assert options["max_file_size"] == int(settings.max_upload_mb * 1024 * 1024)

    configured = make_settings(sources_dir=seeds_dir, openai_base_url="http://127.0.0.1:9/v1")
    demo = build_app(configured)
    by_id = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert by_id["sc-mode"].interactive is True
    assert by_id["sc-mode"].value == "generative"


def test_the_wheel_ships_the_styles_and_scripts(tmp_path, repo_dir):
    """A non-editable install reads static/ from the package: the wheel must hold every file."""
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "src"  # what the wheel is built from, as tests/test_packaging.py does
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo_dir / name, source / name)
    for name in ("rag", "prompts"):
        shutil.copytree(repo_dir / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("*.whl")
    shipped = {name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("rag/web/static/")}
    expected = {f"rag/web/static/{p.name}" for p in (repo_dir / "rag" / "web" / "static").iterdir()}
    assert shipped == expected and {"rag/web/static/app.css", "rag/web/static/app.js"} <= shipped


@pytest.mark.parametrize("title, question", [
    # RealTime QA 2025 headlines the site cut short
    ("Trump's inauguration, Martin Luther King Day on same date this ...",
     "What is the story behind “Trump's inauguration, Martin Luther King Day on same date this…”?"),
    ("See how 2025 Westminster Dog Show winner fits in Best in Show ...",
     "What is the story behind “See how 2025 Westminster Dog Show winner fits in Best in Show…”?"),
    ("Ryanair in $4bn Boeing plane deal", "What is the story behind “Ryanair in $4bn Boeing plane deal”?"),
    ("Election winner | The Week", "What is the story behind “Election winner”?"),
])
def test_an_example_about_a_headline_cut_short_keeps_its_ellipsis_inside_the_quotes(title, question):
    from rag.web.examples import question_on

    assert question_on(title) == question
