"""Content-addressed students: one folder per (teacher, training data, settings).

A student's folder name carries a hash of the teacher's weights, the digest of the
contexts it was trained on and its settings, so an unchanged instance finds its
students on disk and trains nothing, and a changed one makes new folders without
touching those that readers are using.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from deepcodeseek.encoders.base import ENCODER_FILE, QueryEncoder, load_encoder

TRAINING_FILE = "training.json"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "config.json")
STUDENTS_DIR = "query_encoders"  # under the state folder's models/


def teacher_fingerprint(path: str | os.PathLike[str]) -> str:
    """Hash of the teacher's weights and config: a student is only valid for the exact teacher."""
    path = Path(path)
    files = [path / f for f in WEIGHT_FILES if (path / f).exists()]
    if not files:
        raise FileNotFoundError(f"teacher {path}: no weight file ({', '.join(WEIGHT_FILES)})")
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _hash_files(stamp)


@lru_cache(maxsize=16)
def _hash_files(stamp: tuple) -> str:
    h = hashlib.sha256()
    for name, _, _ in stamp:
        with open(name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def texts_digest(texts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def student_key(kind: str, teacher: str, data: str, settings: dict) -> str:
    """The content address: kind, teacher fingerprint, training-data digest and settings."""
    payload = json.dumps({"kind": kind, "teacher": teacher, "data": data, "settings": settings}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class BuiltStudent:
    """A student and how it came to be (``reused``: found on disk, nothing trained)."""

    name: str
    folder: Path
    encoder: QueryEncoder
    reused: bool
    training: dict


class StudentStore:
    """Students under one root folder, each in ``<name>-<key>``."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def folder(self, name: str, key: str) -> Path:
        return self.root / f"{name}-{key}"

    def find(self, key: str) -> Path | None:
        """A saved student with this key under any name (students with equal settings are one student)."""
        for folder in sorted(self.root.glob(f"*-{key}")):
            if (folder / ENCODER_FILE).exists():
                return folder
        return None

    def get_or_build(self, name: str, key: str, build: Callable[[], tuple[QueryEncoder, dict]],
                     progress: Callable[[str], None] | None = None) -> BuiltStudent:
        """The saved student for ``key``, or ``build()`` it (returns the encoder and its training record) and save it."""
        folder = self.folder(name, key)
        if (folder / ENCODER_FILE).exists():
            if progress:
                progress(f"{name}: reused {folder.name} (nothing trained)")
            return BuiltStudent(name, folder, load_encoder(folder), True, read_training(folder))
        encoder, record = build()
        scratch = record.pop("_tmp", None)  # a folder the build exported into; save() copies what it needs
        encoder.save(folder, {TRAINING_FILE: json.dumps({"key": key, **record}, indent=2, default=str)})
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        return BuiltStudent(name, folder, load_encoder(folder), False, record)


def read_training(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / TRAINING_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


