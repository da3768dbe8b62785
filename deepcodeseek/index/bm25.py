"""BM25 over the same namespace documents: the baseline every report compares with.

Tokenisation is identifier-aware (``deepcodeseek.text.code_tokens``): camelCase,
snake_case and dotted scope names are split, and whole identifiers kept too.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from deepcodeseek.text import code_tokens


class BM25Index:
    def __init__(self, model: bm25s.BM25):
        self._model = model
        self._vocab = model.vocab_dict

    @classmethod
    def build(cls, texts: list[str]) -> "BM25Index":
        model = bm25s.BM25()
        model.index([code_tokens(t) or ["<empty>"] for t in texts], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def scores(self, query: str) -> np.ndarray:
        """A score per document, in index order (zeros when no query token is known)."""
        tokens = [t for t in code_tokens(query) if t in self._vocab]
        n_docs = int(self._model.scores["num_docs"])
        if not tokens:
            return np.zeros(n_docs, dtype=np.float32)
        return np.asarray(self._model.get_scores(tokens), dtype=np.float32)
