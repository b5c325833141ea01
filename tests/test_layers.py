"""Imports point one way: web/cli/evals -> pipeline -> answer -> index -> the shared base
(settings, text, language, errors, offline, prompts). Read from the source with ``ast``, lazy
imports inside functions and ``TYPE_CHECKING`` blocks included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import REPO

# (layer, rank, module prefixes). A module may import its own layer and any layer of lower rank.
LAYERS = [
    ("base", 0, ["rag", "rag.errors", "rag.offline", "rag.settings", "rag.text", "rag.language", "rag.prompts",
                 "rag._prompts", "rag.sqlite"]),
    ("index", 1, ["rag.index"]),
    ("answer", 2, ["rag.answer"]),
    ("pipeline", 3, ["rag.pipeline"]),
    ("chats", 3, ["rag.chats"]),  # saved conversations hold Answers; the web app and the CLI read them
    ("web", 4, ["rag.web"]),
    ("evals", 4, ["rag.evals"]),  # the same rank as web, and neither imports the other
    ("cli", 5, ["rag.cli"]),
]


def layer_of(module: str) -> tuple[str, int] | None:
    """The layer of ``module``: the longest matching prefix wins (``rag.index.store`` is index, not base)."""
    best = None
    for name, rank, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), name, rank)
    return (best[1], best[2]) if best else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) of every ``rag`` import in ``source``, relative imports resolved."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # "from rag.answer import compose" imports rag.answer.compose when that is a module.
            found += [(node.lineno, f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base)
                      for alias in node.names]
    return [(line, name) for line, name in found if name == "rag" or name.startswith("rag.")]


def _is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    own_name, own_rank = layer_of(module)
    problems = []
    for line, target in imported_modules(source, module, is_package):
        layer = layer_of(target)
        if layer is None:
            problems.append(f"{module}:{line} imports {target}, which is in no layer")
        elif layer[0] != own_name and layer[1] >= own_rank:
            problems.append(f"{module}:{line} ({own_name}) imports {target} ({layer[0]})")
    return problems


SOURCES = sorted((REPO / "rag").rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    assert SOURCES
    assert [module_name(p) for p in SOURCES if layer_of(module_name(p)) is None] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_a_layer_above_its_own(path):
    module = module_name(path)
    assert upward_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py") == []


@pytest.mark.parametrize("module,source", [
    ("rag.index.store", "from rag.answer.retrieve import Hit"),
    ("rag.index.store", "def f():\n    from rag.pipeline import SourceChat"),  # lazy imports count too
    ("rag.answer.evidence", "import rag.pipeline"),
    ("rag.text", "from rag.index import sync"),
    ("rag.web.app", "from rag.evals.suite import run_suite"),  # siblings stay apart
    ("rag.answer.compose", "from ..pipeline import SourceChat"),
])
def test_the_check_catches_an_upward_import(module, source):
    assert upward_imports(source, module), source


def test_the_check_allows_downward_and_same_layer_imports():
    assert upward_imports("from rag.index.store import Store\nfrom rag.answer import record\nimport rag",
                          "rag.answer.retrieve") == []
    assert upward_imports("from .record import Answer", "rag.answer.compose") == []
