"""Extractive ask latency of two checkouts, question by question, interleaved in one run.

Two runs one after the other on a shared box differ by more than most changes do (measured here:
the same commit gave ask p95 557 ms and 389 ms an hour apart). This runs one worker process per
checkout over the same store and asks each question of both, alternating which goes first, so a
busy minute slows both alike. Only the ask is timed, as bench/latency.py times it.

    python -m bench.versus --base ../other-checkout --store DIR [--sources DIR] [--questions 200]

``--new`` defaults to this checkout. The store must be readable by both (same index format).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def worker(root: Path, sources: Path, store: Path) -> None:
    """Answer questions read from stdin (one JSON string a line) with the ask time in ms, using the
    rag package of ``root`` (imported from there, whatever the interpreter has installed)."""
    sys.path.insert(0, str(root))
    import rag
    from rag.pipeline import SourceChat
    from rag.settings import Settings

    chat = SourceChat(Settings(_env_file=None, sources_dir=sources, store_dir=store))
    print(json.dumps(rag.__file__), flush=True)  # where its rag came from, checked by the caller
    for line in sys.stdin:
        question = json.loads(line)
        start = time.perf_counter()
        chat.ask(question, mode="extractive")
        print(json.dumps((time.perf_counter() - start) * 1000), flush=True)


class Checkout:
    def __init__(self, name: str, root: Path, sources: Path, store: Path):
        self.name, self.root = name, root
        command = [sys.executable, __file__, "--worker", str(root), str(sources), str(store)]
        # stderr is passed through: a worker that fails says why
        self.process = subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        loaded = self.process.stdout.readline()
        if not loaded or not Path(json.loads(loaded)).is_relative_to(root):
            raise SystemExit(f"the {name} checkout at {root} could not open the store, or imported "
                             f"another rag ({loaded.strip() or 'none'})")
        self.times: list[float] = []

    def ask(self, question: str) -> float:
        self.process.stdin.write(json.dumps(question) + "\n")
        self.process.stdin.flush()
        return float(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def main() -> None:
    sys.path.insert(0, str(HERE))
    from bench.corpora import answerable_questions, unpacked
    from bench.latency import WARM_UP, percentile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--new", type=Path, default=HERE, help="the checkout measured (default: this one)")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--sources", type=Path, help="the store's sources (default: RealTime QA 2025)")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()

    # absolute: each worker runs in its own checkout, where a relative path would name another store
    sources, store = (args.sources or unpacked("realtimeqa-2025")).resolve(), args.store.resolve()
    if not (store / "catalog.sqlite3").is_file():
        raise SystemExit(f"no index at {store} (no catalog.sqlite3)")
    checkouts = [Checkout("base", args.base.resolve(), sources, store), Checkout("new", args.new.resolve(), sources, store)]
    asked = [q["question"] for q in answerable_questions(unpacked("realtimeqa-2025"))]
    for question in asked[:WARM_UP]:
        for checkout in checkouts:
            checkout.ask(question)
    for i, question in enumerate(asked[WARM_UP : WARM_UP + args.questions]):
        for checkout in checkouts if i % 2 == 0 else checkouts[::-1]:
            checkout.times.append(checkout.ask(question))
    for checkout in checkouts:
        checkout.close()

    print(f"\n{len(checkouts[0].times)} questions, each asked of both checkouts in turn\n")
    print("| checkout | p50 ms | p95 ms | mean ms |")
    print("|---|---|---|---|")
    for c in checkouts:
        print(f"| {c.name} ({c.root.name}) | {percentile(c.times, 50):.0f} | {percentile(c.times, 95):.0f} | "
              f"{sum(c.times) / len(c.times):.0f} |")
    base, new = checkouts
    print(f"\nnew / base: p50 {percentile(new.times, 50) / percentile(base.times, 50):.2f}, "
          f"p95 {percentile(new.times, 95) / percentile(base.times, 95):.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(*(Path(arg) for arg in sys.argv[2:5]))
    else:
        main()
