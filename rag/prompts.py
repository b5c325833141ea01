"""Prompt templates live as files in the top-level prompts/ folder so they can be read and changed
without code. They ship inside the package as ``rag._prompts`` (a package-dir mapping in
pyproject.toml), so an installed copy reads them with importlib.resources, not from a checkout.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from string import Template

from rag.errors import SourceChatError

PROMPTS_PACKAGE = "rag._prompts"


@lru_cache(maxsize=None)
def _template(name: str) -> Template:
    path = resources.files(PROMPTS_PACKAGE) / f"{name}.md"
    if not path.is_file():
        raise SourceChatError(f"prompt template {name!r} is missing from {PROMPTS_PACKAGE}: reinstall sourcechat")
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, **values: object) -> str:
    """Fill ``$name`` placeholders; ``safe_substitute`` leaves a literal '$' in article text alone."""
    return _template(name).safe_substitute(**{k: str(v) for k, v in values.items()}).strip()
