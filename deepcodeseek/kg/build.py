"""Build the package/scope knowledge graph of an instance into DuckDB.

Nodes: applications (scopes), Script Includes, their methods, and the scripts that
call them. Edges: an application owns its Script Includes, a Script Include has
methods and may extend another, and any script or Script Include calls the Script
Includes it uses (one edge per caller and target, weighted by call sites). networkx
computes usage-based centrality (PageRank over the calls graph), kept on the nodes as a
prior for retrieval.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx

from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.parsing import CallSite, find_call_sites
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, run_sql
from deepcodeseek.store.sql_files import load_sql


@dataclass
class KGSummary:
    nodes: int = 0
    edges: int = 0
    usage_sites: int = 0
    callers: int = 0
    used_script_includes: int = 0
    seconds: float = 0.0
    by_node_kind: dict | None = None
    by_edge_kind: dict | None = None
    top_central: list[tuple[str, float]] | None = None


class NamespaceResolver:
    """Maps a name as written (``Foo``, ``x_app.Foo``) to the Script Include it means.

    Several scopes may define the same name; as on the platform, a qualified name picks
    its scope, and an unqualified one resolves in the caller's scope first, then global.
    """

    def __init__(self, script_includes: list[dict]):
        self.by_name: dict[str, dict[str, dict]] = defaultdict(dict)
        for si in script_includes:
            self.by_name[si["name"]][si["scope"]] = si

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
    resolver = NamespaceResolver(sis)
    nodes: dict[str, list] = {}
    edges: Counter = Counter()
    for scope, name in apps:
        nodes[f"app:{scope}"] = [f"app:{scope}", "application", name, scope]
    for si in sis:
        si_node = f"si:{si['sys_id']}"
        nodes[si_node] = [si_node, "script_include", si["api_name"], si["scope"]]
        nodes.setdefault(f"app:{si['scope']}", [f"app:{si['scope']}", "application", si["scope"], si["scope"]])
        edges[(f"app:{si['scope']}", si_node, "owns")] += 1
        doc = docs.get(si["sys_id"])
        for method in doc.methods if doc else []:
            m_node = f"method:{si['sys_id']}:{method.name}"
            nodes[m_node] = [m_node, "method", method.name, si["scope"]]
            edges[(si_node, m_node, "has_method")] += 1
        if doc and doc.extends:
            base_name = doc.extends.rsplit(".", 1)[-1]
            qualifier = doc.extends.rsplit(".", 1)[0] if "." in doc.extends else None
            base = resolver.resolve(base_name, qualifier, si["scope"])
            if base is not None and base["sys_id"] != si["sys_id"]:
                edges[(si_node, f"si:{base['sys_id']}", "extends")] += 1
    sites: list[list] = []
    callers = [(s, "sys_script_include", f"si:{s['sys_id']}") for s in sis] + [
        (s, s["table_name"], f"script:{s['sys_id']}") for s in scripts
    ]
    names = resolver.names
    for caller, table, caller_node in callers:
        for site in _sites(caller["script"], names):
            target = resolver.resolve(site.namespace, site.qualifier, caller["scope"])
            if target is None or target["sys_id"] == caller["sys_id"]:
                continue
            sites.append([caller["sys_id"], table, caller["scope"], target["sys_id"], target["name"],
                          site.method, site.kind, site.line, site.start_byte])
            if caller_node not in nodes:
                nodes[caller_node] = [caller_node, "script", caller["name"], caller["scope"]]
            edges[(caller_node, f"si:{target['sys_id']}", "calls")] += 1
            if site.method and f"method:{target['sys_id']}:{site.method}" in nodes:
                edges[(caller_node, f"method:{target['sys_id']}:{site.method}", "calls")] += 1
    usage, rank = _centrality(edges)
    node_rows = [row + [usage.get(row[0], 0), rank.get(row[0], 0.0)] for row in nodes.values()]
    edge_rows = [[s, d, k, w] for (s, d, k), w in edges.items()]
    with store.transaction() as con:
        run_sql(con, "kg/delete_all")
        for name, rows in (("kg/insert_node", node_rows), ("kg/insert_edge", edge_rows), ("kg/insert_usage_site", sites)):
            if rows:
                con.executemany(load_sql(name), rows)
    top = sorted(((nodes[n][2], r) for n, r in rank.items() if n.startswith("si:")), key=lambda x: -x[1])[:10]
    return KGSummary(
        nodes=len(node_rows), edges=len(edge_rows), usage_sites=len(sites),
        callers=len({s[0] for s in sites}), used_script_includes=len({s[3] for s in sites}),
        seconds=time.perf_counter() - started,
        by_node_kind=dict(Counter(r[1] for r in node_rows)), by_edge_kind=dict(Counter(k for (_, _, k) in edges)),
        top_central=top,
    )


def _sites(script: str, names: set[str]) -> list[CallSite]:
    # Cheap pre-filter: most scripts mention none of the instance's names.
    if not any(name in script for name in names if len(name) > 2) and "GlideAjax" not in script:
        return []
    return [s for s in find_call_sites(script, names) if s.kind != "reference"]


def _centrality(edges: Counter) -> tuple[dict[str, int], dict[str, float]]:
    """Call-site counts and PageRank over the calls graph (who is used, and by whom)."""
    graph = nx.DiGraph()
    usage: Counter = Counter()
    for (src, dst, kind), weight in edges.items():
        if kind == "calls" and dst.startswith("si:"):
            graph.add_edge(src, dst, weight=weight)
            usage[dst] += weight
        elif kind == "calls":
            usage[dst] += weight
    rank = nx.pagerank(graph, weight="weight") if graph.number_of_edges() else {}
    return dict(usage), rank


def callable_from(store: InstanceStore, scope: str) -> list[dict]:
    """The Script Includes that code in ``scope`` may call, with the rule that admits each."""
    with store.connect() as con:
        cur = con.execute(load_sql("kg/callable_from_scope"), {"scope": scope})
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]
