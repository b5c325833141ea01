"""The project's errors. A ``SourceChatError`` message is shown to the user as it is, so it says
what went wrong and what to do next; each edge (CLI, web app, evals) catches it once.

Each layer raises its own subclass: ``SourceError`` (a file that cannot become an article),
``StoreError``/``EmbeddingMismatch`` (rag/index/store.py), ``EmbeddingError`` (the embedding
model), ``LLMError`` (the language model), ``NoIndexError`` (nothing ingested yet), and the
eval's ``DatasetError``, ``CorpusError`` and ``ThresholdError``.
"""


class SourceChatError(Exception):
    """Root of every error sourcechat raises on purpose."""


class UsageError(SourceChatError, ValueError):
    """Bad input from the user: an unknown mode, a malformed filter, a bad setting."""


class MissingExtra(SourceChatError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, extra: str, needed_by: str):
        super().__init__(f"{needed_by} needs the {extra} extra: pip install 'sourcechat[{extra}]'")
        self.extra = extra
