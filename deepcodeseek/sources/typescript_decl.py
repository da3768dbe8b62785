"""A small parser for TypeScript declaration files (``.d.ts``) and their JSDoc.

Platform API packages such as ``@servicenow/glide`` describe every callable class as
TypeScript declarations. Line regexes break on what these files really contain:
signatures spread over several lines, generics whose constraints hold ``|`` and
``&``, object-literal types inside parameter lists, overloads, and classes modelled
as ``declare const X: IX`` plus a local type. So this module tokenizes the text
(strings, comments, brackets) and parses the declaration subset of the grammar with
balanced-bracket scanning. Types are kept as the source wrote them (whitespace
collapsed); only their outer structure (intersections of object literals and
references, function types) is analysed, because that is all a reader of method
signatures needs.

Nothing here knows about ServiceNow: :mod:`deepcodeseek.sources.platform_api` turns
the parsed files into API documentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deepcodeseek.errors import BadInput

__all__ = [
    "Declaration", "DeclarationFile", "DeclarationSyntaxError", "ImportBinding", "JsDoc",
    "Param", "Property", "Signature", "TypeBody", "parse_declarations", "parse_jsdoc",
]


class DeclarationSyntaxError(BadInput):
    """Text outside the supported declaration subset; names the line and column."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.reason = message


# --------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Token:
    kind: str  # "name", "string", "number", "punct", "eof"
    value: str
    start: int
    end: int
    line: int
    column: int
    newline_before: bool  # a line break separates it from the previous token (ASI decisions)
    doc: str | None  # the block comment right before it, if any (its documentation)


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v\ufeff\u00a0\u2028\u2029]+)
  | (?P<nl>\n)
  | (?P<block>/\*.*?\*/)
  | (?P<line>//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
  | (?P<unclosed>/\*|["'`])
  | (?P<number>0[xXbBoO][0-9a-fA-F_]+n?|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?n?|\.\d+)
  | (?P<name>\#?[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<punct>=>|\.\.\.|[{}()\[\]<>;,:?.=|&*!+\-~@^%/])
  | (?P<bad>.)
    """,
    re.S | re.X,
)

# Comments that head a file with licence text are not documentation of what follows.
_LICENCE_RE = re.compile(r"^/\*!|@license|copyright", re.I)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; comments become the ``doc`` of the next token."""
    tokens: list[Token] = []
    line = 1
    line_start = 0
    newline = True
    doc: str | None = None
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "ws":
            continue
        if kind == "nl":
            line += 1
            line_start = m.end()
            newline = True
            continue
        if kind == "block" or kind == "line":
            if kind == "block":
                doc = None if _LICENCE_RE.search(value[:200]) else value
                breaks = value.count("\n")
                if breaks:
                    line += breaks
                    line_start = m.start() + value.rfind("\n") + 1
                    newline = True
            continue
        column = m.start() - line_start + 1
        if kind == "unclosed" or kind == "bad":
            what = {"/*": "unterminated comment", '"': "unterminated string", "'": "unterminated string",
                    "`": "unterminated template string"}.get(value, f"unexpected character {value!r}")
            raise DeclarationSyntaxError(what, line, column)
        tokens.append(Token(kind, value, m.start(), m.end(), line, column, newline, doc))
        if kind == "string" and "\n" in value:
            line += value.count("\n")
            line_start = m.start() + value.rfind("\n") + 1
        newline = False
        doc = None
    tokens.append(Token("eof", "", len(text), len(text), line, len(text) - line_start + 1, True, doc))
    return tokens


# --------------------------------------------------------------------------- model

@dataclass
class Param:
    name: str
    type: str = ""
    optional: bool = False
    rest: bool = False


@dataclass
class Signature:
    """A method, constructor, call or construct signature, or a function-typed property."""

    kind: str  # "method", "constructor", "call", "construct", "property"
    name: str
    params: list[Param] = field(default_factory=list)
    return_type: str = ""
    type_params: str = ""
    is_static: bool = False
    optional: bool = False
    access: str = "public"  # "public", "private", "protected"
    doc: str = ""
    line: int = 0


@dataclass
class Property:
    """A member that is not callable: a field, an accessor or an index signature."""

    name: str
    type: str = ""
    is_static: bool = False
    readonly: bool = False
    optional: bool = False
    access: str = "public"
    kind: str = "field"  # "field", "accessor", "index"
    doc: str = ""
    line: int = 0


@dataclass
class TypeBody:
    """The members of a class, an interface or an object-literal type."""

    signatures: list[Signature] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)

    def extend(self, other: "TypeBody") -> None:
        self.signatures.extend(other.signatures)
        self.properties.extend(other.properties)


@dataclass
class Declaration:
    kind: str  # "class", "interface", "type", "variable", "function", "enum", "namespace"
    name: str
    line: int
    exported: bool = False
    default: bool = False
    doc: str = ""
    type_params: str = ""
    extends: list[str] = field(default_factory=list)  # heritage types as written
    implements: list[str] = field(default_factory=list)
    body: TypeBody | None = None  # members; for a type alias or variable, those of its object-literal parts
    type: str = ""  # a type alias's or variable's type as written
    references: list[str] = field(default_factory=list)  # named types intersected into a type alias / variable type
    signatures: list[Signature] = field(default_factory=list)  # a function's overloads
    children: list["Declaration"] = field(default_factory=list)  # a namespace's declarations


@dataclass(frozen=True)
class ImportBinding:
    local: str
    module: str
    imported: str  # the exported name, "default", or "*" for a namespace import


@dataclass
class DeclarationFile:
    declarations: list[Declaration] = field(default_factory=list)
    imports: dict[str, ImportBinding] = field(default_factory=dict)
    reexports: list[str] = field(default_factory=list)  # modules of `export * from "m"` / `export {..} from "m"`
    export_names: dict[str, str] = field(default_factory=dict)  # local name -> exported name from `export { a as b }`
    default_export: str | None = None  # `export default Name;`
    is_module: bool = False  # has a top-level import or export: only exported names are visible

    def is_exported(self, decl: Declaration) -> bool:
        """Whether other code can use ``decl``: exported, or global because the file is a script."""
        return (decl.exported or decl.default or decl.name in self.export_names
                or decl.name == self.default_export or not self.is_module)


# --------------------------------------------------------------------------- parser

_MEMBER_MODIFIERS = {"public", "private", "protected", "static", "readonly", "abstract", "declare",
                     "override", "accessor", "async"}
_PARAM_MODIFIERS = {"public", "private", "protected", "readonly", "override"}
# A type continues on the next line after these tokens (no automatic semicolon) ...
_TYPE_CONTINUES_AFTER = {"|", "&", "=>", ",", ":", "?", ".", "=", "extends", "keyof", "typeof", "infer",
                         "is", "new", "readonly", "unique", "asserts", "<", "(", "[", "{"}
# ... and when the next line starts with these.
_TYPE_CONTINUES_WITH = {"|", "&", ".", "=>", "?", ":", "extends", ">", ")", "]", "}"}
_DECL_KEYWORDS = {"class", "interface", "type", "const", "let", "var", "function", "enum", "namespace",
                  "module", "global", "abstract", "declare", "async"}
_STATEMENT_STARTS = _DECL_KEYWORDS | {"export", "import"}
_OPENERS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSERS = {")", "]", "}", ">"}


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.toks = tokens
        self.i = 0
        self.file = DeclarationFile()

    # -- cursor helpers
    def peek(self, k: int = 0) -> Token:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.toks[-1]

    def at(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.value == value and tok.kind in ("punct", "name")

    def advance(self) -> Token:
        tok = self.peek()
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> DeclarationSyntaxError:
        tok = tok or self.peek()
        return DeclarationSyntaxError(message, tok.line, tok.column)

    def expect(self, value: str) -> Token:
        tok = self.peek()
        if not self.at(value):
            found = "end of file" if tok.kind == "eof" else repr(tok.value)
            raise self.error(f"expected {value!r}, found {found}")
        return self.advance()

    def eat(self, value: str) -> bool:
        if self.at(value):
            self.advance()
            return True
        return False

    def identifier(self, what: str) -> str:
        tok = self.peek()
        if tok.kind != "name":
            found = "end of file" if tok.kind == "eof" else repr(tok.value)
            raise self.error(f"expected {what}, found {found}")
        self.advance()
        return tok.value

    def qualified_name(self, what: str) -> str:
        parts = [self.identifier(what)]
        while self.at(".") and self.peek(1).kind == "name":
            self.advance()
            parts.append(self.advance().value)
        return ".".join(parts)

    def matching(self, i: int) -> int:
        """Index of the bracket closing the one at ``i`` (any of ( [ { <)."""
        stack = [_OPENERS[self.toks[i].value]]
        j = i + 1
        while j < len(self.toks):
            tok = self.toks[j]
            if tok.kind == "punct":
                if tok.value in _OPENERS:
                    stack.append(_OPENERS[tok.value])
                elif tok.value in _CLOSERS:
                    if tok.value != stack[-1]:
                        raise self.error(f"unbalanced {tok.value!r} (expected {stack[-1]!r})", tok)
                    stack.pop()
                    if not stack:
                        return j
            elif tok.kind == "eof":
                break
            j += 1
        raise self.error(f"{self.toks[i].value!r} is never closed", self.toks[i])

    def skip_balanced(self) -> None:
        self.i = self.matching(self.i) + 1

    def text(self, start: int, end: int) -> str:
        """Tokens ``start..end`` as written, whitespace collapsed and brackets tidied."""
        out: list[str] = []
        prev: Token | None = None
        for k in range(start, end):
            tok = self.toks[k]
            if tok.value == "," and k + 1 < end and self.toks[k + 1].value in _CLOSERS:
                continue  # trailing comma of a multi-line list
            if prev is not None and tok.start > prev.end and prev.value not in ("(", "[", "<") \
                    and tok.value not in (")", "]", ">", ",", ";"):
                out.append(" ")
            elif prev is not None and prev.value == "," and tok.start == prev.end:
                out.append(" ")
            out.append(tok.value)
            prev = tok
        return "".join(out)

    # -- types
    def scan_type(self, stops: frozenset[str]) -> tuple[int, int]:
        """Consume a type and return its token range.

        It ends at a depth-0 token in ``stops``, at a closing bracket that belongs to
        the enclosing construct, or at a line break that ends the statement (no
        semicolon, and nothing on either side of the break continues the type).
        """
        start = self.i
        expected: list[str] = []  # closers of the brackets open inside the type
        while True:
            tok = self.peek()
            depth = len(expected)
            if tok.kind == "eof":
                break
            if depth == 0:
                if tok.value in stops and tok.kind in ("punct", "name"):
                    break
                if self.i > start and tok.newline_before \
                        and self.toks[self.i - 1].value not in _TYPE_CONTINUES_AFTER \
                        and tok.value not in _TYPE_CONTINUES_WITH:
                    break
            if tok.kind == "punct":
                if tok.value in _OPENERS:
                    expected.append(_OPENERS[tok.value])
                elif tok.value in _CLOSERS:
                    if depth == 0:
                        break
                    if tok.value != expected[-1]:
                        raise self.error(f"{tok.value!r} where {expected[-1]!r} was expected")
                    expected.pop()
            self.advance()
        if self.i == start:
            raise self.error("expected a type")
        return start, self.i

    def type_params(self) -> str:
        if not self.at("<"):
            return ""
        start = self.i
        self.skip_balanced()
        return self.text(start, self.i)

    def params(self) -> list[Param]:
        self.expect("(")
        params: list[Param] = []
        while not self.at(")"):
            while self.peek().kind == "name" and self.peek().value in _PARAM_MODIFIERS \
                    and (self.peek(1).kind == "name" or self.peek(1).value in ("{", "[", "...")):
                self.advance()
            rest = self.eat("...")
            tok = self.peek()
            if tok.kind == "name":
                name = self.advance().value
            elif self.at("{") or self.at("["):
                start = self.i
                self.skip_balanced()
                name = self.text(start, self.i)
            else:
                raise self.error(f"expected a parameter name, found {tok.value or 'end of file'!r}")
            optional = self.eat("?")
            typ = ""
            if self.eat(":"):
                s, e = self.scan_type(frozenset({",", ")", "="}))
                typ = self.text(s, e)
            if self.eat("="):
                self.scan_type(frozenset({",", ")"}))
                optional = True
            if name != "this":
                params.append(Param(name, typ, optional, rest))
            if not self.eat(","):
                break
        self.expect(")")
        return params

    def return_type(self, stops: frozenset[str]) -> str:
        if not self.eat(":"):
            return ""
        s, e = self.scan_type(stops)
        return self.text(s, e)

    # -- members of classes, interfaces and object types
    def is_modifier(self) -> bool:
        tok, nxt = self.peek(), self.peek(1)
        if tok.kind != "name" or tok.value not in _MEMBER_MODIFIERS:
            return False
        return nxt.kind in ("name", "string", "number") or nxt.value in ("[", "*")

    def members(self, context: str) -> TypeBody:
        """Parse ``{ ... }``; ``context`` is "class", "interface" or "type"."""
        self.expect("{")
        body = TypeBody()
        member_end = frozenset({";", ","})
        while not self.at("}"):
            tok = self.peek()
            if tok.kind == "eof":
                raise self.error("'{' is never closed")
            if self.eat(";") or self.eat(","):
                continue
            doc = tok.doc or ""
            line = tok.line
            access = "public"
            is_static = readonly = False
            while self.is_modifier():
                mod = self.advance().value
                if mod in ("private", "protected"):
                    access = mod
                elif mod == "static":
                    is_static = True
                elif mod == "readonly":
                    readonly = True
            tok = self.peek()
            if tok.kind == "name" and tok.value in ("get", "set") and \
                    (self.peek(1).kind in ("name", "string", "number") or self.at("[", 1)):
                self.advance()
                name = self.member_name()
                self.params()
                typ = self.return_type(member_end)
                body.properties.append(Property(name, typ, is_static, readonly, False, access, "accessor", doc, line))
            elif self.at("[") and (self.peek(1).kind == "name" and self.peek(2).value in (":", "in")
                                   or self.peek(1).value in ("+", "-")):
                start = self.i
                self.skip_balanced()
                key = self.text(start, self.i)
                if self.at("?") or self.at("+") or self.at("-"):
                    while self.peek().value in ("?", "+", "-"):
                        self.advance()
                typ = self.return_type(member_end)
                body.properties.append(Property(key, typ, is_static, readonly, False, access, "index", doc, line))
            elif context != "class" and (self.at("(") or self.at("<")):
                tparams = self.type_params()
                params = self.params()
                ret = self.return_type(member_end)
                body.signatures.append(Signature("call", "", params, ret, tparams, is_static, False,
                                                 access, doc, line))
            elif context != "class" and self.at("new") and (self.at("(", 1) or self.at("<", 1)):
                self.advance()
                tparams = self.type_params()
                params = self.params()
                ret = self.return_type(member_end)
                body.signatures.append(Signature("construct", "", params, ret, tparams, False, False,
                                                 access, doc, line))
            else:
                name = self.member_name()
                if name.startswith("#"):  # an ECMAScript private name
                    access = "private"
                optional = self.eat("?")
                self.eat("!")
                if self.at("(") or self.at("<"):
                    tparams = self.type_params()
                    params = self.params()
                    ret = self.return_type(member_end)
                    kind = "constructor" if context == "class" and name == "constructor" else "method"
                    body.signatures.append(Signature(kind, name, params, ret, tparams, is_static, optional,
                                                     access, doc, line))
                else:
                    typ_range: tuple[int, int] | None = None
                    if self.eat(":"):
                        typ_range = self.scan_type(frozenset({";", ",", "="}))
                    if self.eat("="):
                        self.scan_type(frozenset({";", ","}))
                    fn = self.function_type(*typ_range) if typ_range else None
                    if fn is not None:
                        fn.name, fn.is_static, fn.optional = name, is_static, optional
                        fn.access, fn.doc, fn.line = access, doc, line
                        body.signatures.append(fn)
                    else:
                        typ = self.text(*typ_range) if typ_range else ""
                        body.properties.append(Property(name, typ, is_static, readonly, optional, access,
                                                        "field", doc, line))
            if not (self.eat(";") or self.eat(",")) and not self.at("}") and not self.peek().newline_before:
                found = self.peek()
                raise self.error(f"unexpected {found.value or 'end of file'!r} after a member", found)
        self.expect("}")
        return body

    def member_name(self) -> str:
        tok = self.peek()
        if tok.kind == "name":
            return self.advance().value
        if tok.kind == "string":
            self.advance()
            return tok.value[1:-1]
        if tok.kind == "number":
            return self.advance().value
        if self.at("["):
            start = self.i
            self.skip_balanced()
            return self.text(start, self.i)
        found = "end of file" if tok.kind == "eof" else repr(tok.value)
        raise self.error(f"expected a member name, found {found}")

    def sub(self, start: int, end: int) -> "_Parser":
        """A parser over tokens ``start..end`` alone (to analyse a type already scanned)."""
        eof = self.toks[end] if end < len(self.toks) else self.toks[-1]
        end_tok = Token("eof", "", eof.start, eof.start, eof.line, eof.column, True, None)
        return _Parser(self.toks[start:end] + [end_tok])

    def function_type(self, start: int, end: int) -> Signature | None:
        """The signature of a function type such as ``(a: string) => void``, else None.

        Redundant parentheses are removed, and ``F | undefined`` / ``F | null`` still
        counts as a function, since such a property is an optional callback method.
        """
        parts = self.split_top(start, end, "|")
        if len(parts) > 1:
            fns = [p for p in parts if self.text(*p) not in ("undefined", "null")]
            if len(fns) != 1:
                return None
            start, end = fns[0]
        while start < end and self.toks[start].value == "(" and self.matching(start) == end - 1 \
                and not self.is_arrow_params(start, end):
            start, end = start + 1, end - 1
        p = self.sub(start, end)
        if p.at("new"):
            p.advance()
        tparams = p.type_params()
        if not p.at("("):
            return None
        close = p.matching(p.i)
        if p.peek(close - p.i + 1).value != "=>":
            return None
        params = p.params()
        p.expect("=>")
        s, e = p.scan_type(frozenset())
        return Signature("property", "", params, p.text(s, e), tparams)

    def is_arrow_params(self, start: int, end: int) -> bool:
        close = self.matching(start)
        return close + 1 < end and self.toks[close + 1].value == "=>"

    def split_top(self, start: int, end: int, sep: str) -> list[tuple[int, int]]:
        """Split a token range at depth-0 ``sep`` tokens (a leading one is ignored)."""
        parts: list[tuple[int, int]] = []
        depth = 0
        begin = start
        for k in range(start, end):
            tok = self.toks[k]
            if tok.kind != "punct":
                continue
            if tok.value in _OPENERS:
                depth += 1
            elif tok.value in _CLOSERS:
                depth -= 1
            elif tok.value == sep and depth == 0:
                if k > begin:
                    parts.append((begin, k))
                begin = k + 1
        if end > begin:
            parts.append((begin, end))
        return parts

    def analyse_type(self, start: int, end: int, decl: Declaration) -> None:
        """Fill ``decl.body`` / ``decl.references`` from an intersection of object types and names."""
        if len(self.split_top(start, end, "|")) > 1:
            return
        body = TypeBody()
        for s, e in self.split_top(start, end, "&"):
            while self.toks[s].value == "(" and self.matching(s) == e - 1:
                s, e = s + 1, e - 1
            if self.toks[s].value == "{" and self.matching(s) == e - 1:
                body.extend(self.sub(s, e).members("type"))
            elif self.toks[s].kind == "name":
                p = self.sub(s, e)
                name = p.qualified_name("a type name")
                p.type_params()
                if p.peek().kind == "eof" and name not in ("typeof", "keyof"):
                    decl.references.append(name)
        decl.body = body

    # -- statements
    def statements(self, until: str | None = None) -> list[Declaration]:
        out: list[Declaration] = []
        while True:
            if until is not None and self.at(until):
                break
            if self.peek().kind == "eof":
                if until is not None:
                    raise self.error(f"expected {until!r}, found end of file")
                break
            self.statement(out, top=until is None)
        return out

    def statement(self, out: list[Declaration], top: bool) -> None:
        tok = self.peek()
        doc = tok.doc or ""
        if self.eat(";"):
            return
        if tok.kind == "name" and tok.value == "import" and not self.at("(", 1):
            self.import_statement(top)
            return
        exported = default = False
        if self.at("export"):
            self.advance()
            if top:
                self.file.is_module = True
            if self.at("*") or self.at("{") or (self.at("type") and (self.at("{", 1) or self.at("*", 1))):
                self.export_list(top)
                return
            if self.at("=") or self.at("as"):
                assignment = self.eat("=")
                start = self.i
                self.skip_statement()
                names = [t.value for t in self.toks[start:self.i] if t.kind == "name"]
                if assignment and top and len(names) == 1:  # `export = X` exports X as the module
                    self.file.default_export = names[0]
                return
            if self.at("import"):
                self.skip_statement()
                return
            exported = True
            if self.eat("default"):
                default = True
                if self.peek().value not in _DECL_KEYWORDS or self.peek().kind != "name":
                    start = self.i
                    self.skip_statement()
                    names = [t.value for t in self.toks[start:self.i] if t.kind == "name"]
                    if top and len(names) == 1:
                        self.file.default_export = names[0]
                    return
        while self.peek().kind == "name" and self.peek().value in ("declare", "abstract", "async") \
                and self.peek(1).kind == "name":
            self.advance()
        kw = self.peek()
        if kw.kind != "name":
            raise self.error(f"unexpected {kw.value or 'end of file'!r} at the start of a declaration")
        word = kw.value
        if word == "class":
            out.append(self.class_decl(doc, exported, default))
        elif word == "interface":
            out.append(self.interface_decl(doc, exported, default))
        elif word == "type" and self.peek(1).kind == "name":
            out.append(self.type_alias(doc, exported))
        elif word == "enum" or (word == "const" and self.at("enum", 1)):
            out.append(self.enum_decl(doc, exported))
        elif word in ("const", "let", "var"):
            out.extend(self.variable_decl(doc, exported))
        elif word == "function":
            self.function_decl(doc, exported, default, out)
        elif word in ("namespace", "module", "global"):
            out.append(self.namespace_decl(doc, exported))
        else:
            raise self.error(f"unexpected {word!r} at the start of a declaration")

    def skip_statement(self) -> None:
        """Skip to the end of a statement this parser has no use for."""
        depth = 0
        start = self.i
        while self.peek().kind != "eof":
            tok = self.peek()
            if depth == 0 and self.i > start and tok.newline_before and tok.value in _STATEMENT_STARTS:
                return
            if tok.kind == "punct":
                if tok.value == ";" and depth == 0:
                    self.advance()
                    return
                if tok.value in ("(", "[", "{"):
                    depth += 1
                elif tok.value in (")", "]", "}"):
                    if depth == 0:
                        return
                    depth -= 1
            self.advance()

    def import_statement(self, top: bool) -> None:
        self.expect("import")
        if top:
            self.file.is_module = True
        if self.peek().kind == "string":
            self.advance()
            self.eat(";")
            return
        self.eat("type")
        bindings: list[tuple[str, str]] = []
        if self.peek().kind == "name" and not self.at("from") or (self.at("from") and self.at("from", 1)):
            local = self.advance().value
            if self.eat("="):  # import x = require("m") / import x = A.B
                start = self.i
                self.skip_statement()
                mods = [t.value[1:-1] for t in self.toks[start:self.i] if t.kind == "string"]
                if top and mods:
                    self.file.imports[local] = ImportBinding(local, mods[0], "*")
                return
            bindings.append((local, "default"))
            self.eat(",")
        if self.eat("*"):
            self.expect("as")
            bindings.append((self.identifier("a namespace name"), "*"))
        elif self.at("{"):
            self.advance()
            while not self.at("}"):
                self.eat("type")
                imported = self.advance().value
                local = imported
                if self.eat("as"):
                    local = self.identifier("an import name")
                bindings.append((local, imported.strip("\"'")))
                if not self.eat(","):
                    break
            self.expect("}")
        self.expect("from")
        mod = self.peek()
        if mod.kind != "string":
            raise self.error("expected a module name after 'from'")
        self.advance()
        self.eat(";")
        if top:
            for local, imported in bindings:
                self.file.imports[local] = ImportBinding(local, mod.value[1:-1], imported)

    def export_list(self, top: bool) -> None:
        self.eat("type")
        names: list[tuple[str, str]] = []
        if self.eat("*"):
            if self.eat("as"):
                self.identifier("a namespace name")
        else:
            self.expect("{")
            while not self.at("}"):
                self.eat("type")
                local = self.advance().value
                exported = local
                if self.eat("as"):
                    exported = self.advance().value
                names.append((local, exported))
                if not self.eat(","):
                    break
            self.expect("}")
        if self.eat("from"):
            mod = self.peek()
            if mod.kind != "string":
                raise self.error("expected a module name after 'from'")
            self.advance()
            if top:
                self.file.reexports.append(mod.value[1:-1])
        elif top:
            for local, exported in names:
                if exported == "default":
                    self.file.default_export = local
                else:
                    self.file.export_names[local] = exported
        self.eat(";")

    def heritage(self, stops: frozenset[str]) -> list[str]:
        types: list[str] = []
        while True:
            s, e = self.scan_type(stops | {","})
            types.append(self.text(s, e))
            if not self.eat(","):
                return types

    def class_decl(self, doc: str, exported: bool, default: bool) -> Declaration:
        line = self.expect("class").line
        name = self.identifier("a class name") if self.peek().kind == "name" \
            and self.peek().value not in ("extends", "implements") else ""
        decl = Declaration("class", name, line, exported, default, doc, self.type_params())
        heritage_stops = frozenset({"{", "implements", "extends"})
        while self.at("extends") or self.at("implements"):
            which = self.advance().value
            (decl.extends if which == "extends" else decl.implements).extend(self.heritage(heritage_stops))
        decl.body = self.members("class")
        return decl

    def interface_decl(self, doc: str, exported: bool, default: bool) -> Declaration:
        line = self.expect("interface").line
        decl = Declaration("interface", self.identifier("an interface name"), line, exported, default, doc)
        decl.type_params = self.type_params()
        if self.eat("extends"):
            decl.extends = self.heritage(frozenset({"{"}))
        decl.body = self.members("interface")
        return decl

    def type_alias(self, doc: str, exported: bool) -> Declaration:
        line = self.expect("type").line
        decl = Declaration("type", self.identifier("a type name"), line, exported, False, doc)
        decl.type_params = self.type_params()
        self.expect("=")
        s, e = self.scan_type(frozenset({";"}))
        decl.type = self.text(s, e)
        self.analyse_type(s, e, decl)
        self.eat(";")
        return decl

    def variable_decl(self, doc: str, exported: bool) -> list[Declaration]:
        self.advance()  # const / let / var
        out: list[Declaration] = []
        while True:
            tok = self.peek()
            decl = Declaration("variable", self.identifier("a variable name"), tok.line, exported, False, doc)
            if self.eat(":"):
                s, e = self.scan_type(frozenset({";", ",", "="}))
                decl.type = self.text(s, e)
                self.analyse_type(s, e, decl)
                fn = self.function_type(s, e)
                if fn is not None:
                    fn.name, fn.doc, fn.line = decl.name, doc, tok.line
                    decl.signatures.append(fn)
            if self.eat("="):
                self.scan_type(frozenset({";", ","}))
            out.append(decl)
            if not self.eat(","):
                break
        self.eat(";")
        return out

    def function_decl(self, doc: str, exported: bool, default: bool, out: list[Declaration]) -> None:
        line = self.expect("function").line
        name = self.identifier("a function name") if self.peek().kind == "name" else ""
        tparams = self.type_params()
        params = self.params()
        ret = self.return_type(frozenset({";", "{"}))
        if self.at("{"):
            self.skip_balanced()
        self.eat(";")
        sig = Signature("method", name, params, ret, tparams, True, False, "public", doc, line)
        for decl in out:
            if decl.kind == "function" and decl.name == name and name:
                decl.signatures.append(sig)
                return
        out.append(Declaration("function", name, line, exported, default, doc, signatures=[sig]))

    def enum_decl(self, doc: str, exported: bool) -> Declaration:
        self.eat("const")
        line = self.expect("enum").line
        decl = Declaration("enum", self.identifier("an enum name"), line, exported, False, doc)
        body = TypeBody()
        self.expect("{")
        while not self.at("}"):
            tok = self.peek()
            name = self.member_name()
            value = ""
            if self.eat("="):
                value = self.initializer()
            body.properties.append(Property(name, value, True, True, False, "public", "field", tok.doc or "", tok.line))
            if not self.eat(","):
                break
        self.expect("}")
        decl.body = body
        return decl

    def initializer(self) -> str:
        """An enum member's value: an expression, so ``<`` is an operator, not a bracket."""
        start = self.i
        depth = 0
        while self.peek().kind != "eof":
            tok = self.peek()
            if tok.kind == "punct":
                if depth == 0 and tok.value in (",", "}"):
                    break
                if tok.value in ("(", "[", "{"):
                    depth += 1
                elif tok.value in (")", "]", "}"):
                    depth -= 1
            self.advance()
        return self.text(start, self.i)

    def namespace_decl(self, doc: str, exported: bool) -> Declaration:
        tok = self.advance()
        if tok.value == "global":
            name = "global"
        elif self.peek().kind == "string":
            name = self.advance().value[1:-1]
        else:
            name = self.qualified_name("a namespace name")
        decl = Declaration("namespace", name, tok.line, exported, False, doc)
        if self.at("{"):
            self.advance()
            decl.children = self.statements(until="}")
            self.expect("}")
        else:
            self.eat(";")
        return decl


def parse_declarations(text: str) -> DeclarationFile:
    """Parse the text of a ``.d.ts`` file; raises :class:`DeclarationSyntaxError`."""
    parser = _Parser(tokenize(text))
    parser.file.declarations = parser.statements()
    return parser.file


# --------------------------------------------------------------------------- JSDoc

@dataclass
class JsDoc:
    description: str = ""
    params: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (type, description)
    returns_type: str = ""
    returns_description: str = ""
    deprecated: bool = False
    deprecated_note: str = ""
    throws: list[str] = field(default_factory=list)


_INLINE_LINK_RE = re.compile(r"\{@(?:link|linkcode|linkplain)\s+([^}|\s]+)(?:[\s|]+([^}]*))?\}")
_PRE_RE = re.compile(r"<pre>.*?(?:</pre>|$)", re.S | re.I)
_HTML_TAG_RE = re.compile(r"</?(?:p|br|b|i|em|strong|code|ul|ol|li|tt)\s*/?>", re.I)
_TAG_RE = re.compile(r"@([A-Za-z]+)\b\s*(.*)", re.S)
# Tags whose continuation lines are examples or metadata, not prose worth indexing.
_DROPPED_TAGS = {"example", "see", "since", "author", "version", "internal", "private", "hidden",
                 "override", "template", "typeparam", "type", "memberof", "static", "function", "method",
                 "class", "constructor", "namespace", "module", "default", "public", "inheritdoc"}


def _clean(text: str) -> str:
    """Prose of a doc block: inline links as their text, HTML code examples dropped, lines joined."""
    text = _INLINE_LINK_RE.sub(lambda m: m.group(2) or m.group(1), text)
    text = _PRE_RE.sub("", text)
    text = _HTML_TAG_RE.sub(" ", text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paragraphs if p)


def _braced(text: str) -> tuple[str, str]:
    """Split a leading ``{type}`` (braces may nest) off ``text``."""
    text = text.lstrip()
    if not text.startswith("{"):
        return "", text
    depth = 0
    for k, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return " ".join(text[1:k].split()), text[k + 1:].lstrip()
    return "", text


def parse_jsdoc(raw: str) -> JsDoc:
    """Description and tags of a ``/** ... */`` (or ``/* ... */``) comment.

    ``@deprecated`` keeps only the text on its own line: the package puts the real
    description on the lines after a bare ``@Deprecated``, so those stay description.
    """
    doc = JsDoc()
    if not raw:
        return doc
    body = raw[2:-2] if raw.startswith("/*") and raw.endswith("*/") else raw
    body = body.lstrip("*!")
    lines = [re.sub(r"^\s*\*? ?", "", ln) for ln in body.split("\n")]
    description: list[str] = []
    tags: list[tuple[str, list[str]]] = []
    current = description
    for ln in lines:
        m = _TAG_RE.match(ln.strip()) if ln.strip().startswith("@") else None
        if m:
            name = m.group(1).lower()
            if name == "deprecated":
                doc.deprecated = True
                doc.deprecated_note = _clean(m.group(2)).lstrip("-: ").strip()
                current = description
                continue
            tags.append((name, [m.group(2)]))
            current = tags[-1][1]
        else:
            current.append(ln)
    doc.description = _clean("\n".join(description))
    for name, parts in tags:
        if name in _DROPPED_TAGS:
            continue
        text = "\n".join(parts)
        if name in ("param", "arg", "argument"):
            typ, rest = _braced(text)
            m = re.match(r"(\[[^\]]*\]|[\w$.\[\]]+)\s*(.*)", rest, re.S)
            if not m:
                continue
            pname = m.group(1).strip("[]").split("=")[0].strip()
            pdesc = _clean(m.group(2)).lstrip("-: ").strip()
            doc.params.setdefault(pname, (typ, pdesc))
        elif name in ("returns", "return"):
            typ, rest = _braced(text)
            doc.returns_type, doc.returns_description = typ, _clean(rest).lstrip("-: ").strip()
        elif name in ("throws", "throw", "exception"):
            typ, rest = _braced(text)
            note = _clean(rest).lstrip("-: ").strip()
            doc.throws.append(f"{typ}: {note}" if typ and note else typ or note)
    return doc
