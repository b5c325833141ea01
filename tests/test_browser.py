"""The web app in a real chromium: streamed answers, clickable citations, grouped sources, the
whole-article reader, hover previews, saved and shared conversations, span links, a phone
screen, feedback, refusals, hostile article text, a language model that is down, and files
added from the browser.

One app server (over seeds/ plus a hostile article) and one browser serve most of the module;
each test gets a fresh browser context: a new reader, with an empty conversation list. The app
is configured with a language model (a FakeOpenAI server) but answers extractively by default;
tests that need the model pick "generative" in the settings. The model answers after a short
pause, except for questions about trade, where it stays silent past RAG_LLM_TIMEOUT: the model
is "down". A second app, with RAG_AUTH, serves the test of two logged-in readers.

Screenshots go to each test's tmp_path, or to $SC_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from app_server import HOSTILE_NAME, SEED_ARTICLE, running_app
from fake_openai import FakeOpenAI, Reply
from harness import run_rag

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
LLM_TIMEOUT = 2
SIGNER_QUESTION = "Who signed the letter backing China's human rights record on behalf of Qatar?"
FOLLOW_UP = "When did he write to the UN officer?"
TRADE_QUESTION = "How much was the trade between China and Qatar last year?"
MODEL_ANSWER = ("Ali Mansouri signed the letter on behalf of Qatar on July 12 [1]. "
                "Germany also signed the letter in May [2].")
FINAL_ANSWERS = "#sc-chat .sc-answer:not(.sc-streaming)"


MODEL_PAUSE = 1.5
# (time, question) of every request the model received, to see which were in flight together.
MODEL_CALLS: list[tuple[float, str]] = []


SECOND_OPINION = json.dumps({"labels": [
    {"sentence": 1, "label": "SUPPORTED", "reason": ""},
    {"sentence": 2, "label": "NOT_STATED", "reason": "The passages do not say that Germany signed."}]})


def scripted_model(request: dict) -> Reply:
    question = request["messages"][-1]["content"]
    if question.startswith("You check an answer against the passages"):  # the second opinion (prompts/verify.md)
        return Reply(SECOND_OPINION)
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
def shot(tmp_path, request):
    """``shot(page, "name")``: a screenshot named after the test."""
    folder = Path(os.environ.get("SC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        path = folder / f"{request.node.name.removeprefix('test_')[:60]}-{name}.png"
        page.screenshot(path=path, full_page=full_page)
        return path

    return take


def open_page(browser, url: str, viewport: dict = DESKTOP, **context_options):
    """A new reader (fresh context: its own browser id, so its own conversations) on ``url``."""
    context = browser.new_context(viewport=viewport, **context_options)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.wait_for_selector("#sc-question textarea, #sc-banner", timeout=30_000)
    wait_until_loaded(page)
    return page


def wait_until_loaded(page) -> None:
    """The page's load event has filled the header (the article count comes from the server)."""
    page.wait_for_selector("#sc-header-box .sc-count", timeout=30_000)


@pytest.fixture
def page(browser, app):
    page = open_page(browser, app.url)
    yield page
    page.context.close()


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


def saved_address(page) -> str:
    """The address once the answer is saved: ?c=<conversation id>."""
    page.wait_for_function("() => location.search.startsWith('?c=')")
    return page.evaluate("() => location.href")


def choose_mode(page, mode: str) -> None:
    page.click("#sc-settings button.label-wrap, #sc-settings > button")
    page.get_by_label(mode, exact=True).check()


def sentence_with(text: str, words: str) -> str:
    return next(p.strip() for p in text.split("\n\n") if words in p)


def seed_text(app) -> str:
    return (app.sources / SEED_ARTICLE).read_text(encoding="utf-8")


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"]


# -- answers and their sources -----------------------------------------------------------------


def test_cited_answer_opens_the_highlighted_quote(page, app, shot):
    answer = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in answer.inner_text()
    shot(page, "answer")
    cited = page.locator("#cite-0-1")
    assert "sc-active" not in (cited.get_attribute("class") or "")

    answer.locator("a.sc-cite", has_text="[1]").click()

    page.wait_for_selector("#cite-0-1.sc-active")
    mark = cited.locator("mark.sc-quote")
    assert mark.is_visible()
    assert mark.inner_text() == sentence_with(seed_text(app), "Ali Mansouri had signed on July 12")
    card = page.locator("#sc-sources .sc-current .sc-article", has=cited)
    assert "Qatar withdraws support for China" in card.locator(".sc-card-title").inner_text()
    assert SEED_ARTICLE in card.locator(".sc-meta").inner_text()
    # The passage around the quote is shown too, not the quote alone.
    assert "Coly Seck" in cited.locator(".sc-passage").inner_text()
    shot(page, "citation-open")


def test_sources_are_grouped_one_card_per_article(page, app, shot):
    ask(page, SIGNER_QUESTION)
    cards = page.locator("#sc-sources .sc-current .sc-article")
    articles = [cards.nth(i).get_attribute("data-article") for i in range(cards.count())]
    assert len(articles) == len(set(articles)) >= 1
    assert articles[0] == SEED_ARTICLE  # the cited article first
    seed_card = cards.nth(0)
    # Every retrieved passage of the seed article is under its one card: cited ones shown, the rest folded.
    passages = seed_card.locator(".sc-cited, .sc-retrieved")
    assert passages.count() >= 2
    assert seed_card.locator(".sc-cited").count() >= 1
    folded = seed_card.locator("details.sc-more")
    assert "not cited" in folded.locator("summary").inner_text()
    assert not folded.locator(".sc-retrieved").first.is_visible()
    folded.locator("summary").click()
    assert folded.locator(".sc-retrieved .sc-passage").first.is_visible()
    assert page.locator(f"#sc-sources .sc-current .sc-article[data-article='{SEED_ARTICLE}']").count() == 1
    shot(page, "grouped")


def test_hovering_or_focusing_a_citation_shows_a_preview_of_the_quote(page, app, shot):
    answer = ask(page, "When will the night ferry across the Sound of Arle run again?")
    link = answer.locator("a.sc-cite").first
    popover = page.locator("#sc-popover")
    assert not popover.is_visible()
    link.hover()
    popover.wait_for(state="visible")
    assert popover.locator(".sc-pop-quote").inner_text() == (
        "“The night ferry across the Sound of Arle will run again from June 3, the operator Arle Lines said on Tuesday.”")
    assert popover.locator(".sc-pop-title").inner_text() == "Night ferry returns to the Sound of Arle"
    assert popover.locator(".sc-pop-date").inner_text() == "2024-05-14"
    assert link.get_attribute("title") is None  # no plain browser tooltip on top of it
    shot(page, "hover")
    page.mouse.move(5, 5)
    popover.wait_for(state="hidden")

    # From the keyboard: the number takes the focus, the preview shows, Escape hides it.
    link.focus()
    popover.wait_for(state="visible")
    assert link.get_attribute("aria-describedby") == "sc-popover"
    shot(page, "focus")
    page.keyboard.press("Escape")
    popover.wait_for(state="hidden")
    page.keyboard.press("Enter")  # Enter follows the link: the passage opens
    page.wait_for_selector("#cite-0-1.sc-active")


def test_sending_an_empty_question_says_to_type_one_and_then_goes_away(page, app):
    page.fill("#sc-question textarea", "   ")
    page.click("#sc-send")
    notice = page.locator(".sc-link-notice[role=alert]")
    notice.wait_for(state="visible")
    assert notice.inner_text() == "Type a question first, then press Enter."
    assert page.locator(FINAL_ANSWERS).count() == 0
    ask(page, "When will the night ferry across the Sound of Arle run again?")
    assert page.locator(".sc-link-notice").count() == 0


def test_a_preview_of_a_quote_that_opens_with_its_own_quotation_mark_is_not_wrapped_again(page, app):
    answer = ask(page, "What did Mira Holt say?")
    answer.locator("a.sc-cite").first.hover()
    popover = page.locator("#sc-popover")
    popover.wait_for(state="visible")
    assert popover.locator(".sc-pop-quote").inner_text() == (
        '"We missed the night crossing as much as our passengers did," Arle Lines chief Mira Holt said.')


def test_the_whole_article_opens_with_each_cited_sentence_and_steps_between_them(page, app, shot):
    ask(page, SIGNER_QUESTION)
    ask(page, FOLLOW_UP)
    page.locator("#sc-sources .sc-current .sc-cited .sc-read").first.click()
    reader = page.locator(f"#sc-sources .sc-reader[data-article='{SEED_ARTICLE}']")
    reader.wait_for(state="visible")
    assert not page.locator("#sc-sources .sc-turns").is_visible()
    text = seed_text(app)
    # The whole article, both sentences the conversation cited highlighted.
    body = reader.locator(".sc-reader-text").inner_text()
    assert "Coly Seck" in body and "Other signatories of the letter" in body
    marks = reader.locator(".sc-reader-text mark.sc-quote")
    assert [marks.nth(i).inner_text() for i in range(marks.count())] == [
        sentence_with(text, "Ali Mansouri had signed on July 12"), sentence_with(text, "wrote to the UN officer")]
    focused = reader.locator("mark.sc-focus")
    assert focused.inner_text() == sentence_with(text, "wrote to the UN officer")  # the one clicked
    assert reader.locator(".sc-reader-pos").inner_text() == "2 of 2 cited sentences"
    shot(page, "reader")
    reader.locator(".sc-next").click()
    assert reader.locator("mark.sc-focus").inner_text() == sentence_with(text, "Ali Mansouri had signed on July 12")
    assert reader.locator(".sc-reader-pos").inner_text() == "1 of 2 cited sentences"
    reader.locator(".sc-prev").click()
    assert reader.locator(".sc-reader-pos").inner_text() == "2 of 2 cited sentences"
    shot(page, "reader-step")
    reader.locator(".sc-reader-back").click()
    page.locator("#sc-sources .sc-turns").wait_for(state="visible")
    assert not reader.is_visible()


def test_generative_answer_streams_sources_first_and_marks_unsupported_sentences(page, shot):
    choose_mode(page, "generative")
    # Record when the retrieved sources and when the first answer text appear.
    page.evaluate("""() => {
        window.seen = {};
        const mark = (key) => { if (!(key in window.seen)) window.seen[key] = performance.now(); };
        new MutationObserver(() => {
            if (document.querySelector('#sc-sources .sc-pending .sc-article')) mark('sources');
            if (document.querySelector('#sc-chat .sc-answer .sc-text')) mark('text');
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    page.fill("#sc-question textarea", SIGNER_QUESTION)
    page.click("#sc-send")
    page.locator("#sc-sources .sc-pending .sc-article").first.wait_for(state="visible")
    assert "Found" in page.locator("#sc-chat .sc-streaming .sc-status").inner_text()
    assert not page.locator("#sc-chat button[aria-label='Like']").first.is_visible()  # nothing to rate yet
    shot(page, "sources-first")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-streaming')"
                           " && document.querySelector('#sc-chat .sc-answer .sc-text')", timeout=30_000)
    seen = page.evaluate("() => window.seen")
    assert seen["sources"] < seen["text"]

    answer = page.locator(FINAL_ANSWERS).last
    assert page.locator("#sc-chat button[aria-label='Like']").first.is_visible()
    supported = answer.locator(".sc-sentence")
    assert "Ali Mansouri signed the letter on behalf of Qatar on July 12" in supported.inner_text()
    assert supported.locator("a.sc-cite").count() == 1
    flagged = answer.locator(".sc-unsupported")
    assert "Germany also signed the letter in May" in flagged.inner_text()
    assert "not supported by the sources" in flagged.locator(".sc-flag").inner_text()
    assert flagged.locator("a.sc-cite").count() == 0  # the model's [2] pointed at nothing that says so
    assert "generative answer (checked against the sources, and by the model)" in answer.locator(".sc-footer").inner_text()
    shot(page, "generative")


def test_out_of_source_question_is_refused_with_the_closest_sources(page, shot):
    unrelated = ask(page, "What is the capital of France?")
    assert "Not in the sources" in unrelated.locator(".sc-badge").inner_text()
    assert unrelated.locator(".sc-closest").count() == 0  # the seed story never names France
    assert "none on the question" in page.locator("#sc-sources .sc-current .sc-h").first.inner_text()
    answer = ask(page, "When did Qatar join the World Bank?")
    assert "Not in the sources" in answer.locator(".sc-badge").inner_text()
    assert "The sources don't say." in answer.inner_text()
    assert answer.locator("a.sc-cite").count() == 0
    closest = answer.locator(".sc-closest a.sc-src")
    assert closest.count() >= 1
    closest.first.click()
    passage = page.locator("#sc-sources .sc-retrieved.sc-active")
    passage.wait_for(state="visible")
    assert passage.locator(".sc-passage").inner_text().strip()
    assert "Closest sources" in page.locator("#sc-sources .sc-current .sc-h").first.inner_text()
    shot(page, "refusal")


def test_follow_up_question_uses_the_conversation(page, shot):
    first = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in first.inner_text()
    follow_up = ask(page, FOLLOW_UP)
    assert "July 18" in follow_up.locator(".sc-text").inner_text()
    assert "When did Ali Mansouri write to the UN officer?" in page.locator(
        "#sc-sources .sc-current .sc-understood").inner_text()
    # A citation in the earlier answer brings that turn's sources back into the panel.
    first.locator("a.sc-cite").first.click()
    page.locator("#cite-0-1 mark").wait_for(state="visible")
    assert page.locator("#turn-0").is_visible()
    assert not page.locator("#turn-1").is_visible()
    shot(page, "follow-up")

    page.click("#sc-new-chat")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-answer')")
    assert page.locator("#sc-sources .sc-panel-empty").is_visible()
    assert page.evaluate("() => location.search") == ""


def test_markup_in_an_article_is_shown_as_text_and_never_runs(page, app, shot):
    answer = ask(page, "What did the prank banner near the pier read?")
    assert "<script>alert(1)</script>" in answer.inner_text()
    answer.locator("a.sc-cite").first.click()
    cited = page.locator("#sc-sources .sc-cited.sc-active")
    cited.wait_for(state="visible")
    shown = cited.locator(".sc-passage").inner_text()
    assert "<script>alert(1)</script>" in shown
    assert "<img src=x onerror=alert(2)>" in shown
    card = page.locator("#sc-sources .sc-current .sc-article", has=page.locator(".sc-cited.sc-active"))
    assert "Harbour festival" in card.locator(".sc-card-title").inner_text()
    assert HOSTILE_NAME in card.locator(".sc-meta").inner_text()
    answer.locator("a.sc-cite").first.hover()  # the preview shows it as text too
    assert "<script>alert(1)</script>" in page.locator("#sc-popover").inner_text()
    cited.locator(".sc-read").click()
    reader = page.locator(f"#sc-sources .sc-reader[data-article='{HOSTILE_NAME}']")
    assert "<img src=x onerror=alert(2)>" in reader.inner_text()
    shot(page, "hostile")
    # Nothing from the article became an element or ran.
    assert page.locator("#sc-chat script, #sc-sources script, #sc-popover script").count() == 0
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_model_down_shows_the_error_and_an_extractive_answer(page, shot):
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
    shot(page, "model-down")
    # The chat keeps working.
    after = ask(page, SIGNER_QUESTION)
    assert "Ali Mansouri" in after.inner_text()


# -- conversations that last -------------------------------------------------------------------


def test_reload_keeps_the_conversation_and_the_sidebar_lists_it(page, app, shot):
    ask(page, SIGNER_QUESTION)
    ask(page, FOLLOW_UP)
    address = saved_address(page)
    page.reload()
    wait_until_loaded(page)
    page.locator(FINAL_ANSWERS).nth(1).wait_for()
    assert page.evaluate("() => location.href") == address
    answers = page.locator(FINAL_ANSWERS)
    assert answers.count() == 2 and "July 18" in answers.nth(1).inner_text()
    # Its citations still open their passages, and the panel shows the newest turn.
    assert page.locator("#turn-1").is_visible()
    answers.nth(0).locator("a.sc-cite").first.click()
    page.wait_for_selector("#cite-0-1.sc-active")
    item = page.locator("#sc-chat-list .sc-chat-item[aria-current='true']")
    assert item.locator(".sc-chat-title").inner_text() == SIGNER_QUESTION  # the first question is its title
    shot(page, "reloaded")

    # Rename it, start another, and reopen the first from the list.
    page.fill("#sc-chat-title input", "Qatar and the letter")
    page.click("#sc-rename")
    page.wait_for_function("() => document.querySelector('#sc-chat-list').innerText.includes('Qatar and the letter')")
    page.click("#sc-new-chat")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-answer')")
    ask(page, TRADE_QUESTION)
    assert page.locator("#sc-chat-list .sc-chat-item").count() == 2
    page.locator("#sc-chat-list .sc-chat-item", has_text="Qatar and the letter").click()
    page.wait_for_function("() => document.querySelectorAll('#sc-chat .sc-answer').length === 2")
    assert page.evaluate("() => location.href") == address
    shot(page, "reopened")

    # Deleting asks once more, then it is gone from the list and its link opens nothing.
    page.click("#sc-delete")
    page.click("#sc-delete-confirm")
    page.wait_for_function("() => !document.querySelector('#sc-chat .sc-answer')")
    assert page.locator("#sc-chat-list .sc-chat-item").count() == 1
    page.goto(address)
    wait_until_loaded(page)
    assert "No conversation shared with you has this link" in page.locator("#sc-banner").inner_text()


def test_a_shared_conversation_link_opens_read_only_for_someone_else(browser, page, app, shot):
    ask(page, SIGNER_QUESTION)
    address = saved_address(page)
    page.click("#sc-share")
    link = page.locator("#sc-share-box .sc-share-url")
    link.wait_for()
    assert link.input_value() == address
    shot(page, "share")

    other = open_page(browser, address)
    try:
        other.locator(FINAL_ANSWERS).first.wait_for()
        assert "Read-only" in other.locator("#sc-banner").inner_text()
        assert "Ali Mansouri" in other.locator(FINAL_ANSWERS).first.inner_text()
        assert not other.locator("#sc-question textarea").is_visible()
        assert not other.locator("#sc-this-chat").is_visible()  # no rename, share or delete
        assert other.locator("#sc-chat button[aria-label='Like']").count() == 0
        assert other.locator("#sc-chat-list .sc-chat-item").count() == 0  # not in their own list
        other.locator(FINAL_ANSWERS).first.locator("a.sc-cite").first.click()
        other.wait_for_selector("#cite-0-1.sc-active")
        shot(other, "read-only")
        # "New chat" gives them their own conversation.
        other.click("#sc-new-chat")
        other.locator("#sc-question textarea").wait_for(state="visible")
        assert other.evaluate("() => location.search") == ""
    finally:
        other.context.close()


def test_a_span_link_opens_the_article_with_that_sentence_highlighted(browser, page, app, shot):
    ask(page, SIGNER_QUESTION)
    href = page.locator("#cite-0-1 .sc-span-link").get_attribute("href")
    assert href.startswith("?a=")
    quote = sentence_with(seed_text(app), "Ali Mansouri had signed on July 12")
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        reader_page = open_page(browser, app.url + "/" + href, viewport=viewport)
        try:
            reader = reader_page.locator("#reader-link")
            reader.wait_for(state="visible")
            mark = reader.locator("mark.sc-quote")
            assert mark.inner_text() == quote
            assert "Qatar withdraws support for China" in reader.locator(".sc-reader-title").inner_text()
            assert "Other signatories of the letter" in reader.inner_text()  # the whole article
            reader_page.wait_for_function("() => { const r = document.querySelector('#reader-link mark')"
                                          ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
            assert reader_page.evaluate("() => location.search") == href
            shot(reader_page, f"span-link-{name}")
        finally:
            reader_page.context.close()


def test_on_a_phone_the_passage_opens_inline_under_the_answer(browser, app, shot):
    phone = open_page(browser, app.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        # The conversation list starts closed: it does not cover the chat.
        phone.wait_for_function("() => !document.querySelector('#sc-sidebar').classList.contains('open')")
        shot(phone, "start")
        answer = ask(phone, SIGNER_QUESTION)
        shot(phone, "answer")
        scrolled = phone.evaluate("() => scrollY")
        answer.locator("a.sc-cite").first.click()
        inline = answer.locator(".sc-inline")
        inline.wait_for(state="visible")
        assert inline.locator("mark.sc-quote").inner_text() == sentence_with(
            seed_text(app), "Ali Mansouri had signed on July 12")
        assert "Qatar withdraws support for China" in inline.locator(".sc-card-title").inner_text()
        phone.wait_for_timeout(600)  # the chat settles its own scrolling
        assert in_viewport(phone, inline)
        assert abs(phone.evaluate("() => scrollY") - scrolled) < 200  # not sent down past the examples
        # the quoted sentence is inside the chat's visible area, and no scroll button sits on it
        mark = inline.locator("mark.sc-quote").bounding_box()
        log = phone.locator("#sc-chat [role='log']").bounding_box()
        assert log["y"] <= mark["y"] and mark["y"] + mark["height"] <= log["y"] + log["height"], (mark, log)
        assert not phone.locator("#sc-chat .scroll-down-button-container").is_visible()
        # the sources come right after the question box, before the examples and settings
        top = {name: phone.locator(f"#{name}").bounding_box()["y"]
               for name in ("sc-ask-row", "sc-panel-column", "sc-examples-box", "sc-filters")}
        assert top["sc-ask-row"] < top["sc-panel-column"] < top["sc-examples-box"] < top["sc-filters"], top
        shot(phone, "inline")
        # the whole article, from the passage: the reader opens with the quoted sentence in view
        inline.locator(".sc-inline-read").click()
        reader = phone.locator("#sc-sources .sc-reader:not([hidden])")
        reader.wait_for(state="visible")
        assert "Other signatories of the letter" in reader.inner_text()
        focused = reader.locator("mark.sc-focus")
        assert focused.inner_text() == sentence_with(seed_text(app), "Ali Mansouri had signed on July 12")
        phone.wait_for_timeout(300)
        assert in_viewport(phone, focused)
        shot(phone, "inline-whole-article")
        reader.locator(".sc-reader-back").click()
        inline.locator(".sc-inline-close").click()
        assert answer.locator(".sc-inline").count() == 0
        # Nothing is wider than the screen.
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.context.close()


def test_feedback_is_stored_and_exported_as_an_eval_case(page, app, shot):
    answer = ask(page, SIGNER_QUESTION)
    page.locator("#sc-chat button[aria-label='Dislike']").first.click()
    note = page.locator("#sc-note textarea")
    note.wait_for(state="visible")
    assert "What was wrong" in page.locator("#sc-note").inner_text()
    note.fill("It should say when he signed.")
    shot(page, "note")
    page.click("#sc-note-send")
    page.locator("#sc-feedback-status .sc-thanks").wait_for()
    assert not note.is_visible()
    shot(page, "thanks")

    result = run_rag(["feedback", "export"], RAG_SOURCES_DIR=str(app.sources), RAG_STORE_DIR=str(app.store))
    assert result.returncode == 0, result.stderr
    cases = [json.loads(line) for line in result.stdout.splitlines()]
    [case] = [c for c in cases if c["feedback"]["note"] == "It should say when he signed."]
    assert case["question"] == SIGNER_QUESTION and case["kind"] == "answerable" and case["reference"] == ""
    assert case["feedback"]["rating"] == "down"
    # The stored answer keeps its Markdown emphasis ("**Ali Mansouri**: ..."), shown as bold on the page.
    assert case["feedback"]["answer"].replace("**", "").startswith(answer.locator(".sc-text").inner_text()[:40])
    assert case["feedback"]["citations"][0]["article_id"] == SEED_ARTICLE

    # The rating is still shown when the conversation is opened again.
    page.reload()
    wait_until_loaded(page)
    page.locator(FINAL_ANSWERS).first.wait_for()
    assert page.locator("#sc-chat button[aria-label='Disliked']").count() == 1


def test_uploaded_article_is_indexed_and_answers_questions(page, app, tmp_path, shot):
    article = tmp_path / "lighthouse.md"
    article.write_text("# Lighthouse reopens in Kestrel Bay\n\nThe Kestrel Bay lighthouse reopened on "
                       "March 3 after a restoration that cost 2.4 million euros, the harbour trust said.\n",
                       encoding="utf-8")
    unwanted = tmp_path / "notes.exe"
    unwanted.write_bytes(b"MZ not an article")
    count_before = int(page.locator("#sc-header-box .sc-count").inner_text().split()[0])
    page.click("#sc-add button.label-wrap, #sc-add > button")
    page.set_input_files("#sc-files input[type=file]", [str(unwanted)])
    # The browser refuses the wrong type before sending it, says why, and leaves no error badge.
    page.locator("#sc-upload-status .sc-up-refused", has_text="Invalid file type: notes.exe").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("#sc-files [data-testid='status-tracker'] .error").count() == 0
    shot(page, "rejected", full_page=True)
    page.set_input_files("#sc-files input[type=file]", [str(article)])
    page.locator("#sc-files", has_text="lighthouse").wait_for()
    page.click("#sc-add-button")
    status = page.locator("#sc-upload-status .sc-up-info")
    status.wait_for(timeout=60_000)
    shown = page.locator("#sc-upload-status").inner_text()
    assert "lighthouse.md added as uploads/lighthouse.md" in shown
    assert (app.sources / "uploads" / "lighthouse.md").read_text(encoding="utf-8") == article.read_text(encoding="utf-8")
    assert not (app.sources / "uploads" / "notes.exe").exists()
    # The header counts it at once.
    assert page.locator("#sc-header-box .sc-count").inner_text() == f"{count_before + 1} articles"
    shot(page, "upload", full_page=True)

    answer = ask(page, "How much did the restoration of the Kestrel Bay lighthouse cost?")
    assert "2.4 million euros" in answer.locator(".sc-text").inner_text()
    answer.locator("a.sc-cite").first.click()
    card = page.locator("#sc-sources .sc-current .sc-article", has=page.locator(".sc-cited.sc-active"))
    assert "uploads/lighthouse.md" in card.locator(".sc-meta").inner_text()

    # Over RAG_MAX_UPLOAD_MB (1 MB here): refused with the limit named, and again no badge left.
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000, encoding="utf-8")
    page.set_input_files("#sc-files input[type=file]", [str(big)])
    page.locator("#sc-upload-status .sc-up-refused", has_text="exceed the maximum allowed size of 1.0 Mb").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("#sc-files [data-testid='status-tracker'] .error").count() == 0
    assert not (app.sources / "uploads" / "big.txt").exists()


def test_two_readers_are_answered_at_the_same_time(browser, app, page):
    """With one request at a time the second question would reach the model only after the
    first answer (MODEL_PAUSE later); answered concurrently, both are in flight together."""
    other = open_page(browser, app.url)
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
    other.context.close()
    calls = [at for at, question in MODEL_CALLS if at >= started and question == SIGNER_QUESTION]
    assert len(calls) == 2
    assert abs(calls[1] - calls[0]) < MODEL_PAUSE


# -- logged-in readers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def auth_app(tmp_path_factory, seeds_dir):
    with running_app(tmp_path_factory.mktemp("auth-app"), seeds_dir,
                     RAG_AUTH="alice:alice-pw,bob:bob-pw") as server:
        yield server


def logged_in(browser, url: str, user: str, password: str):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(url)
    page.locator("input[data-testid='textbox']").fill(user)
    page.locator("input[type='password']").fill(password)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#sc-question textarea, #sc-banner", timeout=30_000)
    wait_until_loaded(page)
    return page


def test_logged_in_readers_see_only_their_own_conversations(browser, auth_app, shot):
    alice = logged_in(browser, auth_app.url, "alice", "alice-pw")
    bob = logged_in(browser, auth_app.url, "bob", "bob-pw")
    try:
        ask(alice, SIGNER_QUESTION)
        address = saved_address(alice)
        assert alice.locator("#sc-chat-list .sc-chat-item").count() == 1
        bob.reload(wait_until="domcontentloaded")
        wait_until_loaded(bob)
        assert bob.locator("#sc-chat-list .sc-chat-item").count() == 0
        shot(bob, "bob-list")

        # Alice's link shows Bob nothing until she shares it.
        bob.goto(address, wait_until="domcontentloaded")  # the app's own readiness is waited for below
        wait_until_loaded(bob)
        assert "No conversation shared with you has this link" in bob.locator("#sc-banner").inner_text()
        assert bob.locator("#sc-chat .sc-answer").count() == 0
        shot(bob, "not-shared")
        alice.click("#sc-share")
        alice.locator("#sc-share-box .sc-share-url").wait_for()
        assert "Anyone who can log in" in alice.locator("#sc-share-box").inner_text()
        bob.goto(address, wait_until="domcontentloaded")  # the app's own readiness is waited for below
        wait_until_loaded(bob)
        bob.locator(FINAL_ANSWERS).first.wait_for()
        assert "Read-only" in bob.locator("#sc-banner").inner_text()
        assert not bob.locator("#sc-question textarea").is_visible()
        shot(bob, "shared")

        # Her own session on another browser finds it under her name.
        again = logged_in(browser, auth_app.url, "alice", "alice-pw")
        try:
            assert again.locator("#sc-chat-list .sc-chat-item").count() == 1
        finally:
            again.context.close()
    finally:
        alice.context.close()
        bob.context.close()
