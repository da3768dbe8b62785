"""Atomic writes, written once: a reader sees the old file or folder, or the new one, never half.

Files are written to a temporary name in the destination's own folder (so the final
``os.replace`` never crosses a file system), flushed and fsynced, then renamed over the
destination; a failure removes the temporary file and leaves the destination untouched.
Folders are filled under a temporary name beside their destination and renamed into
place; a destination that already exists is kept (content-addressed outputs: an
identical writer got there first).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["open_atomic", "rename_into_place", "temp_dir_beside", "write_bytes", "write_json", "write_once",
           "write_text", "write_with"]


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_with(path: str | os.PathLike[str], write: Callable[[Path], Any], *, fsync: bool = True) -> Path:
    """Let ``write`` fill a temporary path beside ``path`` (for writers that take a path,
    such as ``pyarrow.parquet.write_table``), then replace ``path`` with it."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        write(tmp)
        if fsync:
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextmanager
def open_atomic(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                fsync: bool = True) -> Iterator[IO[Any]]:
    """``with open_atomic(path) as fh: fh.write(...)``: the file appears whole when the block ends.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"``; an exception in the block leaves
    ``path`` as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"open_atomic writes a whole file: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True) -> Path:
    with open_atomic(path, "wb", fsync=fsync) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", fsync: bool = True) -> Path:
    with open_atomic(path, "w", encoding=encoding, fsync=fsync) as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | os.PathLike[str], payload: Any, *, fsync: bool = True, **dumps: Any) -> Path:
    """``payload`` as JSON (``dumps`` go to :func:`json.dumps`: ``indent``, ``sort_keys``, ...)."""
    return write_text(path, json.dumps(payload, **dumps), fsync=fsync)


def temp_dir_beside(target: str | os.PathLike[str]) -> Path:
    """An empty temporary folder beside ``target``, to fill and then :func:`rename_into_place`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))


def rename_into_place(tmp: str | os.PathLike[str], target: str | os.PathLike[str]) -> bool:
    """Rename a filled temporary file or folder to ``target``; True when it moved.

    When ``target`` already exists (another writer of the same content-addressed output
    won the race) the temporary copy is removed and False returned; any other failure
    to rename is raised.
    """
    tmp, target = Path(tmp), Path(target)
    try:
        os.rename(tmp, target)
        return True
    except OSError:
        _remove(tmp)
        if not target.exists():
            raise
    return False


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_once(target: str | os.PathLike[str], write: Callable[[Path], Any]) -> bool:
    """Create ``target`` (a file or a folder) by ``write(tmp)`` and a rename, unless it exists.

    For content-addressed outputs: one that exists is complete and may be in use by
    readers, so it is left alone. A crash leaves only a hidden temporary name behind.
    Returns whether this call created it.
    """
    target = Path(target)
    if target.exists():
        return False
    holder = temp_dir_beside(target)
    try:
        write(holder / target.name)
        return rename_into_place(holder / target.name, target)
    finally:
        shutil.rmtree(holder, ignore_errors=True)
