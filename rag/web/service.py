"""What the app does, without Gradio: answer (with a fallback), keep conversations, add files.

``ChatService`` owns one ``SourceChat`` (built here from an embedder and a store, so uploads are
indexed with the very same ones), the conversation store and the example questions. The web
handlers (rag.web.handlers) call these methods and turn the results into components' values.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from rag.answer.filters import Filters, folders_of
from rag.answer.record import Answer, AnswerEvent, SourcesEvent, TextEvent
from rag.chats import ChatStore, SavedChat, SavedTurn
from rag.settings import Settings
from rag.web.examples import ExampleQuestions
from rag.web.render import ChatTurn, answer_markdown

log = logging.getLogger(__name__)


class ChatService:
    def __init__(self, settings: Settings | None = None):
        from rag.index.embedding import get_embedder
        from rag.index.store import open_store
        from rag.pipeline import SourceChat
        from rag.settings import get_settings

        self.settings = settings or get_settings()
        self.embedder = get_embedder(self.settings)
        self.store = open_store(self.settings, self.embedder)
        self.chat = SourceChat(self.settings, embedder=self.embedder, store=self.store)
        self.chats = ChatStore.in_folder(self.settings.store_dir)
        self.examples = ExampleQuestions(self.chat)
        self._ingest_lock = threading.Lock()  # one sync at a time; answering goes on meanwhile
        # Download files live outside the store: they are copies of conversations, made on demand.
        self._exports_dir = Path(tempfile.mkdtemp(prefix="sourcechat-exports-"))
        self._cancel = threading.Event()  # set by cancel_upload(); a new one per upload
        # The store's checks at start: the keyword index is rebuilt if it must be; problems are logged.
        for check in self.chat.health().checks:
            if check.status != "ok":
                log.warning("index %s: %s", check.part, check.message)

    # -- the index -----------------------------------------------------------------------------
    @property
    def folder_name(self) -> str:
        """The sources folder's own name: the header never shows where it is on the server."""
        return Path(self.settings.sources_dir).resolve().name or "sources"

    def article_count(self) -> int:
        return self.chat.article_count()

    def articles(self, article_ids) -> dict:
        return self.chat.articles(sorted(set(article_ids)))

    def texts(self, article_ids) -> dict[str, str]:
        return {aid: article.text for aid, article in self.articles(article_ids).items()}

    @staticmethod
    def _article_ids(answer: Answer) -> list[str]:
        return [c.article_id for c in answer.citations] + [s.article_id for s in answer.sources]

    def texts_for(self, answer: Answer) -> dict[str, str]:
        return self.texts(self._article_ids(answer))

    def filter_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The filter bar's choices: the folders of the sources tree, and every article (label, id), newest first."""
        rows = self.chat.list_articles()
        rows.sort(key=lambda r: (r.get("published") or "", r["article_id"]), reverse=True)
        articles = [(f"{r.get('title') or r['article_id']} ({(r.get('published') or '')[:10] or r['article_id']})",
                     r["article_id"]) for r in rows]
        return folders_of(r["article_id"] for r in rows), articles

    # -- analyst tools (the API endpoints) -----------------------------------------------------
    def mentions(self, query: str, filters: Filters | None = None) -> dict:
        return self.chat.mentions(query, filters).to_json()

    def check_quote(self, text: str, speaker: str | None = None, filters: Filters | None = None) -> dict:
        return self.chat.check_quote(text, speaker or None, filters).to_json()

    # -- answering -----------------------------------------------------------------------------
    def answer_stream(self, question: str, history: list[Answer], mode: str, top_k: int | None,
                      filters: Filters | None = None) -> Iterator[SourcesEvent | TextEvent | ChatTurn]:
        """The pipeline's events, ending with the finished ``ChatTurn`` (with the fallback
        answer, labelled, when the language model failed)."""
        final = None
        for event in self.chat.ask_stream(question, history=history, mode=mode, top_k=top_k, filters=filters):
            if isinstance(event, AnswerEvent):
                final = event.answer
            else:
                yield event
        if final is None:
            raise RuntimeError("the answer stream ended without an answer")
        if final.error:
            yield self.fallback(question, history, top_k, final.error, filters)
        else:
            yield ChatTurn(final, self.texts_for(final))

    def fallback(self, question: str, history, top_k: int | None, error: str,
                 filters: Filters | None = None) -> ChatTurn:
        """The language model failed: the same question answered extractively, with the error kept."""
        answer = self.chat.ask(question, history=history, mode="extractive", top_k=top_k, filters=filters)
        return ChatTurn(answer, self.texts_for(answer), llm_error=error)

    def ask(self, question: str, history=None) -> str:
        """One answer as text with [n] markers and the quotes they cite (the API endpoint)."""
        answer = self.chat.ask(question, history=history)
        if answer.error:
            turn = self.fallback(question, history, None, answer.error)
            return answer_markdown(turn.answer, llm_error=turn.llm_error)
        return answer_markdown(answer)

    # -- exports -------------------------------------------------------------------------------
    def export_files(self, chat_id: str | None, title: str, answers: list[Answer]) -> tuple[Path, Path]:
        """The conversation as Markdown with footnotes and as JSON, written for the download buttons."""
        from rag.answer.export import conversation_json, conversation_markdown

        folder = self._exports_dir / (chat_id or "unsaved")
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / "conversation.md", folder / "conversation.json"
        md.write_text(conversation_markdown(answers, title), encoding="utf-8")
        js.write_text(conversation_json(answers, title), encoding="utf-8")
        return md, js

    # -- conversations -------------------------------------------------------------------------
    def save_turn(self, chat_id: str | None, owner: str, turn: ChatTurn) -> str:
        """Store ``turn`` in conversation ``chat_id`` (a new one when None); returns its id."""
        if chat_id is None:
            chat_id = self.chats.create(owner, turn.answer.question)
        hashes = {aid: a.hash for aid, a in self.articles(self._article_ids(turn.answer)).items()}
        self.chats.add_turn(chat_id, owner, SavedTurn(turn.answer, turn.llm_error, hashes))
        return chat_id

    def reopen(self, saved: SavedChat) -> list[ChatTurn]:
        """A saved conversation against today's articles, marking those that changed since."""
        ids = {aid for t in saved.turns for aid in self._article_ids(t.answer)}
        now = self.articles(ids)
        turns = []
        for saved_turn in saved.turns:
            mine = set(self._article_ids(saved_turn.answer))
            changed = {aid for aid in mine if aid not in now or now[aid].hash != saved_turn.hashes.get(aid)}
            texts = {aid: now[aid].text for aid in mine if aid in now}
            turns.append(ChatTurn(saved_turn.answer, texts, saved_turn.llm_error, changed))
        return turns

    # -- uploads -------------------------------------------------------------------------------
    def add_files(self, files: list[tuple[str, Path]], progress=None, on_file=None) -> list[tuple[str, str]]:
        """Save and ingest uploaded files; returns (kind, message) lines for the reader.

        ``progress(done, total)`` hears about passages embedded, ``on_file(FileEvent)`` about each
        file as it is parsed, skipped and indexed; ``cancel_upload()`` stops the run between files
        (what was indexed stays).
        """
        from rag.index.ingest import sync
        from rag.index.sources import article_id
        from rag.web.uploads import accept_uploads

        with self._ingest_lock:
            self._cancel = threading.Event()
            result = accept_uploads(files, self.settings.sources_dir, self.settings.max_upload_mb)
            lines = [("rejected", f"{name}: {reason}") for name, reason in result.rejected]
            if not result.saved:
                return lines
            root = Path(self.settings.sources_dir)
            summary = sync(self.settings, paths=[s.path for s in result.saved], progress=progress or False,
                           store=self.store, embedder=self.embedder, cancel=self._cancel, report=on_file)
            skipped = {item["path"]: item for item in summary.skipped}
            for saved in result.saved:
                aid = article_id(saved.path, root)
                if aid in skipped:
                    if not saved.reused:
                        saved.path.unlink(missing_ok=True)  # not indexed: do not keep it around
                    original = skipped[aid].get("duplicate_of")
                    if original:
                        lines.append(("same", f"{saved.name} is already indexed as {original}."))
                    else:
                        lines.append(("rejected", f"{saved.name}: {skipped[aid]['reason']}"))
                elif saved.reused:
                    lines.append(("same", f"{saved.name} is already indexed as {aid}."))
                elif saved.renamed:
                    lines.append(("added", f"{saved.name} added as {aid} (the name was taken "
                                           "or unsafe; the other file is unchanged)."))
                else:
                    lines.append(("added", f"{saved.name} added as {aid}."))
            if summary.cancelled:
                lines.append(("info", "Cancelled: the files not indexed yet were left out."))
            lines.append(("info", f"The index now holds {summary.articles} articles ({summary.chunks} passages)."))
        self.examples.refresh()
        return lines

    def cancel_upload(self) -> bool:
        """Stop the upload being indexed, between files; False when none is running."""
        if not self._ingest_lock.locked():
            return False
        self._cancel.set()
        return True
