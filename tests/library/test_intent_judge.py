"""The clear-intent judge through the real Anthropic SDK on a mock transport, and its fallback."""

from __future__ import annotations

import json

import httpx2

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.intent_judge import HEURISTIC_JUDGE, judge_samples
from deepcodeseek.llm import AnthropicClient, DuckDBLLMCache
from deepcodeseek.store import InstanceStore

CLEAR = Sample(id="a", code_before="// close every resolved HR case older than 30 days\nvar cutoff = ", target_namespace="X")
VAGUE = Sample(id="b", code_before="var x = 1;\nvar y = ", target_namespace="Y")


def test_llm_judge_is_cached_and_costed(tmp_path):
    seen = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        prompt = json.loads(request.content)["messages"][0]["content"]
        seen.append(prompt)
        answer = "yes" if "resolved HR case" in prompt else "No."
        return httpx2.Response(200, json={
            "id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": answer}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 80, "output_tokens": 1}})

    store = InstanceStore(tmp_path / "db.duckdb")
    client = AnthropicClient(api_key="sk-test", cache=DuckDBLLMCache(store), max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    judged, judge, usage = judge_samples([CLEAR, VAGUE], client)
    assert [s.clear_intent for s in judged] == [True, False]
    assert judge.startswith("llm:claude-haiku-4-5:") and usage.calls == 2 and usage.cost_usd > 0
    judge_samples([CLEAR, VAGUE], client)
    assert len(seen) == 2  # the second pass came from the cache


def test_without_a_client_the_heuristic_keeps_its_verdicts():
    judged, judge, usage = judge_samples([CLEAR], None)
    assert judge == HEURISTIC_JUDGE and usage.calls == 0 and judged == [CLEAR]
