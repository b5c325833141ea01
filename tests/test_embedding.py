"""The real local embedder: meaningful vectors, exact batching, and the llama-index interface."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from rag.index.embedding import LOCAL_DIMENSION, LOCAL_MODEL_ID, MAX_TOKENS, LocalMiniLMEmbedding

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


def test_embedder_identity(embedder):
    assert embedder.model_id == LOCAL_MODEL_ID
    assert embedder.dimension == LOCAL_DIMENSION == 384
    assert isinstance(embedder.model, LocalMiniLMEmbedding)


@pytest.mark.parametrize("anchor,related,unrelated", TRIPLES)
def test_related_sentences_are_closer_than_unrelated(embedder, anchor, related, unrelated):
    vectors = embedder.embed_texts([anchor, related, unrelated])
    near, far = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert near > 0.4
    assert near > far + 0.25, (near, far)


def test_vectors_are_unit_length_deterministic_and_in_input_order(embedder):
    texts = [t for triple in TRIPLES for t in triple] + ["Short.", ""]
    batch = embedder.embed_texts(texts)
    assert batch.shape == (len(texts), LOCAL_DIMENSION)
    assert batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    # The embedder sorts a batch by length internally; rows must come back in input order.
    one_by_one = np.stack([embedder.embed_texts([t])[0] for t in texts])
    assert np.allclose(batch, one_by_one, atol=1e-4)
    assert np.allclose(embedder.embed_query(texts[0]), batch[0], atol=1e-4)
    assert len({tuple(np.round(v, 4)) for v in batch[:-1]}) == len(texts) - 1


def test_window_is_256_wordpieces_not_the_tokenizer_files_128(embedder):
    """tokenizer.json ships truncation at 128; the embedder must see up to MAX_TOKENS (256)."""
    base = " ".join(["the cat sat on the mat"] * 30)  # ~180 wordpieces
    inside = embedder.embed_texts([base + " apples and pears", base + " rockets and satellites"])
    assert float(inside[0] @ inside[1]) < 0.98  # words after position 128 change the vector
    base = " ".join(["the cat sat on the mat"] * 50)  # > 256 wordpieces
    beyond = embedder.embed_texts([base + " apples and pears", base + " rockets and satellites"])
    assert float(beyond[0] @ beyond[1]) > 0.9999  # words past the window cannot
    assert MAX_TOKENS == 256


def test_texts_embedded_counts_every_text(embedder):
    model = embedder.model
    before = model.texts_embedded
    embedder.embed_texts(["one", "two", "three"])
    assert model.texts_embedded == before + 3
    empty = embedder.embed_texts([])
    assert empty.shape == (0, LOCAL_DIMENSION)
    assert model.texts_embedded == before + 3


def test_llama_index_base_embedding_interface(embedder):
    from llama_index.core.base.embeddings.base import BaseEmbedding

    model = embedder.model
    assert isinstance(model, BaseEmbedding)
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

    nodes = [TextNode(text=t, id_=f"n{i}") for i, (t, _, _) in enumerate(TRIPLES)]
    index = VectorStoreIndex(nodes, embed_model=embedder.model)
    retriever = index.as_retriever(similarity_top_k=1)
    for i, (_, related, _) in enumerate(TRIPLES):
        hits = retriever.retrieve(related)
        assert [h.node.node_id for h in hits] == [f"n{i}"]
