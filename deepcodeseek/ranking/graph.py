"""The knowledge-graph facts the ranker reads at query time, stored beside the index version.

- per document: the API it extends and the tables its script touches (``GlideRecord('…')``);
- the usage graph: which scripts call which documents (from the version's usage contexts),
  as a sparse callers x documents matrix, so co-usage with the APIs the code already
  names, and a personalised PageRank seeded by them, are a few sparse products per query,
  with a sample's held-out scripts masked out exactly like votes and the prior.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from deepcodeseek.retrieval.doc_columns import column

GRAPH_FILE = "doc_graph.parquet"
_TABLE = re.compile(r"""Glide(?:Record|RecordSecure|Aggregate)\(\s*['"]([A-Za-z0-9_]+)['"]""")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
RESTART = 0.3
WALK_STEPS = 3


def tables_in(code: str) -> list[str]:
    """Tables a script opens with GlideRecord / GlideRecordSecure / GlideAggregate, in order, once each."""
    return list(dict.fromkeys(_TABLE.findall(code or "")))


def doc_graph_rows(store) -> list[dict]:
    """Per document sys_id: what it extends and the tables its script touches (from the pipeline's DuckDB)."""
    from deepcodeseek.store.duckdb_store import fetch_dicts

    with store.connect() as con:
        rows = fetch_dicts(con, "ranking/select_doc_graph")
    return [{"sys_id": r["sys_id"],
             "extends": r["extends_node"][3:] if r["extends_node"] else None,
             "tables": tables_in(r["script"])} for r in rows]


def graph_digest(rows: list[dict]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r['sys_id']}|{r['extends']}|{','.join(r['tables'])}\x01".encode())
    return h.hexdigest()


def write_doc_graph(rows: list[dict], path: Path) -> None:
    table = pa.table({"sys_id": [r["sys_id"] for r in rows], "extends": [r["extends"] for r in rows],
                      "tables": [r["tables"] for r in rows]},
                     schema=pa.schema([("sys_id", pa.string()), ("extends", pa.string()),
                                       ("tables", pa.list_(pa.string()))]))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


@dataclass
class DocGraph:
    """Graph facts aligned with a Retriever's documents."""

    parent: np.ndarray  # document index of the API each document extends, -1 when none
    tables: list[frozenset[str]]
    callers: np.ndarray  # distinct caller ids, in matrix row order
    usage: "object"  # scipy CSR callers x documents, 1 where the caller calls the document
    by_name: dict[str, list[int]]  # identifier -> documents it names (namespace or API name)

    def __post_init__(self) -> None:
        # Fixed per version, so computed once rather than in every query's walk: the
        # transpose as CSR of its own, and the degrees with no script masked out.
        self.usage_t = self.usage.T.tocsr()
        self.doc_tables = np.array([len(t) for t in self.tables], dtype=np.float64)
        self._caller_degree = self.usage @ np.ones(self.usage.shape[1])
        self._doc_degree = self.usage_t @ np.ones(self.usage.shape[0])
        self._caller_row: dict[str, int] | None = None  # caller -> matrix row, on the first exclusion

    @classmethod
    def load(cls, path: Path | None, docs: Sequence[dict], context_callers: np.ndarray,
             context_targets: np.ndarray) -> "DocGraph":
        """``path`` is the version's graph file (None for a version built before it existed: no facts)."""
        from scipy import sparse

        index = {s: i for i, s in enumerate(column(docs, "sys_id"))}
        parent = np.full(len(docs), -1, dtype=np.int64)
        tables: list[frozenset[str]] = [frozenset()] * len(docs)
        if path is not None and Path(path).exists():
            cols = pq.read_table(path).to_pydict()
            shared: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct set (most repeat)
            for sys_id, extends, touched in zip(cols["sys_id"], cols["extends"], cols["tables"]):
                if sys_id in index:
                    parent[index[sys_id]] = index.get(extends, -1) if extends else -1
                    touched_set = frozenset(t.lower() for t in touched or [])
                    tables[index[sys_id]] = shared.setdefault(touched_set, touched_set)
        callers, rows = np.unique(np.asarray(context_callers, dtype=object), return_inverse=True) \
            if len(context_callers) else (np.array([], dtype=object), np.array([], dtype=np.int64))
        usage = sparse.csr_matrix((np.ones(len(rows)), (rows, np.asarray(context_targets, dtype=np.int64))),
                                  shape=(len(callers), len(docs)))
        usage.data[:] = 1.0  # duplicates summed by the constructor: one caller calls a document once
        by_name: dict[str, list[int]] = {}
        for i, (namespace, api_name) in enumerate(zip(column(docs, "namespace"), column(docs, "api_name"))):
            for name in {namespace, str(api_name).rsplit(".", 1)[-1]}:
                by_name.setdefault(name, []).append(i)
        return cls(parent, tables, callers, usage, by_name)

    def mentioned(self, code: str) -> np.ndarray:
        """Documents the code already names (``new GlideRecord``, ``x_app.Utils.f()``), as indices."""
        found = {i for ident in set(_IDENT.findall(code)) for i in self.by_name.get(ident, ())}
        return np.fromiter(sorted(found), dtype=np.int64)

    def caller_mask(self, exclude: frozenset[str]) -> np.ndarray:
        """1 per caller row, 0 for ``exclude``'s scripts: a lookup of their rows (``np.isin`` over the
        callers' names compared strings, one excluded script at a time)."""
        mask = np.ones(len(self.callers))
        if exclude and len(self.callers):
            if self._caller_row is None:
                self._caller_row = {c: i for i, c in enumerate(self.callers)}
            rows = [self._caller_row[c] for c in exclude if c in self._caller_row]
            mask[rows] = 0.0
        return mask

    def co_usage(self, seeds: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Per document: how many (non-excluded) scripts call it together with any seed document."""
        if not len(seeds) or not self.usage.shape[0]:
            return np.zeros(self.usage.shape[1])
        seed = np.zeros(self.usage.shape[1])
        seed[seeds] = 1.0
        callers = (self.usage @ seed > 0) * mask
        return self.usage_t @ callers

    def personalised_pagerank(self, seeds: np.ndarray, mask: np.ndarray,
                              restart: float = RESTART, steps: int = WALK_STEPS) -> np.ndarray:
        """A random walk with restart on the scripts-APIs usage graph, from the APIs the code names.

        Each step goes from APIs to the scripts that call them and back to the APIs those
        scripts call; masked (held-out) scripts carry no walk, and degrees count only
        unmasked scripts, so a sample's own script never shapes its scores.
        """
        n = self.usage.shape[1]
        if not len(seeds) or not self.usage.shape[0]:
            return np.zeros(n)
        start = np.zeros(n)
        start[seeds] = 1.0 / len(seeds)
        doc_degree = self._doc_degree if mask.all() else self.usage_t @ mask
        caller_degree = self._caller_degree
        p = start
        for _ in range(steps):
            to_callers = (self.usage @ np.divide(p, doc_degree, out=np.zeros(n), where=doc_degree > 0)) * mask
            back = self.usage_t @ np.divide(to_callers, caller_degree, out=np.zeros_like(to_callers),
                                            where=caller_degree > 0)
            p = restart * start + (1 - restart) * back
        return p
