"""Where the benchmark corpora come from: ../shared/data next to the repo, unpacked once into bench/out/."""

from __future__ import annotations

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


def answerable_questions(articles: Path) -> list[dict]:
    """RealTime QA 2025 questions whose gold answer occurs in the body of one of their own
    articles present in ``articles`` (the fair subset: 385 of 830 with all articles), as
    {"question", "answer"}: the same selection ``rag eval --dataset realtimeqa-2025`` scores."""
    from rag.evals.realtimeqa import answerable_cases, load_questions

    cases = answerable_cases(load_questions(DATA), Path(articles), limit=None)
    return [{"question": case.question, "answer": case.reference} for case, _ in cases]


def bench_settings(**values):
    """Settings for a measurement: the values given, defaults for the rest. A developer's ``.env``
    is not read, so it cannot silently change what is measured (RAG_* variables still apply)."""
    from rag.settings import Settings

    return Settings(_env_file=None, **values)


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
