"""The one settings object. Every value can come from the environment (``RAG_*``) or a ``.env`` file.

The OpenAI-compatible endpoint uses the variables the ``openai`` package already knows
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) so an existing setup works unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import UsageError

MAX_TOP_K = 50  # a request asking for more chunks is refused: each one costs retrieval and gating work


class Settings(BaseSettings):
    """Every field has a description (the README table is generated from them) and bounds."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", populate_by_name=True)

    # -- where things live -------------------------------------------------------------------
    sources_dir: Path = Field(
        Path("seeds"),
        description="The articles: `.txt` (first line title, trailing \"Written by\" byline), `.md` (YAML front "
                    "matter: title, url, published, author), `.html`, `.pdf`.",
    )
    store_dir: Path = Field(
        Path(".rag"), description="Catalog (article texts, chunk offsets, sync state), BM25 index, embedded Chroma."
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server (`chroma run --path DIR --port 8000`), e.g. `http://127.0.0.1:8000`; "
                          "unset = embedded Chroma in the store folder."
    )
    # Chroma's own rule for collection names.
    collection: str = Field(
        "sourcechat", min_length=3, max_length=512, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$",
        description="Chroma collection name.",
    )

    # -- ingestion ---------------------------------------------------------------------------
    # ~200 tokens keeps a chunk inside MiniLM's 256-wordpiece window.
    chunk_size: int = Field(200, ge=32, le=8000, description="Tokens per chunk.")
    chunk_overlap: int = Field(30, ge=0, le=4000, description="Tokens shared by neighbouring chunks.")
    max_file_mb: float = Field(20.0, gt=0, le=1024, description="Larger source files are skipped with a reason.")
    # A news article makes 1-30 passages (RealTime QA 2025's longest, 100k characters, ~120);
    # 500 is ~400 KB of text and about half a minute of embedding on 2 cores. An 8 MB text
    # without full stops made 9,400 and held the ingest lock for 11 minutes.
    max_chunks_per_file: int = Field(
        500, ge=1, le=1_000_000, description="A file that would make more passages is skipped with a reason."
    )
    # Parsing and chunking an 8 MB one-paragraph HTML file took 8 s with the 2 cores at load 15.
    parse_timeout_s: float = Field(
        60.0, gt=0, le=3600, description="Seconds one file may take to parse and chunk before it is skipped."
    )
    # Parsing that 8 MB file peaked near 300 MB above the parser's baseline.
    parse_memory_mb: int = Field(
        1024, ge=64, le=65536, description="Memory (MB) one file may take to parse before it is skipped."
    )
    # Peak memory grows with the batch (activations of batch x 256 x 256 attention): batch 8
    # embeds as fast as 32 on 2 cores and peaks near 0.7 GB instead of 1.8 GB.
    embed_batch_size: int = Field(8, ge=1, le=512, description="Texts per call of the local embedding model.")
    # Chunks embedded and written per step: a killed run loses at most one step (~20 s), and
    # the embedder sorts each step by length, so larger steps pad less (on BBC News 256 ran at
    # 0.88 of the raw embedder's speed, 1024 at 0.93).
    ingest_group_chunks: int = Field(
        1024, ge=1, le=100_000, description="Chunks embedded and written per step of `rag ingest`."
    )

    # -- embeddings --------------------------------------------------------------------------
    embedding_backend: Literal["local", "openai"] = Field(
        "local", description="`local` (MiniLM int8 ONNX) or `openai` (extra `openai-embeddings`; the endpoint below)."
    )
    openai_embedding_model: str = Field(
        "text-embedding-3-small", min_length=1, description="Embedding model at the endpoint, for `openai`."
    )

    # -- retrieval and answers ---------------------------------------------------------------
    top_k: int = Field(8, ge=1, le=MAX_TOP_K, description="Chunks retrieved per question (a request may ask 1-50).")
    rrf_k: int = Field(60, ge=1, le=1000, description="Reciprocal rank fusion constant (60, as in Cormack et al. 2009).")
    answer_mode: Literal["extractive", "generative"] | None = Field(
        None, description="`extractive` or `generative`; unset = generative when a model is configured."
    )
    llm_model: str = Field("gpt-4o-mini", min_length=1, description="Model name at the OpenAI-compatible endpoint.")
    llm_timeout: float = Field(30.0, gt=0, le=600, description="Seconds before a model call gives up.")
    llm_retries: int = Field(1, ge=0, le=5, description="Retries of a failed model call.")
    verify: Literal["local", "model"] | None = Field(
        None, description="How generative answers are checked: `local` (the claim checker) or `model` (the claim "
                          "checker and a second opinion from the model; a sentence stays supported only when both "
                          "agree). Unset = `model`.",
    )
    verify_model: str | None = Field(
        None, description="Model at the same endpoint that gives the second opinion; unset = RAG_LLM_MODEL."
    )
    openai_api_key: str | None = Field(
        None, validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key of the OpenAI-compatible endpoint (local servers need none).",
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="The OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp server ...); unset = the OpenAI API.",
    )

    # -- what one request may ask (the CLI, the Python API and the web app share these) ----
    # 8 clients sending 1 MB questions at once made a normal question wait 16.5 s instead of
    # 0.3 s and took the app to 2 GB (issue 12); a question is a sentence or two.
    max_question_chars: int = Field(
        2000, ge=100, le=100_000, description="Longest question accepted, in characters; longer ones are refused."
    )
    # A follow-up leans on the last turn or two; a forged 20,000-name turn made a 429 KB
    # "understood as" question and 11 s of rewriting.
    max_history_turns: int = Field(
        20, ge=0, le=1000, description="Turns of the conversation read to understand a follow-up; older ones are ignored."
    )
    max_history_chars: int = Field(
        20_000, ge=1000, le=1_000_000,
        description="Characters of conversation read (newest turns first); a single turn over it is refused.",
    )

    # -- evaluation judge (rag eval; unset = offline metrics only) ---------------------------
    judge_model: str | None = Field(None, description="Model that judges answers in the LLM-based eval metrics.")
    judge_base_url: str | None = Field(
        None, validation_alias=AliasChoices("RAG_JUDGE_BASE_URL", "OPENAI_BASE_URL"),
        description="OpenAI-compatible endpoint of the judge.",
    )
    judge_api_key: str | None = Field(
        None, validation_alias=AliasChoices("RAG_JUDGE_API_KEY", "OPENAI_API_KEY"),
        description="API key of the judge's endpoint.",
    )

    # -- the web app -------------------------------------------------------------------------
    host: str = Field("127.0.0.1", min_length=1, description="Address the web app listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the web app listens on.")
    auth: str | None = Field(None, description="`user:password` to require a login; `user1:pw1,user2:pw2` "
                                               "for several readers, each with their own saved conversations.")
    max_upload_mb: float = Field(10.0, gt=0, le=1024, description="Largest file a reader may upload.")
    concurrency: int = Field(8, ge=1, le=256, description="Readers answered at once.")

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def judge_configured(self) -> bool:
        return bool(self.judge_model)

    @property
    def default_mode(self) -> str:
        if self.answer_mode:
            return self.answer_mode
        return "generative" if self.llm_configured else "extractive"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process: environment, then ``.env``, then the defaults.

    A bad value is a UsageError naming the variable, not a traceback.
    """
    try:
        return Settings()
    except ValidationError as err:
        problems = [f"{_variable(e['loc'])}: {e['msg']}" for e in err.errors()]
        raise UsageError(f"invalid setting: {'; '.join(problems)}") from None


def _variable(loc: tuple) -> str:
    name = str(loc[0]) if loc else "?"
    return name if name.isupper() else f"RAG_{name.upper()}"
