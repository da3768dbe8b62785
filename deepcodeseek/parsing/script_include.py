"""What a Script Include defines: its namespace, shape, base class and methods.

ServiceNow Script Includes come in a handful of idioms (Class.create + prototype,
Object.extendsObject, plain functions, object-literal namespaces, IIFEs returning an
object, rarely ES6 classes). We recognise them on a tree-sitter tree rather than with
regular expressions so that nesting, comments, strings and even syntax errors do not
derail the extraction: the JSDoc backend and the knowledge graph depend on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field

from tree_sitter import Node

from deepcodeseek.parsing._tree import (
    FUNCTION_TYPES,
    FUNCTION_VALUE_TYPES,
    tree_syntax_errors,
    code_children,
    compact,
    field,
    header_comment,
    leading_comment,
    member_chain,
    one_line,
    params_of,
    parse,
    string_value,
    text,
    unwrap,
    walk,
)

MAX_RETURNS = 5
RETURN_TEXT_LIMIT = 120
_EXTEND_CALLS = frozenset({"Object.extendsObject", "Object.extend", "global.Object.extendsObject"})
_CLASS_CREATE = frozenset({"Class.create", "global.Class.create"})
# Roots whose member calls are platform or namespace APIs worth naming in full.
_API_ROOTS = frozenset({"gs", "JSON", "Class", "Object", "global"})
_API_PREFIXES = ("sn_", "x_", "g_")
_DANGLING_KEY = re.compile(r"([A-Za-z_$][\w$]*)\s*:\s*$")


@dataclass
class MethodInfo:
    """One callable member, with what a reader needs to document it."""

    name: str
    params: list[str]
    doc_comment: str
    returns: list[str]
    calls: list[str]
    is_static: bool
    line: int


@dataclass
class ScriptIncludeInfo:
    """The namespace a Script Include defines and its callable surface."""

    name: str | None
    kind: str
    extends: str | None
    methods: list[MethodInfo]
    class_comment: str
    calls: list[str]
    syntax_errors: list[str] = dc_field(default_factory=list)

    @property
    def parse_ok(self) -> bool:
        return not self.syntax_errors


# ---------------------------------------------------------------------------------------
# Method facts


def _is_nested_function(node: Node) -> bool:
    return node.type in FUNCTION_TYPES or node.type in ("class", "class_declaration")


def _returns(fn: Node, src: bytes) -> list[str]:
    """Return expressions of this function only (nested callbacks return elsewhere)."""
    body = field(fn, "body")
    if body is None:
        return []
    if body.type != "statement_block":  # arrow function with an expression body
        return [one_line(text(body, src), RETURN_TEXT_LIMIT)]
    found: list[str] = []
    for n in walk(body, prune=_is_nested_function):
        if n.type != "return_statement":
            continue
        value = code_children(n)
        if not value:
            continue
        expr = one_line(text(value[0], src), RETURN_TEXT_LIMIT)
        if expr and expr not in found:
            found.append(expr)
            if len(found) >= MAX_RETURNS:
                break
    return found


def _is_api_root(name: str) -> bool:
    return name in _API_ROOTS or name.startswith(_API_PREFIXES) or name[:1].isupper()


def call_name(node: Node, src: bytes) -> str | None:
    """How a call reads as an API use: `new X`, `gs.log`, `this.x`, `.addQuery`, `f`.

    Calls on local variables keep only the method name (`.addQuery`): the variable name
    says nothing about the API, the method name does.
    """
    if node.type == "new_expression":
        ctor = unwrap(field(node, "constructor"))
        chain = member_chain(ctor, src)
        return "new " + ".".join(chain) if chain else None
    fn = unwrap(field(node, "function"))
    if fn is None:
        return None
    if fn.type == "identifier":
        return text(fn, src)
    if fn.type != "member_expression":
        return None
    prop = field(fn, "property")
    if prop is None:
        return None
    method = text(prop, src)
    chain = member_chain(fn, src)
    if chain is None:
        return "." + method
    root = chain[0]
    if root == "this":
        return "this." + method if len(chain) == 2 else "." + method
    if len(chain) == 2:
        return ".".join(chain) if _is_api_root(root) else "." + method
    scoped = (root == "global" or root.startswith(("sn_", "x_"))) and chain[1][:1].isupper()
    if scoped or root[:1].isupper() or root in _API_ROOTS or root.startswith(_API_PREFIXES):
        return ".".join(chain)
    return "." + method


def _calls(fn: Node, src: bytes) -> list[str]:
    """Distinct APIs used in the body, ordered by where the callee's name appears."""
    body = field(fn, "body")
    if body is None:
        return []
    found: list[tuple[int, str]] = []
    for n in walk(body):
        if n.type not in ("call_expression", "new_expression"):
            continue
        name = call_name(n, src)
        if not name:
            continue
        callee = field(n, "constructor" if n.type == "new_expression" else "function")
        found.append(((callee or n).end_byte, name))
    found.sort(key=lambda item: item[0])
    ordered: dict[str, None] = {}
    for _, name in found:
        ordered.setdefault(name, None)
    return list(ordered)


def _method(name: str, fn: Node, definition: Node, is_static: bool, src: bytes,
            doc: str | None = None) -> MethodInfo:
    return MethodInfo(
        name=name,
        params=params_of(fn, src),
        doc_comment=leading_comment(definition, src) if doc is None else doc,
        returns=_returns(fn, src),
        calls=_calls(fn, src),
        is_static=is_static,
        line=definition.start_point.row,
    )


# ---------------------------------------------------------------------------------------
# Candidates: every namespace-like thing the script defines


@dataclass
class _Candidate:
    name: str
    decl: Node  # first statement that defines it: its comment is the class comment
    decl_kind: str | None = None  # "function" | "object" | "class" | None
    class_like: bool = False  # Class.create() or a prototype assignment
    extends: str | None = None
    methods: list[MethodInfo] = dc_field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.extends:
            return "extends"
        if self.class_like or self.decl_kind == "class":
            return "class"
        return self.decl_kind or "unknown"

    def add(self, method: MethodInfo) -> None:
        """Later definitions win, as at run time, but keep the first position."""
        for i, existing in enumerate(self.methods):
            if existing.name == method.name and existing.is_static == method.is_static:
                self.methods[i] = method
                return
        self.methods.append(method)

    def adopt(self, other: "_Candidate") -> None:
        self.decl_kind = other.decl_kind
        self.class_like = other.class_like
        self.extends = other.extends
        for m in other.methods:
            self.add(m)


def _iife_function(expr: Node | None) -> Node | None:
    """The function of `(function(){...})()`, `(function(){...}())` or `.call(this)` forms."""
    expr = unwrap(expr)
    if expr is None or expr.type != "call_expression":
        return None
    fn = unwrap(field(expr, "function"))
    if fn is None:
        return None
    if fn.type in FUNCTION_VALUE_TYPES:
        return fn
    if fn.type == "member_expression":
        prop = field(fn, "property")
        obj = unwrap(field(fn, "object"))
        if prop is not None and prop.type == "property_identifier" and obj is not None \
                and obj.type in FUNCTION_VALUE_TYPES:
            return obj
    return None


_TRANSPARENT = frozenset({"ERROR", "statement_block", "else_clause", "try_statement", "finally_clause"})


def _statements(block: Node) -> list[Node]:
    """Statements of a block, looking through ERROR nodes and guards.

    Broken files still yield what parsed, and `if (typeof X == 'undefined') { var X = ... }`
    or try blocks still define X.
    """
    out: list[Node] = []
    stack = list(reversed(block.named_children))
    while stack:
        n = stack.pop()
        if n.type in _TRANSPARENT:
            stack.extend(reversed(n.named_children))
        elif n.type == "if_statement":
            branches = [b for b in (field(n, "consequence"), field(n, "alternative")) if b is not None]
            stack.extend(reversed(branches))
        elif n.type != "comment":
            out.append(n)
    return out


class _Scope:
    """Definitions found in one statement list (the file, or an IIFE body)."""

    def __init__(self, src: bytes, parent: "_Scope | None" = None) -> None:
        self.src = src
        self.parent = parent
        self.candidates: dict[str, _Candidate] = {}
        self.functions: dict[str, tuple[Node, Node]] = {}  # name -> (function, definition)
        self.declared: set[str] = set()  # names bound here; other assignments reach outwards
        self.nested: list[_Scope] = []  # bodies of bare top-level IIFEs

    # -- lookup helpers

    def function(self, name: str) -> tuple[Node, Node] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.functions:
                return scope.functions[name]
            scope = scope.parent
        return None

    def candidate(self, name: str, decl: Node) -> _Candidate:
        """The candidate for a name, in the scope that owns the binding.

        `var X = Class.create(); (function(){ X.prototype = {...}; })();` defines the
        outer X from inside an IIFE, a common way to keep helpers private.
        """
        if name not in self.candidates and name not in self.declared and self.parent is not None:
            return self.parent.candidate(name, decl)
        if name not in self.candidates:
            self.candidates[name] = _Candidate(name=name, decl=decl)
        return self.candidates[name]

    # -- scanning

    def scan(self, block: Node) -> "_Scope":
        statements = _statements(block)
        for st in statements:  # hoist function names first: objects may reference them
            self._hoist(st)
        for st in statements:
            self._statement(st)
        return self

    def _hoist(self, st: Node) -> None:
        src = self.src
        if st.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
            name = field(st, "name")
            if name is not None:
                self.declared.add(text(name, src))
                if st.type != "class_declaration":
                    self.functions[text(name, src)] = (st, st)
        elif st.type in ("variable_declaration", "lexical_declaration"):
            for d in st.named_children:
                if d.type != "variable_declarator":
                    continue
                name, value = field(d, "name"), unwrap(field(d, "value"))
                if name is None or name.type != "identifier":
                    continue
                self.declared.add(text(name, src))
                if value is not None and value.type in FUNCTION_VALUE_TYPES:
                    self.functions[text(name, src)] = (value, st)

    def _statement(self, st: Node) -> None:
        src = self.src
        t = st.type
        if t in ("variable_declaration", "lexical_declaration"):
            for d in st.named_children:
                if d.type != "variable_declarator":
                    continue
                name, value = field(d, "name"), field(d, "value")
                if name is None or name.type != "identifier":
                    continue
                if value is None:  # `var X;`: declared here, perhaps filled in below
                    self.candidate(text(name, src), st)
                else:
                    self._binding(text(name, src), value, st)
        elif t in ("function_declaration", "generator_function_declaration"):
            name = field(st, "name")
            if name is not None:
                cand = self.candidate(text(name, src), st)
                cand.decl_kind = cand.decl_kind or "function"
                cand.add(_method(cand.name, st, st, False, src))
        elif t == "class_declaration":
            name = field(st, "name")
            if name is not None:
                self._class(self.candidate(text(name, src), st), st)
        elif t == "expression_statement":
            for expr in code_children(st):
                self._expression(expr, st)
        elif t in ("assignment_expression", "sequence_expression", "call_expression",
                   "parenthesized_expression"):
            self._expression(st, st)

    def _expression(self, expr: Node, st: Node) -> None:
        expr = unwrap(expr)
        if expr is None:
            return
        if expr.type == "sequence_expression":
            for part in code_children(expr):
                self._expression(part, st)
        elif expr.type == "assignment_expression":
            self._assignment(expr, st)
        else:
            fn = _iife_function(expr)
            body = field(fn, "body")
            if body is not None and body.type == "statement_block":
                self.nested.append(_Scope(self.src, self).scan(body))

    def _assignment(self, expr: Node, st: Node) -> None:
        """Handle `left = right`, including chains `X.each = X.forEach = function`."""
        targets: list[Node | None] = []
        value: Node | None = expr
        while value is not None and value.type == "assignment_expression":
            targets.append(field(value, "left"))
            value = unwrap(field(value, "right"))
        if value is None:
            return
        for left in targets:  # outermost first: that is the order a reader sees
            if left is None:
                continue
            if left.type == "identifier":
                self._binding(text(left, self.src), value, st)
            elif left.type == "member_expression":
                self._member_assignment(left, value, st)

    def _binding(self, name: str, value: Node, st: Node) -> None:
        """`var X = <value>` (or `X = <value>`): decide whether X is a namespace."""
        src = self.src
        v = unwrap(value)
        if v is None:
            return
        if v.type == "binary_expression" and compact(field(v, "operator"), src) == "||":
            v = unwrap(field(v, "right"))  # `var X = X || {}`
            if v is None:
                return
        if v.type == "call_expression":
            callee = compact(field(v, "function"), src)
            if callee in _CLASS_CREATE:
                self.candidate(name, st).class_like = True
            elif callee in _EXTEND_CALLS:
                cand = self.candidate(name, st)
                cand.class_like = True
                self._extend_call(cand, v)
            elif _iife_function(v) is not None:
                self._iife(name, v, st)
        elif v.type in FUNCTION_VALUE_TYPES:
            cand = self.candidate(name, st)
            cand.decl_kind = cand.decl_kind or "function"
            cand.add(_method(name, v, st, False, src))
        elif v.type == "object":
            cand = self.candidate(name, st)
            cand.decl_kind = cand.decl_kind or "object"
            self._object_methods(cand, v, is_static=True)
        elif v.type == "class":
            self._class(self.candidate(name, st), v)

    def _member_assignment(self, left: Node, right: Node, st: Node) -> None:
        """`X.prototype = ...`, `X.prototype.m = function`, `X.m = function`."""
        chain = member_chain(left, self.src)
        if not chain or chain[0] == "this":
            return
        if len(chain) == 2 and chain[1] == "prototype":
            cand = self.candidate(chain[0], st)
            cand.class_like = True
            self._prototype_value(cand, right)
        elif len(chain) == 3 and chain[1] == "prototype":
            cand = self.candidate(chain[0], st)
            cand.class_like = True
            if right.type in FUNCTION_VALUE_TYPES:
                cand.add(_method(chain[2], right, st, False, self.src))
        elif len(chain) == 2 and right.type in FUNCTION_VALUE_TYPES:
            cand = self.candidate(chain[0], st)
            cand.add(_method(chain[1], right, st, True, self.src))
        elif len(chain) == 2 and right.type == "identifier":
            # `X.m = m;` publishes a function declared elsewhere in the file
            if self.function(text(right, self.src)) is not None:
                self._referenced_function(self.candidate(chain[0], st), chain[1],
                                          text(right, self.src), st, True)
        elif len(chain) == 2 and right.type == "member_expression":
            # `X.m = BaseSNC.m;` re-exports another namespace's function: keep the name
            target = member_chain(right, self.src)
            if target and len(target) >= 2 and _looks_like_method(target[-1]):
                self.candidate(chain[0], st).add(MethodInfo(
                    name=chain[1], params=[], doc_comment=leading_comment(st, self.src),
                    returns=[], calls=[], is_static=True, line=st.start_point.row))

    def _prototype_value(self, cand: _Candidate, value: Node) -> None:
        v = unwrap(value)
        if v is None:
            return
        if v.type == "object":
            self._object_methods(cand, v, is_static=False)
        elif v.type == "call_expression" and compact(field(v, "function"), self.src) in _EXTEND_CALLS:
            self._extend_call(cand, v)
        elif v.type == "new_expression":  # X.prototype = new Base();
            base = member_chain(field(v, "constructor"), self.src)
            if base:
                cand.extends = ".".join(base)

    def _extend_call(self, cand: _Candidate, call: Node) -> None:
        """`Object.extendsObject(Base, {...})` / `Object.extend(new Base(), {...})`."""
        args = code_children(field(call, "arguments")) if field(call, "arguments") else []
        if not args:
            return
        base = unwrap(args[0])
        if base is not None and base.type == "new_expression":
            base = field(base, "constructor")
        chain = member_chain(base, self.src)
        if chain and chain[-1] == "prototype":
            chain = chain[:-1]
        if chain:
            cand.extends = ".".join(chain)
        body = unwrap(args[-1]) if len(args) > 1 else None
        if body is not None and body.type == "object":
            self._object_methods(cand, body, is_static=False)

    def _object_methods(self, cand: _Candidate, obj: Node, is_static: bool) -> None:
        """Function-valued keys of an object literal; `type: 'X'` and data are skipped."""
        src = self.src
        members: list[Node] = []
        for c in obj.named_children:
            members.extend(c.named_children if c.type == "ERROR" else [c])
        for m in members:
            if m.type == "method_definition":
                cand.add(_method(_key_name(field(m, "name"), src), m, m, is_static, src))
            elif m.type == "pair":
                key, value = field(m, "key"), unwrap(field(m, "value"))
                if key is None or value is None:
                    continue
                name = _key_name(key, src)
                if value.type in FUNCTION_VALUE_TYPES:
                    cand.add(_method(name, value, m, is_static, src))
                elif value.type == "identifier":
                    self._referenced_function(cand, name, text(value, src), m, is_static)
                elif value.type == "call_expression":
                    self._factory_method(cand, name, value, m, is_static)
            elif m.type == "shorthand_property_identifier":
                name = text(m, src)
                self._referenced_function(cand, name, name, m, is_static)

    def _referenced_function(self, cand: _Candidate, key: str, target: str, pair: Node,
                             is_static: bool) -> None:
        """`{ a: a }` in a revealing-module IIFE: document the inner function `a`."""
        found = self.function(target)
        if found is None:
            return
        fn, definition = found
        doc = leading_comment(pair, self.src) or leading_comment(definition, self.src)
        method = _method(key, fn, definition, is_static, self.src, doc=doc)
        cand.add(method)

    def _factory_method(self, cand: _Candidate, key: str, call: Node, pair: Node,
                        is_static: bool) -> None:
        """`{ canRead: check('read') }` where `check` returns a function: that is the method."""
        callee = unwrap(field(call, "function"))
        found = self.function(text(callee, self.src)) if callee is not None and callee.type == "identifier" else None
        if found is None:
            return
        made = _returned_function(found[0])
        if made is not None:
            cand.add(_method(key, made, pair, is_static, self.src))

    def _class(self, cand: _Candidate, node: Node) -> None:
        """ES6 `class X extends Y { m() {} static s() {} }`."""
        src = self.src
        cand.decl_kind = "class"
        for c in node.children:
            if c.type == "class_heritage":
                base = code_children(c)
                if base:
                    cand.extends = compact(base[-1], src)
        body = field(node, "body")
        if body is None:
            return
        for m in body.named_children:
            if m.type != "method_definition":
                continue
            is_static = any(c.type == "static" for c in m.children)
            cand.add(_method(_key_name(field(m, "name"), src), m, m, is_static, src))

    def _iife(self, name: str, call: Node, st: Node) -> None:
        """`var X = (function(){ ...; return {...}; })();` -> what the IIFE returns."""
        fn = _iife_function(call)
        body = field(fn, "body")
        if body is None or body.type != "statement_block":
            return
        inner = _Scope(self.src, self).scan(body)
        returned = next((r for r in _statements(body) if r.type == "return_statement"), None)
        value = unwrap(code_children(returned)[0]) if returned is not None and code_children(returned) else None
        if value is None:
            return
        cand = self.candidate(name, st)
        if value.type == "object":
            cand.decl_kind = cand.decl_kind or "object"
            inner._object_methods(cand, value, is_static=True)
        elif value.type == "identifier":
            target = text(value, self.src)
            if target in inner.candidates:
                cand.adopt(inner.candidates[target])
            elif (found := inner.function(target)) is not None:
                cand.decl_kind = cand.decl_kind or "function"
                cand.add(_method(name, found[0], found[1], False, self.src))
        elif value.type in FUNCTION_VALUE_TYPES:
            cand.decl_kind = cand.decl_kind or "function"
            cand.add(_method(name, value, returned, False, self.src))
        elif value.type == "class":
            self._class(cand, value)


def _looks_like_method(name: str) -> bool:
    """camelCase members are functions by convention; UPPER_CASE ones are constants."""
    return name[:1].islower() and not name.isupper()


def _returned_function(fn: Node) -> Node | None:
    """The function a factory returns directly (`return function(x) {...}`), if any."""
    body = field(fn, "body")
    if body is None or body.type != "statement_block":
        return None
    for n in walk(body, prune=_is_nested_function):
        if n.type == "return_statement":
            value = code_children(n)
            if value and unwrap(value[0]) is not None and unwrap(value[0]).type in FUNCTION_VALUE_TYPES:
                return unwrap(value[0])
    return None


def _key_name(key: Node | None, src: bytes) -> str:
    """Object keys as names: quotes dropped from `'my-key': function`."""
    if key is None:
        return ""
    value = string_value(key, src)
    return value if value is not None else compact(key, src)


def _salvage_methods(cand: _Candidate, statements: list[Node], src: bytes) -> None:
    """Recover `key: function` members that error recovery spilled out of an object.

    After an unparsable construct (Rhino's `catch (e if ...)`, say) tree-sitter may close
    the prototype object early and read the rest as `label: function(){}, ERROR, ...`.
    """
    is_static = cand.kind == "object"
    known = {m.name for m in cand.methods}
    for st in statements:
        pending: tuple[str, Node] | None = None
        body: Node | None = st
        if st.type == "labeled_statement":
            label, body = field(st, "label"), field(st, "body")
            if label is not None:
                pending = (text(label, src), st)
        if body is None or body.type != "expression_statement":
            continue
        items: list[Node] = []
        stack = list(reversed(body.named_children))
        while stack:
            n = stack.pop()
            if n.type == "sequence_expression":
                stack.extend(reversed(n.named_children))
            elif n.type != "comment":
                items.append(n)
        for item in items:
            fn = unwrap(item)
            if fn is not None and fn.type in FUNCTION_VALUE_TYPES:
                if pending is not None and pending[0] not in known:
                    known.add(pending[0])
                    cand.methods.append(_method(pending[0], fn, pending[1], is_static, src,
                                                doc=leading_comment(pending[1], src)))
                pending = None
            elif item.type == "ERROR":
                match = _DANGLING_KEY.search(text(item, src))
                pending = (match.group(1), item) if match else None
            else:
                pending = None


# ---------------------------------------------------------------------------------------
# Choosing the namespace


_PREFERENCE = {"class": 0, "extends": 0, "object": 1, "function": 2, "unknown": 3}


def _by_name(scopes: list[_Scope], wanted: str | None) -> _Candidate | None:
    if not wanted:
        return None
    short = wanted.rsplit(".", 1)[-1]
    for match in (lambda n: n == wanted, lambda n: n == short,
                  lambda n: n.lower() == short.lower()):
        for scope in scopes:
            for name, cand in scope.candidates.items():
                if match(name):
                    return cand
    return None


def _best(scope: _Scope) -> _Candidate | None:
    ranked = sorted(enumerate(scope.candidates.values()),
                    key=lambda item: (_PREFERENCE[item[1].kind], item[0]))
    return ranked[0][1] if ranked else None


def _choose(top: _Scope, expected_name: str | None) -> _Candidate | None:
    """Expected name first (file, then bare IIFEs), else the first class-like definition."""
    found = _by_name([top, *top.nested], expected_name)
    if found is not None:
        return found
    best = _best(top)
    if best is not None and best.kind != "unknown":
        return best
    for nested in top.nested:
        inner = _best(nested)
        if inner is not None and inner.kind != "unknown":
            return inner
    return best


def analyze_script_include(source: str, expected_name: str | None = None) -> ScriptIncludeInfo:
    """Describe the namespace a Script Include defines (tolerates syntax errors)."""
    if not source or not source.strip():
        return ScriptIncludeInfo(name=None, kind="unknown", extends=None, methods=[],
                                 class_comment="", calls=[], syntax_errors=[])
    tree, src = parse(source)
    root = tree.root_node
    errors = tree_syntax_errors(root, src)
    top = _Scope(src).scan(root)
    chosen = _choose(top, expected_name)
    if chosen is None:
        return ScriptIncludeInfo(name=None, kind="unknown", extends=None, methods=[],
                                 class_comment=header_comment(root, src), calls=[],
                                 syntax_errors=errors)
    if errors and chosen.kind in ("class", "extends", "object"):
        _salvage_methods(chosen, _statements(root), src)
    calls: dict[str, None] = {}
    for m in chosen.methods:
        for c in m.calls:
            calls.setdefault(c, None)
    class_comment = leading_comment(chosen.decl, src) or header_comment(root, src)
    return ScriptIncludeInfo(
        name=chosen.name,
        kind=chosen.kind,
        extends=chosen.extends,
        methods=list(chosen.methods),
        class_comment=class_comment,
        calls=list(calls),
        syntax_errors=errors,
    )
