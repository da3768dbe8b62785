"""TypeScript declaration files (``.d.ts``) read with tree-sitter-typescript.

Platform API packages such as ``@servicenow/glide`` describe every callable class as
TypeScript declarations: signatures over several lines, generics whose constraints hold
``|`` and ``&``, object-literal types in parameter lists, overloads, and classes modelled
as ``declare const X: IX`` plus a local type. The grammar handles all of it, and, like the
JavaScript side of :mod:`deepcodeseek.parsing`, it tolerates errors: a file with a broken
member still yields every declaration that parses, and each part it could not read is
named (line, column, what was wrong) in :attr:`DeclarationFile.problems`.

This module maps the syntax tree onto a small model (declarations, signatures,
properties, imports and exports). Types are kept as the source wrote them (whitespace
collapsed); only their outer structure (intersections of object types and references,
function types) is analysed, because that is all a reader of method signatures needs.
Nothing here knows about ServiceNow: :mod:`deepcodeseek.sources.platform_api` turns the
parsed files into API documentation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from tree_sitter import Language, Node, Parser

from deepcodeseek.errors import BadInput
from deepcodeseek.parsing._tree import encode, text

__all__ = [
    "Declaration", "DeclarationFile", "DeclarationSyntaxError", "ImportBinding", "Param", "Property",
    "Signature", "TypeBody", "parse_declarations",
]


class DeclarationSyntaxError(BadInput):
    """A part of a declaration file that does not parse; names the line and column."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.reason = message


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

    def extend(self, other: TypeBody) -> None:
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
    children: list[Declaration] = field(default_factory=list)  # a namespace's declarations
    complete: bool = True  # False when part of it did not parse (see DeclarationFile.problems)


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
    problems: list[DeclarationSyntaxError] = field(default_factory=list)  # what did not parse, in order

    def is_exported(self, decl: Declaration) -> bool:
        """Whether other code can use ``decl``: exported, or global because the file is a script."""
        return (decl.exported or decl.default or decl.name in self.export_names
                or decl.name == self.default_export or not self.is_module)


# --------------------------------------------------------------------------- parser plumbing

_parser: Parser | None = None
_lock = threading.Lock()


def _get_parser() -> Parser:
    """The process-wide TypeScript parser, built on first use (the grammar costs milliseconds)."""
    global _parser
    if _parser is None:
        import tree_sitter_typescript

        _parser = Parser(Language(tree_sitter_typescript.language_typescript()))
    return _parser


_WS = re.compile(r"\s+")
_TRAILING_COMMA = re.compile(r",\s*([)\]}>])")
_AFTER_OPENER = re.compile(r"([(\[<]) ")
_BEFORE_CLOSER = re.compile(r" ([)\]>,;])")
_LICENCE = re.compile(r"^/\*!|@license|copyright", re.I)
_CLOSER_OF = {"}": "{", ")": "(", "]": "[", ">": "<"}


def _type_text(node: Node | None, src: bytes) -> str:
    """A type as written, whitespace collapsed and brackets tidied (``Array<string | number>``)."""
    if node is None:
        return ""
    value = _WS.sub(" ", text(node, src)).strip()
    value = _TRAILING_COMMA.sub(r"\1", value)
    value = _AFTER_OPENER.sub(r"\1", value)
    return _BEFORE_CLOSER.sub(r"\1", value)


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _annotation(node: Node | None) -> Node | None:
    """The type inside a ``type_annotation`` (``: T``), or the node itself."""
    if node is not None and node.type in ("type_annotation", "opting_type_annotation", "omitting_type_annotation"):
        return node.named_children[-1] if node.named_children else None
    return node


def _keywords(node: Node) -> set[str]:
    """The anonymous keyword children of a member (``static``, ``readonly``, ``get`` ...)."""
    return {c.type for c in node.children if not c.is_named}


def _doc_before(node: Node, src: bytes) -> str:
    """The block comment right before ``node`` (line comments between are skipped), if any.

    Licence headers are not documentation of what follows.
    """
    prev = node.prev_sibling
    while prev is not None and prev.type == "comment":
        value = text(prev, src)
        if value.startswith("/*"):
            return "" if _LICENCE.search(value[:200]) else value
        prev = prev.prev_sibling
    return ""


# --------------------------------------------------------------------------- problems

def _problems(root: Node, src: bytes) -> list[DeclarationSyntaxError]:
    """Every ERROR and MISSING node, as named problems: errors first (they are the causes), by position."""
    errors: list[tuple[tuple[int, int], DeclarationSyntaxError]] = []
    missing: list[tuple[tuple[int, int], DeclarationSyntaxError]] = []

    def visit(node: Node) -> None:
        if node.is_missing:
            where = node
            opener = _CLOSER_OF.get(node.type)
            message = f"expected {node.type!r}"
            if opener is not None and node.parent is not None:
                opened = next((c for c in node.parent.children if c.type == opener), None)
                if opened is not None:
                    where, message = opened, f"{opener!r} is never closed"
            missing.append((where.start_point, _problem(message, where)))
            return
        if node.is_error:
            errors.append((node.start_point, _problem(_describe_error(node, src), node)))
            return
        if node.has_error:
            for child in node.children:
                visit(child)

    visit(root)
    return [p for _, p in sorted(errors, key=lambda e: e[0])] + [p for _, p in sorted(missing, key=lambda e: e[0])]


def _problem(message: str, node: Node) -> DeclarationSyntaxError:
    return DeclarationSyntaxError(message, node.start_point.row + 1, node.start_point.column + 1)


def _describe_error(node: Node, src: bytes) -> str:
    value = text(node, src).lstrip()
    if value.startswith("/*"):
        return "unterminated comment"
    if value[:1] in ("'", '"', "`"):
        return "unterminated string"
    leaves = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.child_count == 0:
            leaves.append(current)
        else:
            stack.extend(reversed(current.children))
    named = next((leaf for leaf in leaves if leaf.is_named), None)
    first = named or (leaves[0] if leaves else node)
    return f"unexpected {_WS.sub(' ', text(first, src)).strip()[:40] or 'end of file'!r}"


# --------------------------------------------------------------------------- declarations

class _Reader:
    """Walks one file's syntax tree into a :class:`DeclarationFile`."""

    def __init__(self, src: bytes):
        self.src = src
        self.file = DeclarationFile()

    def t(self, node: Node | None) -> str:
        return text(node, self.src) if node is not None else ""

    # -- statements
    def statements(self, parent: Node, top: bool) -> list[Declaration]:
        out: list[Declaration] = []
        for node in parent.named_children:
            if node.type in ("comment", "ERROR"):
                continue
            self.statement(node, out, top, _doc_before(node, self.src))
        return out

    def statement(self, node: Node, out: list[Declaration], top: bool, doc: str,
                  exported: bool = False, default: bool = False) -> None:
        kind = node.type
        if kind == "import_statement":
            self.import_statement(node, top)
        elif kind == "export_statement":
            self.export_statement(node, out, top, doc)
        elif kind == "ambient_declaration":
            self.ambient(node, out, top, doc, exported)
        elif kind == "expression_statement":  # `namespace X {}` without `declare`
            for child in node.named_children:
                if child.type in ("internal_module", "module"):
                    out.append(self.namespace(child, doc, exported))
        else:
            decl = self.declaration(node, doc, exported, default, out)
            if decl is not None:
                out.append(decl)

    def declaration(self, node: Node, doc: str, exported: bool, default: bool,
                    out: list[Declaration]) -> Declaration | None:
        kind = node.type
        if kind in ("class_declaration", "abstract_class_declaration", "class"):
            return self.class_decl(node, doc, exported, default)
        if kind == "interface_declaration":
            return self.interface_decl(node, doc, exported, default)
        if kind == "type_alias_declaration":
            return self.type_alias(node, doc, exported)
        if kind == "enum_declaration":
            return self.enum_decl(node, doc, exported)
        if kind in ("lexical_declaration", "variable_declaration"):
            out.extend(self.variables(node, doc, exported))
            return None
        if kind in ("function_signature", "function_declaration", "generator_function_declaration"):
            self.function(node, doc, exported, default, out)
            return None
        if kind in ("internal_module", "module"):
            return self.namespace(node, doc, exported)
        return None  # statements a declaration file may hold but that declare nothing we read

    def ambient(self, node: Node, out: list[Declaration], top: bool, doc: str, exported: bool) -> None:
        if any(c.type == "global" for c in node.children):  # declare global { ... }
            block = next((c for c in node.named_children if c.type == "statement_block"), None)
            decl = Declaration("namespace", "global", _line(node), exported, False, doc, complete=not node.has_error)
            decl.children = self.statements(block, top=False) if block is not None else []
            out.append(decl)
            return
        for child in node.named_children:
            if child.type != "comment":
                self.statement(child, out, top, doc, exported)

    def import_statement(self, node: Node, top: bool) -> None:
        if top:
            self.file.is_module = True
        source = node.child_by_field_name("source")
        module = self.string(source)
        bindings: list[tuple[str, str]] = []
        for child in node.named_children:
            if child.type == "import_require_clause":  # import x = require("m")
                name = next((c for c in child.named_children if c.type == "identifier"), None)
                module = self.string(child.child_by_field_name("source"))
                if name is not None:
                    bindings.append((self.t(name), "*"))
            elif child.type == "import_clause":
                for part in child.named_children:
                    if part.type == "identifier":
                        bindings.append((self.t(part), "default"))
                    elif part.type == "namespace_import":
                        ident = next((c for c in part.named_children if c.type == "identifier"), None)
                        if ident is not None:
                            bindings.append((self.t(ident), "*"))
                    elif part.type == "named_imports":
                        for spec in part.named_children:
                            if spec.type != "import_specifier":
                                continue
                            imported = self.t(spec.child_by_field_name("name")).strip("\"'")
                            alias = spec.child_by_field_name("alias")
                            bindings.append((self.t(alias) if alias is not None else imported, imported))
        if top and module:
            for local, imported in bindings:
                self.file.imports[local] = ImportBinding(local, module, imported)

    def export_statement(self, node: Node, out: list[Declaration], top: bool, doc: str) -> None:
        if top:
            self.file.is_module = True
        keywords = _keywords(node)
        declaration = node.child_by_field_name("declaration")
        default = "default" in keywords
        if declaration is not None:
            self.statement(declaration, out, top, doc, exported=True, default=default)
            return
        source = node.child_by_field_name("source")
        if source is not None:  # export * from "m" / export { a } from "m"
            if top:
                self.file.reexports.append(self.string(source))
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:
            if top:
                for spec in clause.named_children:
                    if spec.type != "export_specifier":
                        continue
                    local = self.t(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    exported = self.t(alias) if alias is not None else local
                    if exported == "default":
                        self.file.default_export = local
                    else:
                        self.file.export_names[local] = exported
            return
        value = node.child_by_field_name("value") or next(
            (c for c in node.named_children if c.type == "identifier"), None)
        if top and value is not None and value.type == "identifier" and ("default" in keywords or "=" in keywords):
            self.file.default_export = self.t(value)  # export default X; / export = X;

    def string(self, node: Node | None) -> str:
        if node is None:
            return ""
        fragment = next((c for c in node.named_children if c.type == "string_fragment"), None)
        return self.t(fragment) if fragment is not None else self.t(node).strip("\"'`")

    # -- declarations
    def heritage(self, node: Node) -> tuple[list[str], list[str]]:
        extends: list[str] = []
        implements: list[str] = []
        for clause in node.named_children:
            if clause.type == "class_heritage":
                for part in clause.named_children:
                    target = extends if part.type == "extends_clause" else implements
                    target.extend(self.heritage_types(part))
            elif clause.type == "extends_type_clause":
                extends.extend(self.heritage_types(clause))
        return extends, implements

    def heritage_types(self, clause: Node) -> list[str]:
        types: list[str] = []
        children = [c for c in clause.named_children if c.type != "comment"]
        k = 0
        while k < len(children):
            value = _type_text(children[k], self.src)
            # `extends Base<T>` in a class: the value and its type arguments are siblings
            if k + 1 < len(children) and children[k + 1].type == "type_arguments":
                value += _type_text(children[k + 1], self.src)
                k += 1
            types.append(value)
            k += 1
        return types

    def class_decl(self, node: Node, doc: str, exported: bool, default: bool) -> Declaration:
        name = node.child_by_field_name("name")
        decl = Declaration("class", self.t(name), _line(node), exported, default, doc,
                           _type_text(node.child_by_field_name("type_parameters"), self.src),
                           complete=not node.has_error)
        decl.extends, decl.implements = self.heritage(node)
        body = node.child_by_field_name("body")
        decl.body = self.members(body, "class") if body is not None else TypeBody()
        return decl

    def interface_decl(self, node: Node, doc: str, exported: bool, default: bool) -> Declaration:
        decl = Declaration("interface", self.t(node.child_by_field_name("name")), _line(node), exported, default,
                           doc, _type_text(node.child_by_field_name("type_parameters"), self.src),
                           complete=not node.has_error)
        decl.extends, _ = self.heritage(node)
        body = node.child_by_field_name("body")
        decl.body = self.members(body, "interface") if body is not None else TypeBody()
        return decl

    def type_alias(self, node: Node, doc: str, exported: bool) -> Declaration:
        decl = Declaration("type", self.t(node.child_by_field_name("name")), _line(node), exported, False, doc,
                           _type_text(node.child_by_field_name("type_parameters"), self.src),
                           complete=not node.has_error)
        value = node.child_by_field_name("value")
        decl.type = _type_text(value, self.src)
        self.analyse_type(value, decl)
        return decl

    def variables(self, node: Node, doc: str, exported: bool) -> list[Declaration]:
        out: list[Declaration] = []
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            decl = Declaration("variable", self.t(declarator.child_by_field_name("name")), _line(declarator),
                               exported, False, doc, complete=not declarator.has_error)
            typ = _annotation(declarator.child_by_field_name("type"))
            if typ is not None:
                decl.type = _type_text(typ, self.src)
                self.analyse_type(typ, decl)
                fn = self.function_type(typ)
                if fn is not None:
                    fn.name, fn.doc, fn.line = decl.name, doc, _line(declarator)
                    decl.signatures.append(fn)
            out.append(decl)
        return out

    def function(self, node: Node, doc: str, exported: bool, default: bool, out: list[Declaration]) -> None:
        name = self.t(node.child_by_field_name("name"))
        sig = Signature("method", name, self.params(node.child_by_field_name("parameters")),
                        _type_text(_annotation(node.child_by_field_name("return_type")), self.src),
                        _type_text(node.child_by_field_name("type_parameters"), self.src),
                        True, False, "public", doc, _line(node))
        for decl in out:
            if decl.kind == "function" and decl.name == name and name:
                decl.signatures.append(sig)  # an overload
                return
        out.append(Declaration("function", name, _line(node), exported, default, doc, signatures=[sig],
                               complete=not node.has_error))

    def enum_decl(self, node: Node, doc: str, exported: bool) -> Declaration:
        decl = Declaration("enum", self.t(node.child_by_field_name("name")), _line(node), exported, False, doc,
                           complete=not node.has_error)
        body = TypeBody()
        block = node.child_by_field_name("body")
        for member in block.named_children if block is not None else []:
            if member.type == "enum_assignment":
                name, value = member.child_by_field_name("name"), _type_text(member.child_by_field_name("value"), self.src)
            elif member.type in ("property_identifier", "string", "number"):
                name, value = member, ""
            else:
                continue
            body.properties.append(Property(self.member_name(name), value, True, True, False, "public", "field",
                                            _doc_before(member, self.src), _line(member)))
        decl.body = body
        return decl

    def namespace(self, node: Node, doc: str, exported: bool) -> Declaration:
        name_node = node.child_by_field_name("name")
        name = self.string(name_node) if name_node is not None and name_node.type == "string" else self.t(name_node)
        decl = Declaration("namespace", name, _line(node), exported, False, doc, complete=not node.has_error)
        body = node.child_by_field_name("body")
        decl.children = self.statements(body, top=False) if body is not None else []
        return decl

    # -- types
    def analyse_type(self, node: Node | None, decl: Declaration) -> None:
        """Fill ``decl.body`` / ``decl.references`` from an intersection of object types and names."""
        node = _annotation(node)
        if node is None or node.type == "union_type":
            return
        body = TypeBody()
        for part in self.intersected(node):
            while part.type == "parenthesized_type" and part.named_children:
                part = part.named_children[0]
            if part.type == "object_type":
                body.extend(self.members(part, "type"))
            elif part.type in ("type_identifier", "nested_type_identifier", "identifier"):
                decl.references.append(self.t(part))
            elif part.type == "generic_type":
                decl.references.append(self.t(part.child_by_field_name("name")))
        decl.body = body

    def intersected(self, node: Node) -> list[Node]:
        if node.type != "intersection_type":
            return [node]
        parts: list[Node] = []
        for child in node.named_children:
            if child.type != "comment":
                parts.extend(self.intersected(child))
        return parts

    def function_type(self, node: Node | None) -> Signature | None:
        """The signature of a function type such as ``(a: string) => void``, else None.

        Redundant parentheses are removed, and ``F | undefined`` / ``F | null`` still counts
        as a function, since such a property is an optional callback method.
        """
        node = _annotation(node)
        if node is None:
            return None
        if node.type == "union_type":
            parts = [p for p in self.unioned(node) if _type_text(p, self.src) not in ("undefined", "null")]
            if len(parts) != 1:
                return None
            node = parts[0]
        while node.type == "parenthesized_type" and node.named_children:
            node = node.named_children[0]
        if node.type not in ("function_type", "constructor_type"):
            return None
        return Signature("property", "", self.params(node.child_by_field_name("parameters")),
                         _type_text(_annotation(node.child_by_field_name("return_type")), self.src),
                         _type_text(node.child_by_field_name("type_parameters"), self.src))

    def unioned(self, node: Node) -> list[Node]:
        if node.type != "union_type":
            return [node]
        parts: list[Node] = []
        for child in node.named_children:
            if child.type != "comment":
                parts.extend(self.unioned(child))
        return parts

    def params(self, node: Node | None) -> list[Param]:
        params: list[Param] = []
        for child in node.named_children if node is not None else []:
            if child.type not in ("required_parameter", "optional_parameter"):
                continue
            pattern = child.child_by_field_name("pattern")
            if pattern is None:
                pattern = next((c for c in child.named_children if c.type in ("identifier", "this")), None)
            rest = pattern is not None and pattern.type == "rest_pattern"
            if rest:
                name = self.t(pattern.named_children[0] if pattern.named_children else pattern)
            elif pattern is not None and pattern.type in ("identifier", "this"):
                name = self.t(pattern)
            else:
                name = _type_text(pattern, self.src)  # a destructuring pattern, as written
            if name == "this":
                continue
            optional = child.type == "optional_parameter" or child.child_by_field_name("value") is not None
            params.append(Param(name, _type_text(_annotation(child.child_by_field_name("type")), self.src),
                                optional, rest))
        return params

    # -- members of classes, interfaces and object types
    def member_name(self, node: Node | None) -> str:
        if node is None:
            return ""
        if node.type == "string":
            return self.string(node)
        if node.type == "computed_property_name":
            return _type_text(node, self.src)
        return self.t(node)

    def members(self, body: Node, context: str) -> TypeBody:
        out = TypeBody()
        for node in body.named_children:
            kind = node.type
            if kind in ("comment", "ERROR", "decorator", "class_static_block"):
                continue
            doc = _doc_before(node, self.src)
            line = _line(node)
            keywords = _keywords(node)
            access = "public"
            modifier = next((c for c in node.named_children if c.type == "accessibility_modifier"), None)
            if modifier is not None and self.t(modifier) in ("private", "protected"):
                access = self.t(modifier)
            is_static = "static" in keywords
            readonly = "readonly" in keywords
            optional = "?" in keywords
            name_node = node.child_by_field_name("name")
            name = self.member_name(name_node)
            if name_node is not None and name_node.type == "private_property_identifier":
                access = "private"  # an ECMAScript private name (#x)
            if kind in ("method_signature", "method_definition", "abstract_method_signature"):
                if keywords & {"get", "set"}:
                    out.properties.append(Property(name, self.returns(node), is_static, readonly, False, access,
                                                   "accessor", doc, line))
                    continue
                sig_kind = "constructor" if context == "class" and name == "constructor" else "method"
                out.signatures.append(self.signature(node, sig_kind, name, is_static, optional, access, doc, line))
            elif kind == "call_signature" and context != "class":
                out.signatures.append(self.signature(node, "call", "", is_static, False, access, doc, line))
            elif kind == "construct_signature" and context != "class":
                sig = self.signature(node, "construct", "", False, False, access, doc, line)
                sig.return_type = _type_text(_annotation(node.child_by_field_name("type")), self.src)
                out.signatures.append(sig)
            elif kind == "index_signature":
                key = self.bracketed(node)
                out.properties.append(Property(key, _type_text(_annotation(node.child_by_field_name("type")),
                                                               self.src), is_static, readonly, False, access,
                                               "index", doc, line))
            elif kind in ("public_field_definition", "property_signature"):
                typ = _annotation(node.child_by_field_name("type"))
                fn = self.function_type(typ)
                if fn is not None:
                    fn.name, fn.is_static, fn.optional = name, is_static, optional
                    fn.access, fn.doc, fn.line = access, doc, line
                    out.signatures.append(fn)
                else:
                    out.properties.append(Property(name, _type_text(typ, self.src), is_static, readonly, optional,
                                                   access, "field", doc, line))
        return out

    def bracketed(self, node: Node) -> str:
        """An index signature's key as written: ``[key: string]``, ``[key in Fields<T>]``."""
        opening = next((c for c in node.children if c.type == "["), None)
        closing = next((c for c in node.children if c.type == "]"), None)
        if opening is None or closing is None:
            return _type_text(node, self.src)
        return _WS.sub(" ", self.src[opening.start_byte:closing.end_byte].decode("utf-8", "replace"))

    def returns(self, node: Node) -> str:
        return _type_text(_annotation(node.child_by_field_name("return_type")), self.src)

    def signature(self, node: Node, kind: str, name: str, is_static: bool, optional: bool, access: str,
                  doc: str, line: int) -> Signature:
        return Signature(kind, name, self.params(node.child_by_field_name("parameters")), self.returns(node),
                         _type_text(node.child_by_field_name("type_parameters"), self.src), is_static, optional,
                         access, doc, line)


def parse_declarations(text_: str | bytes, *, strict: bool = True) -> DeclarationFile:
    """Read a ``.d.ts`` file.

    Everything that parses is returned, and what does not is listed in ``problems``; with
    ``strict`` (the default) the first problem is raised as :class:`DeclarationSyntaxError`
    instead, for callers that want all or nothing.
    """
    src = text_ if isinstance(text_, bytes) else encode(text_)
    with _lock:  # a Parser holds mutable state; threads take turns
        tree = _get_parser().parse(src)
    reader = _Reader(src)
    root = tree.root_node
    reader.file.problems = _problems(root, src) if root.has_error else []
    if strict and reader.file.problems:
        raise reader.file.problems[0]
    reader.file.declarations = reader.statements(root, top=True)
    return reader.file
