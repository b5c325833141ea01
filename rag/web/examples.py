"""Example questions made from the indexed articles: the most recent ones, their titles and names.

A few recent articles (by published date; a corpus without dates gets articles spread over
its list) each give one example, asking in turn about the story behind its title and about its
main name: the proper noun of its title that its text repeats most often in mid-sentence
(capitalised where no sentence starts is what marks a name, in any article, without a word
list). The list is computed when
a page asks for it and kept until the number of articles changes or ``refresh()`` is called
after an ingest.
"""

from __future__ import annotations

import re
import threading
from collections import Counter

EXAMPLES = 4
# The part of an article its main names come from: the title and the first paragraphs.
LEAD_CHARS = 1500
_TOKEN = re.compile(r"[^\W_][\w’'.-]*|&")
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)$")


def _plain_title(title: str) -> str:
    """The headline without a site name after a bar: "Election winner | The Week" -> "Election winner"."""
    return re.split(r"\s+\|\s+", title)[0].strip()


def _name_runs(title: str) -> list[list[str]]:
    """Runs of capitalised words in the title ("&" may join them: "Tate & Lyle")."""
    runs, current = [], []
    for match in _TOKEN.finditer(title):
        word = _POSSESSIVE.sub("", match.group().rstrip(".-"))
        if word[:1].isupper() or (word == "&" and current):
            current.append(word)
            if match.group() != word:  # "Beijing’s": the name ends here
                runs.append(current)
                current = []
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [run[:-1] if run[-1] == "&" else run for run in runs]


def _parts(run: list[str]) -> list[str]:
    return [" ".join(run[i : i + size]) for size in range(len(run), 0, -1) for i in range(len(run) - size + 1)
            if run[i] != "&" and run[i + size - 1] != "&"]


def main_name(title: str, text: str) -> str | None:
    """The title's name that the article's lead repeats most often where no sentence starts,
    given in its longest form the lead also uses ("Raul Ruiz" rather than "Ruiz")."""
    lead = text[:LEAD_CHARS]
    if lead.startswith(title):
        lead = lead[len(title):]
    runs = _name_runs(_plain_title(title))
    mid_sentence: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    for run in runs:
        for name in _parts(run):
            for match in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", lead):
                anywhere[name] += 1
                if not _SENTENCE_START.search(lead[: match.start()]):
                    mid_sentence[name] += 1
    # A capitalised word that the text mostly writes in lower case is a word, not a name: "The", "Make".
    for name in [n for n in mid_sentence if " " not in n]:
        if len(re.findall(rf"(?<![\w]){re.escape(name.lower())}(?![\w])", lead)) >= mid_sentence[name]:
            del mid_sentence[name]
    if not mid_sentence:
        return None
    best = max(mid_sentence, key=lambda name: (mid_sentence[name], len(name)))
    longer = [name for run in runs for name in _parts(run) if best in name and anywhere[name]]
    return max(longer, key=len)


def question_about(name: str) -> str:
    return f"What did {name} say?"


def question_on(title: str) -> str:
    return f"What is the story behind “{_plain_title(title).rstrip('.?!')}”?"


def _recent(listed: list[dict], count: int) -> list[dict]:
    """The newest dated articles first, then undated ones spread over the list (a few spare)."""
    wanted = count * 3
    dated = sorted((a for a in listed if a.get("published")), key=lambda a: a["published"], reverse=True)
    undated = [a for a in listed if not a.get("published")]
    step = max(1, len(undated) // wanted)
    return (dated + undated[::step])[:wanted]


def example_questions(chat, count: int = EXAMPLES) -> list[str]:
    """Up to ``count`` questions about recent articles: in turn about a title and about a name.

    Both kinds were answered, citing the article they came from, for most of 26 random
    articles of seeds + 300 BBC (extractive mode): "What did <name> say?" 24 answered, 20 citing
    it; "What is the story behind “<title>”?" 26 and 26; "What happened with <name>?" only 7 and 1.
    """
    picked = _recent(chat.list_articles(), count)
    articles = chat.articles([a["article_id"] for a in picked])
    questions: list[str] = []
    names: set[str] = set()
    for listed in picked:
        article = articles.get(listed["article_id"])
        if article is None or not article.title.strip():
            continue
        name = main_name(article.title, article.text) if len(questions) % 2 else None
        if name and name.lower() not in names:
            names.add(name.lower())
            questions.append(question_about(name))
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
