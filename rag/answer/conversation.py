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

from rag.answer.generative import ChatModel, LLMError
from rag.prompts import render
from rag.text import names, terms


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
# Two or more capitalised words in a row, not a sentence-initial article: a person or place name.
_FULL_NAME = re.compile(r"(?<![.!?]\s)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b")
_NOT_PEOPLE = {"united nations", "human rights", "human rights council", "united states", "saudi arabia"}
# News names a person after their office: "Human Rights Council President Coly Seck".
_TITLES = {
    "president", "ambassador", "minister", "secretary", "chancellor", "premier", "governor", "senator",
    "mayor", "king", "queen", "prince", "princess", "chairman", "chairwoman", "chief", "director", "judge",
    "general", "commissioner", "spokesman", "spokeswoman", "mr", "mrs", "ms", "dr", "sir", "lord", "lady",
}


@dataclass
class Turn:
    question: str
    answer: str  # the answer text shown
    standalone: str = ""


@dataclass
class Rewrite:
    """A question ready for retrieval."""

    question: str  # the standalone question
    context_terms: set[str] = field(default_factory=set)  # terms of earlier turns the question leans on
    model_error: LLMError | None = None  # the model could not be reached for the rewrite


def rewrite(question: str, history: History | None, model: ChatModel | None = None) -> Rewrite:
    """The question as it stands on its own; ``model`` (when given) condenses follow-ups."""
    turns = turns_from_history(history)
    standalone, context = rewrite_deterministic(question, turns)
    if model is None or not turns or not is_follow_up(question):
        return Rewrite(standalone, context)
    prompt = render("condense", history=history_text(turns), question=question)
    try:
        condensed = model.complete([{"role": "user", "content": prompt}], max_tokens=80)
    except LLMError as err:
        # Keep the rule-based rewrite. A model that answered with an error may still answer the
        # question; one that timed out or cannot be reached is not asked a second time, so a
        # reader waits one timeout for the error, not two.
        return Rewrite(standalone, context, err if err.unreachable else None)
    if condensed and len(condensed) < MAX_CONDENSED_CHARS:
        return Rewrite(condensed.strip().strip('"'), context)
    return Rewrite(standalone, context)


def turns_from_history(history: History | None) -> list[Turn]:
    """Accepts Answers, (question, answer) pairs, or chat messages [{"role", "content"}]."""
    turns: list[Turn] = []
    pending: str | None = None
    for item in history or []:
        if hasattr(item, "question") and hasattr(item, "answer"):
            turns.append(Turn(item.question, item.answer, getattr(item, "standalone_question", "")))
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
    for match in _FULL_NAME.finditer(re.sub(r"\[\d+\]", "", text)):
        words = match.group(1).split()
        titled = [i for i, w in enumerate(words) if w.lower() in _TITLES]
        if titled:
            words = words[titled[-1] + 1:]  # the name after the office
        name = " ".join(words)
        if name and name.lower() not in _NOT_PEOPLE:
            return name
    return None


def rewrite_deterministic(question: str, turns: list[Turn]) -> tuple[str, set[str]]:
    """(standalone question, context terms) for a follow-up; unchanged for a fresh question."""
    if not turns or not is_follow_up(question):
        return question, set()
    last = turns[-1]
    previous = last.standalone or last.question
    person = person_in(last.answer) or person_in(previous)
    rewritten = question
    if person:
        rewritten = _PERSON_PRONOUN.sub(person, rewritten)
        rewritten = _POSSESSIVE.sub(f"{person}'s", rewritten)
    standalone = rewritten if rewritten != question and not _PRONOUN.search(rewritten) else (
        f"{rewritten} (following up on: {previous})"
    )
    context = set(terms(previous)) | set(terms(" ".join(names(last.answer))))
    return standalone, context - set(terms(rewritten))


def history_text(turns: list[Turn], limit: int = 3) -> str:
    lines = []
    for turn in turns[-limit:]:
        lines.append(f"User: {turn.question}")
        answer = re.sub(r"\s*\[\d+\]", "", turn.answer)[:600]
        lines.append(f"Assistant: {answer}")
    return "\n".join(lines)
