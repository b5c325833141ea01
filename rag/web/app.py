"""The browser app: a chat whose [n] citations open the quoted passage in a sources panel.

All answering goes through ``SourceChat`` (rag.pipeline); this module only decides what the
reader sees: the retrieved sources first, then the answer streaming in, then the verified
answer with clickable citations (HTML from rag.web.render). When the language model fails, the
error is shown together with an extractive answer, clearly labelled, so the chat keeps working.

The conversation lives in a per-session ``gr.State`` list of ``ChatTurn``; the Chatbot is
re-rendered from it, so history handed to the pipeline is the Answers, never the HTML.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import rag  # noqa: F401  (sets the offline environment before gradio is imported)
from rag.web.render import (
    CLICK_JS,
    CSS,
    PANEL_PLACEHOLDER,
    ChatTurn,
    answer_html,
    answer_markdown,
    esc,
    notice_html,
    panel_html,
    progress_html,
    sources_status,
)

log = logging.getLogger(__name__)

# Questions about the sample article in seeds/.
EXAMPLE_QUESTIONS = [
    "Who signed the letter backing China's human rights record on behalf of Qatar?",
    "When did Ambassador Ali Mansouri write to the UN officer?",
    "How much was the trade between China and Qatar last year?",
    "What is the capital of France?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """RAG_AUTH=user:pass -> ("user", "pass"); unset -> no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("RAG_AUTH must look like user:password (both parts non-empty)")
    return user, password


class ChatService:
    """What the app does with one SourceChat: answer with a fallback, and add uploaded files."""

    def __init__(self, settings=None):
        from rag.pipeline import SourceChat

        self.chat = SourceChat(settings)
        self.settings = self.chat.settings
        self._ingest_lock = threading.Lock()  # one sync at a time; answering goes on meanwhile

    def article_count(self) -> int:
        return self.chat.article_count()

    def texts(self, article_ids) -> dict[str, str]:
        articles = self.chat.articles(sorted(set(article_ids)))
        return {aid: article.text for aid, article in articles.items()}

    def texts_for(self, answer) -> dict[str, str]:
        return self.texts([c.article_id for c in answer.citations] + [s.article_id for s in answer.sources])

    def fallback(self, question: str, history, top_k: int | None, failed) -> ChatTurn:
        """The LLM failed: the same question answered extractively, with the error kept."""
        answer = self.chat.ask(question, history=history, mode="extractive", top_k=top_k)
        return ChatTurn(answer, self.texts_for(answer), llm_error=failed.error)

    def ask(self, question: str, history=None) -> str:
        """One answer as text with [n] markers and the quotes they cite (the API endpoint)."""
        answer = self.chat.ask(question, history=history)
        if answer.error:
            turn = self.fallback(question, history, None, answer)
            return answer_markdown(turn.answer, llm_error=turn.llm_error)
        return answer_markdown(answer)

    def add_files(self, files: list[tuple[str, Path]], progress=None) -> list[tuple[str, str]]:
        """Save and ingest uploaded files; returns (kind, message) lines for the reader."""
        from rag.index.ingest import sync
        from rag.web.uploads import accept_uploads

        with self._ingest_lock:
            result = accept_uploads(files, self.settings.sources_dir, self.settings.max_upload_mb)
            lines = [("rejected", f"{name}: {reason}") for name, reason in result.rejected]
            if not result.saved:
                return lines
            root = Path(self.settings.sources_dir)
            summary = sync(self.settings, paths=[s.path for s in result.saved], progress=progress or False,
                           store=self.chat.store, embedder=self.chat.embedder)
            from rag.index.sources import article_id

            skipped = {item["path"]: item["reason"] for item in summary.skipped}
            for saved in result.saved:
                aid = article_id(saved.path, root)
                if aid in skipped:
                    if not saved.reused:
                        saved.path.unlink(missing_ok=True)  # unreadable: do not keep it around
                    lines.append(("rejected", f"{saved.name}: {skipped[aid]}"))
                elif saved.reused:
                    lines.append(("same", f"{saved.name} is already in the index (as {aid})."))
                elif saved.renamed:
                    lines.append(("added", f"{saved.name} added as {aid} (the name was taken "
                                           "or unsafe; the other file is unchanged)."))
                else:
                    lines.append(("added", f"{saved.name} added as {aid}."))
            lines.append(("info", f"The index now holds {summary.articles} articles ({summary.chunks} passages)."))
            return lines


def _status_html(lines: list[tuple[str, str]]) -> str:
    marks = {"added": "✓", "same": "=", "rejected": "✗", "info": ""}
    items = "".join(f'<li class="sc-up-{kind}">{marks.get(kind, "")} {esc(text)}</li>' for kind, text in lines)
    return f'<ul class="sc-upload-status">{items}</ul>'


def _header_html(count: int, sources_dir) -> str:
    if count:
        what = f"Ask about the {count} article{'s' if count != 1 else ''} in <code>{esc(sources_dir)}</code>. "
    else:
        what = (f"No articles are indexed yet: add files under “Add articles”, or put them in "
                f"<code>{esc(sources_dir)}</code> and run “rag ingest”. ")
    return (
        f'<div class="sc-header"><h1>sourcechat</h1><p>{what}'
        "Every answer quotes the sentences it rests on: click a number such as [1] to see the "
        "passage, highlighted, in the sources panel. When the articles don't say, the app says so.</p></div>"
    )


def _question_html(question: str) -> str:
    return f'<div class="sc-question">{esc(question)}</div>'


def _messages(turns: list[ChatTurn]) -> list[dict]:
    out = []
    for k, turn in enumerate(turns):
        out.append({"role": "user", "content": _question_html(turn.answer.question)})
        out.append({"role": "assistant", "content": answer_html(k, turn)})
    return out


def build_app(settings=None, service: ChatService | None = None):
    import gradio as gr

    from rag.answer.generative import LLMError
    from rag.answer.record import AnswerEvent, SourcesEvent, TextEvent
    from rag.pipeline import NoIndexError
    from rag.index.store import StoreError

    service = service or ChatService(settings)
    settings = service.settings
    llm_ready = settings.llm_configured

    def respond(message: str, turns: list[ChatTurn], mode: str, top_k: int):
        question = (message or "").strip()
        turns = list(turns or [])
        if not question:
            yield _messages(turns), gr.skip(), turns, ""
            return
        shown = _messages(turns) + [{"role": "user", "content": _question_html(question)}]
        history = [t.answer for t in turns]
        top_k = int(top_k) if top_k else None
        yield shown + [{"role": "assistant", "content": progress_html("Searching the articles…")}], gr.skip(), turns, ""
        final, status, text = None, "", ""
        try:
            for event in service.chat.ask_stream(question, history=history, mode=mode, top_k=top_k):
                if isinstance(event, SourcesEvent):
                    status = sources_status(event.sources)
                    texts = service.texts(s.article_id for s in event.sources)
                    pending = (question, event.standalone_question, event.sources, texts)
                    yield (shown + [{"role": "assistant", "content": progress_html(status)}],
                           panel_html(turns, pending), turns, "")
                elif isinstance(event, TextEvent):
                    text += event.delta
                    yield shown + [{"role": "assistant", "content": progress_html(status, text)}], gr.skip(), turns, ""
                elif isinstance(event, AnswerEvent):
                    final = event.answer
            if final is not None and final.error:
                turn = service.fallback(question, history, top_k, final)
            elif final is not None:
                turn = ChatTurn(final, service.texts_for(final))
            else:
                raise RuntimeError("the answer stream ended without an answer")
        except NoIndexError:
            notice = ("No articles are indexed yet. Add files under “Add articles” below, "
                      "or run “rag ingest” and reload the page.")
            yield shown + [{"role": "assistant", "content": notice_html(notice)}], panel_html(turns), turns, ""
            return
        except (StoreError, LLMError, ValueError) as err:
            yield shown + [{"role": "assistant", "content": notice_html(str(err))}], panel_html(turns), turns, ""
            return
        except Exception as err:  # the reader gets a message, the log gets the traceback
            log.exception("answering %r failed", question)
            notice = f"Something went wrong while answering: {err}"
            yield shown + [{"role": "assistant", "content": notice_html(notice)}], panel_html(turns), turns, ""
            return
        turns = turns + [turn]
        yield _messages(turns), panel_html(turns), turns, ""

    def new_chat():
        return [], PANEL_PLACEHOLDER, [], ""

    def add_files(files, progress=gr.Progress()):
        if not files:
            return _status_html([("rejected", "Choose one or more files first.")]), gr.skip(), gr.skip()
        progress(0, desc="Saving files")

        def report(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        pairs = [(Path(f).name, Path(f)) for f in files]
        lines = service.add_files(pairs, progress=report)
        return _status_html(lines), None, _header_html(service.article_count(), settings.sources_dir)

    def chat(message: str, history: list[dict] | None = None) -> str:
        """Answer a question from the articles: the text with [n] markers, then the quotes cited."""
        try:
            return service.ask(message, history or None)
        except (NoIndexError, StoreError, ValueError) as err:
            return f"Error: {err}"

    if llm_ready:
        mode_note = ("**Generative**: a language model writes the answer from the retrieved passages; "
                     "every sentence is checked against the sources. **Extractive**: the answer quotes "
                     "the sentences that answer the question, no model involved.")
    else:
        mode_note = ("Generative answers need a language model: set `OPENAI_BASE_URL` (and "
                     "`OPENAI_API_KEY` if the endpoint needs one) and restart. Extractive answers quote "
                     "the sentences that answer the question.")

    with gr.Blocks(title="sourcechat", analytics_enabled=False) as demo:
        turns = gr.State([])
        header = gr.HTML(_header_html(service.article_count(), settings.sources_dir), elem_id="sc-header-box")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    elem_id="sc-chat", label="Chat", show_label=False, height=540, sanitize_html=True, render_markdown=True,
                    latex_delimiters=[], feedback_options=None, buttons=[], layout="bubble",
                    placeholder="Ask a question about the articles. Answers cite their sources.",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(placeholder="Ask about the articles…", show_label=False, scale=5,
                                          elem_id="sc-question", autofocus=True, max_lines=4, submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="sc-send")
                    clear = gr.Button("New chat", scale=1, min_width=100, elem_id="sc-new-chat")
                gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label="Example questions (about the sample article)")
                with gr.Accordion("Settings", open=False, elem_id="sc-settings"):
                    mode = gr.Radio(["extractive", "generative"], value=settings.default_mode if llm_ready else "extractive",
                                    label="Answer mode", interactive=llm_ready, elem_id="sc-mode")
                    gr.Markdown(mode_note, elem_id="sc-mode-note")
                    top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Number of sources (passages retrieved)",
                                      elem_id="sc-top-k")
                with gr.Accordion("Add articles", open=False, elem_id="sc-add"):
                    gr.Markdown(f"Upload .txt, .md, .html or .pdf files (up to {settings.max_upload_mb:g} MB each). "
                                "They are saved in the sources folder under `uploads/` and indexed right away.")
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, type="filepath",
                                    label="Files", elem_id="sc-files")
                    add = gr.Button("Add to the index", elem_id="sc-add-button")
                    upload_status = gr.HTML("", elem_id="sc-upload-status")
            with gr.Column(scale=2, min_width=300):
                panel = gr.HTML(PANEL_PLACEHOLDER, elem_id="sc-sources")

        outputs = [chatbot, panel, turns, question]
        ask_inputs = [question, turns, mode, top_k]
        question.submit(respond, ask_inputs, outputs, api_visibility="private", show_progress="hidden")
        send.click(respond, ask_inputs, outputs, api_visibility="private", show_progress="hidden")
        clear.click(new_chat, None, outputs, api_visibility="private", queue=False)
        chatbot.clear(new_chat, None, outputs, api_visibility="private", queue=False)
        add.click(add_files, [files], [upload_status, files, header], api_visibility="private",
                  concurrency_limit=1)
        gr.api(chat, api_name="chat")
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
        "css": CSS,
        # System fonts: the default theme fetches its fonts from Google, which an offline or
        # privacy-minded deployment should not do.
        "theme": _theme(),
        "js": CLICK_JS,
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
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.launch(**options)
