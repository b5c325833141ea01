"""Files -> store: read the sources, chunk them with exact offsets, embed, and keep Chroma,
the SQLite catalog and the keyword index in step (``sync``).

Reading order follows the data: ``sources`` -> ``chunking`` -> ``embedding`` -> ``store``
(``catalog`` + ``bm25`` + Chroma) -> ``ingest``.
"""

from rag.index.chunking import Chunk
from rag.index.ingest import SyncSummary, sync
from rag.index.sources import Article
from rag.index.store import Store, open_store

__all__ = ["Article", "Chunk", "Store", "SyncSummary", "open_store", "sync"]
