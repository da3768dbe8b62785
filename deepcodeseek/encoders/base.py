"""The query-encoder interface, its on-disk form, and the tokenizer every student shares.

A student is a folder: ``encoder.json`` (its kind, name, dimension and settings) beside
its weights or tables. ``load_encoder(folder)`` reads the kind and imports only the
module that serves it, so serving a static student never imports torch.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from deepcodeseek import atomic

ENCODER_FILE = "encoder.json"
TOKENIZER_FILE = "tokenizer.json"
QUERY_MAX_TOKENS = 64  # as the teacher's serving path cuts queries (index.embedder.QUERY_MAX_TOKENS)

# kind -> "module:Class" whose ``load(folder)`` reads the folder back; imported on demand.
KINDS = {
    "teacher": "deepcodeseek.encoders.compact:TeacherEncoder",
    "onnx": "deepcodeseek.encoders.compact:OnnxEncoder",
    "static": "deepcodeseek.encoders.static_map:StaticMappedEncoder",
}


@runtime_checkable
class QueryEncoder(Protocol):
    """Anything that embeds a query into the teacher's space (float32, unit length)."""

    name: str

    @property
    def dimension(self) -> int: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def memory_bytes(self) -> int:
        """Bytes of the weights and tables it keeps loaded (what serving it costs in memory)."""
        ...

    def save(self, folder: Path) -> Path: ...


class EncoderBase:
    """Shared behaviour: batches as a loop over single queries (the serving shape), save/load."""

    kind = ""
    name = ""

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.embed_query(t) for t in texts]).astype(np.float32)

    def memory_bytes(self) -> int:
        raise NotImplementedError

    def settings(self) -> dict:
        """What ``load`` needs besides the files the subclass writes."""
        return {}

    def write_files(self, folder: Path) -> None:
        """Write the weights/tables into ``folder`` (a fresh temporary folder)."""

    def save(self, folder: Path, extra_files: dict[str, str] | None = None) -> Path:
        """Write the student (and ``extra_files``: name -> text) into ``folder`` atomically: a
        temporary sibling renamed into place. Student folders are content-addressed, so one
        that exists already holds this student and is kept."""
        folder = Path(folder)
        tmp = atomic.temp_dir_beside(folder)
        try:
            self.write_files(tmp)
            meta = {"kind": self.kind, "name": self.name, "dimension": self.dimension, **self.settings()}
            (tmp / ENCODER_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
            for name, text in (extra_files or {}).items():
                (tmp / name).write_text(text, encoding="utf-8")
            atomic.rename_into_place(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder


def read_meta(folder: Path) -> dict:
    return json.loads((Path(folder) / ENCODER_FILE).read_text(encoding="utf-8"))


def load_encoder(folder: str | os.PathLike[str]) -> QueryEncoder:
    """The student saved in ``folder``, served by the module its kind names."""
    meta = read_meta(Path(folder))
    try:
        module_name, cls_name = KINDS[meta["kind"]].split(":")
    except KeyError as exc:
        raise ValueError(f"query encoder {folder}: unknown kind {meta.get('kind')!r} (known: {', '.join(KINDS)})") from exc
    return getattr(importlib.import_module(module_name), cls_name).load(Path(folder))


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-9)


class LeftTruncatingTokenizer:
    """The teacher's WordPiece tokenizer cut as its query path cuts: ``[CLS]`` + the last
    ``max_tokens - 2`` tokens + ``[SEP]`` (the lines nearest the cursor say most)."""

    def __init__(self, tokenizer_file: Path, max_tokens: int | None = QUERY_MAX_TOKENS):
        from deepcodeseek.index.wordpiece import SharedTokenizer

        self.file = Path(tokenizer_file)
        self._shared = SharedTokenizer.load(self.file)  # one per content: the static table's is the same
        self.tokenizer = self._shared.tokenizer
        self.max_tokens = max_tokens
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    @property
    def vocabulary(self) -> int:
        return self.tokenizer.get_vocab_size()

    def content_ids(self, text: str) -> list[int]:
        """Token ids without special tokens, left-truncated to what the teacher would see."""
        ids = list(self._shared.ids(text))
        if self.max_tokens is not None:
            ids = ids[-(self.max_tokens - 2):] if self.max_tokens > 2 else []
        return ids

    def model_ids(self, text: str) -> list[int]:
        """Ids as the transformer takes them: with ``[CLS]`` and ``[SEP]``."""
        return [self.cls_id, *self.content_ids(text), self.sep_id]
