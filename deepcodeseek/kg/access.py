"""Who may call what: ServiceNow's cross-scope access rule for Script Includes.

Code in scope S may call a Script Include X when X is active and either lives in S or
is public (``access = public``; ``package_private`` ones are for their own scope only).
The same rule is written in SQL (``sql/kg/callable_from_scope.sql``) for the graph and
here for the serving path, which never opens the pipeline's DuckDB file.
"""

from __future__ import annotations


def admission_rule(caller_scope: str | None, target_scope: str, access: str, active: bool) -> str | None:
    """The rule that admits the call, or None when it is not allowed."""
    if not active:
        return None
    if caller_scope is None:
        return "no scope given"
    if caller_scope == target_scope:
        return "same scope"
    if (access or "public") == "public":
        return "public"
    return None
