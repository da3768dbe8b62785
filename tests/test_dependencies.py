"""Every third-party package the code, the benchmarks and the tests import is declared in pyproject.toml."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# A benchmark script may import another one beside it (benchmarks/ is on its path, not a package).
LOCAL = {"deepcodeseek", "deepcodeseek_pipeline", "tests", "assets", "dagster_project", "benchmarks",
         *(p.stem for p in (ROOT / "benchmarks").glob("*.py"))}
FOLDERS = ("deepcodeseek", "dagster_project", "assets", "tests", "benchmarks", "scripts")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> dict[str, set[str]]:
    """Top-level module -> files importing it, for every absolute import that is not stdlib or ours."""
    found: dict[str, set[str]] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in LOCAL and top != "__future__":
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normalise(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def test_every_imported_package_is_declared():
    distributions = metadata.packages_distributions()
    wanted = declared()
    missing = {}
    for module, files in sorted(imported_modules().items()):
        dists = {_normalise(d) for d in distributions.get(module, [module])}
        if not dists & wanted:
            missing[module] = sorted(files)[:3]
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"
