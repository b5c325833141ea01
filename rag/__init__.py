"""sourcechat: chat with a folder of news articles, with citations checked down to the sentence.

The offline environment is set here, before any of the heavy libraries are imported, so the app,
the CLI, the tests and the evals all share it (see rag/offline.py for why each variable exists).
"""

from rag import offline as _offline

_offline.apply()

__version__ = "0.1.0"
