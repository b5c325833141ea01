"""RealTime QA 2025 as an external benchmark (``rag eval --dataset realtimeqa-2025``).

Questions are open questions (``choices`` ignored). A question is answerable here when one
of its gold answer strings occurs, case-insensitively, in the text of one of its own
articles (385 of the 830): those are scored. Its reference articles are the own articles
holding the answer; its ``answer_contains`` is that answer string.

Whether an own article really answers is a reader's judgement, not the string match: the first
120 answerable questions are labelled in ``evals/datasets/realtimeqa-2025-evidence.jsonl``
("answers" with the sentence that does, "mentions" when the string is there in another story or
stage of the story, "substring" when it is only inside another word: "Etna" in "Vietnam"). A
labelled case carries the tag ANSWERS_TAG or MENTIONS_TAG, and an "answers" case the labelled
sentence as its reference quote; the metrics of the labelled cases are in rag/evals/metrics.py.

``--limit N`` keeps the first N answerable questions and ingests their own articles plus
distractors (other questions' articles, spread evenly) up to ``pool`` articles in all;
without a limit every answerable question is asked over all 5,366 articles (~45 min of
embedding on 2 cores). The tarball is unpacked once into ``<out>/cache``.

The held-out 2026 slice is never read here.
"""

from __future__ import annotations

import gzip
import json
import tarfile
from pathlib import Path

from rag.evals.corpus import DATASETS_DIR, EvalCorpus, CorpusError, evenly_spread, link_or_copy, prune, store_dir
from rag.evals.dataset import Case, DatasetError

NAME = "realtimeqa-2025"
ARTICLES = f"{NAME}-articles.tar.gz"
QUESTIONS = f"{NAME}-questions.jsonl.gz"
DEFAULT_POOL = 1000
EVIDENCE_FILE = DATASETS_DIR / f"{NAME}-evidence.jsonl"
ANSWERS_TAG = "article-answers"  # labelled: an own article answers the question
MENTIONS_TAG = "article-mentions-only"  # labelled: the answer string is there, the answer is not
VERDICTS = {"answers": ANSWERS_TAG, "mentions": MENTIONS_TAG, "substring": MENTIONS_TAG}


def unpack_articles(data_dir: Path, cache_dir: Path) -> Path:
    """``<cache>/realtimeqa-2025/<id>.md``, unpacked once (a marker file records completion)."""
    tarball = Path(data_dir) / ARTICLES
    target = Path(cache_dir) / NAME
    marker = Path(cache_dir) / f".{NAME}.unpacked"
    if marker.is_file() and target.is_dir():
        return target
    if not tarball.is_file():
        raise CorpusError(f"{NAME} needs {tarball} (the shared data folder beside the repository)")
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(cache_dir, filter="data")
    marker.write_text(str(tarball))
    return target


def load_questions(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / QUESTIONS
    if not path.is_file():
        raise CorpusError(f"{NAME} needs {path}")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def article_body(path: Path) -> str:
    """The text the pipeline indexes for this file (front matter removed)."""
    from rag.index.sources import parse_article

    return parse_article(path.read_bytes(), path.suffix, path.name).text


def answerable_cases(questions: list[dict], articles_dir: Path, limit: int | None) -> list[tuple[Case, list[str]]]:
    """(case, all own article ids) for the first ``limit`` answerable questions."""
    bodies: dict[str, str] = {}

    def body(doc_id: str) -> str | None:
        if doc_id not in bodies:
            path = articles_dir / f"{doc_id}.md"
            bodies[doc_id] = article_body(path).lower() if path.is_file() else None
        return bodies[doc_id]

    out = []
    for question in questions:
        if limit is not None and len(out) >= limit:
            break
        own = list(dict.fromkeys(question.get("doc_ids") or []))
        for answer in question.get("answers") or []:
            holders = [d for d in own if answer.strip() and (text := body(d)) is not None and answer.lower() in text]
            if holders:
                case = Case(
                    id=question["id"], kind="answerable", question=question["question"].strip(), reference=answer,
                    answer_contains=[answer], reference_article_ids=[f"{d}.md" for d in holders],
                )
                out.append((case, [f"{d}.md" for d in own if body(d) is not None]))
                break
    return out


def evidence_labels(path: Path = EVIDENCE_FILE) -> dict[str, dict]:
    """Question id -> {"verdict", "article", "quote", "note"}: the reader's labels."""
    labels = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label = json.loads(line)
        if label.get("verdict") not in VERDICTS:
            raise DatasetError(f"{path}:{number}: verdict must be one of {', '.join(VERDICTS)}")
        if label["verdict"] == "answers" and not label.get("quote"):
            raise DatasetError(f"{path}:{number}: an 'answers' label needs the sentence that answers (quote)")
        labels[label["id"]] = label
    return labels


def labelled(case: Case, label: dict | None, articles_dir: Path) -> Case:
    """``case`` with its label's tag and, for "answers", the labelled sentence as reference quote
    (when it is in the article's body: a headline is not) and the labelled article first."""
    if label is None:
        return case
    case.tags = [VERDICTS[label["verdict"]], *case.tags]
    if label["verdict"] != "answers":
        return case
    article = label["article"]
    if article not in case.reference_article_ids:
        raise DatasetError(f"{EVIDENCE_FILE.name}: {case.id}: {article} is not one of its articles holding the answer")
    case.reference_article_ids = [article] + [a for a in case.reference_article_ids if a != article]
    if label["quote"] in article_body(articles_dir / article):
        case.reference_quotes = [label["quote"]]
    return case


def realtimeqa(out_dir: Path, data_dir: Path, settings, limit: int | None = None,
               pool: int | None = None) -> tuple[list[Case], EvalCorpus]:
    if limit is not None and limit < 1:
        raise CorpusError("--limit must be 1 or more")
    articles_dir = unpack_articles(data_dir, Path(out_dir) / "cache")
    selected = answerable_cases(load_questions(data_dir), articles_dir, limit)
    if not selected:
        raise CorpusError(f"no answerable {NAME} questions found")
    labels = evidence_labels()
    selected = [(labelled(case, labels.get(case.id), articles_dir), ids) for case, ids in selected]
    own = list(dict.fromkeys(a for _, ids in selected for a in ids))
    every = sorted(p.name for p in articles_dir.glob("*.md"))
    if limit is None and pool is None:
        chosen = every  # the full benchmark
    else:
        size = max(pool or DEFAULT_POOL, len(own))
        taken = set(own)
        others = [a for a in every if a not in taken]
        chosen = own + evenly_spread(others, size - len(own))
    name = f"{NAME}-n{len(selected)}-p{len(chosen)}"
    sources = Path(out_dir) / "corpora" / name
    for article in chosen:
        link_or_copy(articles_dir / article, sources / article)
    prune(sources, {sources / a for a in chosen})
    tagged = [case.tags[0] for case, _ in selected if case.tags]
    notes = [
        f"{len(selected)} answerable questions (gold answer in one of their own articles)",
        f"labelled: {tagged.count(ANSWERS_TAG)} answered by an own article, "
        f"{tagged.count(MENTIONS_TAG)} with the answer string only ({EVIDENCE_FILE.name})",
        f"{len(own)} own articles + {len(chosen) - len(own)} distractors = {len(chosen)} articles",
    ]
    return [case for case, _ in selected], EvalCorpus(name, sources, store_dir(out_dir, name, settings), notes)
