"""A normal (non-editable) install works: the wheel carries every package and the prompt
templates, and an installed ``rag`` answers in generative mode from a fresh virtualenv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from fake_openai import FakeOpenAI, source_of
from harness import REPO, rag_env, settings_at
from seed_store import SEED_ID

SIGNER_Q = "Who signed the letter backing China's human rights record on behalf of Qatar?"


def test_pyproject_lists_every_package():
    """The package list is written by hand (for the prompts mapping); a new package must join it."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "rag").rglob("__init__.py")}
    assert listed == on_disk | {"rag._prompts"}


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv with sourcechat installed from a wheel; its dependencies are the ones
    this interpreter has (a .pth file, so no download), sourcechat itself only from the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"  # only what the wheel is built from: nothing else of the checkout can leak in
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("rag", "prompts"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist", source])
    wheel = next((tmp / "dist").glob("sourcechat-*.whl"))

    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # Plain path entries: the editable install's finder (.pth files in that folder) is not loaded.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel])
    return venv


@pytest.mark.slow
def test_the_wheel_holds_the_code_and_the_prompts(installed, tmp_path):
    python = installed / "bin" / "python"
    code = ("import importlib.resources as r, rag, rag.prompts\n"
            "print(rag.__file__)\n"
            "print(sorted(p.name for p in r.files('rag._prompts').iterdir() if p.name.endswith('.md')))\n"
            "print(rag.prompts.render('condense', history='H', question='Q'))")
    out = run([python, "-c", code], cwd=tmp_path).stdout.splitlines()
    assert Path(out[0]).is_relative_to(installed), out[0]  # not the checkout
    assert out[1] == str(sorted(p.name for p in (REPO / "prompts").glob("*.md")))
    assert "Last question: Q" in "\n".join(out[2:])


@pytest.mark.slow
def test_an_installed_rag_answers_in_generative_mode(installed, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(REPO / "seeds", sources)
    settings = settings_at(tmp_path)
    env = rag_env(settings)
    rag = installed / "bin" / "rag"
    run([rag, "ingest", "--quiet"], env=env, cwd=tmp_path)

    def model(body):
        if not body.get("stream"):  # the second opinion on the answer (prompts/verify.md)
            return '{"labels": [{"sentence": 1, "label": "SUPPORTED", "reason": ""}]}'
        return f"Ali Mansouri signed the letter on July 12 [{source_of(body, 'Ali Mansouri had signed on July 12')}]."

    with FakeOpenAI(model) as fake:
        result = run([rag, "ask", "--mode", "generative", "--json", SIGNER_Q], cwd=tmp_path,
                     env={**env, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "k", "RAG_LLM_RETRIES": "0"})
    answer = json.loads(result.stdout)
    assert answer["mode"] == "generative" and answer["error"] is None and not answer["refused"]
    assert "Ali Mansouri" in answer["answer"] and answer["citations"][0]["article_id"] == SEED_ID
    answer_request, verify_request = fake.requests
    # prompts/answer.md and prompts/verify.md, both read from the wheel
    assert answer_request["messages"][0]["content"].startswith("You answer questions about news articles.")
    assert verify_request["messages"][0]["content"].startswith("You check an answer against the passages")
    assert answer["verified_by"] == "local+model" and answer["sentences"][0]["model_label"] == "SUPPORTED"
