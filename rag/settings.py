"""The one settings object. Every value can come from the environment (``RAG_*``) or a ``.env`` file.

The OpenAI-compatible endpoint uses the variables the ``openai`` package already knows
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) so an existing setup works unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", populate_by_name=True)

    # -- where things live -------------------------------------------------------------------
    sources_dir: Path = Field(Path("seeds"), description="Folder of articles to ingest.")
    store_dir: Path = Field(Path(".rag"), description="Catalog, BM25 index and (embedded) Chroma.")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded Chroma.")
    collection: str = Field("sourcechat", description="Chroma collection name.")

    # -- ingestion ---------------------------------------------------------------------------
    # ~200 tokens keeps a chunk inside MiniLM's 256-wordpiece window.
    chunk_size: int = Field(200, ge=32, description="Chunk size in tokens.")
    chunk_overlap: int = Field(30, ge=0, description="Overlap between chunks in tokens.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped.")
    # Peak memory grows with the batch (activations of batch x 256 x 256 attention): batch 8
    # embeds as fast as 32 on 2 cores and peaks near 0.7 GB instead of 1.8 GB.
    embed_batch_size: int = Field(8, ge=1)
    # Chunks embedded and written per step: a killed run loses at most one step (~20 s), and
    # the embedder sorts each step by length, so larger steps pad less (on BBC News 256 ran at
    # 0.88 of the raw embedder's speed, 1024 at 0.93).
    ingest_group_chunks: int = Field(1024, ge=1)

    # -- embeddings --------------------------------------------------------------------------
    embedding_backend: Literal["local", "openai"] = "local"
    openai_embedding_model: str = "text-embedding-3-small"

    # -- retrieval and answers ---------------------------------------------------------------
    top_k: int = Field(6, ge=1, le=50, description="Chunks handed to the answerer.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    answer_mode: Literal["extractive", "generative"] | None = Field(
        None, description="Default answer mode; unset = generative when an LLM is configured."
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name at the OpenAI-compatible endpoint.")
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_retries: int = Field(1, ge=0, le=5)
    openai_api_key: str | None = Field(
        None, validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )

    # -- evaluation judge (rag eval; unset = offline metrics only) ---------------------------
    judge_model: str | None = Field(None, description="Model that judges answers in LLM-based eval metrics.")
    judge_base_url: str | None = Field(
        None, validation_alias=AliasChoices("RAG_JUDGE_BASE_URL", "OPENAI_BASE_URL"),
        description="OpenAI-compatible endpoint of the judge.",
    )
    judge_api_key: str | None = Field(None, validation_alias=AliasChoices("RAG_JUDGE_API_KEY", "OPENAI_API_KEY"))

    # -- the web app -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = Field(None, description="user:pass to require a login; user1:pw1,user2:pw2 for several "
                                               "readers, each with their own saved conversations.")
    max_upload_mb: float = Field(10.0, gt=0)
    concurrency: int = Field(8, ge=1)

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
    return Settings()
