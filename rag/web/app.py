"""The browser app: a chat whose [n] citations open the quoted passage in a sources panel.

All answering goes through ``SourceChat`` (rag.pipeline) via ``ChatService`` (rag.web.service);
this module lays the page out (``_layout``) and connects its events to the handlers
(rag.web.handlers, ``_wire``). The reader sees the retrieved sources first, then the answer
streaming in, then the verified answer with clickable citations. When the language model
fails, the error is shown together with an extractive answer, clearly labelled.

Conversations are saved as they go (rag.chats) and listed in the sidebar; the address bar
carries the open conversation (``?c=<id>``), so a reload or a shared link opens it again.
Styles and scripts are files in rag/web/static/.
"""

from __future__ import annotations

import threading
from importlib import resources

import rag  # noqa: F401  (sets the offline environment before gradio is imported)
from rag.errors import SourceChatError
from rag.web.panel import PANEL_PLACEHOLDER

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]
EXAMPLES_WARM_AFTER_S = 15


def static_text(name: str) -> str:
    """A file of rag/web/static (shipped inside the package)."""
    return (resources.files("rag.web") / "static" / name).read_text(encoding="utf-8")


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """RAG_AUTH="alice:pw1,bob:pw2" -> [("alice", "pw1"), ("bob", "pw2")]; unset -> no login."""
    if not value:
        return None
    pairs = []
    for item in value.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("RAG_AUTH must look like user:password, or user1:pw1,user2:pw2 "
                             "for several readers (each part non-empty)")
        pairs.append((user, password))
    if len({user for user, _ in pairs}) != len(pairs):
        raise ValueError("RAG_AUTH names the same user twice")
    return pairs


def _mode_note(llm_ready: bool) -> str:
    if llm_ready:
        return ("**Generative**: a language model writes the answer from the retrieved passages; every "
                "sentence is checked against the sources. **Extractive**: the answer quotes the sentences "
                "that answer the question, no model involved.")
    return ("Generative answers need a language model: set `OPENAI_BASE_URL` (and `OPENAI_API_KEY` if the "
            "endpoint needs one) and restart. Extractive answers quote the sentences that answer the question.")


def _layout(service, store_secret: str):
    """The page and its components; returns (Blocks, Ui)."""
    import gradio as gr

    from rag.web.handlers import Session, Ui

    settings = service.settings
    llm_ready = settings.llm_configured
    c: dict = {}
    with gr.Blocks(title="sourcechat", analytics_enabled=False) as demo:
        c["session"] = gr.State(Session())
        # An id for this browser, kept in its localStorage (encrypted with a key kept in the store
        # folder, so it survives a restart): without logins, it is whose conversations these are.
        c["browser"] = gr.BrowserState({}, storage_key="sourcechat-reader", secret=store_secret)
        c["location"] = gr.HTML("", visible="hidden", elem_id="sc-location", js_on_load=static_text("location.js"))
        with gr.Sidebar(label="Conversations", open=True, width=290, elem_id="sc-sidebar"):
            c["new_chat"] = gr.Button("+ New chat", variant="primary", elem_id="sc-new-chat")
            c["chat_list"] = gr.HTML("", elem_id="sc-chat-list", js_on_load=static_text("chat_list.js"))
            with gr.Column(visible=False, elem_id="sc-this-chat") as c["this_chat"]:
                c["title"] = gr.Textbox(label="This conversation", max_lines=1, elem_id="sc-chat-title")
                with gr.Row():
                    c["rename"] = gr.Button("Rename", size="sm", min_width=0, elem_id="sc-rename")
                    c["share"] = gr.Button("Share", size="sm", min_width=0, elem_id="sc-share")
                    c["delete"] = gr.Button("Delete", size="sm", min_width=0, variant="stop", elem_id="sc-delete")
                with gr.Row(visible=False, elem_id="sc-delete-row") as c["delete_row"]:
                    c["delete_confirm"] = gr.Button("Delete it", size="sm", min_width=0, variant="stop",
                                                    elem_id="sc-delete-confirm")
                    c["delete_cancel"] = gr.Button("Keep it", size="sm", min_width=0, elem_id="sc-delete-cancel")
                c["share_box"] = gr.HTML("", elem_id="sc-share-box", js_on_load=static_text("share_box.js"))
        c["header"] = gr.HTML("", elem_id="sc-header-box")
        with gr.Row(equal_height=False, elem_id="sc-main"):
            with gr.Column(scale=3, min_width=340, elem_id="sc-chat-column"):
                c["banner"] = gr.HTML("", elem_id="sc-banner")
                c["chatbot"] = gr.Chatbot(
                    elem_id="sc-chat", label="Chat", show_label=False, height=560, sanitize_html=True,
                    render_markdown=True, latex_delimiters=[], feedback_options=("Like", "Dislike"), buttons=[],
                    layout="bubble", placeholder="Ask a question about the articles. Answers cite their sources.",
                )
                with gr.Group(visible=False, elem_id="sc-feedback-note") as c["note_row"]:
                    c["note"] = gr.Textbox(label="What was wrong with this answer? (optional)", lines=2,
                                           max_lines=6, elem_id="sc-note")
                    c["note_send"] = gr.Button("Send feedback", size="sm", elem_id="sc-note-send")
                c["feedback_status"] = gr.HTML("", elem_id="sc-feedback-status")
                with gr.Row(equal_height=True, elem_id="sc-ask-row") as c["ask_row"]:
                    c["question"] = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5,
                                               elem_id="sc-question", autofocus=True, max_lines=4, submit_btn=False)
                    c["send"] = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="sc-send")
                c["examples"] = gr.HTML("", elem_id="sc-examples-box", js_on_load=static_text("examples.js"))
                with gr.Row(elem_id="sc-export-row"):
                    c["copy"] = gr.Button("Copy answer", size="sm", visible=False, elem_id="sc-copy")
                    c["download_md"] = gr.DownloadButton("Download conversation (.md)", size="sm", visible=False,
                                                         elem_id="sc-download-md")
                    c["download_json"] = gr.DownloadButton("Download (.json)", size="sm", visible=False,
                                                           elem_id="sc-download-json")
                c["copy_text"] = gr.Textbox(visible="hidden", elem_id="sc-copy-text")
                folders, articles = service.filter_choices()
                with gr.Accordion("Filters", open=False, elem_id="sc-filters"):
                    with gr.Row():
                        c["filter_sources"] = gr.Dropdown(folders, multiselect=True, label="Folders",
                                                          elem_id="sc-filter-sources", allow_custom_value=True)
                        c["filter_since"] = gr.Textbox(label="Published from", placeholder="2005-01-01", max_lines=1,
                                                       elem_id="sc-filter-since")
                        c["filter_until"] = gr.Textbox(label="Published until", placeholder="2005-03-31", max_lines=1,
                                                       elem_id="sc-filter-until")
                    c["filter_articles"] = gr.Dropdown(articles, multiselect=True, label="Only these articles",
                                                       elem_id="sc-filter-articles")
                with gr.Accordion("Settings", open=False, elem_id="sc-settings"):
                    c["mode"] = gr.Radio(["extractive", "generative"],
                                         value=settings.default_mode if llm_ready else "extractive",
                                         label="Answer mode", interactive=llm_ready, elem_id="sc-mode")
                    gr.Markdown(_mode_note(llm_ready), elem_id="sc-mode-note")
                    c["top_k"] = gr.Slider(1, 20, value=settings.top_k, step=1,
                                           label="Number of sources (passages retrieved)", elem_id="sc-top-k")
                with gr.Accordion("Add articles", open=False, elem_id="sc-add"):
                    gr.Markdown(f"Upload .txt, .md, .html or .pdf files (up to {settings.max_upload_mb:g} MB each). "
                                "They are saved in the sources folder under `uploads/` and indexed right away.")
                    c["files"] = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, type="filepath",
                                         label="Files", elem_id="sc-files")
                    with gr.Row(equal_height=True):
                        c["add"] = gr.Button("Add to the index", elem_id="sc-add-button")
                        c["cancel_add"] = gr.Button("Cancel", size="sm", elem_id="sc-cancel-add")
                    c["upload_status"] = gr.HTML("", elem_id="sc-upload-status")
            with gr.Column(scale=2, min_width=300, elem_id="sc-panel-column"):
                c["panel"] = gr.HTML(PANEL_PLACEHOLDER, elem_id="sc-sources")
    return demo, Ui(**c)


def _wire(demo, ui, handlers) -> None:
    """Connect each event to its handler; the UI's own events stay out of the API."""
    import gradio as gr

    view = ui.view_outputs()
    private = {"api_visibility": "private"}
    with demo:
        demo.load(handlers.load, [ui.browser], view + [ui.browser, ui.header], **private)
        demo.load(handlers.load_examples, None, [ui.examples], **private)
        ask_inputs = [ui.question, ui.session, ui.mode, ui.top_k, ui.filter_sources, ui.filter_since,
                      ui.filter_until, ui.filter_articles]
        ask_outputs = view + [ui.question, ui.header]
        for trigger in (ui.question.submit, ui.send.click):
            trigger(handlers.ask, ask_inputs, ask_outputs, show_progress="hidden", **private)
        ui.examples.pick(handlers.pick_example, None, [ui.question], queue=False, **private)
        ui.new_chat.click(handlers.new_chat, [ui.session], view, queue=False, **private)
        ui.chatbot.clear(handlers.new_chat, [ui.session], view, queue=False, **private)
        ui.chat_list.open(handlers.open_chat, [ui.session], view, **private)
        for trigger in (ui.title.submit, ui.rename.click):
            trigger(handlers.rename, [ui.session, ui.title], view, queue=False, **private)
        ui.share.click(handlers.share, [ui.session], [ui.share_box, ui.chat_list, ui.session], queue=False, **private)
        ui.delete.click(handlers.ask_delete, [ui.session], [ui.delete_row], queue=False, **private)
        ui.delete_cancel.click(handlers.cancel_delete, None, [ui.delete_row], queue=False, **private)
        ui.delete_confirm.click(handlers.delete, [ui.session], view, queue=False, **private)
        ui.chatbot.like(handlers.rate, [ui.session], [ui.session, ui.note_row, ui.note, ui.feedback_status],
                        queue=False, **private)
        for trigger in (ui.note.submit, ui.note_send.click):
            trigger(handlers.send_note, [ui.session, ui.note],
                    [ui.session, ui.note_row, ui.note, ui.feedback_status], queue=False, **private)
        ui.add.click(handlers.add_files, [ui.files], [ui.upload_status, ui.files, ui.header, ui.examples],
                     concurrency_limit=1, **private).then(
            handlers.filter_choices, None, [ui.filter_sources, ui.filter_articles], **private)
        # The clipboard is the browser's: the handler gives the Markdown, a line of JS copies it.
        ui.copy.click(handlers.last_markdown, [ui.session], [ui.copy_text], queue=False, **private).then(
            None, [ui.copy_text], None, js="(md) => { navigator.clipboard.writeText(md); }", **private)
        ui.cancel_add.click(handlers.cancel_add, None, [ui.upload_status], queue=False, **private)

        def chat(message: str, history: list[dict] | None = None) -> str:
            """Answer a question from the articles: the text with [n] markers, then the quotes cited."""
            return handlers.chat_api(message, history)

        gr.api(chat, api_name="chat")

        def mentions(query: str, sources: list[str] | None = None, since: str | None = None,
                     until: str | None = None, articles: list[str] | None = None) -> dict:
            """Every article that mentions a name or phrase, each mentioning sentence with its offsets."""
            return handlers.mentions_api(query, sources, since, until, articles)

        def quote(text: str, speaker: str | None = None, sources: list[str] | None = None,
                  since: str | None = None, until: str | None = None) -> dict:
            """Whether a quote is in the articles: verbatim, close or not found, and who said it."""
            return handlers.quote_api(text, speaker, sources, since, until)

        gr.api(mentions, api_name="mentions")
        gr.api(quote, api_name="quote")


def build_app(settings=None, service=None):
    from rag.web.handlers import Handlers
    from rag.web.service import ChatService

    service = service or ChatService(settings)
    demo, ui = _layout(service, service.chats.secret("browser-state"))
    _wire(demo, ui, Handlers(service, ui, auth_on=bool(service.settings.auth)))
    demo.service = service  # main() warms the example questions once the server is up
    return demo


def _theme():
    import gradio as gr

    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def launch_options(settings) -> dict:
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": parse_auth(settings.auth),
        "max_file_size": int(settings.max_upload_mb * 1024 * 1024),
        "css": static_text("app.css"),
        # System fonts: the default theme fetches its fonts from Google, which an offline or
        # privacy-minded deployment should not do.
        "theme": _theme(),
        "js": static_text("app.js"),
        "show_error": True,
        "ssr_mode": False,
        "footer_links": ["api"],
    }


def main(host: str | None = None, port: int | None = None) -> None:
    from rag.settings import get_settings

    settings = get_settings()
    if host:
        settings = settings.model_copy(update={"host": host})
    if port:
        settings = settings.model_copy(update={"port": port})
    try:
        options = launch_options(settings)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    try:
        demo = build_app(settings)
    except SourceChatError as err:  # a damaged index: its file and the repair command, no traceback
        raise SystemExit(f"error: {err}") from None
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.launch(**options, prevent_thread_lock=True)
    # The example questions need spaCy's full pipeline (about 3 s of CPU to load, most of it
    # holding the GIL). Found right at start-up, they slowed a first /chat answer asked at once
    # (answer minus page time 3.4-5.6 s vs 1.9-3.9 s, 3 runs each, load average 9-12); a page
    # opened in the first seconds finds them itself, in its own event.
    warm = threading.Timer(EXAMPLES_WARM_AFTER_S, demo.service.examples.current)
    warm.daemon = True
    warm.start()
    demo.block_thread()
