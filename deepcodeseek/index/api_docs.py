"""What a caller needs to *use* a retrieved API: kind, one-line summary, method signatures, full JSDoc.

The ranking needs only the indexed document text; a completion model or an agent also
needs each method's signature and a line saying what the namespace is for. The build
writes them once per index version (``api_docs.json`` beside the BM25 index, so it is
content-addressed with the version: same documents, same file), from the structured
JSDoc the pipeline already holds. The query path reads that file and never opens the
pipeline's DuckDB.

A version published before this file existed is still served: its catalog is parsed
back from the JSDoc text in the version's document table (``NamespaceDoc.render``'s
format), with parameter names but without their types.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.paths import InstancePaths

API_DOCS_FILE = "api_docs.json"
FORMAT = 1
KIND_LABELS = {"script_include": "Script Include", "platform": "platform API class"}
SUMMARY_CHARS = 200  # one line: what an editor shows beside a completion


@dataclass(frozen=True)
class MethodSignature:
    name: str
    signature: str  # "addQuery(name, operator, value)"
    summary: str = ""  # first line of the method's description
    returns: str = ""  # return type, when the JSDoc names one


@dataclass
class ApiDoc:
    """One namespace as a caller sees it."""

    namespace: str
    api_name: str
    scope: str
    kind: str  # script_include | platform
    summary: str
    methods: list[MethodSignature] = field(default_factory=list)
    jsdoc: str = ""  # the full JSDoc block of the namespace and its methods

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def method(self, name: str) -> MethodSignature | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, MethodSignature]:
        """Methods by name, the first of a repeated one (every served result looks up each of its
        methods' signatures; a scan per lookup was 3% of what the service did holding the GIL)."""
        out: dict[str, MethodSignature] = {}
        for m in self.methods:
            out.setdefault(m.name, m)
        return out

    def signature_of(self, name: str) -> str:
        found = self.method(name)
        return found.signature if found else f"{name}()"


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first non-empty line, cut to ``limit`` characters."""
    line = next((row.strip() for row in (text or "").splitlines() if row.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def api_doc_from_jsdoc(doc: NamespaceDoc, scope: str, kind: str, hidden: frozenset[str] = frozenset()) -> ApiDoc:
    """The caller's view of one namespace's structured JSDoc (constructors in ``hidden`` left out)."""
    methods = [MethodSignature(m.name, m.signature(), one_line(m.description), m.returns_type)
               for m in doc.methods if m.name not in hidden]
    return ApiDoc(namespace=doc.namespace, api_name=doc.api_name, scope=scope, kind=kind,
                  summary=one_line(doc.description), methods=methods, jsdoc=doc.render())


def write_api_docs(docs: list[dict], jsdoc_by_sys_id: dict[str, str], target: Path) -> int:
    """Write the catalog of the version's documents to ``target``; returns how many namespaces it holds.

    ``docs`` are the version's documents (``sys_id``, ``namespace``, ``api_name``,
    ``scope``, ``kind``); ``jsdoc_by_sys_id`` their JSDoc JSON. A document without JSDoc
    gets an entry with its name only, so every result of the version has one.
    """
    entries = []
    for d in docs:
        raw = jsdoc_by_sys_id.get(d["sys_id"])
        hidden = frozenset({"initialize", d["namespace"]} if d["kind"] == "platform" else {"initialize"})
        if raw:
            entry = api_doc_from_jsdoc(NamespaceDoc.from_json(raw), d["scope"], d["kind"], hidden)
            entry.namespace, entry.api_name = d["namespace"], d["api_name"]  # the index's names are the keys
        else:
            entry = ApiDoc(d["namespace"], d["api_name"], d["scope"], d["kind"], summary="")
        entries.append(asdict(entry))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"format": FORMAT, "apis": entries}, sort_keys=True), encoding="utf-8")
    return len(entries)


class ApiCatalog:
    """The API docs of one index version, looked up by ``api_name`` (unique) or bare namespace."""

    def __init__(self, apis: list[ApiDoc], source: str):
        self.source = source  # "api_docs" (the build's file) or "document_text" (parsed back)
        self._by_api_name = {a.api_name: a for a in apis}
        self._by_lower: dict[str, list[ApiDoc]] = {}  # case-insensitive api_name or bare namespace
        for a in apis:
            for key in {a.api_name.lower(), a.namespace.lower()}:
                self._by_lower.setdefault(key, []).append(a)

    def __len__(self) -> int:
        return len(self._by_api_name)

    def get(self, api_name: str) -> ApiDoc | None:
        return self._by_api_name.get(api_name)

    def find(self, name: str) -> list[ApiDoc]:
        """Every API ``name`` may mean: an exact ``api_name``, else any API of that name, case aside (any scope)."""
        name = (name or "").strip()
        exact = self._by_api_name.get(name)
        return [exact] if exact else list(self._by_lower.get(name.lower(), []))


def load_api_docs(version_folder: Path) -> ApiCatalog | None:
    """The version's catalog from the build's file; None when the version predates it."""
    try:
        payload = json.loads((Path(version_folder) / API_DOCS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    apis = [ApiDoc(**{**a, "methods": [MethodSignature(**m) for m in a.get("methods", [])]})
            for a in payload.get("apis", [])]
    return ApiCatalog(apis, source="api_docs")


def catalog_from_documents(rows: list[dict]) -> ApiCatalog:
    """A catalog parsed back from the JSDoc document text (versions without ``api_docs.json``).

    ``rows`` carry ``namespace``, ``api_name``, ``scope``, ``kind``, ``methods`` (JSON list)
    and ``text`` (the ``jsdoc`` document: a header line, then ``NamespaceDoc.render()``).
    """
    apis = []
    for r in rows:
        text = r.get("text") or ""
        body = text.split("\n", 1)[1] if "\n" in text else ""
        summary, methods = parse_rendered_jsdoc(body, r["namespace"])
        listed = json.loads(r["methods"]) if isinstance(r.get("methods"), str) else list(r.get("methods") or [])
        by_name = {m.name: m for m in methods}
        ordered = [by_name.get(name, MethodSignature(name, f"{name}()")) for name in listed]
        apis.append(ApiDoc(r["namespace"], r["api_name"], r["scope"], r["kind"], summary, ordered, body))
    return ApiCatalog(apis, source="document_text")


_BLOCK = re.compile(r"/\*\*\n(?P<comment>.*?)\n?\s*\*/(?:\n(?!/\*\*)(?P<code>[^\n]*))?", re.S)


def parse_rendered_jsdoc(rendered: str, namespace: str) -> tuple[str, list[MethodSignature]]:
    """The namespace summary and method signatures of a ``NamespaceDoc.render()`` text."""
    summary, methods = "", []
    prefix = f"{namespace}."
    for i, match in enumerate(_BLOCK.finditer(rendered)):
        lines = [row.strip()[1:].strip() if row.strip().startswith("*") else row.strip()
                 for row in match.group("comment").splitlines()]
        description = "\n".join(row for row in lines if row and not row.startswith("@"))
        if i == 0:
            summary = one_line(description)
            continue
        code = (match.group("code") or "").strip()
        if not code.startswith(prefix) or "(" not in code:
            continue
        signature = code[len(prefix):]
        returns = next((_braced(row[len("@returns "):]) for row in lines if row.startswith("@returns {")), "")
        methods.append(MethodSignature(signature.split("(", 1)[0], signature, one_line(description), returns))
    return summary, methods


def read_api_catalog(paths: InstancePaths, version: str) -> ApiCatalog:
    """The catalog of a published version: the build's ``api_docs.json``, else parsed from its documents."""
    catalog = load_api_docs(paths.version_dir(version))
    if catalog is not None:
        return catalog
    from deepcodeseek.index.publish import open_vector_table

    columns = ["namespace", "api_name", "scope", "kind", "methods", "text"]
    return catalog_from_documents(open_vector_table(paths, version).to_arrow().select(columns).to_pylist())


def _braced(text: str) -> str:
    """The content of the balanced ``{...}`` that ``text`` starts with (a JSDoc type may hold braces)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return text[1:i]
    return ""
