"""Static analysis of ServiceNow JavaScript with tree-sitter: the public entry points.

tree-sitter is a real, error-tolerant parser: a Script Include with a stray brace
still yields its methods, and comments or strings never look like code. The work is
split by concern (``_tree`` plumbing, ``script_include`` definitions, ``call_sites``
uses); this module gathers the API so callers need one import path.
"""

from __future__ import annotations

from deepcodeseek.parsing._tree import identifiers, syntax_errors
from deepcodeseek.parsing.call_sites import CallSite, find_call_sites
from deepcodeseek.parsing.script_include import (
    MethodInfo,
    ScriptIncludeInfo,
    analyze_script_include,
    call_name,
)

__all__ = [
    "CallSite",
    "MethodInfo",
    "ScriptIncludeInfo",
    "analyze_script_include",
    "call_name",
    "find_call_sites",
    "identifiers",
    "syntax_errors",
]
