"""Shared fixtures: a private state folder per test and one built sample instance per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

os.environ.setdefault("DEEPCODESEEK_ENV", "ci")  # offline resources: no LLM, CPU embedder
os.environ.setdefault("HF_HUB_OFFLINE", "1")


SLOW_REASON = ("slow (minutes): run with --runslow, or in CI (the CI environment variable set); "
               "it builds the wheel, installs it in a fresh venv and runs the demo from there")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow (they run anyway when the CI environment variable is set)")


# The longest test files, longest first (``--durations`` on 2 cores): they start first, so that the
# two xdist workers (scripts/test.sh hands out whole files) do not end with one long file running alone
# while the other has nothing left. The shared sample build comes with the first of them that needs it.
LONGEST_FIRST = ("test_rerankers_stage.py", "test_wheel.py", "test_backfill.py", "test_cli.py",
                 "test_object_storage_pipeline.py", "test_live_instance.py", "test_service.py",
                 "test_rerankers.py", "test_evaluation_guarantees.py", "test_training.py")


def _start_order(item: pytest.Item) -> int:
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first (a stable sort: the order within a file stays). Tests marked ``slow`` run
    with ``--runslow`` or when ``CI`` is set, and are skipped with a reason otherwise."""
    items.sort(key=_start_order)
    if config.getoption("--runslow") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpus is not checked out beside the project")
    return path


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh DEEPCODESEEK_HOME for one test."""
    monkeypatch.setenv("DEEPCODESEEK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory) -> Path:
    """The bundled sample instance, materialised once through Dagster; returns its home (read it, or copy it
    to change it).

    Under pytest-xdist the workers share one build: the first to ask builds it under the run's common
    temporary folder while holding a file lock, and the others wait and read it (it takes a minute on 2
    cores, which every worker would otherwise pay again).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _materialise_sample(tmp_path_factory.mktemp("sample-home"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent
    home, done = shared / "sample-home", shared / "sample-home.built"
    with FileLock(str(shared / "sample-home.lock")):
        if not done.exists():
            _materialise_sample(home)
            done.touch()
    return home


def _materialise_sample(home: Path) -> Path:
    from dagster import DagsterInstance

    from deepcodeseek_pipeline.run import materialize_instance

    home.mkdir(parents=True, exist_ok=True)
    result = materialize_instance("sample", home=str(home), instance=DagsterInstance.ephemeral())
    assert result.success
    return home
