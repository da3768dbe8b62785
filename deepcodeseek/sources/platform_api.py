"""ServiceNow's own scriptable API, read from the ``@servicenow/glide`` type declarations.

Instance Script Includes call platform classes (``GlideRecord``, ``gs``,
``sn_ws.RESTMessageV2``) far more often than each other, so retrieval needs their
documentation beside the instance's. ServiceNow publishes it as an npm package of
TypeScript declarations: ``src/types/`` holds the global classes and each
``src/<sn_ns>/`` folder one scoped namespace. This module reads that package (the
tarball ``npm pack`` returns, an extracted folder, or a ``node_modules`` folder) and
turns every exported class into the same :class:`~deepcodeseek.jsdoc.model.NamespaceDoc`
the JSDoc backends write, so documents, the knowledge graph and the index treat
platform and instance APIs alike.

A file is parsed with tree-sitter-typescript (:mod:`deepcodeseek.parsing.typescript`),
which tolerates errors: what parses in a damaged file is kept, and each part that does not
is named in ``errors`` (file, line, what was wrong). Doc comments are read by the one
JSDoc parser, :func:`deepcodeseek.jsdoc.tags.parse_jsdoc`.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from deepcodeseek.errors import BadInput
from deepcodeseek.jsdoc.model import MethodDoc, NamespaceDoc, ParamDoc
from deepcodeseek.jsdoc.tags import JsDoc, parse_jsdoc
from deepcodeseek.parsing.typescript import (
    Declaration,
    DeclarationFile,
    DeclarationSyntaxError,
    Signature,
    TypeBody,
    parse_declarations,
)
from deepcodeseek.sources.records import SourceError
from deepcodeseek.sources.records_jsonl import SourceNotFound

__all__ = ["PlatformClass", "PlatformReadResult", "read_platform_api", "GLOBAL_SCOPE", "PACKAGE_NAME"]

PACKAGE_NAME = "@servicenow/glide"
GLOBAL_SCOPE = "global"
GLOBAL_FOLDER = "types"  # src/types holds the classes scripts reach without a namespace
DECLARATION_SUFFIX = ".d.ts"

# Most scoped classes declare Rhino's internal constructor hook rather than the
# arguments a script passes; documenting those four names would teach a model to
# write `new RESTMessageV2(cx, args, ctorObj, inNewExpr)`.
_RHINO_CONSTRUCTOR = (("cx",), ("args",), ("ctorObj", "funObj"), ("inNewExpr",))
_RHINO_NOTE = ("The package declares only Rhino's internal constructor hook (cx, args, ctorObj, "
               "inNewExpr); the arguments a script passes are not declared.")


@dataclass
class PlatformClass:
    api_name: str  # how code calls it: "GlideRecord", "sn_ws.RESTMessageV2", "gs"
    name: str  # the class name: "RESTMessageV2"
    scope: str  # "global" for src/types, else the namespace folder ("sn_ws")
    doc: NamespaceDoc
    source_file: str  # path inside the package: "src/sn_ws/RESTMessageV2.d.ts"
    deprecated: bool = False


@dataclass
class PlatformReadResult:
    classes: list[PlatformClass] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    package_version: str = ""
    files: int = 0  # declaration files parsed (namespace and global folders)
    package_name: str = ""

    def get(self, api_name: str) -> PlatformClass | None:
        for cls in self.classes:
            if cls.api_name == api_name:
                return cls
        return None

    @property
    def scopes(self) -> list[str]:
        return sorted({c.scope for c in self.classes})


# --------------------------------------------------------------------------- package access

@dataclass
class _Package:
    """The files of one npm package, keyed by their path inside it."""

    origin: str
    names: set[str]  # every file path, to see which folders have an index
    texts: dict[str, bytes]  # package.json and the declaration files
    manifest: dict


def _manifest(data: bytes | None, origin: str) -> dict:
    if data is None:
        raise SourceNotFound(f"{origin}: no package.json (expected an npm package of {PACKAGE_NAME})")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{origin}: package.json is not valid JSON: {exc}") from exc
    return manifest if isinstance(manifest, dict) else {}


def _wanted(rel: str) -> bool:
    return rel == "package.json" or rel.endswith(DECLARATION_SUFFIX)


def _read_tarball(path: Path) -> _Package:
    """Read an npm tarball in memory: nothing is extracted to disk."""
    try:
        with tarfile.open(path, "r:*") as archive:
            return _read_archive(archive, path)
    except SourceNotFound:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BadInput(f"{path}: not a readable npm tarball: {exc}") from exc


def _read_archive(archive: tarfile.TarFile, path: Path) -> _Package:
    """The package inside ``archive``: its root is the folder holding the top package.json."""
    members = [m for m in archive.getmembers() if m.isfile()]
    manifests = sorted((m.name.count("/"), m.name) for m in members
                       if posixpath.basename(m.name) == "package.json")
    if not manifests:
        raise SourceNotFound(f"{path}: no package.json inside (expected an npm package of {PACKAGE_NAME})")
    root = posixpath.dirname(manifests[0][1])
    prefix = f"{root}/" if root else ""
    names: set[str] = set()
    texts: dict[str, bytes] = {}
    for member in members:
        if not member.name.startswith(prefix):
            continue
        rel = member.name[len(prefix):]
        names.add(rel)
        if _wanted(rel):
            handle = archive.extractfile(member)
            if handle is not None:
                texts[rel] = handle.read()
    return _Package(str(path), names, texts, _manifest(texts.get("package.json"), str(path)))


def _read_folder(root: Path) -> _Package:
    names: set[str] = set()
    texts: dict[str, bytes] = {}
    for file in root.rglob("*"):
        if not file.is_file() or "node_modules" in file.relative_to(root).parts:
            continue
        rel = file.relative_to(root).as_posix()
        names.add(rel)
        if _wanted(rel):
            texts[rel] = file.read_bytes()
    return _Package(str(root), names, texts, _manifest(texts.get("package.json"), str(root)))


def _open_package(path: Path) -> _Package:
    if not path.exists():
        raise SourceNotFound(f"{path} does not exist")
    if path.is_file():
        return _read_tarball(path)
    scope_dir, name = PACKAGE_NAME.split("/")
    for candidate in (path, path / scope_dir / name, path / "node_modules" / scope_dir / name):
        if (candidate / "package.json").is_file():
            return _read_folder(candidate)
    raise SourceNotFound(f"{path}: neither a package folder (package.json) nor a node_modules folder "
                         f"holding {PACKAGE_NAME}")


# --------------------------------------------------------------------------- reading

@dataclass
class _ParsedFile:
    rel: str  # "src/sn_ws/RESTMessageV2.d.ts"
    scope: str
    decls: DeclarationFile


def _declaration_files(package: _Package) -> list[tuple[str, str]]:
    """(path, scope) of each file that declares callable API.

    ``types/`` is global; any other folder directly under ``src/`` is a namespace. The
    package's ``exports`` map ``./*`` to ``src/*/index.js``, so where folders have an
    index, one without (``imports/``: referenced stubs no script can name) is not a
    namespace; a package with no index files at all is read folder by folder.
    Deeper folders hold type helpers and are skipped.
    """
    base = "src/" if any(n.startswith("src/") for n in package.names) else ""

    def has_index(folder: str) -> bool:
        return f"{base}{folder}/index.d.ts" in package.names or f"{base}{folder}/index.js" in package.names

    candidates: list[tuple[str, str]] = []
    for rel in sorted(package.texts):
        if not rel.endswith(DECLARATION_SUFFIX) or not rel.startswith(base):
            continue
        parts = rel[len(base):].split("/")
        if len(parts) == 2:
            candidates.append((rel, parts[0]))
    indexed = any(has_index(folder) for _, folder in candidates if folder != GLOBAL_FOLDER)
    out: list[tuple[str, str]] = []
    for rel, folder in candidates:
        if folder == GLOBAL_FOLDER:
            out.append((rel, GLOBAL_SCOPE))
        elif has_index(folder) or not indexed:
            out.append((rel, folder))
    return out


def read_platform_api(path: str | Path) -> PlatformReadResult:
    """Read every exported platform class of an ``@servicenow/glide`` package.

    ``path`` is the npm tarball, an extracted package folder, or a ``node_modules``
    folder holding the package. Raises :class:`SourceNotFound` when there is no
    package there; the parts of a declaration file that do not parse are reported in
    ``errors`` (one entry per file, at its first problem), and the rest of it is read.
    """
    package = _open_package(Path(path))
    version = str(package.manifest.get("version") or "")
    name = str(package.manifest.get("name") or PACKAGE_NAME)
    result = PlatformReadResult(package_version=version, package_name=name)
    parsed: dict[str, _ParsedFile] = {}
    for rel, scope in _declaration_files(package):
        result.files += 1
        try:
            text = package.texts[rel].decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            result.errors.append(SourceError(rel, _stem(rel), f"not UTF-8 text: {exc}"))
            continue
        decls = parse_declarations(text, strict=False)
        parsed[rel] = _ParsedFile(rel, scope, decls)
        if decls.problems:
            result.errors.append(_problems_error(rel, decls.problems))
    builder = _Builder(parsed, backend=f"platform:{name}@{version}")
    by_api: dict[str, PlatformClass] = {}
    for pf in parsed.values():
        for cls in builder.classes_of(pf):
            known = by_api.get(cls.api_name)
            by_api[cls.api_name] = cls if known is None else _merge_duplicates(known, cls)
    result.classes = sorted(by_api.values(), key=lambda c: (c.scope != GLOBAL_SCOPE, c.scope, c.api_name))
    return result


def _problems_error(rel: str, problems: list[DeclarationSyntaxError]) -> SourceError:
    """One entry per damaged file, at its first problem; the others are listed after it."""
    first, rest = problems[0], problems[1:]
    message = first.reason
    if rest:
        message += f"; {len(rest)} more: " + "; ".join(str(p) for p in rest[:3]) + ("; ..." if len(rest) > 3 else "")
    return SourceError(f"{rel}:{first.line}", _stem(rel), message + " (what parsed was read)")


def _stem(rel: str) -> str:
    return posixpath.basename(rel)[: -len(DECLARATION_SUFFIX)]


def _merge_duplicates(a: PlatformClass, b: PlatformClass) -> PlatformClass:
    """One class per api_name: keep the file named after the class, add methods only the other has."""
    keep, other = (b, a) if _stem(b.source_file) == b.name and _stem(a.source_file) != a.name else (a, b)
    have = {(m.name, m.is_static) for m in keep.doc.methods}
    keep.doc.methods.extend(m for m in other.doc.methods if (m.name, m.is_static) not in have)
    keep.doc.description = keep.doc.description or other.doc.description
    keep.doc.extends = keep.doc.extends or other.doc.extends
    return keep


class _Builder:
    """Turns parsed declaration files into :class:`PlatformClass` entries."""

    def __init__(self, parsed: dict[str, _ParsedFile], backend: str):
        self.parsed = parsed
        self.backend = backend
        self.by_module = {rel[: -len(DECLARATION_SUFFIX)]: pf for rel, pf in parsed.items()}

    def api_name(self, scope: str, name: str) -> str:
        return name if scope == GLOBAL_SCOPE else f"{scope}.{name}"

    def classes_of(self, pf: _ParsedFile) -> Iterable[PlatformClass]:
        yield from self._classes(pf, pf.decls.declarations, prefix="", module=pf.decls)

    def _classes(self, pf: _ParsedFile, decls: list[Declaration], prefix: str,
                 module: DeclarationFile | None) -> Iterable[PlatformClass]:
        for decl in decls:
            # Inside an ambient namespace every declaration is visible as ns.Name.
            visible = module.is_exported(decl) if module is not None else True
            if decl.kind == "namespace" and decl.name != "global" and visible:
                yield from self._classes(pf, decl.children, f"{prefix}{decl.name}.", None)
            elif decl.kind == "class" and visible:
                cls = self._from_class(pf, decl, decls, prefix)
                if cls.doc.methods or decl.complete:  # a class whose body did not parse is named in errors only
                    yield cls
            elif decl.kind == "variable" and visible:
                cls = self._from_variable(pf, decl, decls, prefix)
                if cls is not None:
                    yield cls

    def _make(self, pf: _ParsedFile, name: str, prefix: str, description_doc: str, extends: str | None,
              methods: list[MethodDoc]) -> PlatformClass:
        api = self.api_name(pf.scope, f"{prefix}{name}")
        jsdoc = parse_jsdoc(description_doc)
        description = jsdoc.description
        if jsdoc.deprecated:
            description = "\n".join(p for p in (description, _deprecation(jsdoc)) if p)
        doc = NamespaceDoc(namespace=name, api_name=api, description=description, extends=extends,
                           methods=methods, backend=self.backend)
        return PlatformClass(api, name, pf.scope, doc, pf.rel, jsdoc.deprecated)

    def _from_class(self, pf: _ParsedFile, decl: Declaration, siblings: list[Declaration],
                    prefix: str) -> PlatformClass:
        name = decl.name or _stem(pf.rel)
        body = TypeBody()
        body.extend(decl.body or TypeBody())
        # Declaration merging: an interface of the same name adds members to the class.
        for other in siblings:
            if other.kind == "interface" and other.name == decl.name and other.body:
                body.extend(other.body)
        extends = self.resolve_ref(pf, decl.extends[0]) if decl.extends else None
        return self._make(pf, name, prefix, decl.doc, extends, _methods(body, name, static_members=False))

    def _from_variable(self, pf: _ParsedFile, decl: Declaration, siblings: list[Declaration],
                       prefix: str) -> PlatformClass | None:
        """A class modelled as ``declare const X: IX`` (GlideRecord) or a global object (``gs``).

        When the type has a construct signature the const stands for a class, and its
        other members are instance methods; otherwise the const is an object whose
        members scripts call on it directly, like statics.
        """
        body = TypeBody()
        body.extend(decl.body or TypeBody())
        extends: list[str] = []
        doc_sources = [decl.doc]
        doc_sources += [d.doc for d in siblings if d.kind in ("type", "interface") and d.name == decl.name]
        instance_of_class = False
        for ref in decl.references:
            target = self.find(pf, ref, siblings)
            if target is None:
                extends.append(self.resolve_ref(pf, ref))
                continue
            tpf, tdecl = target
            if tdecl.kind == "class":
                instance_of_class = True
                body.extend(_instance_members(tdecl.body))
                extends.append(self.api_name(tpf.scope, tdecl.name))
            else:
                self._collect(tpf, tdecl, body, extends, seen={id(tdecl)})
            doc_sources.append(tdecl.doc)
        constructible = any(s.kind == "construct" for s in body.signatures)
        methods = _methods(body, decl.name, static_members=not constructible or instance_of_class)
        if not methods:
            return None  # a plain value (a data table such as util's GlideAPIs), not an API
        description_doc = next((d for d in doc_sources if d and parse_jsdoc(d).description), decl.doc)
        return self._make(pf, decl.name, prefix, description_doc, extends[0] if extends else None, methods)

    def _collect(self, pf: _ParsedFile, decl: Declaration, body: TypeBody, extends: list[str],
                 seen: set[int]) -> None:
        """Members of a helper type; named types it builds on are followed while they are
        private helpers of the same file, and reported as the base class otherwise."""
        body.extend(decl.body or TypeBody())
        for ref in list(decl.references) + list(decl.extends):
            local = [d for d in pf.decls.declarations if d.name == _base_name(ref)
                     and d.kind in ("type", "interface") and not pf.decls.is_exported(d)]
            if local and id(local[0]) not in seen:
                seen.add(id(local[0]))
                self._collect(pf, local[0], body, extends, seen)
            elif self.find(pf, ref, pf.decls.declarations) is not None or ref in pf.decls.imports \
                    or _base_name(ref) in pf.decls.imports:
                resolved = self.resolve_ref(pf, ref)
                if resolved not in extends:
                    extends.append(resolved)

    def module_file(self, pf: _ParsedFile, module: str) -> _ParsedFile | None:
        if not module.startswith("."):
            return None
        target = posixpath.normpath(posixpath.join(posixpath.dirname(pf.rel), module))
        return self.by_module.get(target) or self.by_module.get(f"{target}/index")

    def find(self, pf: _ParsedFile, ref: str, siblings: list[Declaration]) -> tuple[_ParsedFile, Declaration] | None:
        """The class, interface or type alias ``ref`` names, in this file or an imported one."""
        name = _base_name(ref)
        for d in siblings:
            if d.name == name and d.kind in ("class", "interface", "type"):
                return pf, d
        binding = pf.decls.imports.get(name)
        if binding is None or binding.imported == "*":
            return None
        target = self.module_file(pf, binding.module)
        if target is None:
            return None
        wanted = name if binding.imported == "default" else binding.imported
        for d in target.decls.declarations:
            if d.name == wanted and d.kind in ("class", "interface") and target.decls.is_exported(d):
                return target, d
        return None

    def resolve_ref(self, pf: _ParsedFile, ref: str) -> str:
        """A heritage or type reference as an api_name: ``MLSolution`` in sn_ml -> ``sn_ml.MLSolution``."""
        name = _base_name(ref)
        binding = pf.decls.imports.get(name)
        if binding is not None and binding.module.startswith("."):
            imported = name if binding.imported in ("default", "*") else binding.imported
            target_file = self.module_file(pf, binding.module)
            # Outside the read folders (imports/ stubs) the name is all there is.
            return self.api_name(target_file.scope, imported) if target_file is not None else imported
        if any(d.name == name for d in pf.decls.declarations):
            return self.api_name(pf.scope, name)
        return name


def _base_name(ref: str) -> str:
    """``GlideRecord<T>`` -> ``GlideRecord``."""
    return ref.split("<", 1)[0].strip()


def _instance_members(body: TypeBody | None) -> TypeBody:
    out = TypeBody()
    if body is not None:
        out.signatures = [s for s in body.signatures if not s.is_static and s.kind != "constructor"]
    return out


def _deprecation(jsdoc: JsDoc) -> str:
    return f"Deprecated: {jsdoc.deprecated_note}" if jsdoc.deprecated_note else "Deprecated."


def _is_rhino_constructor(sig: Signature) -> bool:
    names = [p.name for p in sig.params]
    return len(names) == len(_RHINO_CONSTRUCTOR) and all(n in ok for n, ok in zip(names, _RHINO_CONSTRUCTOR))


def _call_shape(name: str, sig: Signature) -> str:
    return f"{name}({', '.join(('...' if p.rest else '') + p.name for p in sig.params)})"


def _methods(body: TypeBody, class_name: str, static_members: bool) -> list[MethodDoc]:
    """One MethodDoc per callable member; overloads merged, private/protected skipped.

    ``static_members`` marks members of an object scripts call directly (``gs``);
    members declared ``static`` are static in any case. The constructor is named after
    the class, so documents show ``new RESTMessageV2(...)``.
    """
    groups: dict[tuple[str, bool], list[Signature]] = {}
    for sig in body.signatures:
        if sig.access != "public" or sig.name.startswith("#") or sig.kind == "call":
            continue
        if sig.kind in ("constructor", "construct"):
            key = ("\0constructor", False)
        else:
            key = (sig.name, sig.is_static or static_members)
        groups.setdefault(key, []).append(sig)
    methods: list[MethodDoc] = []
    for (name, is_static), sigs in groups.items():
        if name == "\0constructor":
            methods.insert(0, _merge_overloads(class_name, False, sigs, constructor=True))
        else:
            methods.append(_merge_overloads(name, is_static, sigs, constructor=False))
    return methods


def _merge_overloads(name: str, is_static: bool, sigs: list[Signature], constructor: bool) -> MethodDoc:
    """Overloads become one method: the longest parameter list, the others named in the text."""
    docs = [parse_jsdoc(s.doc) for s in sigs]
    hooks = [s for s in sigs if constructor and _is_rhino_constructor(s)]
    only_hook = bool(hooks) and len(hooks) == len(sigs)
    real = sigs if only_hook else [s for s in sigs if s not in hooks]
    chosen = max(real, key=lambda s: len(s.params))  # max keeps the first of equals
    chosen_doc = docs[sigs.index(chosen)]
    described = chosen_doc if chosen_doc.description else next((d for d in docs if d.description), chosen_doc)
    parts = [described.description]
    # The method is deprecated when every overload is; otherwise name the deprecated
    # call shapes that differ from a current one.
    current = {_call_shape(name, s) for s, d in zip(sigs, docs) if not d.deprecated}
    deprecated = [(s, d) for s, d in zip(sigs, docs) if d.deprecated]
    if deprecated and not current:
        parts.append(_deprecation(deprecated[0][1]))
    elif deprecated:
        shapes = sorted({_call_shape(name, s) for s, _ in deprecated} - current)
        if shapes:
            parts.append("Deprecated overloads: " + "; ".join(shapes))
    parts += list(dict.fromkeys(f"Throws {t}" for d in docs for t in d.throws))
    if only_hook:  # beside a real signature the hook is simply dropped
        parts.append(_RHINO_NOTE)
    shown = _call_shape(name, chosen)
    others: list[str] = []
    for sig in real:
        shape = _call_shape(name, sig)
        if sig is not chosen and shape != shown and shape not in others:
            others.append(shape)
    if others:
        parts.append("Overloads: " + "; ".join(others))
    params: list[ParamDoc] = []
    if only_hook:
        params = [ParamDoc("...args", "any[]", "the constructor's script arguments (not declared by the package)")]
    else:
        for p in chosen.params:
            typ, text = chosen_doc.params.get(p.name, ("", ""))
            if not text:
                typ2, text = next((d.params[p.name] for d in docs if p.name in d.params), ("", ""))
                typ = typ or typ2
            params.append(ParamDoc(("..." if p.rest else "") + p.name, p.type or typ, text))
    returns_doc = chosen_doc if chosen_doc.returns_type or chosen_doc.returns_description else \
        next((d for d in docs if d.returns_type or d.returns_description), chosen_doc)
    return MethodDoc(
        name=name,
        description="\n".join(p for p in parts if p),
        params=params,
        returns_type=chosen.return_type or returns_doc.returns_type,
        returns_description=returns_doc.returns_description,
        is_static=is_static,
    )
