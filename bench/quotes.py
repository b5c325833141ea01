"""Where a close quote ends and a made-up one begins: the word similarity quote checks use.

For quoted passages (6+ words inside quotation marks) of the indexed articles, the best match's
word similarity (rag.answer.quotes) for: the quote as written; one word changed; one word dropped;
and a made-up quote (the first half of one quote and the second half of another); then how many
of each the verdict rule of rag/answer/quotes.py (at most CLOSE_EDITS words edited, or CLOSE_SHARE
of a long quote) calls close, against a plain word-similarity threshold.

    RAG_SOURCES_DIR=... RAG_STORE_DIR=... python bench/quotes.py [--quotes 100]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rag  # noqa: E402,F401


def best_match(text: str, store) -> tuple[float, int, int]:
    """(similarity, edits, words) of the best-aligned passage."""
    from rag.answer.quotes import _best_in
    from rag.index.mentions import words_of

    words = words_of(text)
    candidates = store.mentions().articles_with(words)
    chunks = store.chunks([cid for cid, _ in store.bm25().search(text, 30)])
    candidates |= {c.article_id for c in chunks.values()}
    found = [(m.similarity, -m.edits) for m in (_best_in(words, a) for a in store.articles(sorted(candidates)).values()) if m]
    similarity, edits = max(found, default=(0.0, -len(words)))
    return similarity, -edits, len(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quotes", type=int, default=100)
    args = parser.parse_args()
    from rag.pipeline import SourceChat

    chat = SourceChat()
    store = chat.store
    quotes = []
    for aid, article in sorted(store.articles([r["article_id"] for r in store.list_articles()]).items()):
        for match in re.finditer(r"[\"“]([^\"“”\n]{30,300})[\"”]", article.text):
            if len(match.group(1).split()) >= 6:
                quotes.append(match.group(1))
                break
        if len(quotes) == args.quotes:
            break
    kinds = {"as written": [], "one word changed": [], "one word dropped": [], "made up": []}
    for i, quote in enumerate(quotes):
        words = quote.split()
        middle = len(words) // 2
        kinds["as written"].append(best_match(quote, store))
        kinds["one word changed"].append(best_match(" ".join(words[:middle] + ["zeppelins"] + words[middle + 1:]), store))
        kinds["one word dropped"].append(best_match(" ".join(words[:middle] + words[middle + 1:]), store))
        other = quotes[(i + 1) % len(quotes)].split()
        kinds["made up"].append(best_match(" ".join(words[:middle] + other[len(other) // 2:]), store))
    print(f"{len(quotes)} quotes from {store.article_count()} articles")
    print("| quote | min | p5 | median | max |")
    print("|---|---|---|---|---|")
    for kind, found in kinds.items():
        ordered = sorted(similarity for similarity, _, _ in found)
        print(f"| {kind} | {ordered[0]:.2f} | {ordered[int(0.05 * (len(ordered) - 1))]:.2f} | "
              f"{ordered[len(ordered) // 2]:.2f} | {ordered[-1]:.2f} |")
    from rag.answer.quotes import CLOSE_EDITS, CLOSE_SHARE

    edited = [m for k in ("one word changed", "one word dropped") for m in kinds[k]]
    for threshold in (0.7, 0.75, 0.8):
        wrong = sum(s >= threshold for s, _, _ in kinds["made up"])
        missed = sum(s < threshold for s, _, _ in edited)
        print(f"similarity >= {threshold}: {wrong} made-up quotes called close, {missed} edited ones not found")

    def close(edits: int, n: int) -> bool:
        return edits <= max(CLOSE_EDITS, int(CLOSE_SHARE * n))

    wrong = sum(close(e, n) for _, e, n in kinds["made up"])
    missed = sum(not close(e, n) for _, e, n in edited)
    print(f"edits <= max({CLOSE_EDITS}, {CLOSE_SHARE:g} x words): {wrong} made-up quotes called close, "
          f"{missed} edited ones not found; made-up edits {min(e for _, e, _ in kinds['made up'])}-"
          f"{max(e for _, e, _ in kinds['made up'])}")


if __name__ == "__main__":
    main()
