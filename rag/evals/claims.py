"""The labelled claims benchmark: answer sentences over real articles, each true or false
against the article sentence(s) a model would cite for it (``evals/datasets/claims.jsonl``).

Fields of a claim (one JSON object per line)::

    id          unique name, e.g. "bbc-sport-447-01" or "rtqa-0eaa675ba02c-05"
    split       "dev" or "test"; fixed per article by ``split_for`` (never tune on "test")
    label       "true" (the evidence supports the claim) | "false" (it does not)
    kind        how the claim was written; TRUE_KINDS for true claims, FALSE_KINDS for false ones
    claim       one sentence, written the way a model writes an answer sentence
    article_id  the article's id when the corpus folder holds ``bbc/<topic>/NNN.txt`` and
                ``realtimeqa-2025/<id>.md`` (``materialise_articles`` writes that folder)
    evidence    whole sentence(s) of the parsed article text (``rag.text.sentence_spans``):
                two consecutive ones for a "two_sentence" claim, one otherwise
    source      "bbc" | "realtimeqa-2025", the corpus named by ``article_id``
    note        why the label holds

A malformed line raises DatasetError naming the file and the line; ``evidence_spans`` checks a
claim's evidence against its article's text. The dataset itself is described in
``evals/datasets/claims.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from rag.evals.corpus import DATASETS_DIR, SHARED_DATA, CorpusError, write_if_changed
from rag.evals.dataset import DatasetError

CLAIMS_FILE = DATASETS_DIR / "claims.jsonl"

TRUE_KINDS = ("verbatim", "paraphrase", "compression", "two_sentence")
FALSE_KINDS = ("number", "date", "entity", "negation", "role_reversal", "addition", "outside")
LABELS = ("true", "false")
SPLITS = ("dev", "test")

# The share of articles held out as "test". The rule was fixed before the claims were written
# and before any checker was tuned; changing it reshuffles the held-out set.
TEST_SHARE_FIFTHS = 2


@dataclass(frozen=True)
class Corpus:
    """Where the articles of one ``source`` come from: a folder prefix of ``article_id`` and
    the shared tarball whose members are ``<member_prefix>/<rest of the id>``."""

    source: str
    id_pattern: re.Pattern[str]
    tarball: str
    member_prefix: str

    def member(self, article_id: str) -> str:
        return self.member_prefix + article_id.split("/", 1)[1]


CORPORA = (
    Corpus("bbc", re.compile(r"bbc/[a-z]+/\d{3}\.txt"), "bbc-news.tar.gz", "bbc-news/"),
    # Only the 2025 articles: the 2026 RealTime QA files are held out from all tuning.
    Corpus("realtimeqa-2025", re.compile(r"realtimeqa-2025/[0-9a-f]{12}\.md"),
           "realtimeqa-2025-articles.tar.gz", "realtimeqa-2025/"),
)


@dataclass(frozen=True)
class Claim:
    id: str
    split: str
    label: str
    kind: str
    claim: str
    article_id: str
    evidence: tuple[str, ...]
    source: str
    note: str

    @property
    def supported(self) -> bool:
        """True when the article supports the claim (label "true")."""
        return self.label == "true"

    def to_json(self) -> dict:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data


def split_for(article_id: str) -> str:
    """"test" for about two articles in five, by a hash of the article id; "dev" otherwise.

    Every claim of an article shares its split, so no held-out article is ever seen in dev.
    """
    bucket = int(hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:8], 16) % 5
    return "test" if bucket < TEST_SHARE_FIFTHS else "dev"


def corpus_of(article_id: str) -> Corpus | None:
    return next((c for c in CORPORA if c.id_pattern.fullmatch(article_id)), None)


def parse_claim(data: object, where: str) -> Claim:
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    for name in ("id", "split", "label", "kind", "claim", "article_id", "source", "note"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise DatasetError(f"{where}: missing or empty '{name}'")
    label, kind, split = data["label"], data["kind"], data["split"]
    if label not in LABELS:
        raise DatasetError(f"{where}: label must be \"true\" or \"false\", not {label!r}")
    kinds = TRUE_KINDS if label == "true" else FALSE_KINDS
    if kind not in kinds:
        raise DatasetError(f"{where}: kind {kind!r} is not a kind of {label} claim; use one of {', '.join(kinds)}")
    article_id = data["article_id"]
    corpus = corpus_of(article_id)
    if corpus is None:
        raise DatasetError(
            f"{where}: article_id {article_id!r} is neither bbc/<topic>/NNN.txt nor realtimeqa-2025/<id>.md"
        )
    if data["source"] != corpus.source:
        raise DatasetError(f"{where}: source {data['source']!r} does not match article_id {article_id!r}")
    if split not in SPLITS:
        raise DatasetError(f"{where}: split must be \"dev\" or \"test\", not {split!r}")
    if split != split_for(article_id):
        raise DatasetError(
            f"{where}: split {split!r} breaks the split rule, which puts {article_id} in {split_for(article_id)!r}"
        )
    evidence = data.get("evidence")
    if not isinstance(evidence, list) or not evidence or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise DatasetError(f"{where}: 'evidence' must be a non-empty list of sentences")
    wanted = 2 if kind == "two_sentence" else 1
    if len(evidence) != wanted:
        raise DatasetError(f"{where}: a {kind} claim cites {wanted} evidence sentence(s), not {len(evidence)}")
    return Claim(
        id=data["id"], split=split, label=label, kind=kind, claim=data["claim"].strip(),
        article_id=article_id, evidence=tuple(evidence), source=data["source"], note=data["note"].strip(),
    )


def load_claims(path: Path = CLAIMS_FILE) -> list[Claim]:
    """Every claim of the JSONL file, in file order; DatasetError at the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"claims dataset not found: {path}")
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise DatasetError(f"{where}: not valid JSON ({err.msg})") from err
        claim = parse_claim(data, where)
        if claim.id in seen:
            raise DatasetError(f"{where}: duplicate claim id {claim.id!r} (first on line {seen[claim.id]})")
        seen[claim.id] = number
        claims.append(claim)
    if not claims:
        raise DatasetError(f"{path}: no claims")
    return claims


def evidence_spans(claim: Claim, text: str) -> list[tuple[int, int]]:
    """Each evidence sentence's (start, end) in ``text``, the parsed article text.

    An evidence string must be a whole sentence as ``sentence_spans`` splits the text, and a
    two_sentence claim's two sentences must follow each other; DatasetError names the claim
    and the offending string otherwise.
    """
    from rag.text import sentence_spans

    sentences = sentence_spans(text)
    positions = {span: i for i, span in enumerate(sentences)}
    found: list[tuple[int, int]] = []
    indexes: list[int] = []
    for quote in claim.evidence:
        starts = [m.start() for m in re.finditer(re.escape(quote), text)]
        if not starts:
            raise DatasetError(f"claim {claim.id}: evidence is not in {claim.article_id}: {quote!r}")
        whole = [(s, s + len(quote)) for s in starts if (s, s + len(quote)) in positions]
        if not whole:
            raise DatasetError(f"claim {claim.id}: evidence is part of a sentence, not a whole one: {quote!r}")
        found.append(whole[0])
        indexes.append(positions[whole[0]])
    if claim.kind == "two_sentence" and indexes[1] != indexes[0] + 1:
        raise DatasetError(f"claim {claim.id}: the two evidence sentences are not adjacent")
    return found


def materialise_articles(article_ids: Iterable[str], out_dir: Path, data_dir: Path = SHARED_DATA) -> dict[str, Path]:
    """Write each article from the shared tarballs to ``<out_dir>/<article_id>``.

    Returns article id -> file. A file already holding the same bytes is left alone, so a
    corpus folder built this way can be synced incrementally. CorpusError when a tarball or
    an article is missing; DatasetError for an id that names no known corpus.
    """
    out_dir, data_dir = Path(out_dir), Path(data_dir)
    wanted: dict[str, dict[str, str]] = {}  # tarball -> member name -> article id
    for article_id in dict.fromkeys(article_ids):
        corpus = corpus_of(article_id)
        if corpus is None:
            raise DatasetError(f"article id {article_id!r} names no known corpus (bbc/, realtimeqa-2025/)")
        wanted.setdefault(corpus.tarball, {})[corpus.member(article_id)] = article_id
    written: dict[str, Path] = {}
    for tarball, members in wanted.items():
        path = data_dir / tarball
        if not path.is_file():
            raise CorpusError(f"the claims benchmark needs {path} (the shared data folder beside the repository)")
        with tarfile.open(path) as tar:
            for member in tar:  # one pass: a .tar.gz has no index to seek by name
                article_id = members.get(member.name)
                if article_id is not None and member.isfile():
                    target = out_dir / article_id
                    write_if_changed(target, tar.extractfile(member).read())
                    written[article_id] = target
        missing = sorted(set(members.values()) - set(written))
        if missing:
            raise CorpusError(f"{path} does not hold {', '.join(missing)}")
    return written
