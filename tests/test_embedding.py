"""Embedders: the ``Embedder`` contract, held by both backends (the local ONNX model, and an
OpenAI-compatible endpoint served by tests/fake_openai.py); what only the real local model can
show (meaningful vectors, its token window); the llama-index adapter; and the missing extra.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

from fake_openai import FakeOpenAI
from harness import free_port
from rag.index.embedding import LOCAL_DIMENSION, LOCAL_MODEL_ID, MAX_TOKENS, Embedder, get_embedder

# (anchor, related, unrelated)
TRIPLES = [
    (
        "The central bank raised interest rates to curb inflation.",
        "Borrowing costs went up after the Federal Reserve tightened monetary policy.",
        "The striker scored twice in the second half of the cup final.",
    ),
    (
        "Heavy rain caused flooding in several villages overnight.",
        "Rivers burst their banks after a night of storms, leaving homes under water.",
        "The company reported a rise in quarterly profits thanks to strong phone sales.",
    ),
    (
        "The film won best picture at the Academy Awards.",
        "The movie took the top prize at the Oscars ceremony in Hollywood.",
        "Parliament voted to raise the tax on fuel from next April.",
    ),
]


def cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def embeddings_server():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(params=["local", "openai"])
def any_embedder(request, embedder, embeddings_server, make_settings):
    """Each implementation of the Embedder protocol, as ``get_embedder`` builds it from settings."""
    if request.param == "local":
        return embedder
    return get_embedder(make_settings(embedding_backend="openai", openai_base_url=embeddings_server.base_url,
                                      openai_embedding_model="fake-embed", llm_retries=0))


def test_every_embedder_keeps_the_contract(any_embedder):
    texts = [t for triple in TRIPLES for t in triple] + ["Short.", ""]
    assert isinstance(any_embedder, Embedder)
    assert isinstance(any_embedder.model_id, str) and any_embedder.model_id
    dimension = any_embedder.dimension
    assert isinstance(dimension, int) and dimension > 0

    before = any_embedder.texts_embedded
    batch = any_embedder.embed_texts(texts)
    assert any_embedder.texts_embedded == before + len(texts)
    assert batch.shape == (len(texts), dimension) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)  # unit rows: dot product = cosine
    # Rows come back in input order (the local model sorts a batch by length internally).
    one_by_one = np.stack([any_embedder.embed_texts([t])[0] for t in texts])
    assert np.allclose(batch, one_by_one, atol=1e-4)
    assert np.allclose(any_embedder.embed_query(texts[0]), batch[0], atol=1e-4)
    assert len({tuple(np.round(v, 4)) for v in batch[:-1]}) == len(texts) - 1  # different texts, different rows

    before = any_embedder.texts_embedded
    empty = any_embedder.embed_texts([])
    assert empty.shape == (0, dimension) and any_embedder.texts_embedded == before


def test_a_repeated_question_is_embedded_once(embedder):
    # retrieval and sentence ranking both embed the question: the second time costs nothing
    question = "How much did Time Warner's profits rise in the last quarter?"
    embedder.forget_queries()
    before = embedder.texts_embedded
    first = embedder.embed_query(question)
    again = embedder.embed_query(question)
    assert embedder.texts_embedded == before + 1
    assert again is first and not first.flags.writeable  # shared, so nobody may change it in place
    assert np.allclose(first, embedder.embed_texts([question])[0], atol=1e-6)
    embedder.forget_queries()
    embedder.embed_query(question)
    assert embedder.texts_embedded == before + 3  # + the embed_texts call, + the forgotten query


def test_the_openai_embedder_returns_the_servers_vectors_normalised(embeddings_server, make_settings):
    settings = make_settings(embedding_backend="openai", openai_base_url=embeddings_server.base_url,
                             openai_embedding_model="fake-embed", llm_retries=0)
    embedder = get_embedder(settings)
    assert embedder.model_id == "openai:fake-embed"
    assert embedder.dimension == embeddings_server.embedding_dimension  # asked of the model, not a table
    texts = ["Qatar withdrew its support.", "A second sentence."]
    embeddings_server.embedding_requests.clear()
    vectors = embedder.embed_texts(texts)
    sent = embeddings_server.embedding_requests[-1]
    assert sent["model"] == "fake-embed" and sent["input"] == texts
    for text, vector in zip(texts, vectors):
        raw = embeddings_server.vector(text)
        assert np.allclose(vector, raw / np.linalg.norm(raw), atol=1e-6)


def test_an_unreachable_embedding_endpoint_is_a_project_error(make_settings, tmp_path):
    from rag.errors import SourceChatError
    from rag.index.embedding import OpenAIEmbedder

    url = f"http://127.0.0.1:{free_port()}/v1"
    embedder = OpenAIEmbedder("fake-embed", None, url, timeout=5, retries=0)
    with pytest.raises(SourceChatError, match=f"embedding model at {url}"):
        embedder.embed_texts(["one"])


def test_openai_embeddings_without_their_extra_name_the_extra(repo_dir):
    """As if ``llama-index-embeddings-openai`` were not installed (a None entry blocks the import)."""
    code = """
import sys
sys.modules["llama_index.embeddings.openai"] = None
from rag.errors import SourceChatError
from rag.index.embedding import get_embedder
from rag.settings import Settings
try:
    get_embedder(Settings(_env_file=None, embedding_backend="openai", openai_base_url="http://127.0.0.1:9/v1"))
except SourceChatError as err:
    print(err)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=repo_dir)
    assert result.returncode == 0, result.stderr
    assert "pip install 'sourcechat[openai-embeddings]'" in result.stdout


@pytest.mark.parametrize("anchor,related,unrelated", TRIPLES)
def test_related_sentences_are_closer_than_unrelated(embedder, anchor, related, unrelated):
    vectors = embedder.embed_texts([anchor, related, unrelated])
    near, far = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert near > 0.4
    assert near > far + 0.25, (near, far)


def test_window_is_256_wordpieces_not_the_tokenizer_files_128(embedder):
    """tokenizer.json ships truncation at 128; the embedder must see up to MAX_TOKENS (256)."""
    base = " ".join(["the cat sat on the mat"] * 30)  # ~180 wordpieces
    inside = embedder.embed_texts([base + " apples and pears", base + " rockets and satellites"])
    assert float(inside[0] @ inside[1]) < 0.98  # words after position 128 change the vector
    base = " ".join(["the cat sat on the mat"] * 50)  # > 256 wordpieces
    beyond = embedder.embed_texts([base + " apples and pears", base + " rockets and satellites"])
    assert float(beyond[0] @ beyond[1]) > 0.9999  # words past the window cannot
    assert MAX_TOKENS == 256


def test_llama_index_base_embedding_interface(embedder):
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from rag.index.llama_embedding import LlamaIndexEmbedding

    model = LlamaIndexEmbedding(embedder)
    assert isinstance(model, BaseEmbedding) and model.model_name == LOCAL_MODEL_ID
    texts = [TRIPLES[0][0], TRIPLES[1][0], TRIPLES[2][0]]
    batch = model.get_text_embedding_batch(texts)
    assert isinstance(batch, list) and len(batch) == 3
    assert all(isinstance(v, list) and len(v) == LOCAL_DIMENSION and isinstance(v[0], float) for v in batch)
    assert np.allclose(np.array(batch), embedder.embed_texts(texts), atol=1e-5)
    query = model.get_query_embedding(TRIPLES[0][1])
    assert len(query) == LOCAL_DIMENSION
    assert cosine(query, batch[0]) > cosine(query, batch[1])
    assert np.allclose(model.get_text_embedding(texts[1]), batch[1], atol=1e-5)
    async_query = asyncio.run(model.aget_query_embedding(TRIPLES[0][1]))
    assert np.allclose(async_query, query, atol=1e-6)


def test_llama_index_vector_index_retrieves_with_this_model(embedder):
    """The model plugs into llama-index itself: build an in-memory index and retrieve."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    from rag.index.llama_embedding import LlamaIndexEmbedding

    nodes = [TextNode(text=t, id_=f"n{i}") for i, (t, _, _) in enumerate(TRIPLES)]
    index = VectorStoreIndex(nodes, embed_model=LlamaIndexEmbedding(embedder))
    retriever = index.as_retriever(similarity_top_k=1)
    for i, (_, related, _) in enumerate(TRIPLES):
        hits = retriever.retrieve(related)
        assert [h.node.node_id for h in hits] == [f"n{i}"]


def test_an_index_built_with_the_openai_backend_records_its_model(embeddings_server, make_settings, seeds_dir, embedder):
    """Ingest through the OpenAI-compatible backend: the store records the endpoint's model and its
    dimension, answers dense queries with it, and refuses to be opened with the local model."""
    from rag.index.ingest import sync
    from rag.index.store import EmbeddingMismatch, open_store

    settings = make_settings(sources_dir=seeds_dir, embedding_backend="openai", openai_base_url=embeddings_server.base_url,
                             openai_embedding_model="fake-embed", llm_retries=0)
    remote = get_embedder(settings)
    summary = sync(settings, progress=False)
    assert summary.added == 1 and summary.embedded_chunks > 0
    store = open_store(settings)
    assert store.collection.metadata == {"embedding_model": "openai:fake-embed",
                                         "embedding_dim": embeddings_server.embedding_dimension}
    chunk_id, _, text = next(store.ready_chunks())
    assert store.dense_search(remote.embed_query(text), k=1)[0][0] == chunk_id
    with pytest.raises(EmbeddingMismatch, match="rebuild"):
        sync(settings.model_copy(update={"embedding_backend": "local"}), progress=False, embedder=embedder)
