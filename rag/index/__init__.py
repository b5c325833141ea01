"""Files -> store: read the sources, chunk them with exact offsets, embed, and keep Chroma,
the SQLite catalog and the keyword index in step (``sync``).

Reading order follows the data: ``sources`` -> ``chunking`` -> ``embedding`` -> ``store``
(``catalog`` + ``bm25`` + Chroma) -> ``ingest``.
"""

from rag.index.chunking import Chunk
from rag.index.embedding import Embedder, get_embedder
from rag.index.ingest import SyncSummary, sync
from rag.index.sources import Article
from rag.index.store import Store, open_store

__all__ = ["Article", "Chunk", "Embedder", "Store", "SyncSummary", "get_embedder", "open_store", "sync"]
