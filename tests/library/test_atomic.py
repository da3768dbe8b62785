"""Atomic writes: readers see the old content or the new, a failed write leaves no trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepcodeseek import atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_files_replace_whole_and_failures_keep_the_old_content(tmp_path):
    target = tmp_path / "sub" / "state.json"
    atomic.write_json(target, {"a": 1}, indent=2)
    assert json.loads(target.read_text()) == {"a": 1}
    atomic.write_text(target, "new")
    assert target.read_text() == "new"
    atomic.write_bytes(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"

    with pytest.raises(RuntimeError, match="half-way"):
        with atomic.open_atomic(target, "w") as fh:
            fh.write("partial")
            raise RuntimeError("died half-way")
    assert target.read_bytes() == b"\x00bytes" and _leftovers(target.parent) == []

    def bad_writer(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.write_with(target, bad_writer)
    assert target.read_bytes() == b"\x00bytes" and _leftovers(target.parent) == []
    atomic.write_with(target, lambda tmp: tmp.write_text("via path"))
    assert target.read_text() == "via path"
    with pytest.raises(ValueError, match="mode"):
        with atomic.open_atomic(target, "a"):
            pass


def test_folders_rename_into_place_once(tmp_path):
    target = tmp_path / "model"
    tmp = atomic.temp_dir_beside(target)
    assert tmp.parent == tmp_path and tmp.name.startswith(".model.")
    (tmp / "weights").write_text("first")
    assert atomic.rename_into_place(tmp, target) and (target / "weights").read_text() == "first"

    second = atomic.temp_dir_beside(target)  # an identical writer that lost the race
    (second / "weights").write_text("second")
    assert not atomic.rename_into_place(second, target)
    assert (target / "weights").read_text() == "first" and not second.exists()


def test_write_once_leaves_an_existing_output_alone(tmp_path):
    calls = []

    def write(tmp: Path) -> None:
        calls.append(tmp)
        tmp.mkdir()
        (tmp / "part").write_text("x")

    assert atomic.write_once(tmp_path / "bm25", write)
    assert not atomic.write_once(tmp_path / "bm25", write)
    assert len(calls) == 1 and (tmp_path / "bm25" / "part").read_text() == "x"
    assert atomic.write_once(tmp_path / "contexts.json", lambda tmp: tmp.write_text("[]"))
    assert (tmp_path / "contexts.json").read_text() == "[]" and _leftovers(tmp_path) == []

    with pytest.raises(ZeroDivisionError):
        atomic.write_once(tmp_path / "broken", lambda tmp: 1 / 0)
    assert not (tmp_path / "broken").exists() and _leftovers(tmp_path) == []


def test_no_module_writes_atomically_by_hand():
    """The one implementation lives in deepcodeseek/atomic.py."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("deepcodeseek", "dagster_project", "assets"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "atomic.py":
                continue
            text = path.read_text(encoding="utf-8")
            if "os.replace(" in text or "tempfile.mkstemp(" in text or "tempfile.mkdtemp(" in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == [], f"atomic writes by hand in {offenders}; use deepcodeseek.atomic"
