"""Where a script uses known Script Include namespaces, and which method it calls.

The knowledge graph links callers to callees through these sites, and evaluation
masks them to build completion tasks, so positions must be exact (UTF-8 byte offsets,
as tree-sitter reports them) and comments / strings must never produce a site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Node

from deepcodeseek.parsing._tree import (
    code_children,
    compact,
    enclosing_scope,
    field,
    parse,
    string_value,
    text,
    unwrap,
    walk,
)

_TOKEN = re.compile(r"[A-Za-z_$][\w$]*")
_SCOPE_NAME = re.compile(r"^(global|[a-z][a-z0-9]*_[a-z0-9_]+)$")
_EXTEND_CALLS = frozenset({"Object.extendsObject", "Object.extend", "global.Object.extendsObject"})
_GLIDE_AJAX = frozenset({"GlideAjax", "global.GlideAjax"})
_BINDING_PARENTS = frozenset(
    {"function_declaration", "generator_function_declaration", "class_declaration", "class",
     "function_expression", "generator_function"}
)


@dataclass(frozen=True)
class CallSite:
    """One use of a known namespace in a script."""

    namespace: str
    qualifier: str | None
    method: str | None
    kind: str  # "new" | "static" | "call" | "ajax" | "prototype" | "reference"
    line: int  # 0-based
    column: int  # 0-based, in bytes (tree-sitter's unit)
    start_byte: int
    end_line: int


def _is(a: Node | None, b: Node | None) -> bool:
    """Same node? (Node objects are re-created on each access, so compare positions.)"""
    return (a is not None and b is not None and a.start_byte == b.start_byte
            and a.end_byte == b.end_byte and a.type == b.type)


def _parent(node: Node) -> Node | None:
    """Parent, looking through parentheses: `(new X()).m()` is still `new X().m()`."""
    p = node.parent
    while p is not None and p.type == "parenthesized_expression":
        p = p.parent
    return p


def _expression_end(node: Node) -> Node:
    """Grow a site over the member / call chain it heads: `X.m(a)`, `new X().m()`."""
    cur = node
    while True:
        p = cur.parent
        if p is None:
            return cur
        if p.type == "parenthesized_expression" or (
            p.type == "member_expression" and _is(field(p, "object"), cur)
        ) or (p.type == "call_expression" and _is(field(p, "function"), cur)):
            cur = p
        else:
            return cur


def _assigned_to(expr: Node, src: bytes) -> tuple[str, int] | None:
    """The variable an expression is stored in, and where the assignment ends."""
    p = _parent(expr)
    if p is None:
        return None
    if p.type == "variable_declarator" and _is(unwrap(field(p, "value")), expr):
        name = field(p, "name")
        if name is not None and name.type == "identifier":
            return text(name, src), p.end_byte
    if p.type == "assignment_expression" and _is(unwrap(field(p, "right")), expr):
        left = field(p, "left")
        if left is not None and left.type in ("identifier", "member_expression"):
            return compact(left, src), p.end_byte
    return None


def _member_calls(var: str, scope: Node, after: int, src: bytes) -> Iterable[Node]:
    """Calls `var.m(...)` in the scope after a byte offset, in source order."""
    for n in walk(scope):
        if n.end_byte <= after or n.type != "call_expression" or n.start_byte < after:
            continue
        fn = unwrap(field(n, "function"))
        if fn is not None and fn.type == "member_expression" and compact(field(fn, "object"), src) == var:
            yield n


def _first_method(var: str, scope: Node, after: int, src: bytes) -> str | None:
    for call in _member_calls(var, scope, after, src):
        return text(field(unwrap(field(call, "function")), "property"), src) or None
    return None


def _ajax_method(var: str, scope: Node, after: int, src: bytes) -> str | None:
    """`ga.addParam('sysparm_name', 'm')` names the server-side method."""
    for call in _member_calls(var, scope, after, src):
        if text(field(unwrap(field(call, "function")), "property"), src) != "addParam":
            continue
        args = code_children(field(call, "arguments")) if field(call, "arguments") else []
        if len(args) >= 2 and string_value(args[0], src) == "sysparm_name":
            return string_value(args[1], src)
    return None


def _is_definition(ref: Node) -> bool:
    """`var X =`, `function X`, `X = ...`, `X.prototype = ...`, `X.m = ...`, parameters."""
    p = ref.parent
    if p is None:
        return False
    if p.type == "variable_declarator" and _is(field(p, "name"), ref):
        return True
    if p.type in _BINDING_PARENTS and _is(field(p, "name"), ref):
        return True
    if p.type in ("formal_parameters", "shorthand_property_identifier_pattern"):
        return True
    if p.type == "assignment_pattern" and _is(field(p, "left"), ref) and p.parent is not None \
            and p.parent.type == "formal_parameters":
        return True
    cur = ref
    while p is not None and p.type == "member_expression" and _is(field(p, "object"), cur):
        cur, p = p, p.parent
    return p is not None and p.type in ("assignment_expression", "augmented_assignment_expression") \
        and _is(field(p, "left"), cur)


def _reference(node: Node, src: bytes) -> tuple[Node, str | None] | None:
    """The expression naming the namespace (`X` or `scope.X`) and its qualifier."""
    if node.type in ("identifier", "shorthand_property_identifier"):
        return node, None
    p = node.parent
    if node.type == "property_identifier" and p is not None and p.type == "member_expression" \
            and _is(field(p, "property"), node):
        obj = field(p, "object")
        if obj is not None and obj.type == "identifier" and _SCOPE_NAME.match(text(obj, src)):
            return p, text(obj, src)
    return None


def _classify(ref: Node, src: bytes) -> tuple[str, str | None, Node]:
    """Kind, method and the node where the site starts."""
    p = _parent(ref)
    if p is None:
        return "reference", None, ref
    if p.type == "new_expression" and _is(unwrap(field(p, "constructor")), ref):
        return _classify_new(p, src)
    if p.type == "call_expression" and _is(unwrap(field(p, "function")), ref):
        return "call", None, ref
    if p.type == "member_expression" and _is(unwrap(field(p, "object")), ref):
        prop = text(field(p, "property"), src) or None
        if prop == "prototype":
            nxt = _parent(p)
            method = None
            if nxt is not None and nxt.type == "member_expression" and _is(unwrap(field(nxt, "object")), p):
                method = text(field(nxt, "property"), src) or None
            return "prototype", method, ref
        gp = _parent(p)
        if gp is not None and gp.type == "call_expression" and _is(unwrap(field(gp, "function")), p):
            return "static", prop, ref
        if gp is not None and gp.type == "new_expression" and _is(unwrap(field(gp, "constructor")), p):
            return "new", prop, gp  # `new X.Inner()`: a class nested in the namespace
        if gp is not None and gp.type == "member_expression" and _is(unwrap(field(gp, "object")), p) \
                and text(field(gp, "property"), src) in ("call", "apply"):
            ggp = _parent(gp)
            if ggp is not None and ggp.type == "call_expression":
                return "static", prop, ref
        return "reference", prop, ref
    if p.type == "arguments" and _is_first_argument(ref, p):
        call = p.parent
        if call is not None and compact(field(call, "function"), src) in _EXTEND_CALLS:
            return "prototype", None, ref
    if p.type == "class_heritage":
        return "prototype", None, ref
    return "reference", None, ref


def _is_first_argument(ref: Node, args: Node) -> bool:
    first = code_children(args)
    return bool(first) and _is(unwrap(first[0]), ref)


def _classify_new(new: Node, src: bytes) -> tuple[str, str | None, Node]:
    """`new X()`: a method chained on it, or the first call through the variable holding it."""
    p = _parent(new)
    if p is not None and p.type == "member_expression" and _is(unwrap(field(p, "object")), new):
        gp = _parent(p)
        if gp is not None and gp.type == "call_expression" and _is(unwrap(field(gp, "function")), p):
            return "new", text(field(p, "property"), src) or None, new
    if p is not None and p.type == "arguments" and _is_first_argument(new, p) and p.parent is not None \
            and compact(field(p.parent, "function"), src) in _EXTEND_CALLS:
        return "prototype", None, new  # Object.extend(new Base(), {...})
    target = _assigned_to(new, src)
    if target is not None:
        return "new", _first_method(target[0], enclosing_scope(new), target[1], src), new
    return "new", None, new


def _ajax_site(new: Node, src: bytes, known: set[str]) -> CallSite | None:
    """`new GlideAjax('scope.X')`: the string names a client-callable Script Include."""
    if compact(field(new, "constructor"), src) not in _GLIDE_AJAX:
        return None
    args = code_children(field(new, "arguments")) if field(new, "arguments") else []
    value = string_value(args[0], src) if args else None
    if not value:
        return None
    qualifier, _, namespace = value.strip().rpartition(".")
    if namespace not in known:
        return None
    method = None
    target = _assigned_to(new, src)
    if target is not None:
        method = _ajax_method(target[0], enclosing_scope(new), target[1], src)
    return CallSite(namespace=namespace, qualifier=qualifier or None, method=method, kind="ajax",
                    line=new.start_point.row, column=new.start_point.column,
                    start_byte=new.start_byte, end_line=_expression_end(new).end_point.row)


def find_call_sites(source: str, known_names: Iterable[str]) -> list[CallSite]:
    """Uses of the given namespaces, sorted by start_byte; definitions are not uses."""
    known = {n for n in known_names if n}
    if not source or not known or not known.intersection(_TOKEN.findall(source)):
        return []  # cheap pre-filter: most scripts mention none of the names
    tree, src = parse(source)
    sites: list[CallSite] = []
    for n in walk(tree.root_node, prune=lambda n: n.type == "comment"):
        if n.type == "new_expression":
            site = _ajax_site(n, src, known)
            if site is not None:
                sites.append(site)
            continue
        if n.type not in ("identifier", "property_identifier", "shorthand_property_identifier"):
            continue
        name = text(n, src)
        if name not in known:
            continue
        found = _reference(n, src)
        if found is None:
            continue
        ref, qualifier = found
        if _is_definition(ref):
            continue
        kind, method, start = _classify(ref, src)
        sites.append(CallSite(namespace=name, qualifier=qualifier, method=method, kind=kind,
                              line=start.start_point.row, column=start.start_point.column,
                              start_byte=start.start_byte,
                              end_line=_expression_end(start).end_point.row))
    sites.sort(key=lambda s: (s.start_byte, s.kind))
    return sites
