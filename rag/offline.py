"""Environment that keeps the libraries from phoning home or downloading at run time.

Every variable here was measured to matter on a machine without internet access:
a telemetry post, a version check or a tokenizer download either waits for a timeout
or hangs forever. ``apply()`` only fills in variables the user has not set.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_DEFAULTS = {
    # ragas posts telemetry on every evaluate() (1 s timeout per post on a dead network).
    "RAGAS_DO_NOT_TRACK": "true",
    # gradio's version check and analytics kept the process alive after close().
    "GRADIO_ANALYTICS_ENABLED": "False",
    # gradio_client sends telemetry even with analytics off.
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    # onnxruntime connects out ~10 s after loading a model.
    "ORT_DISABLE_TELEMETRY": "1",
    # chromadb's posthog telemetry.
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}


def _tiktoken_cache_dir() -> str | None:
    """llama-index ships the tiktoken files it needs; point every tiktoken user at them."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
    return str(path) if path.is_dir() else None


def apply() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = _tiktoken_cache_dir()
        if cache:
            os.environ["TIKTOKEN_CACHE_DIR"] = cache
    # llama-index falls back to its bundled punkt/stopwords only when NLTK_DATA is unset;
    # an empty value makes it try to download.
    if os.environ.get("NLTK_DATA", None) == "":
        del os.environ["NLTK_DATA"]
