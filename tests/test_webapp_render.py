"""The web app's pieces without a browser: answer and panel HTML, uploads, login, settings."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rag.answer.record import Answer, AnswerSentence, Citation, Source
from rag.web.render import ChatTurn, answer_html, answer_markdown, panel_html, passage_html, passage_window, safe_url
from rag.web.uploads import accept_uploads, check_upload, safe_name, save_upload
from rag.web.app import parse_auth

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
    assert panel.text_of("details", id="cite-0-1")
    assert panel.text_of("mark", **{"class": "sc-quote"}) == [quote]


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
    assert panel.text_of("blockquote", **{"class": "sc-passage"})[0] == seed_text[0:300].strip()


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
    pending = Elements(panel_html(turns, ("third?", "third?", [source(SEED, 0, 50)], {SEED: seed_text})))
    sections = [(a["id"], a["class"]) for tag, a, _ in pending.found if tag == "section"]
    assert sections[-1] == ("turn-2", "sc-turn sc-current sc-pending")
    assert pending.text_of("details", id="src-2-1")


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


def test_uploaded_files_are_ingested_and_answerable(make_settings, seeds_dir, tmp_path):
    from rag.index.ingest import sync
    from rag.web.app import ChatService

    # Uploads go under the sources folder: give this test its own copy of it.
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / SEED).write_bytes((seeds_dir / SEED).read_bytes())
    settings = make_settings(sources_dir=sources)
    sync(settings, progress=False)
    service = ChatService(settings)

    incoming = tmp_path / "incoming"
    incoming.mkdir()
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
    assert again[0] == ("same", "lighthouse.md is already in the index (as uploads/lighthouse.md).")
    assert sorted(p.name for p in (sources / "uploads").iterdir()) == ["lighthouse.md"]


# -- login and settings ------------------------------------------------------------------------


def test_rag_auth_is_user_colon_password():
    assert parse_auth(None) is None
    assert parse_auth("") is None
    assert parse_auth("reader:pa:ss") == ("reader", "pa:ss")
    for bad in ("reader", "reader:", ":secret"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)


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
