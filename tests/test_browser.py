"""The web app in a real chromium: streamed answers, clickable citations, refusals, follow-ups,
hostile article text, a language model that is down, and files added from the browser.

One app server (over seeds/ plus a hostile article) and one browser serve the whole module;
each test gets a fresh page, so a fresh conversation. The app is configured with a language
model (a FakeOpenAI server) but answers extractively by default; tests that need the model pick
"generative" in the settings. The model answers after a short pause, except for questions
about trade, where it stays silent past RAG_LLM_TIMEOUT: the model is "down".
Screenshots are saved in each test's tmp_path.
"""

from __future__ import annotations

import shutil
import time

import pytest

from app_server import HOSTILE_NAME, SEED_ARTICLE, running_app
from fake_openai import FakeOpenAI, Reply

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LLM_TIMEOUT = 2
SIGNER_QUESTION = "Who signed the letter backing China's human rights record on behalf of Qatar?"
TRADE_QUESTION = "How much was the trade between China and Qatar last year?"
MODEL_ANSWER = ("Ali Mansouri signed the letter on behalf of Qatar on July 12 [1]. "
                "Germany also signed the letter in May [2].")


MODEL_PAUSE = 1.5
# (time, question) of every request the model received, to see which were in flight together.
MODEL_CALLS: list[tuple[float, str]] = []


def scripted_model(request: dict) -> Reply:
    question = request["messages"][-1]["content"]
    MODEL_CALLS.append((time.monotonic(), question))
    if "trade" in question:
        return Reply("Trade reached $13 billion [1].", delay=LLM_TIMEOUT * 4)
    # The pause keeps the retrieved sources on screen alone for a moment before the text.
    return Reply(MODEL_ANSWER, delay=MODEL_PAUSE)


@pytest.fixture(scope="module")
def model():
    with FakeOpenAI(scripted_model) as fake:
        yield fake


@pytest.fixture(scope="module")
def app(tmp_path_factory, seeds_dir, model):
    with running_app(tmp_path_factory.mktemp("browser-app"), seeds_dir,
                     OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="test-key", RAG_ANSWER_MODE="extractive",
                     RAG_LLM_TIMEOUT=str(LLM_TIMEOUT), RAG_LLM_RETRIES="0", RAG_MAX_UPLOAD_MB="1") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app.url)
    page.wait_for_selector("#sc-question textarea", timeout=30_000)
    yield page
    context.close()


FINAL_ANSWERS = "#sc-chat .sc-answer:not(.sc-streaming)"


def ask(page, question: str, timeout: float = 30_000):
    """Type and send a question; return the finished answer's locator."""
    before = page.locator(FINAL_ANSWERS).count()
    page.fill("#sc-question textarea", question)
    page.click("#sc-send")
    page.wait_for_function(
        """([selector, before]) => document.querySelectorAll(selector).length > before
             && !document.querySelector('#sc-chat .sc-streaming')""",
        arg=[FINAL_ANSWERS, before], timeout=timeout)
    return page.locator(FINAL_ANSWERS).nth(before)  # not .last: it would move on to later answers


def choose_mode(page, mode: str) -> None:
    page.click("#sc-settings button.label-wrap, #sc-settings > button")
    page.get_by_label(mode, exact=True).check()


def sentence_with(text: str, words: str) -> str:
    return next(p.strip() for p in text.split("\n\n") if words in p)


def test_cited_answer_opens_the_highlighted_quote(page, app, tmp_path):
    answer = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in answer.inner_text()
    page.screenshot(path=tmp_path / "answer.png")
    card = page.locator("#cite-0-1")
    assert not card.locator("mark").is_visible()  # closed until the citation is clicked

    answer.locator("a.sc-cite", has_text="[1]").click()

    mark = card.locator("mark.sc-quote")
    mark.wait_for(state="visible")
    seed_text = (app.sources / SEED_ARTICLE).read_text(encoding="utf-8")
    assert mark.inner_text() == sentence_with(seed_text, "Ali Mansouri had signed on July 12")
    assert "Qatar withdraws support for China" in card.locator(".sc-title").inner_text()
    assert SEED_ARTICLE in card.locator(".sc-meta").inner_text()
    # The passage around the quote is shown too, not the quote alone.
    assert "Coly Seck" in card.locator(".sc-passage").inner_text()
    page.screenshot(path=tmp_path / "citation-open.png")


def test_generative_answer_streams_sources_first_and_marks_unsupported_sentences(page, tmp_path):
    choose_mode(page, "generative")
    # Record when the retrieved sources and when the first answer text appear.
    page.evaluate("""() => {
        window.seen = {};
        const mark = (key) => { if (!(key in window.seen)) window.seen[key] = performance.now(); };
        new MutationObserver(() => {
            if (document.querySelector('#sc-sources .sc-pending .sc-source')) mark('sources');
            if (document.querySelector('#sc-chat .sc-answer .sc-text')) mark('text');
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    page.fill("#sc-question textarea", SIGNER_QUESTION)
    page.click("#sc-send")
    page.locator("#sc-sources .sc-pending .sc-source").first.wait_for(state="visible")
    assert "Found" in page.locator("#sc-chat .sc-streaming .sc-status").inner_text()
    page.screenshot(path=tmp_path / "sources-first.png")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-streaming')"
                           " && document.querySelector('#sc-chat .sc-answer .sc-text')", timeout=30_000)
    seen = page.evaluate("() => window.seen")
    assert seen["sources"] < seen["text"]

    answer = page.locator(FINAL_ANSWERS).last
    supported = answer.locator(".sc-sentence")
    assert "Ali Mansouri signed the letter on behalf of Qatar on July 12" in supported.inner_text()
    assert supported.locator("a.sc-cite").count() == 1
    flagged = answer.locator(".sc-unsupported")
    assert "Germany also signed the letter in May" in flagged.inner_text()
    assert "not supported by the sources" in flagged.locator(".sc-flag").inner_text()
    assert flagged.locator("a.sc-cite").count() == 0  # the model's [2] pointed at nothing that says so
    assert "generative answer" in answer.locator(".sc-footer").inner_text()
    page.screenshot(path=tmp_path / "generative.png")


def test_out_of_source_question_is_refused_with_the_closest_sources(page, tmp_path):
    answer = ask(page, "What is the capital of France?")
    assert "Not in the sources" in answer.locator(".sc-badge").inner_text()
    assert "The sources don't say." in answer.inner_text()
    assert answer.locator("a.sc-cite").count() == 0
    closest = answer.locator(".sc-closest a.sc-src")
    assert closest.count() >= 1
    closest.first.click()
    card = page.locator("#sc-sources details.sc-source[open]")
    card.wait_for(state="visible")
    assert card.locator(".sc-passage").inner_text().strip()
    assert "Closest sources" in page.locator("#sc-sources .sc-current .sc-h").first.inner_text()
    page.screenshot(path=tmp_path / "refusal.png")


def test_follow_up_question_uses_the_conversation(page, tmp_path):
    first = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in first.inner_text()
    follow_up = ask(page, "When did he write to the UN officer?")
    assert "July 18" in follow_up.locator(".sc-text").inner_text()
    assert "When did Ali Mansouri write to the UN officer?" in page.locator(
        "#sc-sources .sc-current .sc-understood").inner_text()
    # A citation in the earlier answer brings that turn's sources back into the panel.
    first.locator("a.sc-cite").first.click()
    page.locator("#cite-0-1 mark").wait_for(state="visible")
    assert page.locator("#turn-0").is_visible()
    assert not page.locator("#turn-1").is_visible()
    page.screenshot(path=tmp_path / "follow-up.png")

    page.click("#sc-new-chat")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-answer')")
    assert page.locator("#sc-sources .sc-panel-empty").is_visible()


def test_markup_in_an_article_is_shown_as_text_and_never_runs(page, app, tmp_path):
    answer = ask(page, "What did the prank banner near the pier read?")
    assert "<script>alert(1)</script>" in answer.inner_text()
    answer.locator("a.sc-cite").first.click()
    passage = page.locator("#sc-sources details.sc-citation[open] .sc-passage")
    passage.wait_for(state="visible")
    shown = passage.inner_text()
    assert "<script>alert(1)</script>" in shown
    assert "<img src=x onerror=alert(2)>" in shown
    assert "Harbour festival" in page.locator("#sc-sources details.sc-citation[open] .sc-title").inner_text()
    assert HOSTILE_NAME in page.locator("#sc-sources details.sc-citation[open] .sc-meta").inner_text()
    page.screenshot(path=tmp_path / "hostile.png")
    # Nothing from the article became an element or ran.
    assert page.locator("#sc-chat script, #sc-sources script").count() == 0
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_model_down_shows_the_error_and_an_extractive_answer(page, tmp_path):
    choose_mode(page, "generative")
    started = time.monotonic()
    answer = ask(page, TRADE_QUESTION)
    waited = time.monotonic() - started
    error = answer.locator(".sc-error")
    assert f"did not answer within {LLM_TIMEOUT} s" in error.inner_text()
    assert "Extractive answer from the sources instead" in answer.locator(".sc-fallback-label").inner_text()
    assert "$13 billion" in answer.locator(".sc-text").inner_text()
    assert "extractive fallback" in answer.locator(".sc-footer").inner_text()
    assert waited < LLM_TIMEOUT + 8
    page.screenshot(path=tmp_path / "model-down.png")
    # The chat keeps working.
    after = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in after.inner_text()


def test_uploaded_article_is_indexed_and_answers_questions(page, app, tmp_path):
    article = tmp_path / "lighthouse.md"
    article.write_text("# Lighthouse reopens in Kestrel Bay\n\nThe Kestrel Bay lighthouse reopened on "
                       "March 3 after a restoration that cost 2.4 million euros, the harbour trust said.\n",
                       encoding="utf-8")
    unwanted = tmp_path / "notes.exe"
    unwanted.write_bytes(b"MZ not an article")
    page.click("#sc-add button.label-wrap, #sc-add > button")
    page.set_input_files("#sc-files input[type=file]", [str(article), str(unwanted)])
    # The browser refuses the wrong type before sending it, and says why.
    page.get_by_text("Invalid file type: notes.exe").wait_for()
    page.locator("#sc-files", has_text="lighthouse").wait_for()
    page.click("#sc-add-button")
    status = page.locator("#sc-upload-status .sc-up-info")
    status.wait_for(timeout=60_000)
    shown = page.locator("#sc-upload-status").inner_text()
    assert "lighthouse.md added as uploads/lighthouse.md" in shown
    assert "notes.exe" not in shown
    assert (app.sources / "uploads" / "lighthouse.md").read_text(encoding="utf-8") == article.read_text(encoding="utf-8")
    assert not (app.sources / "uploads" / "notes.exe").exists()
    page.screenshot(path=tmp_path / "upload.png", full_page=True)

    answer = ask(page, "How much did the restoration of the Kestrel Bay lighthouse cost?")
    assert "2.4 million euros" in answer.locator(".sc-text").inner_text()
    answer.locator("a.sc-cite").first.click()
    assert "uploads/lighthouse.md" in page.locator("#sc-sources details.sc-citation[open] .sc-meta").inner_text()

    # Over RAG_MAX_UPLOAD_MB (1 MB here): refused with the limit named.
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000, encoding="utf-8")
    page.set_input_files("#sc-files input[type=file]", [str(big)])
    page.get_by_text("exceed the maximum allowed size of 1.0 Mb").wait_for()
    assert not (app.sources / "uploads" / "big.txt").exists()


def test_two_readers_are_answered_at_the_same_time(browser, app, page):
    """With one request at a time the second question would reach the model only after the
    first answer (MODEL_PAUSE later); answered concurrently, both are in flight together."""
    other_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = other_context.new_page()
    other.goto(app.url)
    other.wait_for_selector("#sc-question textarea", timeout=30_000)
    for reader in (page, other):
        choose_mode(reader, "generative")
        reader.fill("#sc-question textarea", SIGNER_QUESTION)
    started = time.monotonic()
    page.click("#sc-send")
    other.click("#sc-send")
    for reader in (page, other):
        reader.wait_for_function("() => document.querySelector('#sc-chat .sc-answer .sc-text')"
                                 " && !document.querySelector('#sc-chat .sc-streaming')", timeout=30_000)
        assert "Ali Mansouri signed the letter" in reader.locator(FINAL_ANSWERS).last.inner_text()
    other_context.close()
    calls = [at for at, question in MODEL_CALLS if at >= started and question == SIGNER_QUESTION]
    assert len(calls) == 2
    assert abs(calls[1] - calls[0]) < MODEL_PAUSE
