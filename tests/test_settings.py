"""The one settings object: every field documented and bounded, bad values refused with the field's name."""

from __future__ import annotations

import typing

import pytest
from annotated_types import Ge, Gt, Le, Lt
from pydantic import ValidationError

from rag.settings import Settings


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_field_has_a_description(name):
    description = Settings.model_fields[name].description
    assert description and len(description) > 10, name


NUMBERS = [name for name, field in Settings.model_fields.items() if field.annotation in (int, float)]


@pytest.mark.parametrize("name", NUMBERS)
def test_every_number_has_a_lower_and_an_upper_bound(name):
    metadata = Settings.model_fields[name].metadata
    assert any(isinstance(m, (Ge, Gt)) for m in metadata), name
    assert any(isinstance(m, (Le, Lt)) for m in metadata), name


def test_every_text_field_is_bounded_by_a_choice_a_length_or_is_optional():
    for name, field in Settings.model_fields.items():
        if field.annotation is str:
            assert any(hasattr(m, "min_length") for m in field.metadata), name
        elif typing.get_origin(field.annotation) is typing.Literal:
            assert typing.get_args(field.annotation), name


@pytest.mark.parametrize("values,field", [
    ({"port": 70000}, "port"),
    ({"top_k": 0}, "top_k"),
    ({"llm_timeout": 0}, "llm_timeout"),
    ({"collection": "x"}, "collection"),
    ({"collection": "has space"}, "collection"),
    ({"embedding_backend": "torch"}, "embedding_backend"),
])
def test_a_value_out_of_bounds_is_refused_naming_the_field(values, field):
    with pytest.raises(ValidationError, match=field):
        Settings(_env_file=None, **values)


def test_the_environment_and_a_dot_env_file_are_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RAG_PORT=9001\nRAG_TOP_K=9\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_TOP_K", "3")  # the environment wins over .env
    settings = Settings()
    assert (settings.port, settings.top_k) == (9001, 3)
    assert Settings(_env_file=None).port == 7860
