"""The analyst tools in a real chromium: the filter bar, the mentions list, a quote verdict,
Copy and Download with footnotes, and the /mentions and /quote API endpoints.

One app over seeds/ (plus the hostile and the dated article of app_server) and 40 BBC News
articles under bbc/<topic>/; expectations are checked against the files themselves.
"""

from __future__ import annotations

import re

import pytest

from app_server import SEED_ARTICLE, running_app
from test_browser import ask, browser, open_page, shot  # noqa: F401  (browser and shot are fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BBC_COUNT = 40


@pytest.fixture(scope="module")
def app(tmp_path_factory, seeds_dir, bbc_sample):
    extra = {f"bbc/{p.parent.name}/{p.name}": p for p in bbc_sample(BBC_COUNT)}
    with running_app(tmp_path_factory.mktemp("analyst-app"), seeds_dir, extra_files=extra,
                     RAG_ANSWER_MODE="extractive", RAG_CHUNK_SIZE="800") as server:
        yield server


@pytest.fixture
def page(browser, app):
    page = open_page(browser, app.url)
    yield page
    page.context.close()


def texts_of(app) -> dict[str, str]:
    return {str(p.relative_to(app.sources)): p.read_text(encoding="utf-8", errors="replace")
            for p in app.sources.rglob("*") if p.is_file()}


def test_the_filter_bar_keeps_the_answer_in_the_chosen_folder(page, app, shot):
    page.click("#sc-filters button.label-wrap, #sc-filters > button")
    page.click("#sc-filter-sources input")
    page.get_by_role("option", name="bbc/business", exact=True).click()
    page.keyboard.press("Escape")
    answer = ask(page, "What did the company say about profits?")
    footer = answer.locator(".sc-footer").inner_text()
    business = sum(1 for p in (app.sources / "bbc" / "business").glob("*.txt"))
    assert f"searched {business} bbc/business articles" in footer
    sources = page.locator("#sc-sources").inner_text()
    assert "bbc/business/" in sources and "bbc/tech/" not in sources and SEED_ARTICLE not in sources
    shot(page, "filtered")


def test_which_articles_mention_lists_every_one(page, app, shot):
    name = "Blair"
    truth = {path for path, text in texts_of(app).items()
             if re.search(r"(?<![^\W_])" + name + r"(?![^\W_])", text, re.IGNORECASE)}
    assert truth, "the sample should mention Blair"
    answer = ask(page, f"Which articles mention {name}?")
    text = answer.inner_text()
    assert text.startswith(f"{len(truth)} articles mention {name}")
    assert answer.locator("a.sc-cite").count() == len(truth)
    assert "every mention" in answer.locator(".sc-footer").inner_text()
    shot(page, "mentions")


def test_a_quote_gets_its_verdict_badge(page, shot):
    answer = ask(page, "Did Mansouri say 'we wish to keep a neutral stance'?")
    assert answer.locator(".sc-verdict").inner_text() == "Close, not exact"
    assert 'asked "keep", article "maintain"' in answer.inner_text()
    made_up = ask(page, "Did Mansouri say 'Qatar will always stand with China on every issue'?")
    assert made_up.locator(".sc-verdict").inner_text() == "Not found"
    assert "Not a match" in made_up.inner_text()
    shot(page, "verdicts")


def test_copy_and_download_keep_the_citations(page, app, tmp_path, shot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    ask(page, "Who signed the letter backing China's human rights record on behalf of Qatar?")
    page.click("#sc-copy")
    page.wait_for_function("async () => (await navigator.clipboard.readText()).includes('[^1]:')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    seed = (app.sources / SEED_ARTICLE).read_text(encoding="utf-8")
    footnote = re.search(r'^\[\^1\]: "(.*)" — .*, chars (\d+)–(\d+)$', copied, re.MULTILINE)
    assert footnote, copied
    assert footnote.group(1) == seed[int(footnote.group(2)):int(footnote.group(3))]
    assert "[^1]" in copied.split("\n[^1]:")[0]
    with page.expect_download() as download:
        page.click("#sc-download-md")
    saved = tmp_path / "conversation.md"
    download.value.save_as(saved)
    document = saved.read_text(encoding="utf-8")
    assert document.startswith("# ") and footnote.group(0).replace("[^1]", "[^1.1]") in document
    shot(page, "exported")


def test_the_mentions_and_quote_api_endpoints(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    data = client.predict("Qatar", None, None, None, None, api_name="/mentions")
    assert data["total_articles"] >= 1 and data["articles"][0]["article_id"] == SEED_ARTICLE
    seed = (app.sources / SEED_ARTICLE).read_text(encoding="utf-8")
    for mention in data["articles"][0]["mentions"]:
        assert mention["quote"] == seed[mention["start"]:mention["end"]]
    check = client.predict("we wish to maintain a neutral stance", "Mansouri", None, None, None, api_name="/quote")
    assert check["verdict"] == "verbatim" and check["speaker_matches"] is True
    bad = client.predict("Qatar", None, "not a date", None, None, api_name="/mentions")
    assert "ISO date" in bad["error"]
