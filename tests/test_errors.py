"""One error hierarchy: the CLI turns a known error into one line and exit 2, and lets a bug show its traceback."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from deepcodeseek import cli, errors
from deepcodeseek.errors import DeepCodeSeekError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name, builtin", [
    ("deepcodeseek.errors.BadInput", ValueError),
    ("deepcodeseek.errors.UnknownInstance", KeyError),
    ("deepcodeseek.errors.SourceUnreadable", OSError),
    ("deepcodeseek.errors.SourceNotFound", FileNotFoundError),
    ("deepcodeseek.errors.InstanceAsleep", RuntimeError),
    ("deepcodeseek.errors.IndexNotPublished", FileNotFoundError),
    ("deepcodeseek.errors.UnknownMethod", ValueError),
    ("deepcodeseek.errors.MethodUnavailable", ValueError),
    ("deepcodeseek.errors.InvalidSchedule", ValueError),
    ("deepcodeseek.errors.MissingCredentials", ValueError),
    ("deepcodeseek.sources.registry.UnknownInstance", KeyError),
    ("deepcodeseek.sources.records_jsonl.SourceNotFound", FileNotFoundError),
    ("deepcodeseek.sources.table_api.TableAPIError", RuntimeError),
    ("deepcodeseek.sources.table_api.AuthenticationError", RuntimeError),
    ("deepcodeseek.sources.table_api.InstanceAsleep", RuntimeError),
    ("deepcodeseek.sources.records.RecordError", ValueError),
    ("deepcodeseek.parsing.typescript.DeclarationSyntaxError", ValueError),
    ("deepcodeseek.paths.InvalidInstanceName", ValueError),
    ("deepcodeseek.index.publish.IndexNotPublished", FileNotFoundError),
    ("deepcodeseek.index.release.IncompleteIndex", RuntimeError),
    ("deepcodeseek.index.embedder.ModelNotAvailable", RuntimeError),
    ("deepcodeseek.retrieval.retriever.UnknownMethod", ValueError),
    ("deepcodeseek.retrieval.llm_forms.MethodUnavailable", ValueError),
    ("deepcodeseek.evaluation.benchmark.BenchmarkError", ValueError),
    ("deepcodeseek.llm.client.LLMError", RuntimeError),
    ("deepcodeseek.jsdoc.static_backend.StaticAnalysisError", ValueError),
])
def test_project_errors_share_one_base_and_keep_their_builtin_one(name, builtin):
    import importlib

    module, _, cls = name.rpartition(".")
    error = getattr(importlib.import_module(module), cls)
    assert issubclass(error, DeepCodeSeekError) and issubclass(error, builtin)


def test_every_exception_class_in_the_library_is_in_the_hierarchy():
    """A new exception class must derive from a project error (or say why not here)."""
    outside = []
    for path in (ROOT / "deepcodeseek").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                bases = {ast.unparse(b) for b in node.bases}
                builtin = {"ValueError", "RuntimeError", "OSError", "KeyError", "Exception", "FileNotFoundError"}
                if bases and bases <= builtin and path.name != "errors.py" and node.name != "CLIError":
                    outside.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert outside == []


def test_unknown_instance_is_one_line_with_exit_2(tmp_path, capsys):
    assert cli.main(["--home", str(tmp_path), "index", "--instance", "ghost"]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["deepcodeseek: error: unknown instance 'ghost': register it with "
                   "'deepcodeseek index --instance ghost --records PATH'"]


def test_a_bad_schedule_at_instance_add_is_one_line(tmp_path, capsys):
    code = cli.main(["--home", str(tmp_path), "instance", "add", "acme", "--source", "records", "--path",
                     str(tmp_path), "--schedule", "0 2 * *"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "instance acme: schedule '0 2 * *' has 4 fields" in err[0]
    assert cli.main(["--home", str(tmp_path), "instance", "add", "acme", "--source", "records", "--path",
                     str(tmp_path), "--schedule", "@daily", "--auth-env-prefix", "ACME"]) == 0
    assert cli.main(["--home", str(tmp_path), "instance", "add", "acme", "--source", "records", "--path",
                     str(tmp_path), "--auth-env-prefix", "acme prod"]) == 2


def _cli_with_bug(tmp_path: Path, exc: str) -> subprocess.CompletedProcess:
    """``deepcodeseek status`` with the status module broken by ``exc``, as a genuine bug would break it."""
    code = ("import sys, deepcodeseek.status as s\n"
            f"def broken(*a, **k):\n    raise {exc}\n"
            "s.instance_status = broken\n"
            "from deepcodeseek.cli import main\n"
            f"sys.exit(main(['--home', {str(tmp_path)!r}, 'status']))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("exc", ["ZeroDivisionError('division by zero')", "ValueError('a bug, not bad input')",
                                 "OSError('a bug too')"])
def test_a_genuine_bug_shows_its_traceback(tmp_path, exc):
    done = _cli_with_bug(tmp_path, exc)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr and exc.split("(")[0] in done.stderr
    assert "deepcodeseek: error:" not in done.stderr


def test_a_project_error_raised_anywhere_is_one_line(tmp_path):
    done = _cli_with_bug(tmp_path, "__import__('deepcodeseek.errors').errors.SourceUnreadable('records.jsonl: "
                                   "permission denied')")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "deepcodeseek: error: records.jsonl: permission denied"
    assert errors.__all__  # the module lists what it defines
