"""Replay the labelled claims (evals/datasets/claims.jsonl) through the generative answerer, the
scripted server as its model, and print the verifier's confusion per kind.

    .venv/bin/python -m bench.claims [--split dev|test|all] [--out evals/out] [--json FILE]

Each claim is one answer sentence citing the source block that holds its evidence, streamed by
the scripted OpenAI-compatible server (see rag/evals/replay.py). ``rag eval --dataset claims``
runs the test split and its gate.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--out", type=Path, default=Path("evals/out"))
    parser.add_argument("--json", type=Path, default=None, help="write each verdict as a JSON line here")
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (default: beside the repository)")
    args = parser.parse_args(argv)

    from rag.evals.corpus import SHARED_DATA
    from rag.evals.replay import confusion, run_claims

    run = run_claims(args.out, split=args.split, data_dir=args.data or SHARED_DATA)
    if args.json is not None:
        args.json.write_text("".join(json.dumps(v.to_json()) + "\n" for v in run.verdicts))
    for split in ("dev", "test"):
        part = [v for v in run.verdicts if v.claim.split == split]
        if part:
            print(f"== {split} ({len(part)} claims)")
            print("\n".join(confusion(part).lines()))
    print("\n".join(line.line() for line in run.gate_lines))
    print(f"{len(run.verdicts)} claims in {run.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
