"""The call sites the graph recorded, each with its caller's script, read once per caller.

A site's row used to carry its caller's whole script. At 10,000 namespaces that was 76,869 rows
holding 881 million characters, nearly all of them copies: a script is as many rows as it has call
sites. Every stage that reads the usage contexts (six assets of a build) paid for them in time and
in peak memory. Now each script is read once, and its sites share the one string.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb

from deepcodeseek.store.duckdb_store import fetch_dicts


def fetch_usage_sites(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every usage site, ordered by caller and position, with ``caller_script`` (None where the caller
    is neither a script nor a Script Include of the instance)."""
    scripts = {row["caller_sys_id"]: row["caller_script"] for row in fetch_dicts(con, "kg/select_caller_scripts")}
    sites = fetch_dicts(con, "kg/select_usage_sites")
    for site in sites:
        site["caller_script"] = scripts.get(site["caller_sys_id"])
    return sites


@lru_cache(maxsize=4)
def script_lines(script: str) -> list[str]:
    """A caller's script split into lines, once for all its sites (they come in caller order, and
    share one string, whose hash Python keeps). Read it, don't change it: the list is shared."""
    return script.split("\n")
