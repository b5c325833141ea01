"""Prompt templates live as files in prompts/ so they can be read and changed without code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=None)
def _template(name: str) -> Template:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt template missing: {path}")
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, **values) -> str:
    """Fill ``$name`` placeholders; ``safe_substitute`` leaves a literal '$' in article text alone."""
    return _template(name).safe_substitute(**{k: str(v) for k, v in values.items()}).strip()
