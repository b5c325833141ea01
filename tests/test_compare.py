"""Comparisons call out the figures and dates two articles disagree on, each with its citation."""

from __future__ import annotations

import pytest

from seed_store import build_store

FIRST = """Night ferry returns to the Sound of Arle

The night ferry across the Sound of Arle will run again from June 3, the operator Arle Lines said.

A single ticket on the night ferry costs 38 euros, Arle Lines said.
"""
SECOND = """Arle ferry fares rise

The night ferry across the Sound of Arle restarts on June 10, according to the harbour office.

A single ticket on the night ferry will cost 45 euros, the harbour office said.
"""


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    from rag.pipeline import SourceChat

    return SourceChat(build_store(tmp_path_factory.mktemp("compare"), {"ferry/a.txt": FIRST, "ferry/b.txt": SECOND}))


def test_the_figures_that_differ_are_called_out(chat):
    answer = chat.ask("How do the sources differ on the night ferry ticket price?", mode="extractive")
    assert answer.kind == "compare"
    assert {c.article_id for c in answer.citations} == {"ferry/a.txt", "ferry/b.txt"}
    last = answer.sentences[-1]
    assert last.text.startswith("Figures and dates differ")
    assert "38" in last.text and "45" in last.text
    assert sorted(last.citations) == [1, 2]
    for citation in answer.citations:
        assert citation.quote == chat.article(citation.article_id).text[citation.start:citation.end]


def test_the_dates_that_differ_are_called_out(chat):
    answer = chat.ask("How do the sources differ on when the night ferry runs again?", mode="extractive")
    assert answer.kind == "compare"
    assert {c.article_id for c in answer.citations} == {"ferry/a.txt", "ferry/b.txt"}
    last = answer.sentences[-1]
    assert "June 3" in last.text and "June 10" in last.text
