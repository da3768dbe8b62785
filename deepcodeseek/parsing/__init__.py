"""Parsing ServiceNow JavaScript: Script Include shapes, call sites and lexical tokens; and, in
:mod:`deepcodeseek.parsing.typescript`, the platform's TypeScript declarations.

Pure library code on tree-sitter; it never imports Dagster.
"""

from deepcodeseek.parsing.javascript import (
    CallSite,
    MethodInfo,
    ScriptIncludeInfo,
    analyze_script_include,
    find_call_sites,
    identifiers,
    syntax_errors,
)

__all__ = [
    "CallSite",
    "MethodInfo",
    "ScriptIncludeInfo",
    "analyze_script_include",
    "find_call_sites",
    "identifiers",
    "syntax_errors",
]
