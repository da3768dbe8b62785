"""A loaded version's documents as columns: what queries read stays in memory, the texts stay on disk.

A Retriever used to hold one dict per document with every stored column. At 50,000 namespaces
those dicts cost about 105 MiB (the JSDoc texts 47 of them, the parsed method lists 16, the dicts
themselves 22) for a query path that reads a few fields of its ten results. Here the columns a
query reads are plain lists, repeated values (scopes, access, kinds) share one string, methods
stay as their stored JSON until a row is asked for, and the texts, which only rerankers, training
and benchmarks read, are read from the version's table the first time one is asked for.

Rows keep the old dicts' shape (``docs[i]["namespace"]``), without ``text``: a caller that needs
texts asks for them by name (:meth:`DocumentColumns.text`, :meth:`DocumentColumns.texts`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence

import numpy as np

ROW_COLUMNS = ("sys_id", "namespace", "api_name", "scope", "access", "active", "kind", "usage_count")
SHARED_VALUES = frozenset({"scope", "access", "kind"})  # few distinct values across an instance
LOADED_COLUMNS = ROW_COLUMNS + ("methods",)  # what a Retriever reads at load (and ``vector``)


def interned(values: list) -> list:
    """``values`` with equal strings as one object (a scope repeated 50,000 times is one string)."""
    seen: dict = {}
    return [seen.setdefault(v, v) for v in values]


class DocumentColumns(Sequence):
    """The documents of one loaded version, in the index's row order (BM25's and the vectors')."""

    def __init__(self, columns: dict[str, list], read_texts: Callable[[], dict[str, str]]):
        """``columns``: every name of ``LOADED_COLUMNS`` to one value per document (``methods`` as
        stored: a JSON list); ``read_texts``: the version's texts by ``sys_id``, called once, when a
        text is first asked for."""
        missing = [c for c in LOADED_COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"document columns: missing {', '.join(missing)}")
        self._rows = {c: interned(list(columns[c])) if c in SHARED_VALUES else list(columns[c]) for c in ROW_COLUMNS}
        self._methods = list(columns["methods"])
        self._read_texts = read_texts
        self._texts: list[str] | None = None

    @classmethod
    def from_arrow(cls, table, read_texts: Callable[[], dict[str, str]]) -> "DocumentColumns":
        return cls({c: table.column(c).to_pylist() for c in LOADED_COLUMNS}, read_texts)

    def __len__(self) -> int:
        return len(self._methods)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.row(j) for j in range(*i.indices(len(self)))]
        return self.row(int(i))

    def __iter__(self) -> Iterator[dict]:
        return (self.row(i) for i in range(len(self)))

    def row(self, i: int) -> dict:
        """Document ``i`` as a dict of ``ROW_COLUMNS`` and its parsed ``methods`` (not its text)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"document {i} of {len(self)}")
        out = {c: values[i] for c, values in self._rows.items()}
        out["methods"] = self.methods(i)
        return out

    def column(self, name: str) -> list:
        """One of ``ROW_COLUMNS`` for every document (the list itself: do not change it)."""
        return self._rows[name]

    def methods(self, i: int) -> list[str]:
        return json.loads(self._methods[i])

    def stored_methods(self, i: int) -> str:
        """Document ``i``'s methods as stored (a JSON list): a key to cache what is parsed from it."""
        return self._methods[i]

    def all_methods(self) -> Iterator[list[str]]:
        return (json.loads(m) for m in self._methods)

    @property
    def texts_loaded(self) -> bool:
        return self._texts is not None

    def text(self, i: int) -> str:
        return self.texts()[i]

    def texts(self) -> list[str]:
        """Every document's text, read from the version on first use and kept (rerankers ask per query)."""
        if self._texts is None:
            by_sys_id = self._read_texts()
            missing = [s for s in self._rows["sys_id"] if s not in by_sys_id]
            if missing:
                raise ValueError(f"document texts: {len(missing)} documents have none (first: {missing[0]!r})")
            self._texts = [str(by_sys_id[s]) for s in self._rows["sys_id"]]
        return self._texts

    def namespaces(self) -> set[str]:
        return set(self._rows["namespace"])

    def rows_by_namespace(self) -> dict[str, list[int]]:
        return rows_by_namespace(self)

    def flags(self, name: str, value) -> np.ndarray:
        """Per document: does column ``name`` equal ``value``."""
        return np.fromiter((v == value for v in self._rows[name]), dtype=bool, count=len(self))


def column(docs: Sequence[dict], name: str) -> list:
    """One field of every document: the column itself where ``docs`` is loaded columns, else read
    from each dict (the documents a test builds by hand)."""
    return docs.column(name) if isinstance(docs, DocumentColumns) else [d[name] for d in docs]


def methods_of(docs: Sequence[dict]) -> Iterator[list[str]]:
    """Every document's method names, in order (parsed per document where ``docs`` are columns)."""
    return docs.all_methods() if isinstance(docs, DocumentColumns) else (d["methods"] for d in docs)


def rows_by_namespace(docs: Sequence[dict]) -> dict[str, list[int]]:
    """Each namespace's document rows (one, unless chunks or duplicates share it)."""
    out: dict[str, list[int]] = {}
    for i, n in enumerate(column(docs, "namespace")):
        out.setdefault(n, []).append(i)
    return out
