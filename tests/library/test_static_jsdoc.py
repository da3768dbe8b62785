"""The static-analysis JSDoc backend reads what the script says."""

from __future__ import annotations

import pytest

from deepcodeseek.jsdoc.static_backend import StaticAnalysisError, summarize_statically

SCRIPT = """
/** Helpers for HR cases. */
var CaseHelper = Class.create();
CaseHelper.prototype = Object.extendsObject(global.AbstractAjaxProcessor, {
    /**
     * Finds cases that passed their due date.
     * @param {number} days - grace period in days
     * @returns {Array} sys_ids of overdue cases
     */
    getOverdueCases: function(days) {
        var gr = new GlideRecord('x_hr_case');
        gr.query();
        return [];
    },
    closeCase: function(caseId, note) {
        gs.eventQueue('x_hr.case.closed', null, caseId);
        return true;
    },
    type: 'CaseHelper'
});
"""


def test_reads_doc_comments_params_and_calls():
    doc = summarize_statically("CaseHelper", "x_hr.CaseHelper", SCRIPT)
    assert doc.extends == "global.AbstractAjaxProcessor"
    assert "Helpers for HR cases." in doc.description
    overdue = next(m for m in doc.methods if m.name == "getOverdueCases")
    assert overdue.description == "Finds cases that passed their due date."
    assert (overdue.params[0].name, overdue.params[0].type) == ("days", "number")
    assert overdue.returns_type == "Array"
    close = next(m for m in doc.methods if m.name == "closeCase")
    assert [p.name for p in close.params] == ["caseId", "note"]
    assert "Close case" in close.description and "gs.eventQueue" in close.description
    assert "@param {number} days - grace period in days" in doc.render()


def test_unparsable_script_is_a_named_error():
    with pytest.raises(StaticAnalysisError, match="x_app.Broken"):
        summarize_statically("Broken", "x_app.Broken", "var = = function ( {{{ ]]")
