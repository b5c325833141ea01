"""Where the benchmark corpora come from: ../shared/data next to the repo, unpacked once into bench/out/."""

from __future__ import annotations

import gzip
import json
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "bench" / "out"


def unpacked(name: str) -> Path:
    """bench/out/src/<name>/ from <name>.tar.gz (e.g. 'realtimeqa-2025', 'reuters21578')."""
    target = OUT / "src"
    folder = target / ("realtimeqa-2025" if name.startswith("realtimeqa-2025") else name)
    if not folder.is_dir():
        archive = DATA / f"{name}.tar.gz" if not name.startswith("realtimeqa") else DATA / f"{name}-articles.tar.gz"
        if not archive.is_file():
            raise SystemExit(f"corpus not found: {archive}")
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    return folder


def realtimeqa_questions() -> list[dict]:
    with gzip.open(DATA / "realtimeqa-2025-questions.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def answerable(questions: list[dict], articles: Path, present: set[str] | None = None) -> list[dict]:
    """Questions whose gold answer occurs in the body of one of their own articles (the fair
    subset: 385 of 830, matching case-insensitively, front matter left out). With ``present``,
    only articles whose ids are in it count (an index of a subset)."""
    import frontmatter

    out = []
    for q in questions:
        texts = []
        for doc in q["doc_ids"]:
            path = articles / f"{doc}.md"
            if path.is_file() and (present is None or doc in present):
                texts.append(frontmatter.load(path).content.lower())
        golds = [a for a in q["answers"] if a.strip()]
        if any(g.lower() in t for g in golds for t in texts):
            out.append(q)
    return out


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
