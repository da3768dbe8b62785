"""Static analysis of ServiceNow JavaScript: Script Include shapes, call sites, tokens."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from deepcodeseek.parsing import (
    CallSite,
    analyze_script_include,
    find_call_sites,
    identifiers,
    syntax_errors,
)


def js(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def by_name(info):
    return {m.name: m for m in info.methods}


# ---------------------------------------------------------------------------------------
# analyze_script_include: shapes

CLASS_CREATE = js("""
    /**
     * Helpers for hardware assets.
     */
    var AssetHelper = Class.create();
    AssetHelper.prototype = {
        /**
         * @param {GlideRecord} asset - the asset record
         */
        initialize: function(asset) {
            this.asset = asset;
        },

        // Finds the active CI for a tag.
        // @returns {string} sys_id or ''
        findCi: function(tag, includeRetired) {
            var gr = new GlideRecord('cmdb_ci');
            gr.addQuery('asset_tag', tag);
            gr.query();
            if (gr.next()) {
                return gr.getUniqueValue();
            }
            gs.info('AssetHelper: no CI for ' + tag);
            return '';
        },

        TABLE: 'alm_hardware',
        type: 'AssetHelper'
    };
""")


def test_class_create_prototype():
    info = analyze_script_include(CLASS_CREATE, "AssetHelper")
    assert info.name == "AssetHelper"
    assert info.kind == "class"
    assert info.extends is None
    assert [m.name for m in info.methods] == ["initialize", "findCi"]
    assert info.parse_ok and info.syntax_errors == []
    assert info.class_comment == "Helpers for hardware assets."

    init, find = info.methods
    assert init.params == ["asset"]
    assert init.doc_comment == "@param {GlideRecord} asset - the asset record"
    assert init.is_static is False
    assert init.line == 8

    assert find.params == ["tag", "includeRetired"]
    assert find.doc_comment == "Finds the active CI for a tag.\n@returns {string} sys_id or ''"
    assert find.returns == ["gr.getUniqueValue()", "''"]
    assert find.calls == ["new GlideRecord", ".addQuery", ".query", ".next", ".getUniqueValue", "gs.info"]
    assert find.line == 14
    assert info.calls == find.calls


def test_extends_object_with_scoped_base_and_statics():
    source = js("""
        var LeaveAjax = Class.create();
        LeaveAjax.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {
            getBalance: function() {
                var user = this.getParameter('sysparm_user');
                return JSON.stringify({ days: new x_acme_hr.LeaveLedger(user).balance() });
            },
            type: 'LeaveAjax'
        });
        LeaveAjax.MAX_DAYS = 30;
        /** Days between two dates. */
        LeaveAjax.daysBetween = function(start, end) {
            return gs.dateDiff(start, end, true);
        };
    """)
    info = analyze_script_include(source, "LeaveAjax")
    assert info.kind == "extends"
    assert info.extends == "global.AbstractAjaxProcessor"
    methods = by_name(info)
    assert list(methods) == ["getBalance", "daysBetween"]
    assert methods["getBalance"].is_static is False
    assert methods["getBalance"].calls == [
        "this.getParameter", "JSON.stringify", "new x_acme_hr.LeaveLedger", ".balance",
    ]
    static = methods["daysBetween"]
    assert static.is_static is True
    assert static.params == ["start", "end"]
    assert static.doc_comment == "Days between two dates."
    assert static.calls == ["gs.dateDiff"]
    assert "MAX_DAYS" not in methods


def test_unscoped_base_and_object_extend_new_base():
    a = analyze_script_include(js("""
        var A = Class.create();
        A.prototype = Object.extendsObject(AbstractAjaxProcessor, { ping: function() { return 'pong'; } });
    """))
    assert (a.name, a.kind, a.extends) == ("A", "extends", "AbstractAjaxProcessor")
    assert a.methods[0].returns == ["'pong'"]

    b = analyze_script_include(js("""
        var NotFound = Class.create();
        NotFound.prototype = Object.extend(new GenericException(), {
            initialize: function(msg) { this.msg = msg; },
            type: 'NotFound'
        });
    """))
    assert (b.kind, b.extends) == ("extends", "GenericException")
    assert [m.name for m in b.methods] == ["initialize"]


def test_function_style_script_include():
    source = js("""
        // Validates an asset tag against the company pattern.
        function validateAssetTag(tag, company) {
            if (!tag) return false;
            return /^[A-Z]{2}-\\d{6}$/.test(tag) && checkCompany(company);
        }
    """)
    info = analyze_script_include(source, "validateAssetTag")
    assert (info.name, info.kind) == ("validateAssetTag", "function")
    assert len(info.methods) == 1
    m = info.methods[0]
    assert m.name == "validateAssetTag" and m.params == ["tag", "company"] and m.is_static is False
    assert m.doc_comment == "Validates an asset tag against the company pattern."
    assert m.returns == ["false", "/^[A-Z]{2}-\\d{6}$/.test(tag) && checkCompany(company)"]
    assert m.calls == [".test", "checkCompany"]
    assert info.class_comment == "Validates an asset tag against the company pattern."


def test_function_expression_assigned_to_var():
    info = analyze_script_include("var getGroupManager = function(groupId) { return groupId; };")
    assert (info.name, info.kind) == ("getGroupManager", "function")
    assert info.methods[0].params == ["groupId"]


def test_object_literal_namespace():
    source = js("""
        var DateUtils = {
            VERSION: '1.0',
            /** Start of today. */
            today: function() { return new GlideDateTime(); },
            addDays: function(gdt, n) { gdt.addDaysLocalTime(n); return gdt; }
        };
    """)
    info = analyze_script_include(source, "DateUtils")
    assert (info.name, info.kind) == ("DateUtils", "object")
    assert [m.name for m in info.methods] == ["today", "addDays"]
    assert by_name(info)["today"].doc_comment == "Start of today."
    assert by_name(info)["addDays"].params == ["gdt", "n"]
    assert info.calls == ["new GlideDateTime", ".addDaysLocalTime"]


def test_iife_returning_object_resolves_inner_functions():
    source = js("""
        var CostUtils = (function() {
            var RATE = 1.2;
            /** Adds tax to an amount. */
            function withTax(amount, region) {
                return amount * RATE;
            }
            return {
                withTax: withTax,
                round: function(value) { return Math.round(value); }
            };
        })();
    """)
    info = analyze_script_include(source, "CostUtils")
    assert (info.name, info.kind) == ("CostUtils", "object")
    methods = by_name(info)
    assert list(methods) == ["withTax", "round"]
    assert methods["withTax"].params == ["amount", "region"]
    assert methods["withTax"].doc_comment == "Adds tax to an amount."
    assert methods["withTax"].returns == ["amount * RATE"]
    assert methods["round"].calls == ["Math.round"]


def test_declared_var_filled_by_revealing_module_iife():
    source = js("""
        var MidIssues;
        (function() {
            MidIssues = {
                open: open,
                resolveAll: resolveAll,
                canRead: check('read')
            };
            /** Opens an issue for a MID server. */
            function open(midId, message) { return new GlideRecord('ecc_agent_issue'); }
            function resolveAll(midId) {}
            function check(op) { return function(taskId) { return gs.hasRole(op); }; }
        })();
    """)
    info = analyze_script_include(source, "MidIssues")
    assert (info.name, info.kind) == ("MidIssues", "object")
    methods = by_name(info)
    assert list(methods) == ["open", "resolveAll", "canRead"]
    assert methods["open"].params == ["midId", "message"]
    assert methods["open"].doc_comment == "Opens an issue for a MID server."
    assert methods["canRead"].params == ["taskId"]
    assert methods["canRead"].calls == ["gs.hasRole"]


def test_static_aliases_and_chained_assignments():
    source = js("""
        var Cab = Class.create();
        Cab.MEETING = 'cab_meeting';
        Cab.getApprovals = CabSNC.getApprovals;
        Cab.find = find;
        Cab.each = Cab.forEach = function(list, fn) {};
        function find(id) { return id; }
        Cab.prototype = Object.extendsObject(CabSNC, { type: 'Cab' });
    """)
    info = analyze_script_include(source, "Cab")
    assert (info.kind, info.extends) == ("extends", "CabSNC")
    methods = by_name(info)
    assert list(methods) == ["getApprovals", "find", "each", "forEach"]
    assert all(m.is_static for m in info.methods)
    assert methods["find"].params == ["id"]
    assert methods["each"].params == ["list", "fn"]


def test_prototype_assigned_inside_bare_iife():
    source = js("""
        var QueueUtil = Class.create();
        (function() {
            var TABLE = 'ecc_queue';
            QueueUtil.prototype = {
                initialize: function() {},
                count: function(state) { return new GlideAggregate(TABLE); },
                type: 'QueueUtil'
            };
        })();
    """)
    info = analyze_script_include(source, "QueueUtil")
    assert (info.name, info.kind) == ("QueueUtil", "class")
    assert [m.name for m in info.methods] == ["initialize", "count"]


def test_es6_class():
    source = js("""
        class RiskScore extends BaseScore {
            constructor(task) { super(task); this.task = task; }
            /** Weighted score. */
            score(weights) { return this.sum(weights); }
            static fromId(id) { return new RiskScore(id); }
        }
    """)
    info = analyze_script_include(source, "RiskScore")
    assert info.name == "RiskScore"
    assert info.extends == "BaseScore"
    assert info.kind == "extends"
    methods = by_name(info)
    assert list(methods) == ["constructor", "score", "fromId"]
    assert methods["score"].doc_comment == "Weighted score."
    assert methods["score"].is_static is False
    assert methods["fromId"].is_static is True
    assert methods["fromId"].calls == ["new RiskScore"]


def test_prefers_expected_name_then_first_class_like():
    source = js("""
        function helper(x) { return x; }
        var Second = Class.create();
        Second.prototype = { run: function() {}, type: 'Second' };
        var Third = { go: function() {} };
    """)
    assert analyze_script_include(source, "Third").name == "Third"
    assert analyze_script_include(source, "helper").kind == "function"
    assert analyze_script_include(source).name == "Second"
    assert analyze_script_include(source, "NotThere").name == "Second"


def test_empty_source():
    for source in ("", "   \n\t  "):
        info = analyze_script_include(source, "Anything")
        assert info.name is None and info.kind == "unknown"
        assert info.methods == [] and info.calls == []
        assert info.syntax_errors == [] and info.parse_ok


def test_crlf_source():
    source = CLASS_CREATE.replace("\n", "\r\n")
    info = analyze_script_include(source, "AssetHelper")
    assert [m.name for m in info.methods] == ["initialize", "findCi"]
    find = by_name(info)["findCi"]
    assert find.line == 14
    assert "\r" not in find.doc_comment and "\r" not in info.class_comment
    assert find.doc_comment == "Finds the active CI for a tag.\n@returns {string} sys_id or ''"


def test_syntax_errors_still_extract_methods():
    source = js("""
        var Broken = Class.create();
        Broken.prototype = {
            good: function(a) { return a + 1; },
            bad: function(b) { if (b { return 2; } },
            type: 'Broken'
        };
    """)
    info = analyze_script_include(source, "Broken")
    assert not info.parse_ok
    assert info.syntax_errors and all(e.startswith("line ") for e in info.syntax_errors)
    assert info.name == "Broken"
    assert "good" in by_name(info)
    assert by_name(info)["good"].params == ["a"]


def test_methods_spilled_out_of_a_broken_object_are_recovered():
    source = js("""
        var Ident = Class.create();
        Ident.prototype = {
            run: function(x) {
                if (x) { return 1; } }
            },

            apply: function(name) {
                return name;
            },

            // Loads identifiers.
            load: function(table) {
                return new GlideRecord(table);
            },

            type: 'Ident'
        };
    """)
    info = analyze_script_include(source, "Ident")
    assert not info.parse_ok
    assert [m.name for m in info.methods] == ["run", "apply", "load"]
    load = by_name(info)["load"]
    assert load.params == ["table"] and load.doc_comment == "Loads identifiers."
    assert load.calls == ["new GlideRecord"]


def test_garbage_source_does_not_raise():
    info = analyze_script_include("}}} ))) function ( var = = ; <<<", "X")
    assert not info.parse_ok
    assert 1 <= len(info.syntax_errors) <= 10


def test_returns_are_distinct_trimmed_and_skip_nested_functions():
    long_expr = " + ".join(f"part{i}" for i in range(60))
    source = js(f"""
        var R = {{
            pick: function(x) {{
                var items = [1, 2].map(function(i) {{ return i * 2; }});
                if (x == 1) return 'a';
                if (x == 2) return 'a';
                if (x == 3) return 'b';
                if (x == 4) return 'c';
                if (x == 5) return 'd';
                if (x == 6) return 'e';
                return {long_expr};
            }}
        }};
    """)
    returns = analyze_script_include(source, "R").methods[0].returns
    assert returns == ["'a'", "'b'", "'c'", "'d'", "'e'"]
    assert "i * 2" not in returns

    long_only = analyze_script_include(f"var R = {{ f: function() {{ return {long_expr}; }} }};")
    assert len(long_only.methods[0].returns[0]) == 120


def test_call_naming_rules():
    source = js("""
        var C = {
            run: function(gr) {
                var msg = new sn_ws.RESTMessageV2('Rates', 'get');
                var list = global.ArrayUtil.ensureArray(gr);
                var util = new global.ArrayUtil();
                util.unique(list);
                this._log(msg);
                this.helper.flush();
                Class.create();
                Object.keys(list);
                sn_fd.FlowAPI.startFlow('x', {});
                gs.getUser().getID();
                current.caller_id.getDisplayValue();
                doSomething(list);
                AbstractAjaxProcessor.prototype.initialize.call(this);
            }
        };
    """)
    calls = analyze_script_include(source, "C").calls
    assert calls == [
        "new sn_ws.RESTMessageV2", "global.ArrayUtil.ensureArray", "new global.ArrayUtil", ".unique",
        "this._log", ".flush", "Class.create", "Object.keys", "sn_fd.FlowAPI.startFlow",
        "gs.getUser", ".getID", ".getDisplayValue", "doSomething",
        "AbstractAjaxProcessor.prototype.initialize.call",
    ]


# ---------------------------------------------------------------------------------------
# identifiers / syntax_errors


def test_identifiers_exclude_comments_and_strings():
    source = "// hidden comment\nvar gr = new GlideRecord('incident'); /* secret */ gr.addQuery(x, \"y z\");"
    assert identifiers(source) == ["gr", "GlideRecord", "gr", "addQuery", "x"]
    assert identifiers("") == []


def test_syntax_errors_function():
    assert syntax_errors("var a = 1;\nfunction f(x) { return x; }") == []
    assert syntax_errors("") == []
    errors = syntax_errors("var a = 1;\nvar b = (2;\n")
    assert errors and errors[0].startswith("line 2:")
    many = "\n".join("var x%d = ;" % i for i in range(30))
    assert len(syntax_errors(many)) == 10


# ---------------------------------------------------------------------------------------
# find_call_sites


def site_summary(sites: list[CallSite]) -> list[tuple]:
    return [(s.namespace, s.qualifier, s.method, s.kind) for s in sites]


def test_new_with_chained_method_and_variable_resolution():
    source = js("""
        function run() {
            var total = new CostCalc(current).total();
            var calc = new global.CostCalc();
            gs.info('starting');
            calc.addLine(10);
            calc.finish();
        }
        function other() {
            calc.ignored();
        }
    """)
    sites = find_call_sites(source, {"CostCalc"})
    assert site_summary(sites) == [
        ("CostCalc", None, "total", "new"),
        ("CostCalc", "global", "addLine", "new"),
    ]
    first, second = sites
    assert (first.line, first.column) == (1, 16)
    assert source.encode()[first.start_byte:].startswith(b"new CostCalc(current)")
    assert source.encode()[second.start_byte:].startswith(b"new global.CostCalc()")


def test_variable_method_is_scoped_to_the_function():
    source = js("""
        function a() { var u = new Helper(); }
        function b() { u.later(); }
    """)
    (site,) = find_call_sites(source, {"Helper"})
    assert (site.kind, site.method) == ("new", None)


def test_static_call_and_function_call_and_reference():
    source = js("""
        var ok = validateAssetTag(tag, 'acme');
        var days = x_acme_hr.LeaveAjax.daysBetween(a,
            b);
        var fn = validateAssetTag;
        if (typeof LeaveAjax != 'undefined') { LeaveAjax.MAX_DAYS; }
    """)
    sites = find_call_sites(source, {"validateAssetTag", "LeaveAjax"})
    assert site_summary(sites) == [
        ("validateAssetTag", None, None, "call"),
        ("LeaveAjax", "x_acme_hr", "daysBetween", "static"),
        ("validateAssetTag", None, None, "reference"),
        ("LeaveAjax", None, None, "reference"),
        ("LeaveAjax", None, "MAX_DAYS", "reference"),
    ]
    static = sites[1]
    assert static.line == 1 and static.end_line == 2
    assert source.encode()[static.start_byte:].startswith(b"x_acme_hr.LeaveAjax.daysBetween")
    assert [s.start_byte for s in sites] == sorted(s.start_byte for s in sites)


def test_nested_class_and_super_call_through_call():
    source = "var size = new StorageSize.Unit('GB');\nStorageSize.convert.call(this, 1);"
    assert site_summary(find_call_sites(source, {"StorageSize"})) == [
        ("StorageSize", None, "Unit", "new"),
        ("StorageSize", None, "convert", "static"),
    ]


def test_glide_ajax_sites():
    source = js("""
        function onChange(control, oldValue, newValue) {
            var ga = new GlideAjax('x_acme_hr.LeaveAjax');
            ga.addParam('sysparm_user', newValue);
            ga.addParam('sysparm_name', 'getBalance');
            ga.getXMLAnswer(function(answer) { g_form.setValue('balance', answer); });
            var other = new GlideAjax("AssetAjax");
            other.addParam("sysparm_name", "lookup");
            var unknown = new GlideAjax('SomethingElse');
        }
    """)
    sites = find_call_sites(source, {"LeaveAjax", "AssetAjax"})
    assert site_summary(sites) == [
        ("LeaveAjax", "x_acme_hr", "getBalance", "ajax"),
        ("AssetAjax", None, "lookup", "ajax"),
    ]
    assert source.encode()[sites[0].start_byte:].startswith(b"new GlideAjax(")


def test_prototype_sites_and_definition_not_reported():
    source = js("""
        var HRLeaveAjax = Class.create();
        HRLeaveAjax.prototype = Object.extendsObject(LeaveAjax, {
            initialize: function(request) {
                LeaveAjax.prototype.initialize.call(this, request);
            },
            type: 'HRLeaveAjax'
        });
        HRLeaveAjax.helper = function() {};
        HRLeaveAjax.prototype.extra = function() {};
        function HRLeaveAjaxFactory() { return new HRLeaveAjax(); }
    """)
    sites = find_call_sites(source, {"LeaveAjax", "HRLeaveAjax"})
    assert site_summary(sites) == [
        ("LeaveAjax", None, None, "prototype"),
        ("LeaveAjax", None, "initialize", "prototype"),
        ("HRLeaveAjax", None, None, "new"),
    ]
    assert find_call_sites("function validateThing(a) { return a; }", {"validateThing"}) == []


def test_no_sites_from_comments_strings_or_unrelated_properties():
    source = js("""
        // new ArrayUtil().unique(list)
        /* ArrayUtil.ensureArray(x) */
        var s = "ArrayUtil.unique(list)";
        var t = 'new ArrayUtil()';
        var cfg = { ArrayUtil: 1 };
        record.ArrayUtil.run();
        var ArrayUtilish = 3;
    """)
    assert find_call_sites(source, {"ArrayUtil"}) == []


def test_byte_offsets_count_utf8_bytes():
    source = "var note = 'café – ünïcode'; var u = new ArrayUtil();"
    (site,) = find_call_sites(source, {"ArrayUtil"})
    encoded = source.encode("utf-8")
    assert encoded[site.start_byte:site.start_byte + 13] == b"new ArrayUtil"
    assert site.start_byte != source.index("new ArrayUtil")


def test_crlf_call_sites():
    source = "var a = 1;\r\nvar b = new ArrayUtil()\r\n    .unique(x);\r\n"
    (site,) = find_call_sites(source, {"ArrayUtil"})
    assert (site.line, site.end_line, site.method, site.kind) == (1, 2, "unique", "new")


def test_no_known_names_or_empty_source():
    assert find_call_sites("", {"ArrayUtil"}) == []
    assert find_call_sites("new ArrayUtil();", []) == []


# ---------------------------------------------------------------------------------------
# Import hygiene


def test_import_is_lazy_and_dagster_free():
    code = (
        "import sys, deepcodeseek.parsing, deepcodeseek.parsing._tree as t\n"
        "assert t._parser is None, 'parser built at import time'\n"
        "assert not any(m == 'dagster' or m.startswith('dagster.') for m in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("source", ["var", "{", "function (", "X.prototype = {", "\x00\x01", "'\ud800'"])
def test_fragments_never_raise(source):
    info = analyze_script_include(source, "X")
    assert isinstance(info.syntax_errors, list)
    find_call_sites(source, {"X"})
    identifiers(source)
