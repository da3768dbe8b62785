"""Namespace-grouped documents: what the indexes search.

One document per Script Include namespace and per form: ``jsdoc`` (its JSDoc with all
its methods, the DeepCodeSeek paper's best index form), ``code`` (the raw script) and
``usage`` (JSDoc plus real call sites from the instance), the last two kept for
ablations. Each carries the metadata the serving path needs to prune by scope and
access without opening the pipeline's database.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.kg.usage_sites import fetch_usage_sites, script_lines
from deepcodeseek.sources.platform_load import platform_classes
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows, run_sql
from deepcodeseek.text import split_identifier

VARIANTS = ("jsdoc", "code", "usage")
# The columns of a document row, as ``sql/documents/insert`` selects them.
DOCUMENT_COLUMNS = ("sys_id", "variant", "namespace", "api_name", "scope", "access", "active", "client_callable",
                    "kind", "methods", "usage_count", "pagerank", "text", "text_hash")
DEFAULT_VARIANT = "jsdoc"
USAGE_EXAMPLES = 3
USAGE_CONTEXT_LINES = 3


@dataclass
class DocumentsSummary:
    namespaces: int
    documents: int
    by_variant: dict[str, int]
    mean_chars: dict[str, float]


KIND_LABELS = {"script_include": "Script Include", "platform": "platform API class"}


def header(doc: NamespaceDoc, scope: str, kind: str = "script_include") -> str:
    """A first line in words, so a natural-language embedder sees the name's meaning."""
    words = " ".join(split_identifier(doc.namespace))
    return f"{doc.api_name} ({words}) {KIND_LABELS[kind]} in scope {scope}"


def jsdoc_text(doc: NamespaceDoc, scope: str, kind: str = "script_include") -> str:
    return f"{header(doc, scope, kind)}\n{doc.render()}"


def code_text(doc: NamespaceDoc, scope: str, script: str) -> str:
    return f"{header(doc, scope)}\n{script}"


def usage_text(doc: NamespaceDoc, scope: str, examples: list[str], kind: str = "script_include") -> str:
    body = jsdoc_text(doc, scope, kind)
    if examples:
        body += "\n// Usage examples on this instance:\n" + "\n// ---\n".join(examples)
    return body


def build_documents(store: InstanceStore) -> DocumentsSummary:
    with store.connect() as con:
        rows = fetch_dicts(con, "jsdoc/select_docs")
        stats = {r["sys_id"]: r for r in fetch_dicts(con, "kg/select_si_stats")}
        method_usage = defaultdict(dict)
        for r in fetch_dicts(con, "documents/method_usage"):
            method_usage[r["sys_id"]][r["method"]] = r["n"]
        examples = _usage_examples(fetch_usage_sites(con))
    out: list[list] = []
    for row in rows + _platform_rows(store):
        doc = NamespaceDoc.from_json(row["doc_json"])
        kind = row.get("kind", "script_include")
        used = method_usage.get(row["sys_id"], {})
        hidden = {"initialize", doc.namespace} if kind == "platform" else {"initialize"}  # constructors
        methods = sorted((m.name for m in doc.methods if m.name not in hidden),
                         key=lambda name: (-used.get(name, 0), name))
        stat = stats.get(row["sys_id"], {})
        texts = {
            "jsdoc": jsdoc_text(doc, row["scope"], kind),
            "code": code_text(doc, row["scope"], row["script"]) if row["script"] else jsdoc_text(doc, row["scope"], kind),
            "usage": usage_text(doc, row["scope"], examples.get(row["sys_id"], []), kind),
        }
        for variant, text in texts.items():
            out.append([
                row["sys_id"], variant, row["name"], row["api_name"], row["scope"], row["access"],
                row["active"], row["client_callable"], kind, json.dumps(methods),
                int(stat.get("usage_count") or 0), float(stat.get("pagerank") or 0.0),
                text, hashlib.sha256(text.encode("utf-8")).hexdigest(),
            ])
    with store.transaction() as con:
        run_sql(con, "documents/delete_all")
        insert_rows(con, "documents/insert", DOCUMENT_COLUMNS, out)
    by_variant = {v: sum(1 for r in out if r[1] == v) for v in VARIANTS}
    mean_chars = {v: round(sum(len(r[12]) for r in out if r[1] == v) / max(1, by_variant[v]), 1) for v in VARIANTS}
    return DocumentsSummary(namespaces=len(rows), documents=len(out), by_variant=by_variant, mean_chars=mean_chars)


def _platform_rows(store: InstanceStore) -> list[dict]:
    """Platform classes in the shape of Script Include rows: public, active, no script."""
    return [{"sys_id": p["sys_id"], "doc_json": p["doc_json"], "name": p["name"], "api_name": p["api_name"],
             "scope": p["scope"], "access": "public", "active": True, "client_callable": False, "script": "",
             "kind": "platform"} for p in platform_classes(store)]


def _usage_examples(sites: list[dict]) -> dict[str, list[str]]:
    """A few call sites per Script Include, each with the lines leading up to it."""
    found: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        bucket = found[site["target_sys_id"]]
        if len(bucket) >= USAGE_EXAMPLES or not site["caller_script"]:
            continue
        lines = script_lines(site["caller_script"])
        start = max(0, site["line"] - USAGE_CONTEXT_LINES)
        snippet = "\n".join(lines[start: site["line"] + 1]).strip()
        if snippet and snippet not in bucket:
            bucket.append(snippet)
    return found


def load_documents(store: InstanceStore, variant: str = DEFAULT_VARIANT) -> list[dict]:
    with store.connect() as con:
        return fetch_dicts(con, "documents/select_variant", [variant])
