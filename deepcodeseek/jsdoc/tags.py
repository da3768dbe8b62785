"""JSDoc tags, parsed once for every source: platform declarations and Script Includes.

``/** ... */`` blocks (or their text with the markers already removed, or ``//`` runs)
become a description and the tags that say something to a reader of a signature:
``@param``, ``@returns``, ``@throws`` and ``@deprecated``. Inline ``{@link X text}`` reads
as its text, ``<pre>`` examples and HTML tags go, and tags that hold examples or
metadata (``@example``, ``@since``, ...) are dropped with their continuation lines,
so none of it is mistaken for prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["JsDoc", "parse_jsdoc"]


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
    """Description and tags of a ``/** ... */`` (or ``/* ... */``, or ``//``) comment.

    ``@deprecated`` keeps only the text on its own line: the package puts the real
    description on the lines after a bare ``@Deprecated``, so those stay description.
    """
    doc = JsDoc()
    if not raw:
        return doc
    raw = raw.strip()
    body = raw[2:-2] if raw.startswith("/*") and raw.endswith("*/") else raw
    body = body.lstrip("*!")
    lines = [re.sub(r"^\s*(?://+|\*)? ?", "", ln) for ln in body.split("\n")]
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
