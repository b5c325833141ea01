"""``rag``: ingest | ask | chat | eval | serve. Heavy imports happen inside each command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import rag  # noqa: F401  (sets the offline environment first)


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cmd_ingest(args) -> int:
    from rag.ingest import sync
    from rag.settings import get_settings
    from rag.store import StoreError

    settings = get_settings()
    try:
        summary = sync(settings, paths=[Path(p) for p in args.paths] or None, rebuild=args.rebuild,
                       progress=not args.quiet)
    except (StoreError, FileNotFoundError) as err:
        return _err(str(err))
    for item in summary.skipped:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    for item in summary.warnings:
        print(f"warning {item['path']}: {item['reason']}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(summary.line())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Chat with a folder of news articles, with verified citations.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="sync the sources folder (or PATHS) into the index")
    p.add_argument("paths", nargs="*", help="files or folders (default: RAG_SOURCES_DIR)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)
    return parser


def cmd_serve(args) -> int:
    import app

    app.main(host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
