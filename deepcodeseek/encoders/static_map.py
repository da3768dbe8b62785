"""External students: static token vectors distilled from the teacher, mapped into its space.

The static student (``index.static_encoder``: every vocabulary token through the teacher
alone, model2vec-style) encodes a query as a weighted mean of token vectors: a lookup,
well under a millisecond. Its vectors are not the teacher's sentence embeddings, so a
map learned on the instance's contexts carries them there:

1. orthogonal Procrustes (closed form: the rotation that best aligns the two clouds);
2. a small MLP on top (residual: the linear part starts at the Procrustes rotation and
   the MLP's last layer at zero), trained with torch by a cosine loss, served in numpy.

The same encoder class serves the internal static student, whose token table itself was
fine-tuned (``internal.fine_tune_static``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepcodeseek.encoders.base import (
    QUERY_MAX_TOKENS,
    TOKENIZER_FILE,
    EncoderBase,
    LeftTruncatingTokenizer,
    read_meta,
    unit_rows,
)

TABLE_FILE = "token_vectors.npy"
WEIGHTS_FILE = "token_weights.npy"
MAP_FILE = "map.npz"


@dataclass
class LinearMap:
    """``y = normalise(x W + b + relu(x W1 + b1) W2 + b2)``; the MLP part is optional."""

    W: np.ndarray
    b: np.ndarray | None = None
    W1: np.ndarray | None = None
    b1: np.ndarray | None = None
    W2: np.ndarray | None = None
    b2: np.ndarray | None = None

    @property
    def hidden(self) -> int:
        return 0 if self.W1 is None else int(self.W1.shape[1])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.W
        if self.b is not None:
            y = y + self.b
        if self.W1 is not None:
            y = y + np.maximum(x @ self.W1 + self.b1, 0.0) @ self.W2 + self.b2
        return y

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.arrays().values())


class StaticMappedEncoder(EncoderBase):
    """Weighted mean of token vectors (last ``max_tokens`` tokens), then an optional map."""

    kind = "static"

    def __init__(self, name: str, table: np.ndarray, weights: np.ndarray, tokenizer: LeftTruncatingTokenizer,
                 mapping: LinearMap | None = None, extra: dict | None = None):
        self.name = name
        self.table = table  # float16 in memory: half the bytes, summed in float32
        self.weights = np.asarray(weights, dtype=np.float32)
        self.tokenizer = tokenizer
        self.mapping = mapping
        self.extra = dict(extra or {})

    @property
    def dimension(self) -> int:
        return int(self.mapping.W.shape[1]) if self.mapping is not None else int(self.table.shape[1])

    def features(self, text: str) -> np.ndarray:
        """The static student's own vector (unit length, before the map)."""
        ids = self.tokenizer.content_ids(text)
        if not ids:
            return np.zeros(self.table.shape[1], dtype=np.float32)
        v = self.weights[ids] @ self.table[ids].astype(np.float32)
        return v / (np.linalg.norm(v) + 1e-9)

    def embed_query(self, text: str) -> np.ndarray:
        x = self.features(text)
        if self.mapping is None or not x.any():
            return x
        y = self.mapping(x)
        return (y / (np.linalg.norm(y) + 1e-9)).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        x = static_features(self.table, self.weights, [self.tokenizer.content_ids(t) for t in texts])
        if self.mapping is None:
            return x
        y = unit_rows(self.mapping(x))
        return np.where(x.any(axis=1, keepdims=True), y, 0.0).astype(np.float32)

    def memory_bytes(self) -> int:
        return int(self.table.nbytes + self.weights.nbytes + (self.mapping.nbytes() if self.mapping else 0))

    def settings(self) -> dict:
        return {"max_tokens": self.tokenizer.max_tokens, "map_hidden": self.mapping.hidden if self.mapping else None,
                "mapped": self.mapping is not None, **self.extra}

    def write_files(self, folder: Path) -> None:
        np.save(folder / TABLE_FILE, self.table.astype(np.float16))
        np.save(folder / WEIGHTS_FILE, self.weights)
        (folder / TOKENIZER_FILE).write_bytes(self.tokenizer.file.read_bytes())
        if self.mapping is not None:
            np.savez(folder / MAP_FILE, **self.mapping.arrays())

    @classmethod
    def load(cls, folder: Path) -> "StaticMappedEncoder":
        meta = read_meta(folder)
        mapping = None
        if meta.get("mapped"):
            with np.load(folder / MAP_FILE) as arrays:
                mapping = LinearMap(**{k: arrays[k].astype(np.float32) for k in arrays.files})
        known = {"kind", "name", "dimension", "max_tokens", "map_hidden", "mapped"}
        return cls(meta["name"], np.load(folder / TABLE_FILE), np.load(folder / WEIGHTS_FILE),
                   LeftTruncatingTokenizer(folder / TOKENIZER_FILE, meta.get("max_tokens")), mapping,
                   {k: v for k, v in meta.items() if k not in known})


def static_features(table: np.ndarray, weights: np.ndarray, id_lists: Sequence[Sequence[int]]) -> np.ndarray:
    """Weighted means of token vectors, unit rows (an empty text gives a zero row)."""
    out = np.zeros((len(id_lists), table.shape[1]), dtype=np.float32)
    for i, ids in enumerate(id_lists):
        if len(ids):
            out[i] = weights[ids] @ table[ids].astype(np.float32)
    return unit_rows(out)


def idf_weights(id_lists: Sequence[Sequence[int]], vocabulary: int) -> np.ndarray:
    """Smoothed IDF over the texts the student will encode (common tokens weigh less)."""
    df = np.zeros(vocabulary, dtype=np.float64)
    for ids in id_lists:
        df[np.unique(np.asarray(ids, dtype=np.int64))] += 1
    return (np.log((len(id_lists) + 1) / (df + 1)) + 1).astype(np.float32)


def fit_procrustes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The orthogonal ``W`` minimising ``||x W - y||`` (rows paired); closed form by SVD."""
    from scipy.linalg import orthogonal_procrustes

    w, _ = orthogonal_procrustes(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return w.astype(np.float32)


@dataclass(frozen=True)
class MapConfig:
    hidden: int = 512
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    loss: str = "cosine"  # cosine | mse
    seed: int = 0


@dataclass
class FitHistory:
    """Loss per epoch on the fitted rows (and on validation rows when given)."""

    train: list[float] = field(default_factory=list)
    validation: list[float] = field(default_factory=list)
    seconds: float = 0.0


def fit_mlp_map(x: np.ndarray, y: np.ndarray, start: np.ndarray, config: MapConfig = MapConfig(),
                device: str = "cpu", validation: tuple[np.ndarray, np.ndarray] | None = None,
                progress: Callable[[str], None] | None = None) -> tuple[LinearMap, FitHistory]:
    """A residual MLP map from ``x`` to ``y`` (both unit rows), linear part started at ``start``."""
    import torch

    torch.manual_seed(config.seed)
    started = time.perf_counter()
    d_in, d_out = x.shape[1], y.shape[1]
    model = _map_module_class()(d_in, d_out, config.hidden, torch.from_numpy(start)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    steps = config.epochs * max(1, -(-len(x) // config.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.learning_rate, total_steps=steps,
                                                   pct_start=0.1)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    history = FitHistory()
    generator = torch.Generator().manual_seed(config.seed)
    for epoch in range(config.epochs):
        model.train()
        total = 0.0
        for rows in torch.randperm(len(xt), generator=generator).split(config.batch_size):
            rows = rows.to(device)
            loss = map_loss(model(xt[rows]), yt[rows], config.loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
        history.train.append(total / len(xt))
        if validation is not None:
            history.validation.append(evaluate_map_loss(model, *validation, config.loss, device))
        if progress and (epoch + 1) % max(1, config.epochs // 5) == 0:
            val = f", validation {history.validation[-1]:.4f}" if history.validation else ""
            progress(f"map epoch {epoch + 1}/{config.epochs}: loss {history.train[-1]:.4f}{val}")
    history.seconds = round(time.perf_counter() - started, 1)
    return model.to_linear_map(), history


def map_loss(pred, target, kind: str = "cosine"):
    import torch

    if kind == "mse":
        return torch.nn.functional.mse_loss(torch.nn.functional.normalize(pred, dim=-1), target)
    return (1 - torch.nn.functional.cosine_similarity(pred, target, dim=-1)).mean()


def evaluate_map_loss(model, x: np.ndarray, y: np.ndarray, kind: str, device: str) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        return float(map_loss(model(torch.from_numpy(x).to(device)), torch.from_numpy(y).to(device), kind))


def cosine_loss(mapping: LinearMap | None, x: np.ndarray, y: np.ndarray) -> float:
    """Mean ``1 - cos`` between mapped ``x`` and ``y`` (no map: ``x`` itself), in numpy."""
    pred = unit_rows(mapping(x) if mapping is not None else x)
    return float(1 - (pred * unit_rows(y)).sum(axis=1).mean())


def _map_module_class():
    import torch

    class MapModule(torch.nn.Module):
        def __init__(self, d_in: int, d_out: int, hidden: int, start):
            super().__init__()
            self.linear = torch.nn.Linear(d_in, d_out)
            with torch.no_grad():
                self.linear.weight.copy_(start.T)
                self.linear.bias.zero_()
            self.up = torch.nn.Linear(d_in, hidden) if hidden else None
            self.down = torch.nn.Linear(hidden, d_out) if hidden else None
            if hidden:
                torch.nn.init.zeros_(self.down.weight)
                torch.nn.init.zeros_(self.down.bias)

        def forward(self, x):
            y = self.linear(x)
            if self.up is not None:
                y = y + self.down(torch.relu(self.up(x)))
            return y

        def to_linear_map(self) -> LinearMap:
            def arr(t):
                return t.detach().cpu().numpy().astype(np.float32)

            if self.up is None:
                return LinearMap(arr(self.linear.weight.T), arr(self.linear.bias))
            return LinearMap(arr(self.linear.weight.T), arr(self.linear.bias), arr(self.up.weight.T),
                             arr(self.up.bias), arr(self.down.weight.T), arr(self.down.bias))

    return MapModule


def load_static_table(folder: Path) -> tuple[np.ndarray, Path]:
    """The distilled token vectors (``index.static_encoder.distill``'s folder) and its tokenizer file."""
    from deepcodeseek.index.static_encoder import TOKENIZER_FILE as STATIC_TOKENIZER
    from deepcodeseek.index.static_encoder import VECTORS_FILE

    return np.load(Path(folder) / VECTORS_FILE), Path(folder) / STATIC_TOKENIZER


def static_student(name: str, static_folder: Path, texts: Sequence[str], max_tokens: int | None = QUERY_MAX_TOKENS,
                   mapping: LinearMap | None = None, weights: np.ndarray | None = None) -> StaticMappedEncoder:
    """The static student over ``static_folder``'s token vectors, IDF fitted on ``texts``."""
    table, tokenizer_file = load_static_table(static_folder)
    tokenizer = LeftTruncatingTokenizer(tokenizer_file, max_tokens)
    if weights is None:
        weights = idf_weights([tokenizer.content_ids(t) for t in texts], len(table))
    return StaticMappedEncoder(name, table.astype(np.float16), weights, tokenizer, mapping)
