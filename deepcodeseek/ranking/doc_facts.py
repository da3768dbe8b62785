"""Per-document facts the ranker's features read, laid out as arrays once per loaded version.

The features of a query's ~100 candidates were Python loops over document dicts: the
word overlaps alone (each candidate's best method name against the code's words) took
about 0.6 ms of a 9 ms ranked query, on the thread that holds the interpreter lock in a
service answering several queries at once. Here each family of word sets is one sparse
postings list (``WordSets``), so a query's overlaps with every method of every document are
one count over its words' postings, and the scalar facts are arrays to index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from deepcodeseek.retrieval.doc_columns import column, methods_of
from deepcodeseek.spans import span_positions
from deepcodeseek.text import split_identifier


class WordSets:
    """Many small word sets as postings (per word, the sets that hold it); ``overlaps`` counts shared
    words per set.

    A query's context words hit a few dozen of the vocabulary's words, so counting over those words'
    postings touches a few hundred entries. The sparse sets x vocabulary product it replaces had to
    slice the candidates' rows out of the matrix first: SciPy's fancy indexing was most of the
    features' word work.
    """

    def __init__(self, sets: Sequence[Iterable[str]]):
        vocabulary: dict[str, int] = {}
        words: list[int] = []
        sizes: list[int] = []
        for members in sets:
            ids = {vocabulary.setdefault(w, len(vocabulary)) for w in members}
            words.extend(ids)
            sizes.append(len(ids))
        self.vocabulary = vocabulary
        self.sizes = np.asarray(sizes, dtype=np.float64)
        word_ids = np.asarray(words, dtype=np.int64)
        owners = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        self._rows = owners[np.argsort(word_ids, kind="stable")]  # every word's sets, word by word
        self._starts = np.concatenate([[0], np.cumsum(np.bincount(word_ids, minlength=len(vocabulary)))])

    def overlaps(self, words: Iterable[str], rows: np.ndarray | None = None) -> np.ndarray:
        """Per set (or per set of ``rows``), how many of ``words`` it holds (``len(set & words)``, all at once)."""
        hits = [self.vocabulary[w] for w in set(words) if w in self.vocabulary]
        counts = np.zeros(len(self.sizes))
        if hits:
            hits = np.asarray(hits, dtype=np.int64)
            starts, lengths = self._starts[hits], self._starts[hits + 1] - self._starts[hits]
            holders = self._rows[span_positions(starts, lengths)]
            counts = np.bincount(holders, minlength=len(self.sizes)).astype(np.float64)
        return counts if rows is None else counts[np.asarray(rows, dtype=np.int64)]


class DocFacts:
    """The documents' access, scope and name words, and their methods' name words, as arrays
    (``docs``: the Retriever's document dicts; names and methods split into words here)."""

    def __init__(self, docs: Sequence[dict]):
        self.scopes = np.array(column(docs, "scope"), dtype=object)  # as stored: None stays None
        self.access_public = np.array([(a or "public") == "public" for a in column(docs, "access")], dtype=float)
        self.names = WordSets([split_identifier(n) for n in column(docs, "namespace")])
        per_doc = [[split_identifier(m) for m in dict.fromkeys(methods)] for methods in methods_of(docs)]
        self.methods = WordSets([w for sets in per_doc for w in sets])
        self._counts = np.array([len(sets) for sets in per_doc], dtype=np.int64)
        self._starts = np.cumsum(self._counts) - self._counts  # each document's first method row

    def best_method_overlap(self, words: Iterable[str], docs: np.ndarray | None = None) -> np.ndarray:
        """Per document (or per document of ``docs``), the most words any one of its methods' names
        shares with ``words`` (0 without methods). The ranker asks for its candidates only: on a
        50,000-namespace instance every method of every document was 2 ms of a query."""
        docs = np.arange(len(self._counts)) if docs is None else np.asarray(docs, dtype=np.int64)
        counts, starts = self._counts[docs], self._starts[docs]
        has = counts > 0
        best = np.zeros(len(docs))
        if has.any():
            counts, starts = counts[has], starts[has]
            segments = np.cumsum(counts) - counts
            rows = span_positions(starts, counts)  # each document's method rows, document after document
            best[has] = np.maximum.reduceat(self.methods.overlaps(words, rows), segments)
        return best
