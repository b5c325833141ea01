"""Example questions made from the indexed articles: the most recent ones, their titles and names.

A few recent articles (by published date; undated articles after them, spread over the list)
each give one example, asking in turn about the story behind a title and about the main name
of a title: the person or organisation of the title that the article's opening mentions most
often, as the language layer (rag.language, spaCy's entities linked into names) finds it.

Measured by asking each question with ``SourceChat.ask(mode="extractive")`` about 30 random
articles of a store of seeds + 300 BBC News articles (300 spread evenly over the sorted corpus),
at the commit that added this module; not a gate, as the answerer grades itself: "What is the story
behind “<title>”?" was answered for 30 of 30, citing the article it came from each time; 16 of the
titles had a person or organisation, and "What did <name> say?" was answered for 16, citing its
article for 12. An earlier capitalised-words heuristic also asked "What happened with <name>?"
(answered 7 of 26) and about films and adjectives ("What did Aviator say?", "What did Welsh
say?"): names of places, works or events make odd questions, so only people and organisations
are asked about.

The list is computed when a page first asks for it and kept until the number of articles
changes or ``refresh()`` is called after an ingest. Finding names loads spaCy's NER pipeline
(about 1-3 s once per process), so the app asks for the examples in an event of their own.
"""

from __future__ import annotations

import re
import threading

EXAMPLES = 4
# The part of an article its main names come from: the title and the first paragraphs.
LEAD_CHARS = 1500
# Entity labels that "say" things.
SPEAKERS = ("PERSON", "ORG")


def plain_title(title: str) -> str:
    """The headline without a site name after a bar: "Election winner | The Week" -> "Election winner"."""
    return re.split(r"\s+\|\s+", title)[0].strip()


def main_name(title: str, text: str) -> tuple[str, str] | None:
    """(name, entity label) of the title's name that the article's opening mentions most often.

    The name is written in full ("European Union" for a title's "EU"), after "the" when the
    article writes it so ("the European Union"), as a question needs it.
    """
    from rag.language import Pipes, analyze

    title = plain_title(title)
    lead = text[:LEAD_CHARS] if text.startswith(title) else f"{title}\n\n{text[:LEAD_CHARS]}"
    named = [n for n in analyze(lead, Pipes.NER).names if any(m.start < len(title) for m in n.mentions)]
    if not named:
        return None
    best = max(named, key=lambda n: (len(n.mentions), len(n.canonical)))
    with_article = any(lead[max(0, m.start - 4):m.start].lower() == "the " for m in best.mentions)
    return ("the " if with_article and best.label != "PERSON" else "") + best.canonical, best.label


def question_about(name: str) -> str:
    return f"What did {name} say?"


def question_on(title: str) -> str:
    return f"What is the story behind “{plain_title(title).rstrip('.?!')}”?"


def _recent(listed: list[dict], count: int) -> list[dict]:
    """The newest dated articles first, then undated ones spread over the list (a few spare)."""
    wanted = count * 3
    dated = sorted((a for a in listed if a.get("published")), key=lambda a: a["published"], reverse=True)
    undated = [a for a in listed if not a.get("published")]
    step = max(1, len(undated) // wanted)
    return (dated + undated[::step])[:wanted]


def example_questions(chat, count: int = EXAMPLES) -> list[str]:
    """Up to ``count`` questions about recent articles: in turn about a title and about a name."""
    picked = _recent(chat.list_articles(), count)
    articles = chat.articles([a["article_id"] for a in picked])
    questions: list[str] = []
    names: set[str] = set()
    for listed in picked:
        article = articles.get(listed["article_id"])
        if article is None or not article.title.strip():
            continue
        found = main_name(article.title, article.text) if len(questions) % 2 else None
        if found and found[1] in SPEAKERS and found[0].casefold() not in names:
            names.add(found[0].casefold())
            questions.append(question_about(found[0]))
        else:
            questions.append(question_on(article.title))
        if len(questions) == count:
            break
    return questions


class ExampleQuestions:
    """The examples for the current index, recomputed when its article count changes."""

    def __init__(self, chat):
        self.chat = chat
        self._lock = threading.Lock()
        self._for_count: int | None = None
        self._questions: list[str] = []

    def current(self) -> list[str]:
        count = self.chat.article_count()
        with self._lock:
            if self._for_count != count:
                self._questions = example_questions(self.chat) if count else []
                self._for_count = count
            return list(self._questions)

    def refresh(self) -> None:
        with self._lock:
            self._for_count = None
