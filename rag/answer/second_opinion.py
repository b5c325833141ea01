"""A second opinion on a generative answer from a language model (RAG_VERIFY=model).

The local claim checker (citations.py, claimcheck.py) reads words, numbers, negation and the
parse; it cannot read meaning a verb carries ("conceded", "took action against") or a claim
that keeps the words and changes the sense. A model can. One extra call, batched over the
whole answer, shows the model each sentence with the passages the local check weighed it
against and asks for SUPPORTED / CONTRADICTED / NOT_STATED as JSON (prompts/verify.md).

A sentence is shown as supported only when both checks agree; a disagreement is flagged with
both reasons. The model's word never makes supported what the local check flagged: the local
check is what guarantees each citation is an exact sentence saying the same numbers and names.
A call that fails or a reply that cannot be read leaves the local verdicts as they are, and the
answer says so (``notice``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rag.prompts import render

if TYPE_CHECKING:
    from rag.answer.citations import SentenceSpan
    from rag.answer.generative import ChatModel

LABELS = ("SUPPORTED", "CONTRADICTED", "NOT_STATED")
# Room for a label and a one-sentence reason per answer sentence.
TOKENS_PER_SENTENCE = 80


@dataclass
class Verdict:
    """One answer sentence as a check left it: the spans it rests on (or was weighed against)."""

    text: str
    spans: list[SentenceSpan]
    score: float
    unsupported: bool
    reason: str | None = None
    model_label: str | None = None  # the model's label, when it gave one


@dataclass
class ModelLabel:
    label: str  # one of LABELS
    reason: str


@dataclass
class SecondOpinion:
    verdicts: list[Verdict]
    asked: bool  # the model was asked and its labels were read (some may be missing: see notice)
    notice: str | None = None  # why the model's opinion is missing, in plain words


def second_opinion(model: ChatModel, verdicts: list[Verdict], titles: dict[str, str]) -> SecondOpinion:
    """Ask ``model`` about every sentence that has passages to be read against; merge its labels.

    ``titles`` names each article. Sentences without passages keep the local verdict (they are
    flagged already)."""
    from rag.answer.generative import LLMError

    asked = [i for i, v in enumerate(verdicts) if v.spans]
    if not asked:
        return SecondOpinion(verdicts, asked=False)
    prompt = render("verify", sentences=_sentences_block(verdicts, asked, titles))
    try:
        reply = model.complete([{"role": "user", "content": prompt}],
                               max_tokens=TOKENS_PER_SENTENCE * len(asked) + 40)
    except LLMError as err:
        return SecondOpinion(verdicts, asked=False, notice=f"no second opinion from the model ({err}); "
                                                           "the local check alone decided")
    try:
        labels = parse_labels(reply, len(asked))
    except ValueError as err:
        return SecondOpinion(verdicts, asked=False, notice=f"the model's second opinion could not be read ({err}); "
                                                           "the local check alone decided")
    merged = list(verdicts)
    for number, i in enumerate(asked, start=1):
        if number in labels:
            merged[i] = merge(verdicts[i], labels[number])
    unlabelled = [number for number in range(1, len(asked) + 1) if number not in labels]
    notice = None
    if unlabelled:
        which = ", ".join(str(n) for n in unlabelled)
        notice = f"the model gave no label for sentence {which}; the local check alone decided there"
    return SecondOpinion(merged, asked=True, notice=notice)


def _sentences_block(verdicts: list[Verdict], asked: list[int], titles: dict[str, str]) -> str:
    blocks = []
    for number, i in enumerate(asked, start=1):
        passages = "\n".join(f'  - "{_one_line(s.text)}" '
                             f'({_one_line(titles.get(s.article_id, s.article_id))})' for s in verdicts[i].spans)
        blocks.append(f"Sentence {number}: {_one_line(verdicts[i].text)}\nPassages:\n{passages}")
    return "\n\n".join(blocks)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_labels(reply: str, count: int) -> dict[int, ModelLabel]:
    """The labels in the model's reply, by sentence number (1..count).

    Models wrap JSON in code fences or a sentence of prose; the first JSON object or list in the
    reply is read. ValueError, with what is wrong, when there is none or it has no usable label.
    Entries with a number out of range or an unknown label are left out (that sentence then
    keeps the local verdict)."""
    data = _first_json(reply)
    items = data.get("labels") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError('no "labels" list in the reply')
    labels: dict[int, ModelLabel] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        number, label = item.get("sentence"), str(item.get("label") or "")
        label = re.sub(r"[\s-]+", "_", label.strip()).upper()
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if not isinstance(number, int) or not 1 <= number <= count or label not in LABELS:
            continue
        labels.setdefault(number, ModelLabel(label, _one_line(str(item.get("reason") or ""))))
    if not labels:
        raise ValueError("no usable label in the reply")
    return labels


def _first_json(reply: str) -> object:
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", reply):
        try:
            return decoder.raw_decode(reply, match.start())[0]
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON in the reply")


def merge(local: Verdict, model: ModelLabel) -> Verdict:
    """Supported only when both say so; otherwise flagged with what each check found."""
    model_reason = model.reason.rstrip(".") or {
        "CONTRADICTED": "the passages say otherwise", "NOT_STATED": "the passages do not say this",
    }.get(model.label, "")
    if not local.unsupported and model.label == "SUPPORTED":
        return replace(local, model_label=model.label)
    if not local.unsupported:
        return replace(local, unsupported=True, model_label=model.label,
                       reason=f"the model's check: {model_reason} "
                              f"({model.label.lower().replace('_', ' ')}); the local check found it supported")
    if model.label == "SUPPORTED":
        return replace(local, model_label=model.label,
                       reason=f"{local.reason or 'no source sentence says this'}; the model's check found it supported")
    return replace(local, model_label=model.label)

