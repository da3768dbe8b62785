"""JSDoc from an LLM: prompt content, reply parsing, and the end-to-end path through the SDK."""

from __future__ import annotations

import json

import httpx2
import pytest

from deepcodeseek.jsdoc.llm_backend import JSDocParseError, extract_json_object, summarize_with_llm
from deepcodeseek.jsdoc.model import MethodDoc, NamespaceDoc, ParamDoc
from deepcodeseek.jsdoc.prompt import MAX_SCRIPT_CHARS, PROMPT_VERSION, SYSTEM_PROMPT, build_prompt
from deepcodeseek.llm import AnthropicClient, DuckDBLLMCache, LLMResult, LLMUsage
from deepcodeseek.store.duckdb_store import InstanceStore

SCRIPT = """\
var IncidentUtils = Class.create();
IncidentUtils.prototype = Object.extendsObject(AbstractAjaxProcessor, {
    initialize: function() {},
    getOpenIncidents: function(callerSysId, limit) {
        var gr = new GlideRecord('incident');
        gr.addQuery('caller_id', callerSysId);
        gr.addActiveQuery();
        gr.setLimit(limit || 10);
        gr.query();
        return gr;
    },
    _private: function() {},
    type: 'IncidentUtils'
});
"""

REPLY_DOC = {
    "description": "Helpers for querying incidents of a caller.",
    "extends": "AbstractAjaxProcessor",
    "methods": [
        {
            "name": "getOpenIncidents",
            "description": "Returns the caller's active incidents.",
            "params": [
                {"name": "callerSysId", "type": "string", "description": "sys_id of the caller"},
                {"name": "limit", "type": "number", "description": "maximum rows, default 10"},
            ],
            "returns_type": "GlideRecord",
            "returns_description": "queried incident records",
            "is_static": "false",
        }
    ],
    # A model must not be able to rename the record.
    "namespace": "SomethingElse",
    "api_name": "x.SomethingElse",
}


class ScriptedClient:
    """An LLMClient that returns a fixed reply and remembers what it was asked."""

    name = "scripted"
    available = True

    def __init__(self, text: str, stop_reason: str = "end_turn"):
        self.text = text
        self.stop_reason = stop_reason
        self.calls: list[dict] = []

    def complete(self, system: str, prompt: str, *, prompt_version: str, max_tokens: int = 1024) -> LLMResult:
        self.calls.append({"system": system, "prompt": prompt, "prompt_version": prompt_version, "max_tokens": max_tokens})
        usage = LLMUsage(model="claude-haiku-4-5", input_tokens=900, output_tokens=250, cost_usd=0.00215)
        return LLMResult(text=self.text, usage=usage, stop_reason=self.stop_reason)


def summarize(client, **kwargs):
    return summarize_with_llm(client, "IncidentUtils", "global.IncidentUtils", "global", SCRIPT, **kwargs)


def test_parses_fenced_json_after_prose() -> None:
    reply = "Here is the documentation you asked for:\n```json\n" + json.dumps(REPLY_DOC, indent=2) + "\n```\nLet me know!"
    client = ScriptedClient(reply)

    doc, usage = summarize(client)

    assert doc.namespace == "IncidentUtils"
    assert doc.api_name == "global.IncidentUtils"
    assert doc.backend == "llm:claude-haiku-4-5"
    assert doc.description == "Helpers for querying incidents of a caller."
    assert doc.extends == "AbstractAjaxProcessor"
    [method] = doc.methods
    assert method.name == "getOpenIncidents"
    assert method.is_static is False  # "false" as a string must not become True
    assert method.returns_type == "GlideRecord"
    assert [(p.name, p.type) for p in method.params] == [("callerSysId", "string"), ("limit", "number")]
    assert usage.input_tokens == 900 and usage.cost_usd == pytest.approx(0.00215)
    assert "IncidentUtils.getOpenIncidents(callerSysId, limit)" in doc.render()

    [call] = client.calls
    assert call["system"] == SYSTEM_PROMPT
    assert call["prompt_version"] == PROMPT_VERSION == "jsdoc-v1"
    assert "getOpenIncidents" in call["prompt"] and "global.IncidentUtils" in call["prompt"]


def test_plain_json_and_calls_from_static_hint() -> None:
    hint = NamespaceDoc(
        namespace="IncidentUtils",
        api_name="global.IncidentUtils",
        methods=[MethodDoc(name="getOpenIncidents", params=[ParamDoc("callerSysId")], calls=["GlideRecord.addQuery"])],
    )
    client = ScriptedClient(json.dumps(REPLY_DOC))
    doc, _ = summarize(client, static_hint=hint)
    assert doc.methods[0].calls == ["GlideRecord.addQuery"]
    assert "Static analysis found" in client.calls[0]["prompt"]
    assert "@namespace global.IncidentUtils" in client.calls[0]["prompt"]


@pytest.mark.parametrize(
    "reply",
    [
        "I cannot document this script.",
        "```json\n{\"description\": \"broken\", \"methods\": [\n```",
        json.dumps({"description": "no methods key"}),
        json.dumps({"description": "empty", "methods": []}),
        json.dumps({"description": "nameless", "methods": [{"description": "x"}]}),
        json.dumps([1, 2, 3]),
    ],
)
def test_garbage_raises_parse_error_naming_the_namespace(reply: str) -> None:
    with pytest.raises(JSDocParseError, match="IncidentUtils") as info:
        summarize(ScriptedClient(reply))
    assert info.value.namespace == "IncidentUtils"


def test_cut_off_reply_says_so() -> None:
    with pytest.raises(JSDocParseError, match="max_tokens"):
        summarize(ScriptedClient('{"description": "Helpers', stop_reason="max_tokens"))


def test_extract_json_object_skips_non_json_braces() -> None:
    assert extract_json_object('Use {curly} braces; result: {"a": 1}') == {"a": 1}
    assert extract_json_object("nothing here") is None


def test_long_scripts_are_truncated_and_the_prompt_says_so() -> None:
    script = SCRIPT + "\n".join(f"// filler line {i:06d} " + "x" * 60 for i in range(1000))
    assert len(script) > MAX_SCRIPT_CHARS
    prompt = build_prompt("IncidentUtils", "global.IncidentUtils", "global", script, None)
    assert "only the first 24,000 are shown" in prompt
    assert len(prompt) < MAX_SCRIPT_CHARS + 2_000
    assert "filler line 000999" not in prompt

    short = build_prompt("IncidentUtils", "global.IncidentUtils", "global", SCRIPT, None)
    assert "only the first" not in short and SCRIPT in short


def test_end_to_end_through_the_sdk_with_cache(tmp_path) -> None:
    """The real AnthropicClient, a mock API and a DuckDB cache: a re-run costs nothing."""
    requests: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return httpx2.Response(
            200,
            json={
                "id": "msg_01",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "```json\n" + json.dumps(REPLY_DOC) + "\n```"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1500, "output_tokens": 400},
            },
        )

    store = InstanceStore(tmp_path / "instance.duckdb")

    def run() -> tuple[NamespaceDoc, LLMUsage]:
        client = AnthropicClient(
            api_key="sk-ant-test",
            cache=DuckDBLLMCache(store),
            http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
            max_retries=0,
        )
        return summarize(client)

    doc1, usage1 = run()
    doc2, usage2 = run()

    assert len(requests) == 1
    body = json.loads(requests[0].content)
    assert body["system"] == SYSTEM_PROMPT and "temperature" not in body
    assert body["model"] == "claude-haiku-4-5" and body["max_tokens"] == 4096
    assert usage1.cached is False and usage1.cost_usd == pytest.approx(1500e-6 + 400 * 5e-6)
    assert usage2.cached is True and usage2.cost_usd == 0.0
    assert doc1 == doc2
    assert doc1.backend == "llm:claude-haiku-4-5"
