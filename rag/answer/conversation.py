"""Conversation history and follow-up rewriting (``rewrite``).

A follow-up such as "When did he withdraw it?" is rewritten into a question that stands on
its own before retrieval. With a chat model (generative mode) the model rewrites it (one
short, non-streamed call, made only when the question looks like a follow-up); without one,
and whenever the model fails, a deterministic rewrite resolves "he/she" to the person named
in the last answer and carries the last question along as context for "it/they/that".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, Union

from rag import language
from rag.answer.generative import ChatModel, LLMError
from rag.prompts import render
from rag.text import match_terms, names, terms


class AnsweredTurn(Protocol):
    """An earlier turn as an ``Answer`` gives it (the Python API, the CLI, the evals)."""

    question: str
    answer: str


# A turn of the conversation so far, as each caller has it: an Answer, a (question, answer)
# pair, or a chat message {"role", "content"} (Gradio).
HistoryItem = Union[AnsweredTurn, tuple[str, str], Mapping[str, Any]]
History = Sequence[HistoryItem]

# A condensed question longer than this is the model answering or rambling, not rewriting.
MAX_CONDENSED_CHARS = 400

_PRONOUN = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then|the same)\b",
    re.IGNORECASE,
)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her)\b", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\b(his|hers)\b", re.IGNORECASE)
# "And the petition?", "What about Bahrain?". Not "When/Why/Where ...": those open fresh questions
# as often as follow-ups, and a follow-up among them has a pronoun ("When did he ...") anyway.
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|but|also)\b", re.IGNORECASE)
# Entity labels that can stand in for each other in "And in the UK?" after "... in the US?".
_SAME_KIND = [frozenset({"GPE", "LOC", "FAC", "NORP"}), frozenset({"ORG", "PERSON", "PRODUCT", "WORK_OF_ART"}),
              frozenset({"DATE", "TIME"}), frozenset({"MONEY", "PERCENT", "CARDINAL", "QUANTITY"})]


@dataclass
class Turn:
    question: str
    answer: str  # the answer text shown
    standalone: str = ""
    cited: list[tuple[str, int, int]] = field(default_factory=list)  # (article id, start, end) it quoted

    @property
    def cited_articles(self) -> list[str]:
        return list(dict.fromkeys(article_id for article_id, _, _ in self.cited))


@dataclass
class Rewrite:
    """A question ready for retrieval."""

    question: str  # the standalone question
    context_terms: set[str] = field(default_factory=set)  # terms of earlier turns the question leans on
    model_error: LLMError | None = None  # the model could not be reached for the rewrite
    read_as: str = ""  # the question the answer layer reads: the reader's words, a "he" resolved
    previous: Turn | None = None  # the turn a follow-up follows

    @property
    def reading(self) -> str:
        return self.read_as or self.question


def rewrite(question: str, history: History | None, model: ChatModel | None = None) -> Rewrite:
    """The question as it stands on its own; ``model`` (when given) condenses follow-ups."""
    turns = turns_from_history(history)
    follow_up = bool(turns) and is_follow_up(question)
    previous = turns[-1] if follow_up else None
    read_as, standalone, context = resolve(question, turns)
    if model is None or not follow_up:
        return Rewrite(standalone, context, None, read_as, previous)
    prompt = render("condense", history=history_text(turns), question=question)
    try:
        condensed = model.complete([{"role": "user", "content": prompt}], max_tokens=80)
    except LLMError as err:
        # Keep the rule-based rewrite. A model that answered with an error may still answer the
        # question; one that timed out or cannot be reached is not asked a second time, so a
        # reader waits one timeout for the error, not two.
        return Rewrite(standalone, context, err if err.unreachable else None, read_as, previous)
    if condensed and len(condensed) < MAX_CONDENSED_CHARS:
        condensed = condensed.strip().strip('"')
        return Rewrite(condensed, context, None, condensed, previous)
    return Rewrite(standalone, context, None, read_as, previous)


def turns_from_history(history: History | None) -> list[Turn]:
    """Accepts Answers, (question, answer) pairs, or chat messages [{"role", "content"}]."""
    turns: list[Turn] = []
    pending: str | None = None
    for item in history or []:
        if hasattr(item, "question") and hasattr(item, "answer"):
            cited = [(c.article_id, c.start, c.end) for c in getattr(item, "citations", None) or []]
            turns.append(Turn(item.question, item.answer, getattr(item, "standalone_question", ""), cited))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            turns.append(Turn(str(item[0]), str(item[1] or "")))
        elif isinstance(item, dict) and item.get("role") == "user":
            pending = _content_text(item.get("content"))
        elif isinstance(item, dict) and item.get("role") == "assistant" and pending is not None:
            turns.append(Turn(pending, _content_text(item.get("content"))))
            pending = None
    return turns


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio 6 message content parts
        return " ".join(_content_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return str(content or "")


def is_follow_up(question: str) -> bool:
    return bool(_PRONOUN.search(question) or _ELLIPSIS.match(question) or len(terms(question)) <= 1)


def person_in(text: str) -> str | None:
    """The first person the text names, as the language layer reads it ("Coly Seck" in "... Council
    President Coly Seck", "Mervyn King"; never "New York" or "the European Union")."""
    clean = re.sub(r"\[\d+\]|\*\*", "", text)
    if not clean.strip():
        return None
    a = language.analyze(clean[:2000], language.Pipes.NER)
    people = [n for n in a.names if n.label == "PERSON"]
    if not people:
        return None
    # a full name before a lone word the model took for a person ("Uighur" in "Uighur advocate ...")
    return min(people, key=lambda n: (" " not in n.canonical, n.mentions[0].start)).canonical


def rewrite_deterministic(question: str, turns: list[Turn]) -> tuple[str, set[str]]:
    """(standalone question, context terms) for a follow-up; unchanged for a fresh question."""
    _, standalone, context = resolve(question, turns)
    return standalone, context


def resolve(question: str, turns: list[Turn]) -> tuple[str, str, set[str]]:
    """(the question with what it leans on resolved, the standalone question for retrieval, context
    terms). "When did he write?" -> "When did Ali Mansouri write?" for both; "Why did it rise?" is
    read as written and retrieved with the previous question along ("(following up on: ...)");
    "And in the UK?" becomes the previous question about the UK."""
    if not turns or not is_follow_up(question):
        return question, question, set()
    last = turns[-1]
    # a follow-up of a follow-up goes on from the same story: "Why? (following up on: Tell me more;
    # What did she say?)", not a label inside a label; the last turn and the question it followed
    # up, however long the chain
    own = last.standalone or last.question
    followed = _FOLLOWING.search(own)
    previous = own if followed is None else (
        f"{own[:followed.start()]}; {followed.group(1).split('; ')[-1]}")
    substituted = substitute_ellipsis(question, own if followed is None else own[:followed.start()])
    if substituted is not None:
        return substituted, substituted, set()
    person = person_in(last.answer) or person_in(previous)
    rewritten = question
    if person:
        rewritten = _PERSON_PRONOUN.sub(person, rewritten)
        rewritten = _POSSESSIVE.sub(f"{person}'s", rewritten)
    standalone = rewritten if rewritten != question and not _PRONOUN.search(rewritten) else (
        f"{rewritten} (following up on: {previous})"
    )
    context = set(match_terms(previous)) | set(match_terms(" ".join(names(last.answer))))
    return rewritten, standalone, context - set(match_terms(rewritten))


_FOLLOWING = re.compile(r" \(following up on: (.*)\)$")


def substitute_ellipsis(question: str, previous: str) -> str | None:
    """"And in the UK?" after "How much does the Mac mini cost in the US?" -> "How much does the Mac
    mini cost in the UK?": a fragment without a verb whose names replace names of the same kind in
    the previous question. None when the question is not such a fragment."""
    if not _ELLIPSIS.match(question):
        return None
    fragment = language.analyze(question, language.Pipes.FULL)
    if any(t.pos in ("VERB", "AUX") for t in fragment.tokens):
        return None
    before = language.analyze(previous, language.Pipes.FULL)
    rewritten, used = previous, set()
    for ent in fragment.entities:
        kind = next((k for k in _SAME_KIND if ent.label in k), frozenset({ent.label}))
        same = sorted((e for e in before.entities if e.label in kind and e.text not in used and e.text != ent.text),
                      key=lambda e: e.label != ent.label)  # the same label first, then the same kind
        if not same:
            continue
        target = same[0]
        used.add(target.text)
        rewritten = rewritten.replace(target.text, ent.text, 1)
    return rewritten if rewritten != previous else None


def history_text(turns: list[Turn], limit: int = 3) -> str:
    lines = []
    for turn in turns[-limit:]:
        lines.append(f"User: {turn.question}")
        answer = re.sub(r"\s*\[\d+\]", "", turn.answer)[:600]
        lines.append(f"Assistant: {answer}")
    return "\n".join(lines)
