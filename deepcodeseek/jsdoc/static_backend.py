"""JSDoc from static analysis: the offline backend, used when no LLM is reachable.

It reads what a careful reader would: the class comment, each method's name,
parameters, doc comment (its tags read by :func:`deepcodeseek.jsdoc.tags.parse_jsdoc`, the
one JSDoc parser, which the platform declarations use too), return expressions and the
platform APIs it calls, and writes them into the same :class:`NamespaceDoc` the LLM
backend produces. Descriptions are assembled from those facts so that an embedder
trained on natural language has words to match, not only identifiers.
"""

from __future__ import annotations

import re

from deepcodeseek.errors import BadInput
from deepcodeseek.jsdoc.model import MethodDoc, NamespaceDoc, ParamDoc
from deepcodeseek.jsdoc.tags import parse_jsdoc
from deepcodeseek.parsing import MethodInfo, ScriptIncludeInfo, analyze_script_include
from deepcodeseek.text import split_identifier

BACKEND = "static"


class StaticAnalysisError(BadInput):
    """A script the parser could not make sense of at all."""


def summarize_statically(namespace: str, api_name: str, script: str, description: str = "") -> NamespaceDoc:
    info = analyze_script_include(script, expected_name=namespace)
    if not info.methods and not info.parse_ok:
        raise StaticAnalysisError(
            f"{api_name}: unparsable script ({'; '.join(info.syntax_errors[:3])})"
        )
    return NamespaceDoc(
        namespace=namespace,
        api_name=api_name,
        description=_class_description(namespace, info, description),
        extends=info.extends,
        methods=[_method_doc(m) for m in info.methods if not m.name.startswith("_")] or
                [_method_doc(m) for m in info.methods],
        backend=BACKEND,
    )


def _class_description(namespace: str, info: ScriptIncludeInfo, description: str) -> str:
    parts = [p for p in (description.strip(), _clean_comment(info.class_comment)) if p]
    if not parts:
        parts.append(f"{' '.join(split_identifier(namespace)).capitalize()}.")
    if info.extends:
        parts.append(f"Extends {info.extends}.")
    return "\n".join(parts)


def _method_doc(m: MethodInfo) -> MethodDoc:
    tags = parse_jsdoc(m.doc_comment)
    ordered = [ParamDoc(name, *tags.params.get(name, ("", ""))) for name in m.params]
    description = " ".join(tags.description.splitlines()).strip() or _describe_from_code(m)
    if tags.deprecated:
        description += f" Deprecated: {tags.deprecated_note}" if tags.deprecated_note else " Deprecated."
    returns_type, returns_desc = tags.returns_type, tags.returns_description
    if not returns_desc and m.returns:
        returns_desc = "; ".join(m.returns[:2])
    return MethodDoc(
        name=m.name, description=description, params=ordered, returns_type=returns_type,
        returns_description=returns_desc, is_static=m.is_static, calls=list(m.calls[:12]),
    )


def _describe_from_code(m: MethodInfo) -> str:
    words = " ".join(split_identifier(m.name)).capitalize()
    facts = [words + "."]
    apis = [c for c in m.calls if not c.startswith((".", "this."))][:6]
    if apis:
        facts.append("Uses " + ", ".join(apis) + ".")
    return " ".join(facts)


def _clean_comment(comment: str) -> str:
    lines = []
    for line in (comment or "").splitlines():
        line = re.sub(r"^\s*(/\*\*?|\*/|\*|//+)\s?", "", line)
        line = line.replace("*/", "").rstrip()
        if line.strip():
            lines.append(line)
    return "\n".join(lines)
