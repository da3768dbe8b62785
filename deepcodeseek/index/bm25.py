"""BM25 over the same namespace documents: the baseline every report compares with.

Tokenisation is identifier-aware (``deepcodeseek.text.code_tokens``): camelCase,
snake_case and dotted scope names are split, and whole identifiers kept too.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from deepcodeseek.spans import span_positions
from deepcodeseek.text import code_tokens, query_tokens


class TokenIds:
    """A BM25 vocabulary (token -> id) as two sorted arrays: 64-bit token hashes and their ids.

    bm25s keeps the vocabulary as a dict and every id again in a set: about 200 bytes a token, the
    largest part of a loaded index that grows with the instance (identifiers are mostly unique: a
    50,000-namespace instance holds about a million tokens over its two indexes). These arrays take
    12 bytes a token. The hash is Python's own string hash, computed in the process that loads and
    queries, so it need not be stable across runs; a collision between two vocabulary tokens is
    detected at load and keeps the dict instead. A query token outside the vocabulary whose hash
    equals a vocabulary token's (odds about one in 10^13 per token) would score as that token.
    """

    def __init__(self, vocab: dict[str, int]):
        hashes = np.fromiter((hash(t) for t in vocab), dtype=np.int64, count=len(vocab))
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.ids = np.fromiter(vocab.values(), dtype=np.int32, count=len(vocab))[order]

    @property
    def unique(self) -> bool:
        return not (len(self.hashes) > 1 and bool((self.hashes[1:] == self.hashes[:-1]).any()))

    def lookup(self, tokens: list[str]) -> list[int]:
        """The ids of ``tokens`` found in the vocabulary, in the tokens' order (repeats kept)."""
        if not tokens or not len(self.hashes):
            return []
        wanted = np.fromiter((hash(t) for t in tokens), dtype=np.int64, count=len(tokens))
        at = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        found = self.hashes[at] == wanted
        return self.ids[at[found]].tolist()


class BM25Index:
    def __init__(self, model: bm25s.BM25, compact: bool = False):
        """``compact`` (a loaded index, queried only): :class:`TokenIds` replaces the vocabulary dict;
        a built one keeps it, to be saved."""
        self._model = model
        self._vocab: dict[str, int] | None = model.vocab_dict
        self._ids: TokenIds | None = None
        if compact and model.nonoccurrence_array is None and model.vocab_dict:  # scoring reads postings alone
            ids = TokenIds(model.vocab_dict)
            if ids.unique:
                self._ids, self._vocab = ids, None
                model.vocab_dict, model.unique_token_ids_set = None, None  # the arrays replace both

    @classmethod
    def build(cls, texts: list[str]) -> "BM25Index":
        model = bm25s.BM25()
        model.index([code_tokens(t) or ["<empty>"] for t in texts], show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        return cls(bm25s.BM25.load(str(folder), show_progress=False), compact=True)

    def scores(self, query: str) -> np.ndarray:
        """A score per document, in index order (zeros when no query token is known).

        bm25s's own scoring calls ``np.add.at`` once per query token: on a corpus query
        (about 60 tokens, two indexes) that was 0.6 ms of the default method's CPU. Here one
        call adds every distinct token's postings once, times the token's count in the query:
        code repeats its identifiers (a corpus query names each token 1.8 times on average),
        so this gathers half the postings (0.40 -> 0.26 ms over both indexes). Tokens add in
        the order of their first use, so a query without repeats gets bm25s's sums to the bit;
        with repeats they are bm25s's up to float32 rounding (a relative 1e-6: a repeated
        token's weight is added once, multiplied), in the same document order (the first 100
        of every corpus dev query, both indexes; the ranker's top 40 and its scores unchanged
        on 1,132 corpus queries).
        """
        tokens = query_tokens(query)
        ids = self._ids.lookup(tokens) if self._ids is not None else [self._vocab[t] for t in tokens if t in self._vocab]
        n_docs = int(self._model.scores["num_docs"])
        if not ids:
            return np.zeros(n_docs, dtype=np.float32)
        if self._model.nonoccurrence_array is not None:  # variants that score absent terms too
            return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)
        posting = self._model.scores
        indptr, indices, data = posting["indptr"], posting["indices"], posting["data"]
        rows, first, counts = np.unique(np.asarray(ids, dtype=np.int64), return_index=True, return_counts=True)
        in_query_order = np.argsort(first)  # without repeats, bm25s's order of additions: its very sums
        rows, counts = rows[in_query_order], counts[in_query_order]
        starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
        at = span_positions(starts, lengths)  # every distinct token's postings, token by token, as one gather
        weights = data[at]
        if len(rows) < len(ids):  # repeated tokens: each posting once, times the token's count
            weights = weights * np.repeat(counts.astype(weights.dtype), lengths)
        out = np.zeros(n_docs, dtype=np.dtype(self._model.dtype))
        np.add.at(out, indices[at], weights)
        return out.astype(np.float32, copy=False)


CHUNK_LINES = 30


def code_chunks(text: str, lines: int = CHUNK_LINES) -> list[str]:
    """A document's text in windows of ``lines`` lines, each led by its first line (the
    header naming the namespace and scope), so every chunk still says whose code it is."""
    rows = text.split("\n")
    head, body = rows[0], rows[1:]
    if len(body) <= lines:
        return [text]
    return [head + "\n" + "\n".join(body[i: i + lines]) for i in range(0, len(body), lines)]


class ChunkedBM25Index:
    """BM25 over chunks of each document, a document scoring as its best chunk (the
    "chunked raw code" form of the paper: long scripts no longer dilute a match)."""

    def __init__(self, texts: list[str], lines: int = CHUNK_LINES):
        chunks, owners = [], []
        for i, text in enumerate(texts):
            for chunk in code_chunks(text, lines):
                chunks.append(chunk)
                owners.append(i)
        self.chunks, self.owners, self.documents = chunks, np.asarray(owners, dtype=np.int64), len(texts)
        self._index = BM25Index.build(chunks)

    def scores(self, query: str) -> np.ndarray:
        return max_per_owner(self._index.scores(query), self.owners, self.documents)


def max_per_owner(scores: np.ndarray, owners: np.ndarray, size: int) -> np.ndarray:
    """Per document, the best score among its chunks (0 for a document without chunks)."""
    out = np.zeros(size, dtype=np.float32)
    np.maximum.at(out, owners, np.asarray(scores, dtype=np.float32))
    return out
