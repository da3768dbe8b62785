"""Completion samples mined from an instance's own call sites.

Each first call of a Script Include in a script becomes a sample: the code before the
call, the call line, the code after. Samples whose code_before already names the
target are leaks and are dropped; a cap per namespace keeps popular APIs from
dominating. (The benchmarks issue generalises this: fuzzy de-duplication, platform
APIs, splits.)
"""

from __future__ import annotations

from collections import Counter

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts

MAX_BEFORE_LINES = 80
MAX_AFTER_LINES = 20
PER_NAMESPACE_CAP = 20
MIN_BEFORE_LINES = 2
MINED_KINDS = {"new", "static", "call", "ajax"}


def mine_call_site_samples(store: InstanceStore) -> list[Sample]:
    with store.connect() as con:
        sites = fetch_dicts(con, "kg/select_usage_sites")
    seen: set[tuple[str, str]] = set()
    per_namespace: Counter = Counter()
    samples: list[Sample] = []
    for site in sites:
        key = (site["caller_sys_id"], site["target_sys_id"])
        if site["kind"] not in MINED_KINDS or key in seen or not site["caller_script"]:
            continue
        seen.add(key)
        sample = _split(site)
        if sample is None or per_namespace[sample.target_namespace] >= PER_NAMESPACE_CAP:
            continue
        per_namespace[sample.target_namespace] += 1
        samples.append(sample)
    return samples


def _split(site: dict) -> Sample | None:
    lines = site["caller_script"].split("\n")
    line = site["line"]
    before = lines[max(0, line - MAX_BEFORE_LINES): line]
    if sum(1 for b in before if b.strip()) < MIN_BEFORE_LINES:
        return None
    code_before = "\n".join(before)
    if site["target_namespace"].lower() in code_before.lower():
        return None  # the context already names the answer
    return Sample(
        id=f"{site['caller_sys_id']}:{site['line']}:{site['target_namespace']}",
        code_before=code_before,
        code_middle=lines[line] if line < len(lines) else "",
        code_after="\n".join(lines[line + 1: line + 1 + MAX_AFTER_LINES]),
        target_namespace=site["target_namespace"],
        target_method=site["method"],
        scope=site["caller_scope"],
        table=site["caller_table"],
        source=f"mined:{site['caller_sys_id']}",
    )
