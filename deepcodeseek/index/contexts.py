"""Usage contexts: the code that preceded every known call site on the instance.

The DeepCodeSeek paper found that most new usages follow patterns already on the
instance. Indexing the lines before each call site lets a query's nearest contexts
vote for the namespaces they went on to call (see ``retrieval.votes``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from deepcodeseek.text import last_lines

if TYPE_CHECKING:  # the query path reads contexts from Parquet and never loads duckdb
    from deepcodeseek.store.duckdb_store import InstanceStore

CONTEXTS_FILE = "usage_contexts.parquet"  # in each index version's folder
CONTEXT_LINES = 10
PER_CALLER_AND_TARGET = 3
VOTING_KINDS = ("new", "static", "call", "ajax")


@dataclass(frozen=True)
class UsageContext:
    caller_sys_id: str
    target_sys_id: str
    method: str | None
    text: str


def load_usage_contexts(store: InstanceStore) -> list[UsageContext]:
    from deepcodeseek.kg.usage_sites import fetch_usage_sites

    with store.connect() as con:
        sites = fetch_usage_sites(con)
    contexts = []
    per_pair: Counter = Counter()
    encoded: tuple[str, bytes] = ("", b"")  # the current caller's script as UTF-8: sites come by caller
    for site in sites:
        if site["kind"] not in VOTING_KINDS or not site["caller_script"]:
            continue
        pair = (site["caller_sys_id"], site["target_sys_id"])
        if per_pair[pair] >= PER_CALLER_AND_TARGET:
            continue  # `gs.info` forty times in one script is one precedent, not forty votes
        per_pair[pair] += 1
        if encoded[0] != site["caller_sys_id"]:
            encoded = (site["caller_sys_id"], site["caller_script"].encode("utf-8"))
        # Everything before the namespace's name, the start of the call line included
        # (`var util = new `): the same cut a completion query has at the cursor.
        before = encoded[1][: site["start_byte"]].decode("utf-8", errors="ignore")
        text = last_lines(before, CONTEXT_LINES)
        if text.strip():
            contexts.append(UsageContext(site["caller_sys_id"], site["target_sys_id"], site["method"], text))
    return contexts


def contexts_digest(contexts: list[UsageContext]) -> str:
    h = hashlib.sha256()
    for c in contexts:
        h.update(f"{c.caller_sys_id}|{c.target_sys_id}|{c.method}|{c.text}".encode())
    return h.hexdigest()


def write_contexts(contexts: list[UsageContext], path: Path) -> None:
    table = pa.table({
        "caller_sys_id": [c.caller_sys_id for c in contexts],
        "target_sys_id": [c.target_sys_id for c in contexts],
        "method": [c.method for c in contexts],
        "text": [c.text for c in contexts],
    }, schema=pa.schema([("caller_sys_id", pa.string()), ("target_sys_id", pa.string()),
                         ("method", pa.string()), ("text", pa.string())]))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def read_contexts(path: Path) -> list[UsageContext]:
    if not path.exists():
        return []
    cols = pq.read_table(path).to_pydict()
    return [UsageContext(*row) for row in zip(cols["caller_sys_id"], cols["target_sys_id"], cols["method"], cols["text"])]


def read_context_links(path: Path) -> tuple[list[str], list[str]]:
    """Who called what, per usage context, without the texts: what a query-time Retriever keeps.

    The texts are most of the file and a query reads them only through the indexes built from
    them (contexts BM25, static vectors); holding them cost about 0.4 KiB per context."""
    if not path.exists():
        return [], []
    cols = pq.read_table(path, columns=["caller_sys_id", "target_sys_id"]).to_pydict()
    return cols["caller_sys_id"], cols["target_sys_id"]
