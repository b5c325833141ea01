"""The CLI's error paths, in process (``cli.main(argv)`` returns the exit code): a project error is
one ``error: ...`` line on stderr and exit 1, nothing on stdout, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rag.cli import main


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """``environment(**variables)``: the process settings as a user's environment gives them."""
    from rag.settings import get_settings

    monkeypatch.chdir(tmp_path)  # no .env of the checkout

    def use(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_asking_before_anything_is_ingested(environment, tmp_path, capsys):
    (tmp_path / "sources").mkdir()
    environment(RAG_SOURCES_DIR=str(tmp_path / "sources"), RAG_STORE_DIR=str(tmp_path / "store"))
    assert main(["ask", "Who signed the letter?"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: no articles are indexed") and "run `rag ingest` first" in err


def test_ingesting_a_missing_sources_folder(environment, tmp_path, capsys):
    environment(RAG_SOURCES_DIR=str(tmp_path / "nowhere"), RAG_STORE_DIR=str(tmp_path / "store"))
    assert main(["ingest", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: sources folder not found: {tmp_path / 'nowhere'} (set RAG_SOURCES_DIR)\n"


def test_a_setting_out_of_bounds_names_the_variable(environment, capsys):
    environment(RAG_TOP_K="0")
    assert main(["ask", "Who signed the letter?"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: invalid setting: RAG_TOP_K:") and "greater than or equal to 1" in err


def test_rag_eval_without_the_eval_extra_names_the_extra(tmp_path):
    """As if ragas were not installed: a None entry in sys.modules blocks its import."""
    code = "import sys\nsys.modules['ragas'] = None\nfrom rag.cli import main\nsys.exit(main(['eval', '--quiet']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "error: rag eval needs the eval extra: pip install 'sourcechat[eval]'\n"
    assert result.stdout == ""


def test_a_stream_that_ends_without_an_answer_is_a_bug_not_none(tmp_path):
    """``ask`` raises instead of returning None when ``ask_stream`` yields no AnswerEvent."""
    from rag.pipeline import SourceChat

    class Silent(SourceChat):
        def ask_stream(self, *args, **kwargs):
            yield from ()

    from harness import settings_at

    with pytest.raises(RuntimeError, match="without an answer"):
        Silent(settings_at(tmp_path)).ask("Who signed the letter?")
