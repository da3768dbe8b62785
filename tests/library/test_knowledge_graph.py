"""The knowledge graph's access answer agrees with the serving path's rule."""

from __future__ import annotations

import pytest

from deepcodeseek.jsdoc.generate import generate_jsdoc
from deepcodeseek.kg.access import admission_rule
from deepcodeseek.kg.build import build_knowledge_graph, callable_from
from deepcodeseek.sources.load import load_records
from deepcodeseek.sources.sample_instance import read_sample_instance
from deepcodeseek.store import InstanceStore


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> InstanceStore:
    store = InstanceStore(tmp_path_factory.mktemp("kg") / "records.duckdb")
    load_records(store, read_sample_instance())
    generate_jsdoc(store)
    build_knowledge_graph(store)
    return store


def test_access_rule():
    assert admission_rule("x_a", "x_a", "package_private", True) == "same scope"
    assert admission_rule("x_b", "x_a", "public", True) == "public"
    assert admission_rule("x_b", "x_a", "package_private", True) is None
    assert admission_rule("x_a", "x_a", "public", False) is None


def test_sql_and_python_rules_agree(store):
    with store.connect(read_only=True) as con:
        sis = con.execute("SELECT sys_id, scope, access, active FROM script_includes").fetchall()
        scopes = [r[0] for r in con.execute("SELECT scope FROM applications").fetchall()]
    for scope in scopes:
        from_sql = {r["sys_id"] for r in callable_from(store, scope)}
        from_rule = {sid for sid, s, a, act in sis if admission_rule(scope, s, a, act)}
        assert from_sql == from_rule, scope
    private = [sid for sid, s, a, act in sis if a == "package_private"]
    assert private, "the sample instance has package-private Script Includes"


def test_graph_has_usage_extends_and_no_dangling_edges(store):
    with store.connect(read_only=True) as con:
        kinds = dict(con.execute("SELECT kind, count(*) FROM kg_edges GROUP BY kind").fetchall())
        dangling = con.execute("SELECT count(*) FROM kg_edges e LEFT JOIN kg_nodes n ON n.node_id = e.dst "
                               "WHERE n.node_id IS NULL").fetchone()[0]
        ajax = con.execute("SELECT count(*) FROM usage_sites WHERE kind = 'ajax'").fetchone()[0]
        ranked = con.execute("SELECT count(*) FROM kg_nodes WHERE kind = 'script_include' AND pagerank > 0").fetchone()[0]
    assert kinds["calls"] > 50 and kinds["has_method"] > 100 and kinds["extends"] >= 3 and kinds["owns"] >= 30
    assert dangling == 0 and ajax >= 3 and ranked > 10


def test_a_rebuild_writes_the_same_graph_in_the_same_order_from_its_call_site_cache(store):
    """The graph goes in as whole tables (``insert_rows``): a second build, which reads every call
    site from its cache, writes exactly the rows of the first, in the same order."""
    tables = ("kg_nodes", "kg_edges", "usage_sites")
    with store.connect(read_only=True) as con:
        first = {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    summary = build_knowledge_graph(store)
    assert summary.callers_parsed == 0 and summary.callers_reused > 0
    with store.connect(read_only=True) as con:
        assert {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables} == first
    assert all(first[t] for t in tables) and any(row[5] is None for row in first["usage_sites"])  # a NULL method


def test_insert_rows_keeps_types_nulls_and_order(tmp_path):
    from deepcodeseek.store.duckdb_store import insert_rows

    store = InstanceStore(tmp_path / "records.duckdb")
    rows = [["si:b", "script_include", "B", "global", 3, 0.25], ["app:x", "application", "X", "x", 0, 0.0],
            ["si:a", "script_include", "A", "x", 12, 0.5]]
    with store.transaction() as con:
        insert_rows(con, "kg/insert_nodes", ("node_id", "kind", "name", "scope", "usage_count", "pagerank"), rows)
        insert_rows(con, "kg/insert_edges", ("src", "dst", "kind", "weight"), [])  # nothing to write: no statement
        sites = [["c1", "sys_script", "x", "t1", "A", None, "new", 3, 40]]
        insert_rows(con, "kg/insert_usage_sites", ("caller_sys_id", "caller_table", "caller_scope", "target_sys_id",
                                                   "target_namespace", "method", "kind", "line", "start_byte"), sites)
    with store.connect(read_only=True) as con:
        assert [list(r) for r in con.execute("SELECT * FROM kg_nodes").fetchall()] == rows
        assert [list(r) for r in con.execute("SELECT * FROM usage_sites").fetchall()] == sites
        assert con.execute("SELECT count(*) FROM kg_edges").fetchone()[0] == 0


def test_usage_sites_carry_their_callers_script_read_once_per_caller(store):
    """Each site gets its caller's whole script, as the join of sites and scripts gives it, and the
    sites of one caller share one string instead of a copy each."""
    from deepcodeseek.kg.usage_sites import fetch_usage_sites

    with store.connect() as con:
        sites = fetch_usage_sites(con)
        joined = con.execute(
            "SELECT u.caller_sys_id, u.start_byte, COALESCE(sc.script, si.script) FROM usage_sites u "
            "LEFT JOIN scripts sc ON sc.sys_id = u.caller_sys_id "
            "LEFT JOIN script_includes si ON si.sys_id = u.caller_sys_id "
            "ORDER BY u.caller_sys_id, u.start_byte").fetchall()
    assert [(s["caller_sys_id"], s["start_byte"], s["caller_script"]) for s in sites] == [tuple(r) for r in joined]
    by_caller: dict[str, list[dict]] = {}
    for site in sites:
        by_caller.setdefault(site["caller_sys_id"], []).append(site)
    shared = [group for group in by_caller.values() if len(group) > 1 and group[0]["caller_script"]]
    assert shared and all(s["caller_script"] is group[0]["caller_script"] for group in shared for s in group)
