"""Source-control exports and update sets: real export trees and small hand-written XML.

The real samples are three untouched public export trees under ../shared/samples; they
are read in place (never copied into the project) and the tests skip when absent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from deepcodeseek.sources.export_xml import ExportReadResult, read_source_control_export
from deepcodeseek.sources.records_jsonl import SourceNotFound
from deepcodeseek.sources.update_set import read_update_set

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
SAMPLE_NAMES = [
    "009598__devtraining-needit-utah",   # update/ and sys_app_<id>.xml at the root
    "06Akshitha__loaner.request",        # <app sys_id>/ folder, DELETEs of form sections
    "113sf-sgctusr2__113sfWebEast",      # <app sys_id>/ folder, DELETEd business rules and UI actions
]


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the shared samples are not checked out beside the project")
    return path


def app_scopes(root: Path) -> dict[str, str]:
    """sys_id -> <scope> of every sys_app_<id>.xml in a sample, read independently of the reader."""
    scopes = {}
    for file in root.rglob("sys_app_*.xml"):
        if file.parent.name in {"update", "author_elective_update"}:
            continue
        app = ET.parse(file).getroot().find("sys_app")
        if app is not None:
            scopes[app.findtext("sys_id")] = app.findtext("scope")
    return scopes


def zip_folder(folder: Path, target: Path, top: str | None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                rel = file.relative_to(folder).as_posix()
                zf.write(file, f"{top}/{rel}" if top else rel)
    return target


def record_view(result: ExportReadResult) -> list[tuple]:
    return [(r.table, r.sys_id, r.name, r.api_name, r.scope, r.script, r.origin, r.extra) for r in result.records]


# ---------------------------------------------------------------------------
# Real export trees


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_real_export_reads_scripts_in_the_apps_scope(name):
    root = sample(name)
    scopes = app_scopes(root)
    assert len(scopes) == 1, "each sample holds one application"
    (app_sys_id, scope), = scopes.items()
    result = read_source_control_export(root)

    assert result.errors == []
    assert result.records, "every sample has script-bearing records"
    assert all(r.script.strip() and "\r" not in r.script for r in result.records)
    assert {r.scope for r in result.records} == {scope}
    assert [(a.scope, a.sys_id, a.kind) for a in result.applications] == [(scope, app_sys_id, "sys_app")]
    assert result.applications[0].version
    # Every record comes from the file named after its table and sys_id.
    for r in result.records:
        assert r.origin.endswith(f"/{r.table}_{r.sys_id}.xml")
        assert r.extra["script_field"] and r.extra["app_sys_id"] == app_sys_id
    # Script-less files (forms, ACL roles, dictionary) are counted, not errors.
    xml_files = [p for p in root.rglob("*.xml") if p.parent.name in {"update", "author_elective_update"}]
    assert result.files == len(xml_files)
    assert result.skipped_no_script + len(result.records) + len(set(result.deleted_sys_ids)) == result.files
    deleted = set(result.deleted_sys_ids)
    assert not deleted & {r.sys_id for r in result.records}

    si_files = [p for p in xml_files if p.name.startswith("sys_script_include_")]
    sis = [r for r in result.records if r.is_script_include]
    assert len(sis) == len(si_files)
    for si in sis:
        assert si.name and si.api_name == f"{scope}.{si.name}"
        assert "Class.create" in si.script or "function" in si.script


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_zip_of_a_real_export_gives_the_same_records(name, tmp_path):
    root = sample(name)
    folder = read_source_control_export(root)
    for top in (root.name, None):
        archive = zip_folder(root, tmp_path / f"{top or 'flat'}.zip", top)
        zipped = read_source_control_export(archive)
        assert record_view(zipped) == record_view(folder)
        assert zipped.applications == folder.applications
        assert zipped.deleted_sys_ids == folder.deleted_sys_ids
        assert (zipped.files, zipped.skipped_no_script, zipped.errors) == (folder.files, folder.skipped_no_script, [])


def test_real_export_tables_and_deletes():
    needit = read_source_control_export(sample("009598__devtraining-needit-utah"))
    assert Counter(r.table for r in needit.records) == {
        "sys_script_include": 3, "sys_script_client": 3, "sys_script": 2, "sys_ui_policy": 1}
    policy = next(r for r in needit.records if r.table == "sys_ui_policy")
    assert policy.extra["script_field"] == "script_true" and policy.name  # named by sys_name
    client = next(r for r in needit.records if r.table == "sys_script_client")
    assert client.extra["type"] and client.extra["table"] == "x_58872_needit_needit"

    loaner = read_source_control_export(sample("06Akshitha__loaner.request"))
    acl = [r for r in loaner.records if r.table == "sys_security_acl"]
    # The ACL with an advanced script is kept; ACL conditions are encoded queries, never scripts.
    assert [a.extra["script_field"] for a in acl] == ["script"]
    assert "8564405e9d6732107f441b1141f62886" in loaner.deleted_sys_ids  # form section: id from section_id

    east = read_source_control_export(sample("113sf-sgctusr2__113sfWebEast"))
    assert Counter(r.table for r in east.records) == {"sys_script": 2, "sys_ui_action": 2}
    # author_elective_update/ holds the DELETEd business rules and UI actions.
    for sys_id in ("33cb0ee983f7e25066f9b7d6feaad336", "35928783833fea5066f9b7d6feaad39d"):
        assert sys_id in east.deleted_sys_ids


# ---------------------------------------------------------------------------
# Synthetic exports

APP = "a" * 32
SI_ID, BR_ID, CS_ID, WS_ID, DEL_ID, BAD_ID, ACL_ID, ROLE_ID = (c * 32 for c in "12345678")


def update_doc(table: str, body: str, *, action: str = "INSERT_OR_UPDATE", with_table: bool = True) -> str:
    attr = f' table="{table}"' if with_table else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><record_update{attr}>\n'
            f'    <{table} action="{action}">{body}</{table}>\n</record_update>\n')


def scoped(sys_id: str, updated: str = "2024-05-01 10:00:00") -> str:
    return (f'<sys_id>{sys_id}</sys_id><sys_updated_on>{updated}</sys_updated_on>'
            f'<sys_scope display_value="Case Tools">{APP}</sys_scope>'
            f'<sys_package display_value="Case Tools" source="x_acme_case">{APP}</sys_package>')


SI_BODY = ("<access>public</access><active>true</active><client_callable>true</client_callable>"
           "<description>Case helpers</description><name>CaseUtils</name>"
           "<script><![CDATA[var CaseUtils = Class.create();\r\nCaseUtils.prototype = {\r\n"
           "    type: 'CaseUtils'\r\n};]]></script>" + scoped(SI_ID))


def write_export(root: Path, files: dict[str, str | bytes]) -> Path:
    app_dir = root / APP
    (app_dir / "update").mkdir(parents=True)
    (root / "sn_source_control.properties").write_text(f"path={APP}\n")
    (app_dir / f"sys_app_{APP}.xml").write_text(update_doc(
        "sys_app", f"<name>Case Tools</name><scope>x_acme_case</scope><sys_id>{APP}</sys_id>"
                   "<vendor>Acme</vendor><version>2.1.0</version>"))
    for name, content in files.items():
        target = app_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return root


def synthetic_export(root: Path) -> Path:
    return write_export(root, {
        # no table attribute on the wrapper, CRLF line ends inside CDATA
        f"update/sys_script_include_{SI_ID}.xml": update_doc("sys_script_include", SI_BODY, with_table=False),
        f"update/sys_script_{BR_ID}.xml": update_doc("sys_script", (
            "<name>Close children</name><collection>x_acme_case_case</collection><when>after</when>"
            "<order>100</order><active>false</active>"
            "<condition><![CDATA[current.state.changesTo(3)]]></condition>"
            "<script>(function executeRule(current, previous) {&#13;\n"
            "  new CaseUtils().close(current);&#13;\n})(current, previous);</script>" + scoped(BR_ID))),
        f"update/sys_script_client_{CS_ID}.xml": update_doc("sys_script_client", (
            "<name>Check case</name><table>x_acme_case_case</table><type>onChange</type><field>state</field>"
            "<ui_type>10</ui_type><script><![CDATA[function onChange(control, oldValue, newValue) {\n"
            "  var ga = new GlideAjax('CaseUtils');\n}]]></script>" + scoped(CS_ID))),
        f"update/sys_ws_operation_{WS_ID}.xml": update_doc("sys_ws_operation", (
            "<name>Get case</name><http_method>GET</http_method><relative_path>/case/{id}</relative_path>"
            "<operation_script><![CDATA[(function process(request, response) {\n  return {};\n})"
            "(request, response);]]></operation_script>" + scoped(WS_ID))),
        f"update/sys_security_acl_{ACL_ID}.xml": update_doc("sys_security_acl", (
            '<name>x_acme_case_case</name><condition table="x_acme_case_case">active=true'
            '<item field="active" operator="=" value="true"/></condition><script/>' + scoped(ACL_ID))),
        f"update/sys_user_role_{ROLE_ID}.xml": update_doc(
            "sys_user_role", "<name>x_acme_case.user</name>" + scoped(ROLE_ID)),
        f"update/sys_script_include_{BAD_ID}.xml": update_doc("sys_script_include", SI_BODY)[:-40],
        f"author_elective_update/sys_script_include_{DEL_ID}.xml": update_doc(
            "sys_script_include", "<name>OldUtils</name><script>var OldUtils;</script>" + scoped(DEL_ID),
            action="DELETE"),
    })


def test_synthetic_export_records_fields_and_scopes(tmp_path):
    result = read_source_control_export(synthetic_export(tmp_path / "repo"))
    by_table = {r.table: r for r in result.records}
    assert set(by_table) == {"sys_script_include", "sys_script", "sys_script_client", "sys_ws_operation"}
    assert {r.scope for r in result.records} == {"x_acme_case"}
    assert result.applications[0].name == "Case Tools" and result.applications[0].vendor == "Acme"
    assert result.applications[0].version == "2.1.0"

    si = by_table["sys_script_include"]  # wrapper without table attribute
    assert si.sys_id == SI_ID and si.api_name == "x_acme_case.CaseUtils" and si.client_callable
    assert si.description == "Case helpers" and si.sys_updated_on == "2024-05-01 10:00:00"
    assert "\r" not in si.script and "Class.create();\nCaseUtils.prototype" in si.script
    assert si.extra["app_name"] == "Case Tools" and si.origin == f"{APP}/update/sys_script_include_{SI_ID}.xml"

    br = by_table["sys_script"]
    assert "\r" not in br.script and br.script.startswith("(function executeRule")  # &#13; normalised
    assert not br.active and br.extra["condition"] == "current.state.changesTo(3)"
    assert (br.extra["collection"], br.extra["when"], br.extra["order"]) == ("x_acme_case_case", "after", "100")

    cs = by_table["sys_script_client"]
    assert cs.extra["type"] == "onChange" and cs.extra["field"] == "state" and "GlideAjax" in cs.script

    ws = by_table["sys_ws_operation"]
    assert ws.extra["script_field"] == "operation_script" and ws.script.startswith("(function process")
    assert (ws.extra["http_method"], ws.extra["relative_path"]) == ("GET", "/case/{id}")


def test_synthetic_export_deletes_skips_and_broken_files(tmp_path):
    result = read_source_control_export(synthetic_export(tmp_path / "repo"))
    assert result.deleted_sys_ids == [DEL_ID]
    assert DEL_ID not in {r.sys_id for r in result.records}
    # The ACL (encoded-query condition only) and the role carry no script: counted, not errors.
    assert result.skipped_no_script == 2
    assert result.files == 8
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.origin == f"{APP}/update/sys_script_include_{BAD_ID}.xml" and error.record == BAD_ID
    assert "not well-formed" in error.message


def test_undecodable_bytes_and_missing_fields_are_named(tmp_path):
    root = write_export(tmp_path / "repo", {
        f"update/sys_script_include_{SI_ID}.xml": update_doc("sys_script_include", SI_BODY),
        f"update/sys_script_{BR_ID}.xml": update_doc(
            "sys_script", "<name>Latin</name><script>gs.info('caf\u00e9');</script>" + scoped(BR_ID)
        ).encode("utf-8").replace(b"\xc3\xa9", b"\xe9"),
        f"update/sys_script_{CS_ID}.xml": update_doc("sys_script", "<name>No id</name><script>gs.info(1);</script>"),
        f"update/sys_script_include_{WS_ID}.xml": update_doc(
            "sys_script_include", "<script>var x;</script>" + scoped(WS_ID)),  # SI without a name
        # a wrapper that names a table but holds no record of it
        f"update/sys_script_{ACL_ID}.xml": '<?xml version="1.0" encoding="UTF-8"?><record_update table="sys_script"/>',
    })
    result = read_source_control_export(root)
    assert [r.sys_id for r in result.records] == [SI_ID]
    messages = {e.record: e.message for e in result.errors}
    assert set(messages) == {BR_ID, CS_ID, WS_ID, ACL_ID}
    assert "undecodable" in messages[BR_ID]
    assert "sys_id" in messages[CS_ID]
    assert "name" in messages[WS_ID]
    assert "no <sys_script>" in messages[ACL_ID]


def test_root_layout_zip_with_top_folder_and_latest_wins(tmp_path):
    # update/ beside sys_app_<id>.xml at the root (the older layout), zipped under one folder.
    root = tmp_path / "export"
    (root / "update").mkdir(parents=True)
    (root / "author_elective_update").mkdir()
    (root / f"sys_app_{APP}.xml").write_text(update_doc(
        "sys_app", f"<name>Case Tools</name><scope>x_acme_case</scope><sys_id>{APP}</sys_id>"))
    (root / "update" / f"sys_script_include_{SI_ID}.xml").write_text(update_doc("sys_script_include", SI_BODY))
    # The same Script Include deleted later in author_elective_update/: the delete wins.
    (root / "author_elective_update" / f"sys_script_include_{SI_ID}.xml").write_text(update_doc(
        "sys_script_include", "<name>CaseUtils</name>" + scoped(SI_ID, "2024-06-01 00:00:00"), action="DELETE"))
    (root / "update" / f"sys_script_{BR_ID}.xml").write_text(update_doc(
        "sys_script", "<name>Global rule</name><script>gs.info(1);</script>"
                      f"<sys_id>{BR_ID}</sys_id><sys_scope display_value=\"Global\">global</sys_scope>"))
    archive = zip_folder(root, tmp_path / "export.zip", "some-repo-main")
    for source in (root, archive):
        result = read_source_control_export(source)
        assert result.errors == []
        assert [(r.sys_id, r.scope, r.origin) for r in result.records] == [
            (BR_ID, "global", f"update/sys_script_{BR_ID}.xml")]
        assert result.deleted_sys_ids == [SI_ID]
        assert {a.scope for a in result.applications} == {"x_acme_case", "global"}


def test_missing_or_empty_export_is_a_clear_error(tmp_path):
    with pytest.raises(SourceNotFound, match="does not exist"):
        read_source_control_export(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFound, match="no source-control export"):
        read_source_control_export(tmp_path / "empty")
    (tmp_path / "not.zip").write_text("plain text")
    with pytest.raises(SourceNotFound, match="zip"):
        read_source_control_export(tmp_path / "not.zip")


# ---------------------------------------------------------------------------
# Update sets

US_APP = "c" * 32


def update_row(name: str, payload: str, *, updated: str, action: str = "INSERT_OR_UPDATE",
               row_id: str = "", target: str = "", kind: str = "Script Include") -> str:
    return f"""<sys_update_xml action="INSERT_OR_UPDATE">
<action>{action}</action>
<application display_value="Case Tools">{US_APP}</application>
<category>customer</category>
<comments/>
<name>{name}</name>
<payload>{escape(payload)}</payload>
<payload_hash>-1234</payload_hash>
<remote_update_set display_value="Case Tools 2.2">{"e" * 32}</remote_update_set>
<replace_on_upgrade>false</replace_on_upgrade>
<sys_created_by>admin</sys_created_by>
<sys_created_on>{updated}</sys_created_on>
<sys_id>{row_id or name[-32:]}</sys_id>
<sys_updated_by>admin</sys_updated_by>
<sys_updated_on>{updated}</sys_updated_on>
<table/>
<target_name>{target}</target_name>
<type>{kind}</type>
<update_domain>global</update_domain>
</sys_update_xml>
"""


def us_scoped(sys_id: str, updated: str) -> str:
    return (f"<sys_id>{sys_id}</sys_id><sys_updated_on>{updated}</sys_updated_on>"
            f'<sys_scope display_value="Case Tools">{US_APP}</sys_scope>')


def si_payload(script: str, updated: str) -> str:
    return update_doc("sys_script_include", (
        "<access>package_private</access><active>true</active><api_name>x_acme_case.CaseUtils</api_name>"
        f"<client_callable>false</client_callable><name>CaseUtils</name><script><![CDATA[{script}]]></script>"
        + us_scoped(SI_ID, updated)))


def update_set_xml() -> str:
    rows = [
        # The newest version of the Script Include comes first in the file: time decides, not order.
        update_row(f"sys_script_include_{SI_ID}", si_payload("var CaseUtils = 'v2';", "2024-07-02 09:00:00"),
                   updated="2024-07-02 09:00:00", row_id="1" * 31 + "a", target="CaseUtils"),
        update_row(f"sys_script_include_{SI_ID}", si_payload("var CaseUtils = 'v1';", "2024-07-01 09:00:00"),
                   updated="2024-07-01 09:00:00", row_id="1" * 31 + "b", target="CaseUtils"),
        update_row(f"sys_script_{BR_ID}", update_doc("sys_script", (
            "<name>Notify owner</name><collection>x_acme_case_case</collection><when>after</when>"
            "<script><![CDATA[(function executeRule(current, previous) {\r\n  gs.eventQueue('x');\r\n})"
            "(current, previous);]]></script>" + us_scoped(BR_ID, "2024-07-01 10:00:00"))),
            updated="2024-07-01 10:00:00", target="Notify owner", kind="Business Rule"),
        update_row(f"sys_script_include_{DEL_ID}", update_doc(
            "sys_script_include", "<name>OldUtils</name><script>var OldUtils;</script>"
            + us_scoped(DEL_ID, "2024-07-01 11:00:00"), action="DELETE"),
            updated="2024-07-01 11:00:00", action="DELETE", target="OldUtils"),
        update_row(f"sys_script_include_{BAD_ID}", si_payload("var Broken;", "2024-07-01 12:00:00")[:-30],
                   updated="2024-07-01 12:00:00", target="Broken"),
        update_row(f"sys_properties_{ROLE_ID}", update_doc(
            "sys_properties", "<name>x_acme_case.limit</name><value>5</value>"
            + us_scoped(ROLE_ID, "2024-07-01 13:00:00")),
            updated="2024-07-01 13:00:00", kind="System Property"),
    ]
    return f"""<?xml version="1.0" encoding="UTF-8"?><unload unload_date="2024-07-03 08:00:00">
<sys_remote_update_set action="INSERT_OR_UPDATE">
<application display_value="Case Tools">{US_APP}</application>
<application_name>Case Tools</application_name>
<application_scope>x_acme_case</application_scope>
<application_version>2.2.0</application_version>
<collisions/>
<commit_date/>
<deleted/>
<description>Case Tools fixes</description>
<name>Case Tools 2.2</name>
<origin_sys_id/>
<remote_sys_id>{"d" * 32}</remote_sys_id>
<state>loaded</state>
<sys_id>{"e" * 32}</sys_id>
<update_source display_value="">{"f" * 32}</update_source>
</sys_remote_update_set>
{"".join(rows)}</unload>
"""


def test_update_set_records_deletes_latest_wins_and_broken_payload(tmp_path):
    path = tmp_path / "case_tools_2.2.xml"
    path.write_text(update_set_xml(), encoding="utf-8", newline="")
    result = read_update_set(path)

    assert isinstance(result, ExportReadResult) and result.files == 1
    assert [(r.table, r.sys_id) for r in result.records] == [("sys_script_include", SI_ID), ("sys_script", BR_ID)]
    si, br = result.records
    assert si.script == "var CaseUtils = 'v2';" and si.sys_updated_on == "2024-07-02 09:00:00"
    assert si.api_name == "x_acme_case.CaseUtils" and si.access == "package_private"
    assert si.origin == f"case_tools_2.2.xml:sys_script_include_{SI_ID}"
    assert {r.scope for r in result.records} == {"x_acme_case"}
    assert si.extra["app_name"] == "Case Tools"
    assert "\r" not in br.script and br.extra["when"] == "after"

    assert result.deleted_sys_ids == [DEL_ID]
    assert result.skipped_no_script == 1  # the system property
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.origin == f"case_tools_2.2.xml:sys_script_include_{BAD_ID}" and error.record == BAD_ID
    assert "not well-formed" in error.message

    app, = result.applications
    assert (app.scope, app.name, app.sys_id, app.version) == ("x_acme_case", "Case Tools", US_APP, "2.2.0")


def test_update_set_scope_from_row_when_payload_has_none_and_broken_file(tmp_path):
    bare = update_doc("sys_script", "<name>Bare</name><script>gs.info(1);</script>"
                                    f"<sys_id>{BR_ID}</sys_id>")
    body = f"""<?xml version="1.0" encoding="UTF-8"?><unload>
<sys_remote_update_set action="INSERT_OR_UPDATE">
<application display_value="Case Tools">{US_APP}</application>
<application_scope>x_acme_case</application_scope>
</sys_remote_update_set>
{update_row(f"sys_script_{BR_ID}", bare, updated="2024-07-01 10:00:00")}</unload>"""
    path = tmp_path / "bare.xml"
    path.write_text(body, encoding="utf-8")
    result = read_update_set(path)
    assert [(r.name, r.scope) for r in result.records] == [("Bare", "x_acme_case")]

    broken = tmp_path / "broken.xml"
    broken.write_text("<unload><sys_update_xml>")
    result = read_update_set(broken)
    assert result.records == [] and [e.origin for e in result.errors] == ["broken.xml"]
    with pytest.raises(SourceNotFound):
        read_update_set(tmp_path / "missing.xml")
