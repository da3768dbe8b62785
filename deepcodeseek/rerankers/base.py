"""What every reranker shares: the interface, token budgets, and re-ordering only the top N.

A reranker scores (query, document) pairs, higher = more relevant. The serving path
asks it to re-order only the first N candidates of the first stage (N chosen by
measurement: the cost grows with N, the benefit stops growing), and keeps the rest
in their first-stage order, so a reranker can never push a candidate below N out of
reach.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from deepcodeseek.errors import DeepCodeSeekError

RERANKER_FILE = "reranker.json"  # in a saved reranker's folder: its kind, base model and settings
C = TypeVar("C")
MAX_TOKEN_CHARS = 32


class RerankerError(DeepCodeSeekError, RuntimeError):
    """A reranker cannot be built or loaded (missing weights, a folder of another kind)."""


def resolve_device(requested: str = "auto") -> str:
    """CUDA when present, else the CPU; every stage works on both."""
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def candidate_text(candidate: Any) -> str:
    """The document text of a candidate: the string itself, a mapping's or an object's ``text``."""
    if isinstance(candidate, str):
        return candidate
    if isinstance(candidate, Mapping):
        return str(candidate["text"])
    return str(candidate.text)


def cut_to_tokens(tokenizer, texts: Sequence[str], max_tokens: int, keep: str = "start") -> list[str]:
    """Texts cut to at most ``max_tokens`` tokens, at a token boundary of the original string.

    ``keep="end"`` keeps the last tokens (a query: the code nearest the cursor matters
    most); ``"start"`` the first ones (a document: its name and summary come first).
    The cut is made on the string, through the fast tokenizer's offsets, so the cut
    text tokenizes again to the same tokens and stays readable for any model.
    """
    if keep not in ("start", "end"):
        raise ValueError(f"keep must be 'start' or 'end', not {keep!r}")
    # Long documents (thousands of tokens) are first cut by characters, generously: no
    # token is longer than MAX_TOKEN_CHARS characters, so the token cut below is unchanged.
    span = max(0, max_tokens) * MAX_TOKEN_CHARS
    texts = [(t or "")[:span] if keep == "start" else (t or "")[-span:] if span else "" for t in texts]
    encoded = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for text, offsets in zip(texts, encoded["offset_mapping"]):
        if len(offsets) <= max_tokens:
            out.append(text)
        elif max_tokens <= 0:
            out.append("")
        elif keep == "start":
            out.append(text[:offsets[max_tokens - 1][1]])
        else:
            out.append(text[offsets[-max_tokens][0]:])
    return out


def top_n_order(scores: np.ndarray, top_n: int, total: int) -> list[int]:
    """Candidate positions after re-ordering the first ``top_n`` by ``scores`` (best first,
    ties kept in first-stage order) and leaving the rest where they were."""
    top_n = max(0, min(top_n, total))
    scores = np.asarray(scores, dtype=np.float64)[:top_n]
    if scores.shape != (top_n,):
        raise ValueError(f"expected {top_n} scores, got shape {scores.shape}")
    head = np.argsort(-scores, kind="stable").tolist()
    return head + list(range(top_n, total))


class Reranker(ABC):
    """Scores (query, document) pairs; higher = more relevant.

    Subclasses set ``name`` and ``kind``, implement :meth:`score`, :meth:`save` and the
    classmethod :meth:`load`; documents and queries are cut to the token budgets the
    reranker was trained with, and pairs are scored in batches on ``device``.
    """

    name: str = "reranker"
    kind: str = "reranker"
    device: str = "cpu"

    @abstractmethod
    def score(self, query: str, documents: Sequence[str]) -> np.ndarray:
        """One relevance score per document, as float32."""

    @abstractmethod
    def save(self, folder: Path | str) -> Path:
        """Write what :meth:`load` needs to rebuild this reranker."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path | str, device: str = "auto") -> "Reranker":
        """A reranker saved by :meth:`save`."""

    def rerank(self, query: str, candidates: Sequence[C], top_n: int,
               text: Callable[[C], str] = candidate_text) -> list[C]:
        """``candidates`` with the first ``top_n`` re-ordered by score and the rest kept in order."""
        top_n = max(0, min(top_n, len(candidates)))
        scores = self.score(query, [text(c) for c in candidates[:top_n]]) if top_n else np.zeros(0)
        return [candidates[i] for i in top_n_order(scores, top_n, len(candidates))]


def write_reranker_file(folder: Path, kind: str, payload: Mapping) -> None:
    (folder / RERANKER_FILE).write_text(json.dumps({"kind": kind, **payload}, indent=2, sort_keys=True),
                                        encoding="utf-8")


def read_reranker_file(folder: Path | str, kind: str | None = None) -> dict:
    path = Path(folder) / RERANKER_FILE
    if not path.exists():
        raise RerankerError(f"{folder} holds no saved reranker ({RERANKER_FILE} is missing)")
    stored = json.loads(path.read_text(encoding="utf-8"))
    if kind is not None and stored.get("kind") != kind:
        raise RerankerError(f"{folder} holds a {stored.get('kind')!r} reranker, not a {kind!r} one")
    return stored


def load_reranker(folder: Path | str, device: str = "auto") -> Reranker:
    """Any saved reranker, by the kind its folder records."""
    kind = read_reranker_file(folder).get("kind")
    if kind == "cross_encoder":
        from deepcodeseek.rerankers.cross_encoder import CrossEncoderReranker

        return CrossEncoderReranker.load(folder, device)
    if kind == "yes_no_lm":
        from deepcodeseek.rerankers.lm_reranker import YesNoLMReranker

        return YesNoLMReranker.load(folder, device)
    raise RerankerError(f"{folder}: unknown reranker kind {kind!r}")
