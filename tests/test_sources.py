"""Reading sources: each format's title, text and metadata, and every kind of bad file."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile

import pytest

from rag.index.sources import (
    SourceError,
    article_id,
    decode_text,
    is_utf8,
    iter_source_files,
    parse_article,
    read_article,
    read_bytes,
)

LIMIT = 20 * 1024 * 1024


# -- .txt: title and byline ----------------------------------------------------------------------


def test_txt_title_is_first_nonempty_line_and_trailing_byline_is_author():
    raw = (
        "\n\n  Storm closes harbour for two days  \n\n"
        "Fishing boats stayed in port on Tuesday as winds reached 90 mph.\n\n"
        "The coastguard said nobody was hurt.\n\n"
        "Written by Alice Moreno\n"
    ).encode()
    article = parse_article(raw, ".txt", "storm.txt")
    assert article.title == "Storm closes harbour for two days"
    assert article.meta == {"author": "Alice Moreno"}
    assert "Written by" not in article.text
    assert article.text.rstrip().endswith("The coastguard said nobody was hurt.")
    # Offsets index into the text, so the title line is part of it, untouched.
    assert "Storm closes harbour for two days" in article.text
    assert article.id == "storm.txt"
    assert article.hash == hashlib.sha256(raw).hexdigest()


def test_txt_byline_only_counts_at_the_end():
    raw = b"Council vote\n\nWritten by hand, the petition had 300 signatures.\n\nThe vote is on Friday.\n"
    article = parse_article(raw, ".txt", "vote.txt")
    assert article.meta == {}
    assert "Written by hand, the petition had 300 signatures." in article.text


def test_seed_article_empty_byline_is_dropped_without_inventing_an_author(seeds_dir):
    path = next(seeds_dir.glob("*.txt"))
    article = read_article(path, seeds_dir, LIMIT)
    assert article.title.startswith("Qatar withdraws support for China")
    assert "author" not in article.meta
    assert not article.text.rstrip().endswith("Written by")
    assert article.text.startswith(article.title)


def test_txt_without_title_line_falls_back_to_file_name():
    with pytest.raises(SourceError, match="no text"):
        parse_article(b"Written by Nobody\n", ".txt", "x.txt")  # only a byline: nothing to index
    article = parse_article(b"   \nOne line only.\n", ".txt", "dir/one-line.txt")
    assert article.title == "One line only."


# -- .md with YAML front matter ------------------------------------------------------------------


def test_markdown_front_matter_gives_title_url_published_author():
    raw = (
        "---\n"
        'title: "Floods hit the valley"\n'
        "url: https://example.org/news/floods\n"
        'published: "2025/07/22"\n'
        "author: Jane Roe\n"
        "tags: [weather]\n"
        "---\n\n"
        "Heavy rain flooded the valley on Monday.\n\n"
        "Officials said 300 homes were evacuated.\n"
    ).encode()
    article = parse_article(raw, ".md", "floods.md")
    assert article.title == "Floods hit the valley"
    assert article.meta == {
        "url": "https://example.org/news/floods",
        "published": "2025/07/22",
        "author": "Jane Roe",
    }
    assert article.text == "Heavy rain flooded the valley on Monday.\n\nOfficials said 300 homes were evacuated."
    assert "---" not in article.text and "title:" not in article.text


def test_markdown_date_field_and_heading_title():
    raw = b"---\ndate: 2024-02-03\n---\n\n# Rail strike called off\n\nUnions and managers agreed a deal late on Sunday.\n"
    article = parse_article(raw, ".md", "rail.md")
    assert article.title == "Rail strike called off"
    assert article.meta == {"published": "2024-02-03"}


def test_markdown_with_broken_front_matter_keeps_the_text():
    raw = b"---\ntitle: [unclosed\n---\nThe body still matters.\n"
    article = parse_article(raw, ".md", "broken.md")
    assert "The body still matters." in article.text
    assert article.meta == {}


# -- .html ---------------------------------------------------------------------------------------

HTML = b"""<!doctype html>
<html><head>
<title>Bridge reopens after repairs | Example News</title>
<meta property="og:title" content="Bridge reopens after repairs">
<script>var tracking = "SCRIPT_TEXT_MUST_NOT_APPEAR";</script>
<style>.x { color: red }</style>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/sport">Sport</a> | <a href="/weather">Weather</a></nav>
<article>
<h1>Bridge reopens after repairs</h1>
<p>The old bridge over the river reopened on Tuesday after eighteen months of repairs costing four million pounds.</p>
<p>Local traders said business had suffered badly while the crossing was closed to traffic and to pedestrians.</p>
<script>document.write("ANOTHER_SCRIPT_TEXT")</script>
<p>The council said the work had finished two weeks ahead of schedule and that the bridge should last another century.</p>
</article>
<footer>Copyright 2024 Example News Ltd</footer>
</body></html>"""


def test_html_title_and_main_text_without_scripts_or_page_furniture():
    article = parse_article(HTML, ".html", "bridge.html")
    assert article.title == "Bridge reopens after repairs"
    for sentence in (
        "The old bridge over the river reopened on Tuesday after eighteen months of repairs costing four million pounds.",
        "Local traders said business had suffered badly while the crossing was closed to traffic and to pedestrians.",
        "The council said the work had finished two weeks ahead of schedule and that the bridge should last another century.",
    ):
        assert sentence in article.text
    assert "SCRIPT_TEXT" not in article.text
    assert "document.write" not in article.text
    assert "color: red" not in article.text
    assert "<p>" not in article.text


def test_html_publication_date_is_not_invented_from_a_copyright_footer():
    assert "published" not in parse_article(HTML, ".html", "bridge.html").meta
    dated = HTML.replace(
        b"<head>", b'<head><meta property="article:published_time" content="2023-05-06T10:00:00Z">'
    )
    assert parse_article(dated, ".html", "bridge.html").meta.get("published") == "2023-05-06"


def test_short_html_page_falls_back_to_visible_text():
    raw = b"<html><head><title>Tiny page</title><script>alert('SCRIPT')</script></head><body><p>One short line.</p></body></html>"
    article = parse_article(raw, ".htm", "tiny.htm")
    assert article.title == "Tiny page"
    assert article.text == "One short line."


# -- .pdf ----------------------------------------------------------------------------------------


def _pdf(pages: list[list[str]], title: str | None = None, author: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    if author:
        pdf.setAuthor(author)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_text_of_every_page_title_and_author():
    data = _pdf(
        [
            ["Council approves budget", "The city council approved a budget of 12 million pounds on Friday."],
            ["On the second page: the vote was unanimous."],
        ],
        title="Council approves budget",
        author="Sam Writer",
    )
    article = parse_article(data, ".pdf", "budget.pdf")
    assert article.title == "Council approves budget"
    assert article.meta == {"author": "Sam Writer"}
    assert "The city council approved a budget of 12 million pounds on Friday." in article.text
    assert "On the second page: the vote was unanimous." in article.text
    assert article.text.index("12 million") < article.text.index("second page")


def test_pdf_without_text_or_not_a_pdf_is_refused():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(10, 10, 100, 100)  # a drawing, no text
    pdf.save()
    with pytest.raises(SourceError, match="no extractable text"):
        parse_article(buffer.getvalue(), ".pdf", "scan.pdf")
    with pytest.raises(SourceError, match="unreadable PDF"):
        parse_article(b"PK\x03\x04 this is a zip, not a pdf" * 20, ".pdf", "fake.pdf")


# -- decoding ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bbc_non_utf8(shared_data_dir) -> tuple[str, bytes]:
    """The BBC file that is not valid UTF-8, found by scanning the tarball."""
    tarball = shared_data_dir / "bbc-news.tar.gz"
    if not tarball.is_file():
        pytest.skip(f"{tarball} not found")
    found = []
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.isfile():
                data = tar.extractfile(member).read()
                if not is_utf8(data):
                    found.append((member.name, data))
    assert len(found) == 1, [name for name, _ in found]
    return found[0]


def test_real_non_utf8_bbc_article_is_decoded(bbc_non_utf8):
    name, data = bbc_non_utf8
    article = parse_article(data, ".txt", name)
    assert "£15.8m" in article.text  # 0xA3 is the pound sign in Windows-1252
    assert "\ufffd" not in article.text
    assert article.title and article.title in article.text


def test_decoding_bom_line_endings_and_binary():
    assert decode_text("\ufeffTitle\r\nBody line.\rEnd.".encode("utf-8")) == "Title\nBody line.\nEnd."
    with pytest.raises(SourceError, match="binary"):
        decode_text(b"ELF\x00\x01\x02" + os.urandom(200))
    with pytest.raises(SourceError, match="binary"):
        decode_text(bytes(range(1, 9)) * 200)


# -- reading files: every bad input gives a reason ------------------------------------------------


@pytest.mark.timeout(60)
def test_read_bytes_refuses_bad_files_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\n\t \n")
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04 pretend word file")
    (tmp_path / "noext").write_bytes(b"text without a suffix")
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # 21 MB of real text, just over the limit
        line = b"A sentence of perfectly ordinary news text, repeated to make a large file.\n"
        handle.write(line * (21 * 1024 * 1024 // len(line) + 1))
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "does-not-exist.txt")

    def reason(name: str) -> str:
        with pytest.raises(SourceError) as info:
            read_bytes(tmp_path / name, LIMIT)
        return str(info.value)

    assert reason("empty.txt") == "empty file"
    assert reason("blank.txt") == "empty file"
    assert "unsupported file type '.docx'" in reason("report.docx")
    assert "unsupported file type '(none)'" in reason("noext")
    assert "over the 20 MB limit" in reason("big.txt")
    assert "not a regular file" in reason("pipe.txt")  # reading a FIFO would block forever
    assert "No such file" in reason("dangling.txt")


def test_read_bytes_permission_denied(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("Locked article.\n")
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip("running as root: root reads mode-000 files; tests/test_ingest.py covers this case "
                        "by dropping CAP_DAC_OVERRIDE in a subprocess")
        with pytest.raises(SourceError, match="permission denied"):
            read_bytes(path, LIMIT)
    finally:
        path.chmod(0o644)


# -- listing the folder --------------------------------------------------------------------------


def test_listing_skips_hidden_and_keeps_symlink_names(tmp_path):
    root = tmp_path / "sources"
    (root / "world").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "world" / "a.txt").write_text("A\n\nText a.\n")
    (root / ".secret.txt").write_text("hidden\n")
    (root / ".hidden" / "b.txt").write_text("hidden too\n")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("Linked\n\nText.\n")
    (root / "linked.txt").symlink_to(outside)

    files = iter_source_files(root)
    ids = [article_id(p, root) for p in files]
    assert ids == ["linked.txt", "world/a.txt"]
    # A file given by itself (a relative path works too) gets the same id as when found by walking.
    assert article_id(root / "world" / ".." / "world" / "a.txt", root) == "world/a.txt"
    assert iter_source_files(root, [root / "world" / "a.txt"]) == [files[1]]
    assert article_id(outside, root) == outside.resolve().as_posix()
