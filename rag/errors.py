"""The project's errors. A ``SourceChatError`` message is shown to the user as it is, so it says
what went wrong and what to do next; each edge (CLI, web app, evals) catches it once."""


class SourceChatError(Exception):
    """Root of every error sourcechat raises on purpose."""


class UsageError(SourceChatError, ValueError):
    """Bad input from the user: an unknown mode, a malformed filter, a bad setting."""
