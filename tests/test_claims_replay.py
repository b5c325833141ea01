"""The claims replay (rag/evals/replay.py) travels the generative answerer's real path: each claim
is one chat completion to the scripted OpenAI-compatible server on 127.0.0.1, carrying the source
blocks ``claim_hits`` chose, numbered in order; the verdict is on what the server streamed.

Over the dev claims of two articles (bbc/politics/298 and bbc/business/414), so the store is small
enough for ``make test``; the whole benchmark runs in tests/test_claims_gate.py.
"""

from __future__ import annotations

import pytest

from harness import settings_at
from rag.evals.claims import CLAIMS_FILE, load_claims
from rag.evals.scripted_openai import FakeOpenAI, Reply, source_blocks, source_of

pytestmark = [pytest.mark.eval, pytest.mark.language]

ARTICLES = ("bbc/politics/298.txt", "bbc/business/414.txt")
# One piece of evidence, two claims: "should not be introduced yet" paraphrased, and negated.
TRUE_CLAIM = "bbc-politics-298-07"
NEGATED_CLAIM = "bbc-politics-298-01"


@pytest.fixture(scope="module")
def replay(shared_data_dir, tmp_path_factory, language_model):
    """The chat over the two articles' store, their claims, and what one scripted replay of them gave."""
    from rag.evals.replay import ScriptedAnswerer, claims_corpus, replay_claim
    from rag.index.ingest import sync
    from rag.pipeline import SourceChat

    claims = [c for c in load_claims(CLAIMS_FILE) if c.article_id in ARTICLES]
    assert {c.split for c in claims} == {"dev"}  # never the held-out split
    root = tmp_path_factory.mktemp("claims-replay")
    corpus = claims_corpus(root, claims, settings_at(root), shared_data_dir)
    settings = corpus.settings(settings_at(root))
    sync(settings, progress=False)
    chat = SourceChat(settings)
    with ScriptedAnswerer(chat) as answerer:
        verdicts = [replay_claim(chat, c, answerer) for c in claims]
    return chat, claims, verdicts, answerer.requests


def _claim(claims, claim_id):
    return next(c for c in claims if c.id == claim_id)


def test_each_claim_is_one_chat_completion_carrying_the_sources_it_cites(replay):
    from rag.evals.replay import claim_hits

    chat, claims, verdicts, requests = replay
    assert len(requests) == len(claims) == 22
    for claim, request in zip(claims, requests):
        hits, blocks = claim_hits(chat, claim)
        assert request["stream"] is True
        assert request["messages"][-1] == {"role": "user", "content": claim.claim}
        sent = source_blocks(request)
        assert list(sent) == list(range(1, len(hits) + 1)), claim.id
        assert all(hit.chunk.text.strip() in sent[n] for n, hit in enumerate(hits, start=1)), claim.id
        cited = " ".join(sent[n] for n in blocks)
        assert all(sentence in cited for sentence in claim.evidence), claim.id
    # what the server streamed is what was verified: the claim itself, one sentence
    assert all([s.text for s in v.answer.sentences] == [v.claim.claim] for v in verdicts)


def test_the_verdict_is_on_what_the_server_wrote(replay):
    from rag.answer.citations import with_markers
    from rag.evals.replay import replay_claim
    from rag.pipeline import SourceChat

    chat, claims, verdicts, _ = replay
    true_claim, negated = _claim(claims, TRUE_CLAIM), _claim(claims, NEGATED_CLAIM)
    scripted = next(v for v in verdicts if v.claim is true_claim)
    assert not scripted.flagged and scripted.cited_evidence

    def negation_citing_the_evidence(body):
        return with_markers(negated.claim, [source_of(body, negated.evidence[0])])

    with FakeOpenAI(negation_citing_the_evidence) as server:
        served = SourceChat(server.replay_settings(chat.settings), embedder=chat.embedder, store=chat.store)
        verdict = replay_claim(chat, true_claim, lambda question, text, hits: served.answer_from_hits(question, hits))
    assert verdict.flagged and verdict.reason
    assert [s.text for s in verdict.answer.sentences] == [negated.claim]


def test_a_model_that_fails_stops_the_replay_instead_of_counting_as_a_flag(replay):
    from rag.evals.replay import replay_claim
    from rag.pipeline import SourceChat

    chat, claims, _, _ = replay
    with FakeOpenAI([Reply(status=500)]) as server:
        served = SourceChat(server.replay_settings(chat.settings), embedder=chat.embedder, store=chat.store)
        with pytest.raises(RuntimeError, match="HTTP 500"):
            replay_claim(chat, _claim(claims, NEGATED_CLAIM),
                         lambda question, text, hits: served.answer_from_hits(question, hits))


def test_the_confusion_is_written_to_the_gate_file_as_each_kinds_figure(tmp_path):
    from rag.evals.replay import GATE_PROFILE, Confusion
    from rag.evals.thresholds import figures, update

    table = Confusion()
    table.total.update({"negation": 16, "verbatim": 27})
    table.right.update({"negation": 12, "verbatim": 27})
    path = tmp_path / "thresholds.toml"
    path.write_text(f"[{GATE_PROFILE}]\nnegation = 0.10\nverbatim = 0.10\nfalse_flagged = 0.10\n", encoding="utf-8")
    update(path, GATE_PROFILE, table.summaries(), "abc1234")
    written = {f.metric: f for f in figures(path, GATE_PROFILE)}
    assert written["negation"].measured == 0.75 and written["negation"].commit == "abc1234"
    assert "0.750 (12/16 cases)" in path.read_text(encoding="utf-8")
    assert written["false_flagged"].measured == 0.75  # only negation among the false kinds here
    assert written["verbatim"].measured == 1.0


def test_a_kind_without_claims_is_not_written_as_a_figure(tmp_path):
    from rag.evals.replay import GATE_PROFILE, Confusion
    from rag.evals.thresholds import ThresholdError, update

    table = Confusion()
    table.total.update({"verbatim": 4})
    table.right.update({"verbatim": 4})
    path = tmp_path / "thresholds.toml"
    path.write_text(f"[{GATE_PROFILE}]\nnegation = 0.10\n", encoding="utf-8")
    with pytest.raises(ThresholdError, match="false_flagged|negation"):
        update(path, GATE_PROFILE, table.summaries(), "abc1234", ["false_flagged"])
