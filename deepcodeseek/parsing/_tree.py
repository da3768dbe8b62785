"""Low-level tree-sitter plumbing shared by the JavaScript analyses.

Kept apart from the analyses so that the parser singleton, node helpers and comment
cleaning have one home, and so that nothing here runs at import time: the Parser is
built on first use (loading the grammar costs a few milliseconds we do not want to pay
when a CLI only needs retrieval).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

from tree_sitter import Language, Node, Parser, Tree

# Node types that open a new function body (a new variable scope for our purposes).
FUNCTION_VALUE_TYPES = frozenset(
    {"function_expression", "function", "arrow_function", "generator_function"}
)
FUNCTION_TYPES = FUNCTION_VALUE_TYPES | {
    "function_declaration",
    "generator_function_declaration",
    "method_definition",
}
IDENTIFIER_TYPES = frozenset(
    {
        "identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
    }
)
MAX_SYNTAX_ERRORS = 10

_parser: Parser | None = None
_parser_lock = threading.Lock()
_WS = re.compile(r"\s+")
_DECORATION = re.compile(r"^[\s*=\-_#~+/]*$")


def _get_parser() -> Parser:
    """The process-wide Parser, built lazily: grammar loading is not free."""
    global _parser
    if _parser is None:
        import tree_sitter_javascript

        _parser = Parser(Language(tree_sitter_javascript.language()))
    return _parser


def encode(source: str) -> bytes:
    """UTF-8 bytes for tree-sitter; lone surrogates (seen in scraped data) must not crash us."""
    return source.encode("utf-8", errors="replace")


def parse(source: str | bytes) -> tuple[Tree, bytes]:
    """Parse JavaScript, returning the tree and the exact bytes its offsets refer to."""
    data = source if isinstance(source, bytes) else encode(source)
    with _parser_lock:  # a Parser holds mutable state; threads must take turns
        tree = _get_parser().parse(data)
    return tree, data


def text(node: Node | None, src: bytes) -> str:
    """Source text of a node (decoded leniently: byte offsets may split bad input)."""
    if node is None:
        return ""
    return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def compact(node: Node | None, src: bytes) -> str:
    """Node text without any whitespace, so `Object . extendsObject` compares equal."""
    return _WS.sub("", text(node, src))


def one_line(value: str, limit: int) -> str:
    """Collapse whitespace runs so multi-line expressions read as one short line."""
    return _WS.sub(" ", value).strip()[:limit]


def walk(node: Node, prune: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """Pre-order traversal with a cursor; iterative so minified code cannot overflow the stack.

    Every node is yielded; when ``prune(node)`` is true its children are skipped.
    """
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is None:
            return
        yield current
        if not (prune is not None and prune(current)) and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def unwrap(node: Node | None) -> Node | None:
    """Strip parentheses: `(function(){...})` is still the function."""
    while node is not None and node.type == "parenthesized_expression":
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) != 1:
            return node
        node = inner[0]
    return node


def code_children(node: Node) -> list[Node]:
    """Named children without comments (comments are `extra` nodes and appear anywhere)."""
    return [c for c in node.named_children if c.type != "comment"]


def field(node: Node | None, name: str) -> Node | None:
    """child_by_field_name that tolerates a None parent (common in error-recovered trees)."""
    return None if node is None else node.child_by_field_name(name)


def member_chain(node: Node | None, src: bytes) -> list[str] | None:
    """`a.b.c` -> ["a", "b", "c"]; None when any link is computed or not a plain name."""
    parts: list[str] = []
    cur = unwrap(node)
    while cur is not None and cur.type == "member_expression":
        prop = field(cur, "property")
        if prop is None or prop.type not in ("property_identifier", "private_property_identifier"):
            return None
        parts.append(text(prop, src))
        cur = unwrap(field(cur, "object"))
    if cur is None or cur.type not in ("identifier", "this"):
        return None
    parts.append(text(cur, src))
    parts.reverse()
    return parts


def string_value(node: Node | None, src: bytes) -> str | None:
    """The value of a plain string literal (or a template without substitutions)."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string" or (
        node.type == "template_string"
        and not any(c.type == "template_substitution" for c in node.named_children)
    ):
        raw = text(node, src)
        return raw[1:-1] if len(raw) >= 2 else ""
    return None


def params_of(fn: Node, src: bytes) -> list[str]:
    """Parameter names as a caller would write them (defaults dropped, rest kept as `...x`)."""
    params = field(fn, "parameters")
    if params is None:
        single = field(fn, "parameter")  # `x => ...`
        return [text(single, src)] if single is not None else []
    names: list[str] = []
    for p in code_children(params):
        if p.type == "assignment_pattern":
            names.append(text(field(p, "left") or p, src))
        else:
            names.append(one_line(text(p, src), 80))
    return names


def enclosing_scope(node: Node) -> Node:
    """The nearest function (or the program): where `var` bindings live."""
    cur = node.parent
    while cur is not None:
        if cur.type in FUNCTION_TYPES or cur.type == "program":
            return cur
        if cur.parent is None:
            return cur
        cur = cur.parent
    return node


def clean_comment(raw: str) -> str:
    """Comment text without markers: `/** ... */`, leading `*` and `//` go, tags stay."""
    lines: list[str] = []
    for line in raw.splitlines():
        s = line.strip()
        if s.startswith("//"):
            s = s.lstrip("/")
        else:
            if s.startswith("/*"):
                s = s[2:].lstrip("*")
            elif s.startswith("*") and not s.startswith("*/"):
                s = s[1:]
            if s.endswith("*/"):
                s = s[:-2].rstrip("*")
        s = s.strip()
        if _DECORATION.match(s):  # ruler lines like `// ------` carry no meaning
            s = ""
        lines.append(s)
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _is_block(comment: Node, src: bytes) -> bool:
    return text(comment, src).lstrip().startswith("/*")


def leading_comment(node: Node, src: bytes, max_gap: int = 2) -> str:
    """The doc comment right above a definition: one block comment or a run of `//` lines.

    A comment that ends the previous statement's line is that statement's trailing
    remark, not our doc, so it stops the search.
    """
    taken: list[Node] = []
    expected_row = node.start_point.row
    prev = node.prev_named_sibling
    while prev is not None and prev.type == "comment":
        gap = expected_row - prev.end_point.row
        if gap > (max_gap if not taken else 1):
            break
        before = prev.prev_named_sibling
        if before is not None and before.type != "comment" and before.end_point.row == prev.start_point.row:
            break
        block = _is_block(prev, src)
        if taken and block != _is_block(taken[-1], src):
            break
        taken.append(prev)
        if block:
            break
        expected_row = prev.start_point.row
        prev = before
    taken.reverse()
    return clean_comment("\n".join(text(c, src) for c in taken))


def header_comment(root: Node, src: bytes) -> str:
    """Comments opening the file, before any code: often the only class documentation."""
    parts: list[str] = []
    for child in root.children:
        if child.type != "comment":
            break
        cleaned = clean_comment(text(child, src))
        if cleaned:
            parts.append(cleaned)
    return "\n".join(parts)


def tree_syntax_errors(root: Node, src: bytes) -> list[str]:
    """Human-readable ERROR / MISSING reports (1-based lines, as editors show them)."""
    if not root.has_error:
        return []
    found: list[str] = []

    def prune(n: Node) -> bool:
        # Inside an ERROR node further errors are echoes of the same problem.
        return n.is_error or not n.has_error

    for n in walk(root, prune):
        if n.is_missing:
            found.append(f"line {n.start_point.row + 1}: missing {n.type!r}")
        elif n.is_error:
            snippet = one_line(text(n, src), 40)
            found.append(f"line {n.start_point.row + 1}: unexpected {snippet!r}" if snippet
                         else f"line {n.start_point.row + 1}: unexpected token")
        if len(found) >= MAX_SYNTAX_ERRORS:
            break
    if not found:  # has_error without a reportable node: still say so
        found.append("line 1: unexpected token")
    return found


def syntax_errors(source: str) -> list[str]:
    """Syntax problems as `line N: ...` messages (at most 10); [] for valid code."""
    if not source.strip():
        return []
    tree, src = parse(source)
    return tree_syntax_errors(tree.root_node, src)


def identifiers(source: str) -> list[str]:
    """Identifier and property-name tokens in source order, comments and strings excluded.

    Lexical features need the names a developer typed, not the prose around them.
    """
    if not source.strip():
        return []
    tree, src = parse(source)
    return [text(n, src) for n in walk(tree.root_node) if n.type in IDENTIFIER_TYPES]
