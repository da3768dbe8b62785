"""JSDoc generation for a whole instance through the real Anthropic SDK on a mock transport."""

from __future__ import annotations

import json

import httpx2

from deepcodeseek.jsdoc.generate import STATIC_BACKEND_ID, generate_jsdoc
from deepcodeseek.jsdoc.model import NamespaceDoc
from deepcodeseek.llm import AnthropicClient, DuckDBLLMCache
from deepcodeseek.sources.load import load_records
from deepcodeseek.sources.records import ReadResult, SourceRecord
from deepcodeseek.store import InstanceStore


def _si(name: str, script: str) -> SourceRecord:
    return SourceRecord(table="sys_script_include", sys_id=name.lower().ljust(32, "0"), name=name,
                        scope="x_app", script=script, api_name=f"x_app.{name}")


GOOD = _si("CaseUtils", "var CaseUtils = Class.create();\nCaseUtils.prototype = {\n"
                        "  close: function(id) { return true; },\n  type: 'CaseUtils'\n};")
ODD = _si("OddUtils", "var OddUtils = Class.create();\nOddUtils.prototype = {\n"
                      "  run: function() { return 1; },\n  type: 'OddUtils'\n};")


def _reply(request: httpx2.Request) -> httpx2.Response:
    prompt = json.loads(request.content)["messages"][0]["content"]
    text = ("Sorry, I cannot help." if "OddUtils" in prompt else
            '```json\n{"description": "Closes HR cases.", "methods": [{"name": "close", '
            '"description": "Closes one case.", "params": [{"name": "id", "type": "string"}]}]}\n```')
    return httpx2.Response(200, json={
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 900, "output_tokens": 120},
    })


def test_llm_summaries_are_costed_cached_and_fall_back_per_record(tmp_path):
    store = InstanceStore(tmp_path / "records.duckdb")
    load_records(store, ReadResult(records=[GOOD, ODD]))
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        return _reply(request)

    client = AnthropicClient(api_key="sk-test", cache=DuckDBLLMCache(store), max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    first = generate_jsdoc(store, client)
    assert first.generated == 2 and first.llm_calls == 1 and len(calls) == 2
    assert first.input_tokens == 900 and first.output_tokens == 120 and first.cost_usd > 0
    assert len(first.errors) == 1 and "x_app.OddUtils" in first.errors[0]
    with store.connect(read_only=True) as con:
        rows = dict(con.execute("SELECT namespace, backend FROM jsdoc").fetchall())
        doc = NamespaceDoc.from_json(con.execute(
            "SELECT doc_json FROM jsdoc WHERE namespace = 'CaseUtils'").fetchone()[0])
    assert rows["CaseUtils"].startswith("llm:claude-haiku-4-5") and rows["OddUtils"] == STATIC_BACKEND_ID
    assert doc.description == "Closes HR cases." and doc.methods[0].name == "close"

    again = generate_jsdoc(store, client)
    assert again.reused == 1 and again.generated == 1  # the fallback is retried, the good one reused
    assert len(calls) == 2  # ...but its reply came from the response cache, not the API

    offline = generate_jsdoc(store, None)
    assert offline.reused == 1  # a good LLM summary is kept when no key is set
