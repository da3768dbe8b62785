"""Completion samples mined from an instance's own call sites.

Each first call of a Script Include in a script becomes a sample: the code before the
call, the call line, the code after. Samples whose code_before already names the
target are leaks and are dropped; a cap per namespace keeps popular APIs from
dominating. (The benchmarks issue generalises this: fuzzy de-duplication, platform
APIs, splits.)
"""

from __future__ import annotations

import re
from collections import Counter

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.sources.platform_load import PLATFORM_PREFIX
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts
from deepcodeseek.text import split_identifier

MAX_BEFORE_LINES = 80
MAX_AFTER_LINES = 20
PER_NAMESPACE_CAP = 20
MIN_BEFORE_LINES = 2
MINED_KINDS = {"new", "static", "call", "ajax"}
_ASSIGNED = re.compile(r"^(?:var|let|const)?\s*([A-Za-z_$][\w$]*)\s*=[^=]")


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
        kind="platform" if site["target_sys_id"].startswith(PLATFORM_PREFIX) else "script_include",
        clear_intent=judge_clear_intent(code_before, lines[line] if line < len(lines) else ""),
    )


def judge_clear_intent(code_before: str, call_line: str) -> bool:
    """Offline judge: could a reader infer what the next call is for? (heuristic-v1)

    Yes when a comment sits in the last three lines before the call, or when the call's
    result goes into a descriptively named variable (two or more words), the two cues
    the paper's clear-intent samples share. The LLM judge replaces this when a key is set.
    """
    recent = [line.strip() for line in code_before.split("\n") if line.strip()][-3:]
    if any(line.startswith(("//", "/*", "*")) or " // " in line for line in recent):
        return True
    match = _ASSIGNED.match(call_line.strip())
    return bool(match and len(split_identifier(match.group(1))) >= 2)
