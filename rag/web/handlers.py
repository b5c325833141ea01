"""The app's event handlers: each reads the reader's ``Session`` and what the event sent, and
returns the new values of the components it changes, as a dict keyed by component.

``view(session)`` renders everything that follows from the session (the chat, the sources
panel, the conversation list, the read-only banner, the address bar), so a handler changes
the session and returns ``view`` plus whatever else it touched; nothing is yielded by hand in
a fixed order. New views or panels (a filter bar, a mentions view) add a component to ``Ui``,
a handler here, and one line in rag.web.app's ``_wire``.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import gradio as gr

from rag.answer.filters import Filters
from rag.answer.record import Answer, SourcesEvent, TextEvent
from rag.chats import title_from
from rag.errors import SourceChatError
from rag.pipeline import NoIndexError
from rag.web.panel import ArticleInfo, SpanLink, panel_html
from rag.web.render import (
    ChatTurn,
    conversation_list_html,
    esc,
    header_html,
    messages,
    notice_html,
    progress_html,
    question_html,
    read_only_html,
    sources_status,
    upload_status_html,
)
from rag.web.service import ChatService

log = logging.getLogger(__name__)

FEEDBACK = ("Like", "Dislike")


@dataclass
class Session:
    """One browser tab's state: who is reading, and which conversation is open."""

    viewer: str = ""  # "user:<login>" with RAG_AUTH, else "browser:<random id kept in the browser>"
    chat_id: str | None = None  # None until the first answer is saved
    title: str = ""
    shared: bool = False
    read_only: bool = False  # someone else's conversation, opened from a link
    turns: list[ChatTurn] = field(default_factory=list)
    ratings: dict[int, str] = field(default_factory=dict)  # turn position -> "up" | "down"
    rating_turn: int | None = None  # the turn whose note box is open
    link: SpanLink | None = None  # an article opened at a span (?a=...&s=...)
    notice: str = ""  # why a link could not be opened

    @property
    def history(self) -> list[Answer]:
        return [t.answer for t in self.turns]

    def fresh(self) -> Session:
        return Session(viewer=self.viewer)


@dataclass
class Ui:
    """Every component a handler reads or writes."""

    session: gr.State
    browser: gr.BrowserState
    location: gr.HTML
    header: gr.HTML
    chat_list: gr.HTML
    new_chat: gr.Button
    this_chat: gr.Column
    title: gr.Textbox
    rename: gr.Button
    share: gr.Button
    share_box: gr.HTML
    delete: gr.Button
    delete_row: gr.Row
    delete_confirm: gr.Button
    delete_cancel: gr.Button
    banner: gr.HTML
    chatbot: gr.Chatbot
    note_row: gr.Group
    note: gr.Textbox
    note_send: gr.Button
    feedback_status: gr.HTML
    ask_row: gr.Row
    question: gr.Textbox
    send: gr.Button
    examples: gr.HTML
    mode: gr.Radio
    top_k: gr.Slider
    files: gr.File
    add: gr.Button
    cancel_add: gr.Button
    upload_status: gr.HTML
    panel: gr.HTML
    filter_sources: gr.Dropdown
    filter_since: gr.Textbox
    filter_until: gr.Textbox
    filter_articles: gr.Dropdown
    copy: gr.Button
    copy_text: gr.Textbox
    download_md: gr.DownloadButton
    download_json: gr.DownloadButton

    def view_outputs(self) -> list:
        """The components ``Handlers.view`` writes: the outputs of every event that calls it."""
        return [self.session, self.location, self.chat_list, self.this_chat, self.title, self.share_box,
                self.delete_row, self.banner, self.chatbot, self.note_row, self.feedback_status, self.ask_row,
                self.panel, self.copy, self.download_md, self.download_json]


def _turn_of(index) -> int:
    """The turn of a Chatbot message index: messages alternate question, answer."""
    return (index[0] if isinstance(index, (list, tuple)) else int(index)) // 2


def _page_url(request: gr.Request | None, query: str) -> str:
    """The address of this page with ``query``: from the page the browser says it is on."""
    referer = request.headers.get("referer", "") if request is not None else ""
    parts = urlsplit(referer)
    if parts.scheme in ("http", "https") and parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query.lstrip("?"), ""))
    return query


class Handlers:
    def __init__(self, service: ChatService, ui: Ui, *, auth_on: bool):
        self.service = service
        self.ui = ui
        # With logins, someone else's conversation opens only once its owner shared it; without,
        # the link itself (96 random bits) is the permission.
        self.auth_on = auth_on

    # -- what the session shows ------------------------------------------------------------------
    def view(self, s: Session) -> dict:
        ui = self.ui
        owner = bool(s.chat_id) and not s.read_only
        if s.read_only:
            banner = read_only_html(s.title)
        elif s.notice:
            banner = f'<div class="sc-link-notice" role="alert">{esc(s.notice)}</div>'
        else:
            banner = ""
        if s.chat_id:
            location = f"?c={s.chat_id}"
        elif s.link is not None:
            location = f"?a={s.link.info.article_id}&s={s.link.start}-{s.link.end}"
        else:
            location = ""
        return {
            ui.session: s,
            ui.location: location,
            ui.chat_list: conversation_list_html(self.service.chats.chats_of(s.viewer), s.chat_id),
            ui.this_chat: gr.Column(visible=owner),
            ui.title: s.title,
            ui.share_box: "",
            ui.delete_row: gr.Row(visible=False),
            ui.banner: banner,
            ui.chatbot: gr.Chatbot(
                value=messages(s.turns),
                feedback_options=[] if s.read_only else FEEDBACK,
                feedback_value=[{"up": "Like", "down": "Dislike"}.get(s.ratings.get(k)) for k in range(len(s.turns))],
            ),
            ui.note_row: gr.Group(visible=False),
            ui.feedback_status: "",
            ui.ask_row: gr.Row(visible=not s.read_only),
            ui.panel: panel_html(s.turns, link=s.link),
            **self._exports(s),
        }

    # -- exporting -------------------------------------------------------------------------------
    def _exports(self, s: Session) -> dict:
        """The Copy and Download buttons: shown once there is an answer, the files written afresh."""
        ui = self.ui
        if not s.turns:
            return {ui.copy: gr.Button(visible=False), ui.download_md: gr.DownloadButton(visible=False),
                    ui.download_json: gr.DownloadButton(visible=False)}
        md, js = self.service.export_files(s.chat_id, s.title or title_from(s.turns[0].answer.question), s.history)
        return {ui.copy: gr.Button(visible=True), ui.download_md: gr.DownloadButton(value=str(md), visible=True),
                ui.download_json: gr.DownloadButton(value=str(js), visible=True)}

    def last_markdown(self, s: Session) -> str:
        """The newest answer with its footnotes, for the clipboard."""
        from rag.answer.export import answer_markdown

        return answer_markdown(s.turns[-1].answer) if s.turns else ""

    def header(self) -> str:
        return header_html(self.service.article_count(), self.service.folder_name)

    def examples(self) -> str:
        questions = self.service.examples.current()
        if not questions:
            return ""
        buttons = "".join(f'<button type="button" class="sc-example" data-question="{esc(q)}">{esc(q)}</button>'
                          for q in questions)
        return f'<div class="sc-examples"><span class="sc-examples-label">Try:</span>{buttons}</div>'

    # -- opening the page, a conversation or a link ----------------------------------------------
    def viewer_of(self, request: gr.Request, browser: dict | None) -> tuple[str, dict]:
        """Who is reading: the login when there is one, else an id this browser keeps."""
        browser = dict(browser or {})
        if getattr(request, "username", None):
            return f"user:{request.username}", browser
        if not browser.get("id"):
            browser["id"] = secrets.token_urlsafe(16)
        return f"browser:{browser['id']}", browser

    def load(self, browser: dict | None, request: gr.Request) -> dict:
        viewer, browser = self.viewer_of(request, browser)
        s = Session(viewer=viewer)
        params = request.query_params
        if params.get("c"):
            self._open(s, params["c"])
        elif params.get("a"):
            self._open_link(s, params["a"], params.get("s", ""))
        return self.view(s) | {self.ui.browser: browser, self.ui.header: self.header()}

    def load_examples(self) -> dict:
        """A load event of its own: the first page after a start waits for spaCy here, not for its chat."""
        return {self.ui.examples: self.examples()}

    def _open(self, s: Session, chat_id: str) -> None:
        saved = self.service.chats.get(chat_id)
        if saved is None or not saved.readable_by(s.viewer, needs_consent=self.auth_on):
            # The same message for both: a link must not tell whether a private conversation exists.
            s.notice = "No conversation shared with you has this link (it may have been deleted or not shared)."
            return
        s.chat_id, s.title, s.shared = saved.id, saved.title, saved.shared
        s.read_only = saved.owner != s.viewer
        s.turns = self.service.reopen(saved)
        if not s.read_only:
            s.ratings = {k: rating for k, (rating, _) in self.service.chats.ratings(saved.id, s.viewer).items()}

    def _open_link(self, s: Session, article_id: str, span: str) -> None:
        start, _, end = span.partition("-")
        if not (start.isdigit() and end.isdigit()):
            s.notice = "This link names no passage: it should end like &s=120-180."
            return
        article = self.service.chat.article(article_id)
        if article is None:
            info, text = ArticleInfo(article_id, article_id, article_id), None
        else:
            info = ArticleInfo(article.id, article.title, article.id, article.meta.get("url"),
                               article.meta.get("published"))
            text = article.text
        s.link = SpanLink(info, text, int(start), int(end))

    def open_chat(self, s: Session, evt: gr.EventData) -> dict:
        chat_id = (evt._data or {}).get("chat", "")
        fresh = s.fresh()
        self._open(fresh, chat_id)
        return self.view(fresh)

    def new_chat(self, s: Session) -> dict:
        return self.view(s.fresh())

    # -- asking ----------------------------------------------------------------------------------
    def ask(self, message: str, s: Session, mode: str, top_k: int, sources: list[str] | None = None,
            since: str = "", until: str = "", articles: list[str] | None = None):
        ui = self.ui
        question = (message or "").strip()
        if s.read_only:
            yield {ui.question: message}
            return
        if not question:  # say so rather than do nothing
            yield {ui.question: message,
                   ui.banner: '<div class="sc-link-notice" role="alert">Type a question first, then press Enter.</div>'}
            return
        s.link, s.notice = None, ""
        shown = messages(s.turns) + [{"role": "user", "content": question_html(question)}]

        def showing(content: str) -> list[dict]:
            return shown + [{"role": "assistant", "content": content}]

        yield {ui.chatbot: showing(progress_html("Searching the articles…")), ui.question: "", ui.banner: ""}
        status, text, turn = "", "", None
        try:
            filters = Filters(article_ids=list(articles or []) or None, sources=list(sources or []) or None,
                              published_from=(since or "").strip() or None, published_to=(until or "").strip() or None)
            for event in self.service.answer_stream(question, s.history, mode, int(top_k) if top_k else None,
                                                    None if filters.is_empty() else filters):
                if isinstance(event, SourcesEvent):
                    status = sources_status(event.sources)
                    pending = ChatTurn(Answer(question, "", False, mode, sources=event.sources,
                                              standalone_question=event.standalone_question),
                                       self.service.texts(src.article_id for src in event.sources))
                    yield {ui.chatbot: showing(progress_html(status)), ui.panel: panel_html(s.turns, pending)}
                elif isinstance(event, TextEvent):
                    text += event.delta
                    yield {ui.chatbot: showing(progress_html(status, text))}
                else:
                    turn = event
        except NoIndexError:
            yield self._failed(s, showing, "No articles are indexed yet. Add files under “Add articles” "
                                           "below, or run “rag ingest” and reload the page.")
            return
        except SourceChatError as err:  # its message is meant for the reader as it is
            yield self._failed(s, showing, str(err))
            return
        except Exception as err:  # the reader gets a message, the log gets the traceback
            log.exception("answering %r failed", question)
            yield self._failed(s, showing, f"Something went wrong while answering: {err}")
            return
        self._save(s, turn)
        yield self.view(s) | {ui.header: self.header()}

    def _failed(self, s: Session, showing, message: str) -> dict:
        return {self.ui.chatbot: showing(notice_html(message)), self.ui.panel: panel_html(s.turns)}

    def _save(self, s: Session, turn: ChatTurn) -> None:
        """Keep the answer in the conversation, and in the store when it can be written."""
        try:
            try:
                s.chat_id = self.service.save_turn(s.chat_id, s.viewer, turn)
            except KeyError:  # deleted in another tab meanwhile: the answer starts a new conversation
                s.chat_id, s.ratings, s.turns = self.service.save_turn(None, s.viewer, turn), {}, []
        except sqlite3.Error as err:  # a full or read-only disk must not cost the reader the answer
            log.exception("saving an answer failed")
            s.notice = f"This answer is shown but could not be saved ({err})."
        if not s.turns:
            s.title = title_from(turn.answer.question)
        s.turns.append(turn)

    def pick_example(self, evt: gr.EventData) -> dict:
        return {self.ui.question: (evt._data or {}).get("question", "")}

    # -- managing conversations ------------------------------------------------------------------
    def rename(self, s: Session, title: str) -> dict:
        if s.chat_id and not s.read_only and self.service.chats.rename(s.chat_id, s.viewer, title):
            s.title = " ".join(title.split())[:200]
        return self.view(s)

    def share(self, s: Session, request: gr.Request) -> dict:
        if not s.chat_id or s.read_only:
            return {}
        self.service.chats.set_shared(s.chat_id, s.viewer, True)
        s.shared = True
        url = _page_url(request, f"?c={s.chat_id}")
        who = ("Anyone who can log in to this app" if self.auth_on else "Anyone who can open this app")
        box = (f'<div class="sc-share-box"><p>{who} can read this conversation with this link, '
               f'but not change it:</p><input class="sc-share-url" readonly value="{esc(url)}" '
               f'aria-label="Link to this conversation"> <button type="button" class="sc-copy">Copy</button></div>')
        return {self.ui.share_box: box, self.ui.chat_list: conversation_list_html(
            self.service.chats.chats_of(s.viewer), s.chat_id), self.ui.session: s}

    def ask_delete(self, s: Session) -> dict:
        return {self.ui.delete_row: gr.Row(visible=bool(s.chat_id) and not s.read_only)}

    def cancel_delete(self) -> dict:
        return {self.ui.delete_row: gr.Row(visible=False)}

    def delete(self, s: Session) -> dict:
        if s.chat_id and not s.read_only:
            self.service.chats.delete(s.chat_id, s.viewer)
        return self.view(s.fresh())

    # -- feedback --------------------------------------------------------------------------------
    def rate(self, s: Session, evt: gr.LikeData) -> dict:
        ui = self.ui
        position = _turn_of(evt.index)
        if s.read_only or not s.chat_id or position >= len(s.turns):
            return {}
        rating = {True: "up", False: "down"}.get(evt.liked)  # "" when the reader takes it back
        self.service.chats.rate(s.chat_id, position, s.viewer, rating)
        if rating is None:
            s.ratings.pop(position, None)
            return {ui.session: s, ui.note_row: gr.Group(visible=False), ui.feedback_status: ""}
        s.ratings[position], s.rating_turn = rating, position
        label = ("What was good about this answer? (optional)" if rating == "up"
                 else "What was wrong with this answer? (optional)")
        return {ui.session: s, ui.note_row: gr.Group(visible=True), ui.note: gr.Textbox(value="", label=label),
                ui.feedback_status: ""}

    def send_note(self, s: Session, note: str) -> dict:
        ui = self.ui
        position = s.rating_turn
        if position is None or position not in s.ratings or not s.chat_id:
            return {ui.note_row: gr.Group(visible=False)}
        self.service.chats.rate(s.chat_id, position, s.viewer, s.ratings[position], note=note or "")
        s.rating_turn = None
        return {ui.session: s, ui.note_row: gr.Group(visible=False), ui.note: "",
                ui.feedback_status: '<p class="sc-thanks" role="status">Thank you: your feedback is saved.</p>'}

    # -- adding articles -------------------------------------------------------------------------
    def add_files(self, files, progress=gr.Progress()) -> dict:
        ui = self.ui
        if not files:
            return {ui.upload_status: upload_status_html([("rejected", "Choose one or more files first.")])}
        progress(0, desc="Saving files")

        current = {"file": ""}

        def report(done: int, total: int) -> None:
            progress((done, total), desc=f"Embedding passages{current['file']}", unit="passages")

        def on_file(event) -> None:  # per file: parsed (with its passages), skipped, indexed
            current["file"] = f" ({event.path}: {event.stage})"
            progress(None, desc=f"{event.path}: {event.stage}" + (f", {event.chunks} passages" if event.chunks else ""))

        try:
            lines = self.service.add_files([(Path(f).name, Path(f)) for f in files], progress=report,
                                           on_file=on_file)
        finally:
            for f in files:  # Gradio keeps every upload in its temp folder until told otherwise
                Path(f).unlink(missing_ok=True)
        return {ui.upload_status: upload_status_html(lines), ui.files: None, ui.header: self.header(),
                ui.examples: self.examples()}

    def filter_choices(self) -> dict:
        folders, articles = self.service.filter_choices()
        return {self.ui.filter_sources: gr.Dropdown(choices=folders),
                self.ui.filter_articles: gr.Dropdown(choices=articles)}

    def cancel_add(self) -> dict:
        if self.service.cancel_upload():
            message = [("info", "Cancelling: the file being read is finished, the rest are left out.")]
        else:
            message = [("info", "No upload is being indexed.")]
        return {self.ui.upload_status: upload_status_html(message)}

    # -- the API ---------------------------------------------------------------------------------
    def chat_api(self, message: str, history: list[dict] | None = None) -> str:
        """Answer a question from the articles: the text with [n] markers, then the quotes cited."""
        try:
            return self.service.ask(message, history or None)
        except SourceChatError as err:
            return f"Error: {err}"

    def mentions_api(self, query: str, sources: list[str] | None = None, since: str | None = None,
                     until: str | None = None, articles: list[str] | None = None) -> dict:
        """Every article that mentions ``query`` (the JSON of ``rag mentions --json``)."""
        try:
            return self.service.mentions(query, _filters(sources, since, until, articles))
        except SourceChatError as err:
            return {"error": str(err)}

    def quote_api(self, text: str, speaker: str | None = None, sources: list[str] | None = None,
                  since: str | None = None, until: str | None = None) -> dict:
        """The verdict on a quote (the JSON of ``rag quote --json``)."""
        try:
            return self.service.check_quote(text, speaker, _filters(sources, since, until, None))
        except SourceChatError as err:
            return {"error": str(err)}


def _filters(sources, since, until, articles) -> Filters | None:
    filters = Filters(article_ids=list(articles or []) or None, sources=list(sources or []) or None,
                      published_from=since or None, published_to=until or None)
    return None if filters.is_empty() else filters
