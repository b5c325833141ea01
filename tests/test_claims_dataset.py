"""The claims benchmark (evals/datasets/claims.jsonl): every line valid, the counts its README
documents, a fixed article-level split, no duplicates, and every evidence string a whole
sentence (or two adjacent ones) of the article as the project parses it."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from rag.evals.claims import (
    CLAIMS_FILE,
    FALSE_KINDS,
    TRUE_KINDS,
    Claim,
    evidence_spans,
    load_claims,
    materialise_articles,
    split_for,
)
from rag.evals.corpus import CorpusError
from rag.evals.dataset import DatasetError
from rag.index.sources import read_article

README = CLAIMS_FILE.with_suffix(".md")
MAX_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def claims() -> list[Claim]:
    return load_claims(CLAIMS_FILE)


@pytest.fixture(scope="module")
def articles(claims, shared_data_dir, tmp_path_factory) -> dict[str, str]:
    """article id -> text, read from the materialised folder the way ingest reads it."""
    root = tmp_path_factory.mktemp("claims-corpus")
    files = materialise_articles({c.article_id for c in claims}, root, shared_data_dir)
    texts = {}
    for article_id, path in files.items():
        article = read_article(path, root, MAX_BYTES)
        assert article.id == article_id  # the folder layout gives each file the id the dataset uses
        texts[article_id] = article.text
    return texts


def _readme_rows(first_cells: set[str]) -> dict[str, list[str]]:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in first_cells:
            rows[cells[0]] = cells[1:]
    return rows


# -- the file --------------------------------------------------------------------------------------


def test_every_line_is_a_valid_claim(claims):
    lines = [l for l in CLAIMS_FILE.read_text(encoding="utf-8").splitlines() if l.strip()]
    assert len(claims) == len(lines) >= 280
    assert [c.to_json() for c in claims] == [json.loads(l) for l in lines]


def test_counts_per_kind_and_split_are_the_documented_ones(claims):
    counts = Counter((c.kind, c.split) for c in claims)
    rows = _readme_rows(set(TRUE_KINDS + FALSE_KINDS) | {"all true", "all false", "all"})
    for kind in TRUE_KINDS + FALSE_KINDS:
        label = "true" if kind in TRUE_KINDS else "false"
        dev, test = counts[(kind, "dev")], counts[(kind, "test")]
        assert rows[kind] == [label, str(dev), str(test), str(dev + test)], kind
    for label in ("true", "false"):
        dev = sum(1 for c in claims if c.label == label and c.split == "dev")
        test = sum(1 for c in claims if c.label == label and c.split == "test")
        assert rows[f"all {label}"] == [label, str(dev), str(test), str(dev + test)]
    dev = sum(1 for c in claims if c.split == "dev")
    assert rows["all"] == ["", str(dev), str(len(claims) - dev), str(len(claims))]


def test_articles_per_corpus_and_split_are_the_documented_ones(claims):
    articles = {(c.article_id, c.source, c.split) for c in claims}
    counts = Counter((source, split) for _, source, split in articles)
    rows = _readme_rows({"bbc", "realtimeqa-2025", "all articles"})
    for source in ("bbc", "realtimeqa-2025"):
        dev, test = counts[(source, "dev")], counts[(source, "test")]
        assert rows[source] == [str(dev), str(test), str(dev + test)], source
    dev = sum(1 for _, _, split in articles if split == "dev")
    assert rows["all articles"] == [str(dev), str(len(articles) - dev), str(len(articles))]


def test_the_dataset_has_the_shape_the_benchmark_needs(claims):
    kinds = Counter(c.kind for c in claims)
    assert all(kinds[k] >= 35 for k in TRUE_KINDS), kinds
    assert all(kinds[k] >= 20 for k in FALSE_KINDS), kinds
    labels = Counter(c.label for c in claims)
    assert labels["true"] == labels["false"]
    sources = Counter(source for _, source in {(c.article_id, c.source) for c in claims})
    assert sum(sources.values()) >= 60
    assert abs(sources["bbc"] - sources["realtimeqa-2025"]) <= 0.2 * sum(sources.values())
    # dev batches grow the dev split only (the held-out split is never rewritten to keep a ratio)
    test_share = sum(c.split == "test" for c in claims) / len(claims)
    assert 0.25 <= test_share <= 0.5
    # the held-out split can grade every kind on its own
    test_kinds = Counter(c.kind for c in claims if c.split == "test")
    assert min(test_kinds[k] for k in TRUE_KINDS + FALSE_KINDS) >= 10, test_kinds


def test_no_2026_articles_and_no_seed_article(claims, seeds_dir):
    seeds = {p.name for p in seeds_dir.iterdir()}
    for claim in claims:
        assert claim.article_id.startswith(("bbc/", "realtimeqa-2025/")), claim.id
        assert Path(claim.article_id).name not in seeds, claim.id


# -- the split --------------------------------------------------------------------------------------


def test_split_follows_the_fixed_rule_and_no_article_is_in_both(claims):
    splits: dict[str, set[str]] = {}
    for claim in claims:
        assert claim.split == split_for(claim.article_id), claim.id
        splits.setdefault(claim.article_id, set()).add(claim.split)
    assert all(len(s) == 1 for s in splits.values())


def test_split_rule_is_stable():
    # pinned values: a change to the rule would silently move held-out articles into dev
    assert split_for("bbc/business/047.txt") == "test"
    assert split_for("bbc/business/127.txt") == "dev"
    assert split_for("realtimeqa-2025/ddd68b164c27.md") == "test"
    assert split_for("realtimeqa-2025/b2f41f1a2509.md") == "dev"


# -- duplicates ---------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    return " ".join(re.findall(r"[\w']+", text))


def test_no_duplicate_claims(claims):
    seen: dict[str, str] = {}
    for claim in claims:
        key = _normalised(claim.claim)
        assert key not in seen, f"{claim.id} repeats {seen[key]}"
        seen[key] = claim.id


def test_a_claim_is_one_sentence(claims):
    from rag.text import sentence_spans

    for claim in claims:
        assert len(sentence_spans(claim.claim)) == 1, claim.id


def test_false_claims_differ_from_their_evidence_and_verbatim_ones_stay_close(claims):
    from rapidfuzz import fuzz

    for claim in claims:
        evidence = " ".join(claim.evidence)
        if claim.label == "false":
            assert _normalised(claim.claim) != _normalised(evidence), claim.id
        if claim.kind == "verbatim":  # trimmed or lightly edited: the loosest one drops an aside and scores 90
            assert fuzz.partial_ratio(_normalised(claim.claim), _normalised(evidence)) >= 85, claim.id


# -- the evidence against the parsed articles ---------------------------------------------------------


def test_every_evidence_string_is_whole_sentences_of_its_article(claims, articles):
    for claim in claims:
        spans = evidence_spans(claim, articles[claim.article_id])
        text = articles[claim.article_id]
        assert [text[s:e] for s, e in spans] == list(claim.evidence)


def test_materialised_files_are_rewritten_only_when_their_bytes_change(claims, shared_data_dir, tmp_path):
    article_id = claims[0].article_id
    first = materialise_articles([article_id], tmp_path, shared_data_dir)[article_id]
    stamp = first.stat().st_mtime_ns
    again = materialise_articles([article_id], tmp_path, shared_data_dir)[article_id]
    assert again == first == tmp_path / article_id
    assert again.stat().st_mtime_ns == stamp


def test_materialising_an_article_the_tarball_lacks_names_it(shared_data_dir, tmp_path):
    with pytest.raises(CorpusError, match="bbc/sport/999.txt"):
        materialise_articles(["bbc/sport/999.txt"], tmp_path, shared_data_dir)


def test_materialising_refuses_ids_outside_the_two_corpora(tmp_path):
    for article_id in ("realtimeqa-2026/0a1b2c3d4e5f.md", "seeds/000_7d40094ea373a31e.txt"):
        with pytest.raises(DatasetError, match="names no known corpus"):
            materialise_articles([article_id], tmp_path, tmp_path)


def test_materialising_without_the_shared_data_says_what_is_missing(tmp_path):
    with pytest.raises(CorpusError, match="bbc-news.tar.gz"):
        materialise_articles(["bbc/sport/447.txt"], tmp_path / "out", tmp_path / "no-data")


# -- the validator catches what it is there to catch --------------------------------------------------

TEXT = "Storm closes harbour\n\nBoats stayed in port on Tuesday. Winds reached 90 mph. Nobody was hurt."


def _claim(kind: str, evidence: tuple[str, ...]) -> Claim:
    label = "true" if kind in TRUE_KINDS else "false"
    return Claim(id="c1", split="dev", label=label, kind=kind, claim="x", article_id="bbc/a/001.txt",
                 evidence=evidence, source="bbc", note="n")


def test_evidence_spans_accepts_whole_and_adjacent_sentences():
    [(start, end)] = evidence_spans(_claim("verbatim", ("Winds reached 90 mph.",)), TEXT)
    assert TEXT[start:end] == "Winds reached 90 mph." and TEXT[end:].startswith(" Nobody")
    spans = evidence_spans(_claim("two_sentence", ("Winds reached 90 mph.", "Nobody was hurt.")), TEXT)
    assert [TEXT[s:e] for s, e in spans] == ["Winds reached 90 mph.", "Nobody was hurt."]


@pytest.mark.parametrize("kind, evidence, message", [
    ("verbatim", ("Winds reached 90",), "part of a sentence"),
    ("number", ("Winds reached 100 mph.",), "not in"),
    ("two_sentence", ("Boats stayed in port on Tuesday.", "Nobody was hurt."), "not adjacent"),
    ("paraphrase", ("Boats stayed in port on Tuesday. Winds reached 90 mph.",), "part of a sentence"),
])
def test_evidence_spans_rejects_what_is_not_whole_adjacent_sentences(kind, evidence, message):
    with pytest.raises(DatasetError, match=message):
        evidence_spans(_claim(kind, evidence), TEXT)


GOOD = {
    "id": "bbc-sport-447-01", "split": "dev", "label": "false", "kind": "role_reversal",
    "claim": "Serena Williams has lost to Sania Mirza.", "article_id": "bbc/sport/447.txt",
    "evidence": ["Sania Mirza ... has lost to women's favourite Serena Williams."], "source": "bbc",
    "note": "Mirza lost to Williams",
}


@pytest.mark.parametrize("change, message", [
    (None, "not valid JSON"),
    ({"label": "maybe"}, "label must be"),
    ({"kind": "paraphrase"}, "not a kind of false claim"),
    ({"kind": "contradiction"}, "not a kind of false claim"),
    ({"split": "test"}, "breaks the split rule"),
    ({"split": "train"}, "split must be"),
    ({"article_id": "realtimeqa-2026/0a1b2c3d4e5f.md", "source": "realtimeqa-2025"}, "neither"),
    ({"source": "realtimeqa-2025"}, "does not match article_id"),
    ({"evidence": []}, "non-empty list"),
    ({"label": "true", "kind": "two_sentence"}, "cites 2 evidence"),
    ({"claim": "  "}, "missing or empty 'claim'"),
    ({"note": None}, "missing or empty 'note'"),
])
def test_a_malformed_line_names_the_file_and_line(tmp_path, change, message):
    path = tmp_path / "claims.jsonl"
    other = dict(GOOD, id="bbc-sport-447-02", claim="Mirza lost to Williams.", label="true", kind="paraphrase")
    bad = "{not json" if change is None else json.dumps(dict(GOOD, **change))
    path.write_text(json.dumps(GOOD) + "\n\n" + json.dumps(other) + "\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:4") + ".*" + re.escape(message)):
        load_claims(path)


def test_a_repeated_id_names_both_lines(tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2") + ".*first on line 1"):
        load_claims(path)


def test_a_missing_or_empty_file_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        load_claims(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no claims"):
        load_claims(tmp_path / "empty.jsonl")
