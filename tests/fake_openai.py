"""The scripted OpenAI-compatible server the tests talk to lives in the package
(rag/evals/scripted_openai.py), where `rag eval --dataset generative` replays recorded answers
through it too."""

from rag.evals.scripted_openai import FakeOpenAI, Reply, source_blocks, source_of

__all__ = ["FakeOpenAI", "Reply", "source_blocks", "source_of"]
