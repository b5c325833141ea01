"""Example questions made from the indexed articles: the most recent ones, their titles and names.

A few recent articles (by published date; undated articles after them, spread over the list)
each give one example, asking in turn about the story behind a title and about what the main
name of a title said: the name of the title that the article's opening mentions most often,
as the language layer (rag.language: spaCy's entities linked into names, and its clauses)
finds it, when that opening has it say something.

Measured by asking each question with ``SourceChat.ask(mode="extractive")`` about 30 random
articles of a store of seeds + 300 BBC News articles (300 spread evenly over the sorted corpus),
at the commit that added this rule; a check, not a gate, as the answerer grades itself:
"What is the story behind “<title>”?" was answered for 30 of 30, citing the article it came from
each time. 22 titles had a name; where the article has it say something (7), "What did <name>
say?" was answered 7 times, citing its article 5 times; the other 15 included "What did Muslim
say?", "What did Speech say?" and "What did Wimbledon say?": those get the title question. An
earlier rule without the language layer (capitalised words of the title) also asked about films
("What did Aviator say?").

The list is computed when a page first asks for it and kept until the number of articles
changes or ``refresh()`` is called after an ingest. Finding names loads spaCy's full pipeline
(about 3 s once per process), so the app finds them in a thread once the server is up and asks
for them in an event of their own.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

EXAMPLES = 4
# The part of an article its main names come from: the title and the first paragraphs.
LEAD_CHARS = 1500


def plain_title(title: str) -> str:
    """The headline without a site name after a bar: "Election winner | The Week" -> "Election winner"."""
    return re.split(r"\s+\|\s+", title)[0].strip()


@dataclass(frozen=True)
class MainName:
    text: str  # as a question needs it: "Tony Blair", "the European Union"
    label: str  # the entity label: PERSON, ORG, GPE ...
    speaks: bool  # the opening has it say something: the subject of a reporting verb, or a quote's speaker


def main_name(title: str, text: str) -> MainName | None:
    """The title's name that the article's opening mentions most often.

    It is written in full ("European Union" for a title's "EU"), after "the" when the article
    writes it so, and ``speaks`` tells whether "What did <name> say?" has an answer to find.
    """
    from rag.language import REPORTING_VERBS, Pipes, analyze

    title = plain_title(title)
    lead = text[:LEAD_CHARS] if text.startswith(title) else f"{title}\n\n{text[:LEAD_CHARS]}"
    analysis = analyze(lead, Pipes.FULL)
    named = [n for n in analysis.names if any(m.start < len(title) for m in n.mentions)]
    if not named:
        return None
    best = max(named, key=lambda n: (len(n.mentions), len(n.canonical)))
    speakers = {q.speaker_name for q in analysis.quotes if q.speaker_name}
    for clause in analysis.clauses:
        if clause.verb in REPORTING_VERBS and not clause.negated:
            for phrase in clause.agents or clause.subjects:
                name = analysis.name_of(analysis.resolve(phrase))
                if name is not None:
                    speakers.add(name.canonical)
    # "the European Union", but not "the Saab" from "the Saab 9-3": most mentions must have it.
    with_article = sum(lead[max(0, m.start - 4):m.start].lower() == "the " for m in best.mentions)
    prefix = "the " if 2 * with_article >= len(best.mentions) and best.label != "PERSON" else ""
    return MainName(prefix + best.canonical, best.label, best.canonical in speakers)


def question_about(name: str) -> str:
    return f"What did {name} say?"


def question_on(title: str) -> str:
    """A headline the site cut short ("Trump's inauguration ... on same date this ...") keeps an
    ellipsis against its last word, inside the quotation marks."""
    headline = plain_title(title)
    shortened = re.search(r"(?:\.\.\.|…)\s*$", headline) is not None
    headline = re.sub(r"[\s.…?!]+$", "", headline)
    return f"What is the story behind “{headline}{'…' if shortened else ''}”?"


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
        if found and found.speaks and found.text.casefold() not in names:
            names.add(found.text.casefold())
            questions.append(question_about(found.text))
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
