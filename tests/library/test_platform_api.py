"""Platform API from TypeScript declarations: the parser on small synthetic files, the
reader on tarballs and folders built here, and on the real ``@servicenow/glide`` package
when ../shared holds it."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from deepcodeseek.sources.platform_api import PlatformReadResult, read_platform_api
from deepcodeseek.sources.records_jsonl import SourceNotFound
from deepcodeseek.jsdoc.tags import parse_jsdoc
from deepcodeseek.parsing.typescript import DeclarationSyntaxError, parse_declarations

GLIDE_TARBALL = Path(__file__).resolve().parents[2].parent / "shared" / "platform" / "servicenow-glide-27.0.5.tgz"

# Synthetic declarations (written for these tests) using the syntax the package uses and more.
WIDGET = '''import { Base } from "./Base";
import { Gadget } from "../sn_x/Gadget";

/**
 * Builds widgets for the test suite.
 *
 * @example
 * var w = new Widget("a");
 */
export declare class Widget<T extends string | number = string> extends Base {
  /**
   * Makes a widget.
   * @param name - the widget's name
   */
  constructor(name: string);
  constructor();
  /**
   * Finds widgets by name.
   * @param {string} name the name to look for
   * @param limit - at most this many
   * @returns {Widget[]} the matches, best first
   */
  find(name: string, limit?: number): Widget[];
  /** Adds a value. */
  add(value: number): void;
  add(
    value: string,
    radix: number,
    ...rest: Array<string | number>
  ): void;
  static create<K extends keyof Gadget>(key: K, options?: { deep: boolean; tags: string[] }): Widget;
  /** Called when the widget changes. */
  onChange: (event: string, detail?: Record<string, any>) => boolean;
  optionalHook?: ((x: number) => void) | undefined;
  label: string;
  readonly size: number;
  private secret(): void;
  protected guard(level: number): boolean;
  get title(): string;
  [key: string]: any;
  mode(): "on" | "off" | null
  get(): T
  /**
   * @deprecated use find instead
   */
  lookup(name: string): Widget | undefined;
  /** @deprecated */
  old(a: string): void;
  old(a: string, b: string): void;
}
'''

BASE = '''/**
 * The base every widget builds on.
 * @deprecated
 */
export declare class Base {
  id(): string;
}
'''

GADGET = '''import { Context } from "../../imports/Context";

export declare class Gadget {
  constructor(cx?: Context, args?: any[], ctorObj?: Function, inNewExpr?: boolean);
  spin(times: number): number;
}
'''

# A class modelled as a constant plus a private type, as the package does for GlideRecord.
RECORD = '''import { Widget } from "./Widget";

/**
 * A record of some table.
 */
export type Record2<T extends string = string> = IRecord2<T> & Extra<T>;
export declare const Record2: IRecord2;

type IRecord2<T extends string = string> = {
  [key in Fields<T>]: string;
} & {
  // construction
  new <T extends string>(table: T): Record2<T>;
  /*
   * Runs the query.
   */
  query(): void;
  getValue<F extends Fields<T>>(field: F): string;
} & Widget;
'''

SYSTEM = '''export declare class SystemApi {
  /** Logs a line. */
  log(message: string): void;
  static version(): string;
}
'''

SYSTEM_OBJECT = '''import { SystemApi } from "./SystemApi";

/** The global system object. */
export declare const sys: SystemApi;
export declare const answer: number;
'''

BROKEN = '''export declare class Broken {
  /* never closed
  work(): void;
}
'''

PACKAGE_JSON = json.dumps({"name": "@servicenow/glide", "version": "1.2.3"})


def _files(with_broken: bool = False) -> dict[str, str]:
    files = {
        "package.json": PACKAGE_JSON,
        "src/types/Widget.d.ts": WIDGET,
        "src/types/Base.d.ts": BASE,
        "src/types/Record2.d.ts": RECORD,
        "src/types/SystemApi.d.ts": SYSTEM,
        "src/types/sys.d.ts": SYSTEM_OBJECT,
        "src/types/index.d.ts": 'export * from "./Widget";\nexport * from "./Base";\n',
        "src/sn_x/Gadget.d.ts": GADGET,
        "src/sn_x/index.d.ts": "export * from './Gadget';\n",
        "src/imports/Context.d.ts": "/** A referenced stub. */\nexport declare class Context {}\n",
        "src/types/_helpers/Fields.d.ts": "export type Fields<T> = string;\n",
    }
    if with_broken:
        files["src/sn_x/Broken.d.ts"] = BROKEN
    return files


def _tarball(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _methods(result: PlatformReadResult, api_name: str) -> dict[str, object]:
    cls = result.get(api_name)
    assert cls is not None, f"{api_name} missing: {[c.api_name for c in result.classes]}"
    return {m.name: m for m in cls.doc.methods}


# --------------------------------------------------------------------------- the parser

def test_parser_reads_members_with_their_types_and_docs():
    decl = parse_declarations(WIDGET)
    assert set(decl.imports) == {"Base", "Gadget"} and decl.imports["Gadget"].module == "../sn_x/Gadget"
    (widget,) = decl.declarations
    assert widget.kind == "class" and widget.exported and widget.extends == ["Base"]
    assert widget.type_params == "<T extends string | number = string>"
    sigs = {}
    for s in widget.body.signatures:
        sigs.setdefault(s.name, []).append(s)
    assert [len(s.params) for s in sigs["constructor"]] == [1, 0]
    find = sigs["find"][0]
    assert [(p.name, p.type, p.optional) for p in find.params] == [("name", "string", False), ("limit", "number", True)]
    assert find.return_type == "Widget[]" and "Finds widgets" in find.doc
    multi = sigs["add"][1]  # a signature spread over several lines
    assert [(p.name, p.type, p.rest) for p in multi.params] == [
        ("value", "string", False), ("radix", "number", False), ("rest", "Array<string | number>", True)]
    create = sigs["create"][0]
    assert create.is_static and create.type_params == "<K extends keyof Gadget>"
    assert create.params[1].type == "{ deep: boolean; tags: string[] }"
    on_change = sigs["onChange"][0]  # a function-typed property is callable
    assert on_change.kind == "property" and on_change.return_type == "boolean"
    assert [(p.name, p.type, p.optional) for p in on_change.params] == [
        ("event", "string", False), ("detail", "Record<string, any>", True)]
    assert sigs["optionalHook"][0].optional and sigs["optionalHook"][0].params[0].type == "number"
    assert sigs["secret"][0].access == "private" and sigs["guard"][0].access == "protected"
    assert sigs["mode"][0].return_type == '"on" | "off" | null'  # no semicolon: the line ends it
    assert sigs["get"][0].return_type == "T"  # a method named like an accessor keyword
    props = {p.name: p for p in widget.body.properties}
    assert props["label"].type == "string" and props["size"].readonly
    assert props["title"].kind == "accessor" and props["[key: string]"].kind == "index"


def test_parser_reads_type_aliases_constants_and_reexports():
    decl = parse_declarations(RECORD)
    alias, const, helper = decl.declarations
    assert (alias.kind, alias.name, alias.exported) == ("type", "Record2", True)
    assert alias.references == ["IRecord2", "Extra"] and "A record of some table." in alias.doc
    assert (const.kind, const.type, const.references) == ("variable", "IRecord2", ["IRecord2"])
    assert not helper.exported and helper.references == ["Widget"]
    kinds = [(s.kind, s.name) for s in helper.body.signatures]
    assert kinds == [("construct", ""), ("method", "query"), ("method", "getValue")]
    assert "Runs the query." in helper.body.signatures[1].doc  # a plain /* */ block documents too
    assert helper.body.properties[0].kind == "index"  # the mapped type is not a method

    index = parse_declarations('export * from "./A";\nexport { B as C } from "./B";\nexport {};\n')
    assert index.reexports == ["./A", "./B"] and index.declarations == [] and index.is_module

    script = parse_declarations("declare class Loose { go(): void }\ninterface I { x: number }\n")
    assert not script.is_module and script.is_exported(script.declarations[0])

    extra = parse_declarations(
        "export default class Thing { run(): void }\n"
        "declare namespace ns { class Inner { a(): void } }\n"
        "export declare function helper(a: string): number;\n"
        "export declare function helper(): number;\n"
        "export const enum Level { Low = 1 << 0, High }\n")
    thing, ns, helper_fn, level = extra.declarations
    assert thing.default and thing.name == "Thing"
    assert ns.kind == "namespace" and ns.children[0].name == "Inner"
    assert len(helper_fn.signatures) == 2 and [p.name for p in level.body.properties] == ["Low", "High"]


@pytest.mark.parametrize("text, where", [
    ("export declare class A {\n  f(: void;\n}\n", "line 2"),
    ("export declare class A {\n  f(): void;\n", "'{' is never closed"),
    ("export declare class A {\n  /* open\n}\n", "unterminated comment"),
    ("export declare class A { f(): Array<string; }\n", "line 1"),
    ("export declare klass A {}\n", "unexpected 'klass'"),
])
def test_parser_names_the_problem(text, where):
    with pytest.raises(DeclarationSyntaxError, match=where):
        parse_declarations(text)


def test_jsdoc_tags_and_prose():
    doc = parse_jsdoc("""/**
     * Sends the {@link Message} now.
     * Second line of the same paragraph.
     *
     * <pre>
     * var code = "dropped";
     * </pre>
     * @param {string} [to=me] - who gets it
     * @param body the text
     *   spread over two lines
     * @return {boolean} whether it went
     * @throws {Error} when offline
     * @Deprecated - use send2 instead.
     * Still part of the description.
     * @example
     * send("x");
     */""")
    assert doc.description == ("Sends the Message now. Second line of the same paragraph.\n"
                               "Still part of the description.")
    assert doc.params == {"to": ("string", "who gets it"), "body": ("", "the text spread over two lines")}
    assert (doc.returns_type, doc.returns_description) == ("boolean", "whether it went")
    assert doc.throws == ["Error: when offline"]
    assert doc.deprecated and doc.deprecated_note == "use send2 instead."
    assert parse_jsdoc("") == parse_jsdoc("/** */")


# --------------------------------------------------------------------------- the reader

def test_tarball_classes_scopes_methods_and_errors(tmp_path):
    result = read_platform_api(_tarball(tmp_path / "glide.tgz", _files(with_broken=True)))
    assert result.package_version == "1.2.3" and result.package_name == "@servicenow/glide"
    names = {c.api_name: c for c in result.classes}
    # imports/ has no index, so its stubs are not namespaces; helper folders are not read.
    assert set(names) == {"Widget", "Base", "Record2", "SystemApi", "sys", "sn_x.Gadget"}
    assert result.files == 9  # 6 in types, 3 in sn_x (index files included)
    assert [(e.origin, e.record) for e in result.errors] == [("src/sn_x/Broken.d.ts:2", "Broken")]
    assert "unterminated comment" in result.errors[0].message

    widget = names["Widget"]
    assert (widget.name, widget.scope, widget.source_file) == ("Widget", "global", "src/types/Widget.d.ts")
    assert widget.doc.description == "Builds widgets for the test suite."  # @example stripped
    assert widget.doc.extends == "Base" and widget.doc.backend == "platform:@servicenow/glide@1.2.3"
    assert not widget.deprecated and names["Base"].deprecated
    gadget = names["sn_x.Gadget"]
    assert (gadget.name, gadget.scope, gadget.doc.api_name, gadget.doc.namespace) == (
        "Gadget", "sn_x", "sn_x.Gadget", "Gadget")

    methods = _methods(result, "Widget")
    assert list(methods)[0] == "Widget"  # the constructor, named after the class, comes first
    ctor = methods["Widget"]
    assert not ctor.is_static and ctor.signature() == "Widget(name)"
    assert ctor.params[0].description == "the widget's name" and "Makes a widget." in ctor.description
    assert "Overloads: Widget()" in ctor.description

    find = methods["find"]
    assert [(p.name, p.type, p.description) for p in find.params] == [
        ("name", "string", "the name to look for"), ("limit", "number", "at most this many")]
    assert (find.returns_type, find.returns_description) == ("Widget[]", "the matches, best first")

    add = methods["add"]  # overloads merge: the longest list wins, the other is named
    assert add.signature() == "add(value, radix, ...rest)"
    assert add.params[2].type == "Array<string | number>"
    assert add.description == "Adds a value.\nOverloads: add(value)"

    assert methods["create"].is_static and not methods["find"].is_static
    assert methods["onChange"].description == "Called when the widget changes."
    assert methods["onChange"].returns_type == "boolean" and "optionalHook" in methods
    assert methods["mode"].returns_type == '"on" | "off" | null'
    assert "Deprecated: use find instead" in methods["lookup"].description
    assert methods["old"].description == "Deprecated overloads: old(a)\nOverloads: old(a)"
    for skipped in ("secret", "guard", "label", "size", "title", "constructor"):
        assert skipped not in methods

    # Rhino's constructor hook is not documented as if scripts passed cx/args/ctorObj/inNewExpr.
    hook = _methods(result, "sn_x.Gadget")["Gadget"]
    assert [p.name for p in hook.params] == ["...args"] and "Rhino" in hook.description


def test_constant_modelled_classes_and_global_objects(tmp_path):
    result = read_platform_api(_folder(tmp_path / "pkg", _files()))
    record = result.get("Record2")
    assert record.doc.description == "A record of some table."  # from the exported type alias
    assert record.doc.extends == "Widget"  # intersected with an imported class
    methods = {m.name: m for m in record.doc.methods}
    assert list(methods) == ["Record2", "query", "getValue"]
    assert methods["Record2"].params[0].name == "table" and methods["Record2"].returns_type == "Record2<T>"
    assert not methods["query"].is_static and methods["query"].description == "Runs the query."
    assert methods["getValue"].params[0].type == "F"  # types stay as written

    # `declare const sys: SystemApi` is an object: its instance methods are called on it directly.
    system = result.get("sys")
    assert system.doc.description == "The global system object." and system.doc.extends == "SystemApi"
    assert [(m.name, m.is_static) for m in system.doc.methods] == [("log", True)]
    assert result.get("SystemApi").doc.methods[1].is_static  # and the class is kept as well
    assert result.get("answer") is None  # a plain value is not an API


def test_inputs_node_modules_and_missing(tmp_path):
    modules = tmp_path / "node_modules"
    _folder(modules / "@servicenow" / "glide", _files())
    for path in (modules, tmp_path):  # the node_modules folder, or the project holding it
        assert read_platform_api(path).get("sn_x.Gadget") is not None
    with pytest.raises(SourceNotFound, match="does not exist"):
        read_platform_api(tmp_path / "nowhere")
    with pytest.raises(SourceNotFound, match="node_modules"):
        read_platform_api(tmp_path / "node_modules" / "@servicenow")
    (tmp_path / "junk.tgz").write_bytes(b"not a tarball")
    with pytest.raises(ValueError, match="not a readable npm tarball"):
        read_platform_api(tmp_path / "junk.tgz")
    whole = _tarball(tmp_path / "whole.tgz", _files()).read_bytes()
    (tmp_path / "cut.tgz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="not a readable npm tarball"):
        read_platform_api(tmp_path / "cut.tgz")
    no_manifest = {k: v for k, v in _files().items() if k != "package.json"}
    with pytest.raises(SourceNotFound, match="no package.json"):
        read_platform_api(_tarball(tmp_path / "bare.tgz", no_manifest))


def test_duplicated_class_yields_one_entry(tmp_path):
    files = _files()
    files["src/sn_x/Copy.d.ts"] = "export declare class Gadget {\n  extra(): void;\n}\n"
    result = read_platform_api(_tarball(tmp_path / "dup.tgz", files))
    gadgets = [c for c in result.classes if c.api_name == "sn_x.Gadget"]
    assert len(gadgets) == 1 and gadgets[0].source_file == "src/sn_x/Gadget.d.ts"
    assert {m.name for m in gadgets[0].doc.methods} == {"Gadget", "spin", "extra"}


def test_package_without_index_files_reads_every_folder(tmp_path):
    files = {"package.json": PACKAGE_JSON, "src/types/X.d.ts": "export declare class X { a(): void }\n",
             "src/sn_x/Y.d.ts": "export declare class Y { b(p: string): number }\n"}
    result = read_platform_api(_tarball(tmp_path / "min.tgz", files))
    assert {(c.api_name, c.scope) for c in result.classes} == {("X", "global"), ("sn_x.Y", "sn_x")}


# --------------------------------------------------------------------------- the real package

@pytest.fixture(scope="module")
def glide() -> PlatformReadResult:
    """The real package, read once for the module (its speed: ``benchmarks/readers.py``)."""
    if not GLIDE_TARBALL.exists():
        pytest.skip(f"{GLIDE_TARBALL} is absent: the shared corpus is not checked out beside the project")
    return read_platform_api(GLIDE_TARBALL)


def test_real_package_is_read_whole(glide):
    result = glide
    assert result.package_version == "27.0.5" and result.errors == []
    assert len(result.classes) > 1100
    assert len(result.scopes) > 150 and "global" in result.scopes and "sn_ws" in result.scopes
    assert len({c.api_name for c in result.classes}) == len(result.classes)
    for cls in result.classes:
        assert cls.name and cls.scope and cls.doc.api_name == cls.api_name
        assert cls.api_name == (cls.name if cls.scope == "global" else f"{cls.scope}.{cls.name}")
        assert cls.source_file.startswith(f"src/{'types' if cls.scope == 'global' else cls.scope}/")


def test_real_package_core_classes(glide):
    result = glide
    record = {m.name: m for m in result.get("GlideRecord").doc.methods}
    for name in ("addQuery", "query", "next", "getValue"):
        assert name in record, name
    assert [p.name for p in record["addQuery"].params] == ["name", "operator", "value"]
    assert record["getValue"].params and record["getValue"].returns_type == "string"
    assert record["next"].description and record["GlideRecord"].params[0].name == "tableName"
    assert result.get("GlideRecordSecure").doc.extends == "GlideRecord"

    rest = result.get("sn_ws.RESTMessageV2")
    assert rest is not None and rest.scope == "sn_ws" and rest.name == "RESTMessageV2"
    rest_methods = {m.name: m for m in rest.doc.methods}
    assert "setEndpoint" in rest_methods and rest_methods["execute"].returns_type == "RESTResponseV2"
    assert [p.name for p in rest_methods["setEndpoint"].params] == ["endpoint"]

    gdt = result.get("GlideDateTime")
    assert gdt is not None and gdt.doc.description
    system = {m.name: m for m in result.get("gs").doc.methods}
    assert system["getProperty"].is_static and system["addInfoMessage"].description


def test_real_package_documentation_is_carried_over(glide):
    """The package documents few methods (most declarations have no JSDoc at all), so the
    share is low; what is documented must arrive, and every parameter keeps its type."""
    result = glide
    methods = [m for c in result.classes for m in c.doc.methods]
    params = [p for m in methods for p in m.params]
    assert len(methods) > 9000
    described = sum(1 for m in methods if m.description) / len(methods)
    assert described > 0.08, f"{described:.1%} of methods have a description"
    assert sum(1 for p in params if p.type) / len(params) > 0.99
    assert sum(1 for c in result.classes if c.doc.description) >= 20


# --------------------------------------------------------------------------- damaged files

DAMAGED = '''/** Half of this class is damaged. */
export declare class Patchy {
  /** Works. */
  first(a: string): number;
  broken(x: ): void;
  second(b: number): string;
  also(: ;
  last(): void;
}

export declare class After {
  fine(): boolean;
}
'''


def test_a_damaged_file_keeps_what_parses_and_names_what_does_not(tmp_path):
    decls = parse_declarations(DAMAGED, strict=False)
    assert [p.line for p in decls.problems] == [5, 7]
    assert all(p.reason.startswith("unexpected") for p in decls.problems)
    patchy, after = decls.declarations
    assert not patchy.complete and after.complete
    assert {s.name for s in patchy.body.signatures} >= {"first", "second", "last"}
    assert [s.name for s in after.body.signatures] == ["fine"]
    with pytest.raises(DeclarationSyntaxError, match="line 5"):
        parse_declarations(DAMAGED)  # strict (the default): all or nothing

    files = {**_files(), "src/sn_x/Patchy.d.ts": DAMAGED}
    result = read_platform_api(_tarball(tmp_path / "damaged.tgz", files))
    (error,) = result.errors
    assert error.origin == "src/sn_x/Patchy.d.ts:5" and error.record == "Patchy"
    assert "1 more: line 7" in error.message and "what parsed was read" in error.message
    methods = _methods(result, "sn_x.Patchy")
    assert {"first", "second", "last"} <= set(methods) and methods["first"].description == "Works."
    assert result.get("sn_x.Patchy").doc.description == "Half of this class is damaged."
    assert "fine" in _methods(result, "sn_x.After")
