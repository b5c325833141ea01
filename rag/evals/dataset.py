"""Golden cases: one JSON object per line.

Fields of a case::

    id                     unique name, shown in reports
    kind                   "answerable" | "refusal" (the sources don't say: must be refused)
                           | "follow_up" (asked after the questions in ``history``)
    question               what the user asks
    history                earlier questions of the conversation (follow_up only)
    reference              the reference answer (the answer layer's refusal text for refusals)
    answer_contains        short answers a correct answer states (case-insensitive): the name,
                           date or figure asked for; the first sentence must hold them
    reference_article_ids  ids (paths in the sources folder) of the articles holding the answer
    reference_quotes       exact spans of those articles: ``article.text.find(quote) >= 0``
    tags                   optional labels for reports and selections: who_said, broad,
                           typo, near_miss, out_of_scope, compare, mentions, quote_check ...

``broad`` cases ("what's the news about X") have no single right sentence: their reference
articles are every article of the corpus the answer may draw on, and conciseness is not
measured on them.

A malformed line raises DatasetError naming the file, the line and the field.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.answer.compose import REFUSAL_TEXT
from rag.errors import UsageError

KINDS = ("answerable", "refusal", "follow_up")
BROAD = "broad"


class DatasetError(UsageError):
    """A dataset file that cannot be used; the message names the file, the line and the field."""


@dataclass
class Case:
    id: str
    kind: str
    question: str
    reference: str
    answer_contains: list[str] = field(default_factory=list)
    reference_article_ids: list[str] = field(default_factory=list)
    reference_quotes: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def must_refuse(self) -> bool:
        return self.kind == "refusal"

    @property
    def broad(self) -> bool:
        return BROAD in self.tags

    def to_json(self) -> dict:
        return asdict(self)


def _strings(value, where: str, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DatasetError(f"{where}: '{name}' must be a list of non-empty strings")
    return list(value)


def parse_case(data: dict, where: str) -> Case:
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    for name in ("id", "kind", "question"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise DatasetError(f"{where}: missing or empty '{name}'")
    kind = data["kind"]
    if kind not in KINDS:
        raise DatasetError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    case = Case(
        id=data["id"],
        kind=kind,
        question=data["question"].strip(),
        reference=str(data.get("reference") or (REFUSAL_TEXT if kind == "refusal" else "")).strip(),
        answer_contains=_strings(data.get("answer_contains"), where, "answer_contains"),
        reference_article_ids=_strings(data.get("reference_article_ids"), where, "reference_article_ids"),
        reference_quotes=_strings(data.get("reference_quotes"), where, "reference_quotes"),
        history=_strings(data.get("history"), where, "history"),
        tags=_strings(data.get("tags"), where, "tags"),
    )
    if kind == "refusal":
        if case.reference_article_ids or case.reference_quotes or case.answer_contains:
            raise DatasetError(f"{where}: a refusal case has no reference articles, quotes or answer strings")
    else:
        if not case.reference:
            raise DatasetError(f"{where}: missing 'reference' answer")
        if not case.reference_article_ids:
            raise DatasetError(f"{where}: an {kind} case needs 'reference_article_ids'")
    if kind == "follow_up" and not case.history:
        raise DatasetError(f"{where}: a follow_up case needs 'history' (the earlier questions)")
    if kind != "follow_up" and case.history:
        raise DatasetError(f"{where}: only follow_up cases have a 'history'")
    return case


def load_cases(path: Path) -> list[Case]:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset not found: {path}")
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise DatasetError(f"{where}: not valid JSON ({err.msg})") from err
        case = parse_case(data, where)
        if case.id in seen:
            raise DatasetError(f"{where}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise DatasetError(f"{path}: no cases")
    return cases


def referenced_articles(cases: list[Case]) -> list[str]:
    """Every article id the cases refer to, in first-seen order."""
    return list(dict.fromkeys(a for case in cases for a in case.reference_article_ids))


def quote_spans(case: Case, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    """Each reference quote as (article id, start, end) in its article's text.

    A quote is looked up in the case's reference articles, in order; a quote found in none of
    them is a broken case (the article changed, or the quote was paraphrased).
    """
    spans = []
    for quote in case.reference_quotes:
        for article_id in case.reference_article_ids:
            text = texts.get(article_id)
            at = text.find(quote) if text is not None else -1
            if at >= 0:
                spans.append((article_id, at, at + len(quote)))
                break
        else:
            raise DatasetError(
                f"case {case.id!r}: quote {quote!r} is not an exact span of {', '.join(case.reference_article_ids)}"
            )
    return spans
