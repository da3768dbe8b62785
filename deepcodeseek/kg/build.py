"""Build the package/scope knowledge graph of an instance into DuckDB.

Nodes: applications (scopes), Script Includes, platform classes, their methods, and the
scripts that call them. Edges: an application owns its Script Includes, a Script
Include or class has methods and may extend another, and any script or Script Include
calls the APIs it uses (one edge per caller and target, weighted by call sites).
networkx computes usage-based centrality (PageRank over the calls graph), kept on the
nodes as a prior for retrieval. Call sites are cached per caller while its script and
the set of known names are unchanged, so a no-change rebuild parses nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.parsing import find_call_sites
from deepcodeseek.sources.platform_load import platform_classes
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows, run_sql
from deepcodeseek.store.sql_files import load_sql

SITE_FIELDS = ("namespace", "qualifier", "method", "kind", "line", "start_byte")
# The rows written, column by column, as the ``sql/kg/insert_*`` statements select them.
NODE_COLUMNS = ("node_id", "kind", "name", "scope", "usage_count", "pagerank")
EDGE_COLUMNS = ("src", "dst", "kind", "weight")
USAGE_SITE_COLUMNS = ("caller_sys_id", "caller_table", "caller_scope", "target_sys_id", "target_namespace", "method",
                      "kind", "line", "start_byte")
CACHE_COLUMNS = ("caller_sys_id", "content_hash", "names_digest", "sites_json")


@dataclass
class KGSummary:
    nodes: int = 0
    edges: int = 0
    usage_sites: int = 0
    callers: int = 0
    used_script_includes: int = 0
    used_platform_classes: int = 0
    callers_parsed: int = 0
    callers_reused: int = 0
    seconds: float = 0.0
    by_node_kind: dict | None = None
    by_edge_kind: dict | None = None
    top_central: list[tuple[str, float]] | None = None


class NamespaceResolver:
    """Maps a name as written (``Foo``, ``x_app.Foo``) to the API it means.

    Several scopes may define the same name; as on the platform, a qualified name picks
    its scope, and an unqualified one resolves in the caller's scope first, then global.
    """

    def __init__(self, apis: list[dict]):
        self.by_name: dict[str, dict[str, dict]] = defaultdict(dict)
        for api in apis:
            self.by_name[api["name"]].setdefault(api["scope"], api)

    @property
    def names(self) -> set[str]:
        return set(self.by_name)

    def resolve(self, name: str, qualifier: str | None, caller_scope: str) -> dict | None:
        scopes = self.by_name.get(name)
        if not scopes:
            return None
        for scope in (qualifier, caller_scope, "global"):
            if scope and scope in scopes:
                return scopes[scope]
        return next(iter(scopes.values())) if qualifier is None and len(scopes) == 1 else None


def build_knowledge_graph(store: InstanceStore) -> KGSummary:
    started = time.perf_counter()
    with store.connect() as con:
        sis = fetch_dicts(con, "records/select_script_includes")
        scripts = fetch_dicts(con, "records/select_scripts")
        docs = {r["sys_id"]: NamespaceDoc.from_json(r["doc_json"]) for r in fetch_dicts(con, "jsdoc/select_docs")}
        apps = con.execute("SELECT scope, name FROM applications").fetchall()
        cache = {r["caller_sys_id"]: r for r in fetch_dicts(con, "kg/select_call_site_cache")}
    platform = [{**p, "kind": "platform_class"} for p in platform_classes(store)]
    for p in platform:
        docs[p["sys_id"]] = NamespaceDoc.from_json(p["doc_json"])
    apis = [{**s, "kind": "script_include"} for s in sis] + platform
    resolver = NamespaceResolver(apis)
    nodes: dict[str, list] = {}
    edges: Counter = Counter()
    for scope, name in apps:
        nodes[f"app:{scope}"] = [f"app:{scope}", "application", name, scope]
    for api in apis:
        _add_api(api, docs.get(api["sys_id"]), resolver, nodes, edges)

    summary = KGSummary()
    names = resolver.names
    digest = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
    callers = [(s, "sys_script_include", f"si:{s['sys_id']}") for s in sis] + [
        (s, s["table_name"], f"script:{s['sys_id']}") for s in scripts
    ]
    sites: list[list] = []
    cache_rows: list[list] = []
    for caller, table, caller_node in callers:
        cached = cache.get(caller["sys_id"])
        if cached and cached["content_hash"] == caller["content_hash"] and cached["names_digest"] == digest:
            found = [dict(zip(SITE_FIELDS, s)) for s in json.loads(cached["sites_json"])]
            summary.callers_reused += 1
        else:
            found = _sites(caller["script"], names)
            cache_rows.append([caller["sys_id"], caller["content_hash"], digest,
                               json.dumps([[s[f] for f in SITE_FIELDS] for s in found])])
            summary.callers_parsed += 1
        for site in found:
            target = resolver.resolve(site["namespace"], site["qualifier"], caller["scope"])
            if target is None or target["sys_id"] == caller["sys_id"]:
                continue
            sites.append([caller["sys_id"], table, caller["scope"], target["sys_id"], target["name"],
                          site["method"], site["kind"], site["line"], site["start_byte"]])
            nodes.setdefault(caller_node, [caller_node, "script", caller["name"], caller["scope"]])
            edges[(caller_node, f"si:{target['sys_id']}", "calls")] += 1
            if site["method"] and f"method:{target['sys_id']}:{site['method']}" in nodes:
                edges[(caller_node, f"method:{target['sys_id']}:{site['method']}", "calls")] += 1

    usage, rank = _centrality(edges)
    node_rows = [row + [usage.get(row[0], 0), rank.get(row[0], 0.0)] for row in nodes.values()]
    edge_rows = [[s, d, k, w] for (s, d, k), w in edges.items()]
    with store.transaction() as con:
        run_sql(con, "kg/delete_all")
        insert_rows(con, "kg/insert_nodes", NODE_COLUMNS, node_rows)
        insert_rows(con, "kg/insert_edges", EDGE_COLUMNS, edge_rows)
        insert_rows(con, "kg/insert_usage_sites", USAGE_SITE_COLUMNS, sites)
        insert_rows(con, "kg/replace_call_site_cache", CACHE_COLUMNS, cache_rows)
        run_sql(con, "kg/delete_stale_call_site_cache")
    kinds = {a["sys_id"]: a["kind"] for a in apis}
    used = {s[3] for s in sites}
    summary.nodes, summary.edges, summary.usage_sites = len(node_rows), len(edge_rows), len(sites)
    summary.callers = len({s[0] for s in sites})
    summary.used_script_includes = sum(1 for u in used if kinds.get(u) == "script_include")
    summary.used_platform_classes = sum(1 for u in used if kinds.get(u) == "platform_class")
    summary.by_node_kind = dict(Counter(r[1] for r in node_rows))
    summary.by_edge_kind = dict(Counter(k for (_, _, k) in edges))
    summary.top_central = sorted(((nodes[n][2], r) for n, r in rank.items() if n.startswith("si:")),
                                 key=lambda x: -x[1])[:10]
    summary.seconds = time.perf_counter() - started
    return summary


def _add_api(api: dict, doc: NamespaceDoc | None, resolver: NamespaceResolver, nodes: dict, edges: Counter) -> None:
    node = f"si:{api['sys_id']}"
    nodes[node] = [node, api["kind"], api["api_name"], api["scope"]]
    app = f"app:{api['scope']}"
    nodes.setdefault(app, [app, "application", api["scope"], api["scope"]])
    edges[(app, node, "owns")] += 1
    for method in doc.methods if doc else []:
        m_node = f"method:{api['sys_id']}:{method.name}"
        nodes[m_node] = [m_node, "method", method.name, api["scope"]]
        edges[(node, m_node, "has_method")] += 1
    if doc and doc.extends:
        base_name = doc.extends.rsplit(".", 1)[-1].split("<", 1)[0]
        qualifier = doc.extends.rsplit(".", 1)[0] if "." in doc.extends else None
        base = resolver.resolve(base_name, qualifier, api["scope"])
        if base is not None and base["sys_id"] != api["sys_id"]:
            edges[(node, f"si:{base['sys_id']}", "extends")] += 1


def _sites(script: str, names: set[str]) -> list[dict]:
    found = find_call_sites(script, names) if script else []
    return [{f: getattr(s, f) for f in SITE_FIELDS} for s in found if s.kind != "reference"]


def _centrality(edges: Counter) -> tuple[dict[str, int], dict[str, float]]:
    """Call-site counts and PageRank over the calls graph (who is used, and by whom)."""
    graph = nx.DiGraph()
    usage: Counter = Counter()
    for (src, dst, kind), weight in edges.items():
        if kind != "calls":
            continue
        usage[dst] += weight
        if dst.startswith("si:"):
            graph.add_edge(src, dst, weight=weight)
    rank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else {}
    return dict(usage), rank


def callable_from(store: InstanceStore, scope: str) -> list[dict]:
    """The Script Includes that code in ``scope`` may call, with the rule that admits each."""
    with store.connect() as con:
        cur = con.execute(load_sql("kg/callable_from_scope"), {"scope": scope})
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
