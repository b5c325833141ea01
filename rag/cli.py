"""``rag``: ingest | ask | chat | mentions | quote | doctor | eval | feedback export | serve. Heavy imports happen inside each command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

import rag  # noqa: F401  (sets the offline environment first)
from rag.errors import MissingExtra, SourceChatError

if TYPE_CHECKING:
    from rag.answer.record import Answer


class _Record(Protocol):
    def to_json(self) -> dict: ...


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _print_json(record: _Record) -> None:
    """One JSON object per line on stdout; the record's ``to_json()`` decides what is in it."""
    print(json.dumps(record.to_json(), ensure_ascii=False), flush=True)


def cmd_ingest(args: argparse.Namespace) -> int:
    from rag.index.ingest import sync
    from rag.settings import get_settings

    summary = sync(get_settings(), paths=[Path(p) for p in args.paths] or None, rebuild=args.rebuild,
                   progress=not args.quiet)
    for item in summary.skipped:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    for item in summary.warnings:
        print(f"warning {item['path']}: {item['reason']}" if item["path"] else f"warning: {item['reason']}",
              file=sys.stderr)
    if args.json:
        _print_json(summary)
    else:
        print(summary.line())
    return 0


def _render(answer: Answer, out: TextIO) -> None:
    """A terminal rendering: answer, numbered quotes, unsupported sentences marked."""
    if answer.error:
        print(f"error: {answer.error}", file=sys.stderr)
        return
    if answer.standalone_question and answer.standalone_question != answer.question:
        print(f"(understood as: {answer.standalone_question})", file=out)
    if answer.refused:
        print(answer.answer, file=out)
        if answer.closest_sources():
            print("Closest sources:", file=out)
            for _, source in answer.closest_sources():
                print(f"  - {source.title} ({source.source})", file=out)
        return
    print(answer.answer, file=out)
    for sentence in answer.sentences:
        if sentence.unsupported:
            why = f" ({sentence.reason})" if sentence.reason else ""
            print(f"  ! not supported by the sources: {sentence.text}{why}", file=out)
    if answer.notice:
        print(f"notice: {answer.notice}", file=sys.stderr)
    for citation in answer.citations:
        print(f"  [{citation.n}] {citation.title} ({citation.source}, chars {citation.start}-{citation.end}):", file=out)
        print(f"      \u201c{citation.quote}\u201d", file=out)


def _open_chat():
    """The pipeline over the configured store, after the quick store checks: what they repaired
    and what needs a command go to stderr, so missing vectors are never passed over in silence."""
    from rag.pipeline import SourceChat

    chat = SourceChat()
    for check in chat.health().checks:
        if check.status != "ok":
            print(f"{'warning' if check.status == 'problem' else 'notice'}: {check.part}: {check.message}",
                  file=sys.stderr)
    return chat


def _filters(args: argparse.Namespace):
    """The --source/--since/--until/--article options as Filters (None when none is given)."""
    from rag.answer.filters import Filters

    filters = Filters(article_ids=args.article or None, published_from=args.since, published_to=args.until,
                      sources=args.source or None)
    return None if filters.is_empty() else filters


def _output(answer: Answer, fmt: str) -> None:
    if fmt == "json":
        _print_json(answer)
        if answer.error:
            print(f"error: {answer.error}", file=sys.stderr)
    elif fmt == "markdown":
        from rag.answer.export import answer_markdown

        print(answer_markdown(answer), flush=True)
        if answer.error:
            print(f"error: {answer.error}", file=sys.stderr)
    else:
        if answer.scope:
            print(f"({answer.scope})")
        _render(answer, sys.stdout)


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _open_chat().ask(args.question, mode=args.mode, top_k=args.top_k, filters=_filters(args))
    _output(answer, "json" if args.json else args.format)
    return 1 if answer.error else 0


def cmd_mentions(args: argparse.Namespace) -> int:
    """Every article that mentions TEXT, newest first, each mentioning sentence with its offsets."""
    result = _open_chat().mentions(args.text, _filters(args))
    if args.json:
        _print_json(result)
        return 0
    if result.scope:
        print(f"({result.scope['text']})")
    forms = ", ".join(f"{text} ×{count}" for text, count in result.forms()[:8])
    print(f"{result.total_articles} article{' mentions' if result.total_articles == 1 else 's mention'} {result.query}"
          f" ({result.total_mentions} mentions{': ' + forms if forms else ''})")
    for article in result.articles:
        date = article.published[:10] if article.published else "undated"
        print(f"\n{article.title} ({article.source}, {date}): {article.count}")
        for sentence in article.mentions:
            print(f"  [{sentence.start}-{sentence.end}] \u201c{sentence.quote}\u201d")
    return 0


def cmd_quote(args: argparse.Namespace) -> int:
    """The verdict on a quote: verbatim, close (with the differences) or not found."""
    check = _open_chat().check_quote(args.text, args.speaker, _filters(args))
    if args.json:
        _print_json(check)
        return 0
    if check.scope:
        print(f"({check.scope['text']})")
    print(check.summary)
    label = "closest passages (NOT a match)" if check.verdict == "not_found" else "found in"
    if check.matches:
        print(label + ":")
    for match in check.matches:
        by = f", said by {match.speaker}" if match.speaker else ""
        print(f"  {match.similarity:.0%} {match.title} ({match.source}, chars {match.start}-{match.end}{by}):")
        print(f"      \u201c{match.quote}\u201d")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation; reads one question per line when stdin is not a terminal."""
    from rag.errors import UsageError

    engine = _open_chat()
    filters = _filters(args)
    interactive = sys.stdin.isatty()
    history = []
    status = 0
    while True:
        if interactive:
            try:
                line = input("you> ")
            except EOFError:
                print()
                break
        else:
            line = sys.stdin.readline()
            if not line:
                break
        question = line.strip()
        if not question:
            continue
        if interactive and question in ("/quit", "/exit"):
            break
        if interactive and question == "/new":
            history = []
            continue
        try:
            answer = engine.ask(question, history=history, mode=args.mode, top_k=args.top_k, filters=filters)
        except UsageError as err:  # this question cannot be asked (too long ...): the next one can
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        if answer.error:
            status = 1
        _output(answer, "json" if args.json else args.format)
        if not args.json:
            print(flush=True)
        history.append(answer)
    return status


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the store; repair derived data; exit 1 while a problem needs a command."""
    from rag.index.health import check_store
    from rag.index.store import open_store
    from rag.settings import get_settings

    settings = get_settings()
    if not (Path(settings.store_dir) / "catalog.sqlite3").exists():
        return _err(f"no index in {settings.store_dir} yet: run `rag ingest` (sources: {settings.sources_dir})")
    health = check_store(open_store(settings))
    if args.json:
        _print_json(health)
    else:
        for check in health.checks:
            print(f"{check.status:<9} {check.part}: {check.message}")
    return 0 if health.ok else 1


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the evaluation suite; exit 1 when the gate fails or a metric failed on a case."""
    try:
        import ragas  # noqa: F401  (ragas and its metric dependencies come with the eval extra)
    except ImportError as err:
        raise MissingExtra("eval", "rag eval") from err
    if args.dataset == "claims":
        return _eval_claims(args)
    if args.dataset == "generative":
        return _eval_generative(args)
    from rag.evals import report
    from rag.evals.suite import EvalOptions, run_suite
    from rag.evals.thresholds import parse_overrides

    options = EvalOptions(dataset=args.dataset, mode=args.mode, out_dir=Path(args.out), limit=args.limit,
                          distractors=args.distractors, pool=args.pool, top_k=args.top_k, judge=not args.no_judge,
                          sources=Path(args.sources) if args.sources else None,
                          baseline=Path(args.baseline) if args.baseline else None,
                          minimums=parse_overrides(args.min), update_thresholds=args.update_thresholds,
                          progress=not args.quiet)
    if args.data_dir:
        options.data_dir = Path(args.data_dir)
    if args.thresholds:
        options.thresholds_file = Path(args.thresholds)
    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = run_suite(options, log=log)
    files = result.files
    if args.format == "markdown":
        print(report.summary_markdown(result), end="")
    elif args.format == "junit":
        print(report.junit(result), end="")
    else:
        print(report.summary_table(result))
        if cost := report.judge_cost(result):
            print(cost)
        print(report.verdict_line(result))
    where = sys.stdout if args.format == "text" else sys.stderr
    print(f"report: {files.report}\nsummary: {files.summary}\nresults: {files.results}\njunit: {files.junit}", file=where)
    return 0 if result.passed else 1


def _eval_claims(args: argparse.Namespace) -> int:
    """The verifier against the labelled claims' held-out split; exit 1 when its gate fails."""
    from rag.evals.corpus import SHARED_DATA
    from rag.evals.replay import run_claims

    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.update_thresholds:
        from rag.evals.corpus import REPO
        from rag.evals.thresholds import current_commit

        commit = current_commit(REPO)  # before the run: uncommitted code is refused at once
    thresholds = Path(args.thresholds) if args.thresholds else None
    run = run_claims(Path(args.out), data_dir=Path(args.data_dir) if args.data_dir else SHARED_DATA, log=log,
                     thresholds=thresholds)
    print("\n".join(run.table.lines()))
    print("\n".join(line.line() for line in run.gate_lines))
    print(f"claims gate {'passed' if run.passed else 'FAILED'} ({len(run.verdicts)} claims, {run.seconds:.0f} s)")
    if args.update_thresholds:
        from rag.evals.corpus import THRESHOLDS_FILE
        from rag.evals.replay import GATE_PROFILE
        from rag.evals.thresholds import update

        path = thresholds or THRESHOLDS_FILE
        for line in update(path, GATE_PROFILE, run.table.summaries(), commit):
            print(f"{path.name} [{GATE_PROFILE}]: {line}", file=sys.stderr)
    return 0 if run.passed else 1


def _eval_generative(args: argparse.Namespace) -> int:
    """Recorded model answers replayed through generative mode; exit 1 when its gate fails."""
    from rag.evals.corpus import SHARED_DATA
    from rag.evals.generative_replay import report_lines, run_generative

    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    run = run_generative(Path(args.out), data_dir=Path(args.data_dir) if args.data_dir else SHARED_DATA, log=log)
    print("\n".join(report_lines(run)))
    print(f"generative gate {'passed' if run.passed else 'FAILED'} "
          f"({len(run.results)} recorded sentences, {run.seconds:.0f} s)")
    return 0 if run.passed else 1


def cmd_feedback_export(args) -> int:
    """Readers' ratings from the web app as eval cases (JSONL): to stdout, or to --out."""
    from rag.chats import FILE_NAME, ChatStore
    from rag.evals.feedback import case_from_feedback
    from rag.settings import get_settings

    path = get_settings().store_dir / FILE_NAME
    items = ChatStore(path).feedback() if path.is_file() else []
    lines = [json.dumps(case_from_feedback(item), ensure_ascii=False) for item in items]
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    else:
        for line in lines:
            print(line)
    liked = sum(1 for item in items if item.rating == "up")
    where = f" to {args.out}" if args.out else ""
    print(f"exported {len(items)} case{'s' if len(items) != 1 else ''}{where} ({liked} liked, "
          f"{len(items) - liked} disliked); write each 'reference' before adding them to a dataset",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Chat with a folder of news articles, with verified citations.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="sync the sources folder (or PATHS) into the index")
    p.add_argument("paths", nargs="*", help="files or folders (default: RAG_SOURCES_DIR)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--rebuild", action="store_true",
                   help="drop the index and embed everything again; a damaged index has its damaged files "
                        "moved aside (sound vectors are kept)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    for name, helptext in (("ask", "answer one question"), ("chat", "a conversation in the terminal")):
        p = sub.add_parser(name, help=helptext)
        if name == "ask":
            p.add_argument("question")
        p.add_argument("--json", action="store_true", help="print the answer as JSON (one object per turn)")
        p.add_argument("--mode", choices=["extractive", "generative"], default=None,
                       help="default: generative when an LLM is configured, else extractive")
        p.add_argument("--top-k", type=int, default=None, help="chunks to retrieve")
        p.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                       help="markdown: the answer with footnotes ([^1]: \"quote\" — title, source, date, URL, chars)")
        _add_filter_options(p)
        p.set_defaults(func=cmd_ask if name == "ask" else cmd_chat)

    p = sub.add_parser("mentions", help="every article that mentions a name or phrase (complete, newest first)")
    p.add_argument("text", help='a name or phrase: Microsoft, "Tony Blair", "Mr Blair"')
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    _add_filter_options(p)
    p.set_defaults(func=cmd_mentions)

    p = sub.add_parser("quote", help="check a quote: verbatim, close or not found, and who said it")
    p.add_argument("text", help="the quoted words")
    p.add_argument("--speaker", default=None, help="who is said to have said it; the verdict says if the article agrees")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    _add_filter_options(p)
    p.set_defaults(func=cmd_quote)

    p = sub.add_parser("doctor", help="check the index; rebuild what can be rebuilt, name what needs a command")
    p.add_argument("--json", action="store_true", help="print the checks as one JSON object")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("eval", help="score the answers on a golden dataset (ragas and our metrics)")
    p.add_argument("--dataset", default="seeds",
                   help="seeds, bbc-rtqa, realtimeqa-2025, claims (the verifier on labelled claims), generative "
                        "(recorded model answers replayed through generative mode), or a path to a JSONL file")
    p.add_argument("--sources", default=None, metavar="DIR",
                   help="run the dataset over your own folder (reference_article_ids are paths in it)")
    p.add_argument("--mode", choices=["extractive", "generative"], default=None,
                   help="default: generative when an LLM is configured, else extractive")
    p.add_argument("--out", default="evals/out", help="output folder: reports, the eval's own stores, caches")
    p.add_argument("--limit", type=int, default=None, help="only the first N cases (questions)")
    p.add_argument("--distractors", type=int, default=0, help="pool N BBC articles with the dataset's articles")
    p.add_argument("--pool", type=int, default=None, help="realtimeqa-2025: articles in all (default 1000 with --limit)")
    p.add_argument("--top-k", type=int, default=None, help="chunks to retrieve")
    p.add_argument("--data-dir", default=None, help="shared data folder (default: ../shared/data beside the repo)")
    p.add_argument("--no-judge", action="store_true", help="offline metrics only, even with a judge configured")
    p.add_argument("--format", choices=["text", "markdown", "junit"], default="text",
                   help="what stdout carries: the summary table, a Markdown summary (CI job summary) or JUnit XML")
    p.add_argument("--baseline", default=None, metavar="RESULTS_JSON",
                   help="compare with this results.json (default: the previous run of the same report folder)")
    p.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE",
                   help="a minimum for METRIC, over the thresholds file (repeatable)")
    p.add_argument("--thresholds", default=None, metavar="TOML", help="thresholds file (default: evals/thresholds.toml)")
    p.add_argument("--update-thresholds", action="store_true",
                   help="rewrite this profile's minimums and measured figures from this run (committed code only)")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("feedback", help="readers' ratings from the web app")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("export", help="write the ratings as eval cases (the golden dataset's JSONL format)")
    p.add_argument("--out", default=None, help="file to write (default: stdout)")
    p.set_defaults(func=cmd_feedback_export)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)
    return parser


def _add_filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", action="append", default=[], metavar="GLOB",
                   help="only these sources: a path, a folder or a glob such as 'tech/*' (repeatable)")
    p.add_argument("--since", default=None, metavar="DATE", help="only articles published on or after DATE (2005-01-31)")
    p.add_argument("--until", default=None, metavar="DATE", help="only articles published on or before DATE")
    p.add_argument("--article", action="append", default=[], metavar="ID", help="only this article (repeatable)")


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.web.app import main as serve

    serve(host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code. A SourceChatError is the user's message: exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SourceChatError as err:
        return _err(str(err))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
