"""A student serving a version's queries in place of its teacher.

The retriever checks only that its embedder has the index's model name and calls
``embed_query`` (and ``similarities`` when there is one); documents are never embedded
by a student, so ``embed_documents`` goes to the teacher, loaded only if asked.
"""

from __future__ import annotations

import numpy as np

from deepcodeseek.encoders.base import QueryEncoder


class ServingAdapter:
    """A student dressed as the retriever's embedder (its ``name`` is the index's model)."""

    def __init__(self, encoder: QueryEncoder, model_name: str, home=None):
        self.encoder = encoder
        self.name = model_name
        self.device = "cpu"
        self.home = home
        self._documents = None

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def embed_query(self, text: str) -> np.ndarray:
        return self.encoder.embed_query(text)

    def similarities(self, vectors: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        """On the calling thread, not through a BLAS thread pool (see ``OnnxQueryEmbedder.similarities``)."""
        return np.einsum("ij,j->i", vectors, query_vector)

    def embed_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Documents stay the teacher's: the index was embedded with it."""
        if self._documents is None:
            from deepcodeseek.index.embedder import SentenceTransformerEmbedder

            self._documents = SentenceTransformerEmbedder(self.name, home=self.home)
        return self._documents.embed_documents(texts, batch_size)
