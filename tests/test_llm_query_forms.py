"""LLM query forms (intent, HyDE) through the real SDK on a mock transport, and unavailable without a key."""

from __future__ import annotations

import httpx2
import pytest

from deepcodeseek.evaluation.benchmark import read_benchmark
from deepcodeseek.evaluation.report import evaluate
from deepcodeseek.llm import AnthropicClient, DuckDBLLMCache
from deepcodeseek.retrieval.llm_forms import HYDE_VERSION, MethodUnavailable
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.sources.sample_instance import sample_benchmark_path
from deepcodeseek.store import InstanceStore

CODE = "// the laptop came back: make sure its tag is well formed before updating the CMDB\nvar tag = current.asset_tag;\nif (!"


def client(tmp_path, calls):
    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        body = request.read().decode()
        text = ("validateAssetTag(tag)) {" if HYDE_VERSION in body or "next 1-3 lines" in body
                else "Check that the returned asset's tag is valid before updating the record.")
        return httpx2.Response(200, json={
            "id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 120, "output_tokens": 12}})

    store = InstanceStore(tmp_path / "cache.duckdb")
    return AnthropicClient(api_key="sk-test", cache=DuckDBLLMCache(store), max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


def test_hyde_and_intent_rank_with_the_llm_text(built_sample, tmp_path):
    calls = []
    retriever = Retriever("sample", str(built_sample), llm=client(tmp_path, calls))
    hyde = retriever.retrieve(CODE, scope="x_acme_itam", k=5, method="hyde")
    assert hyde[0].namespace == "validateAssetTag"
    intent = retriever.retrieve(CODE, scope="x_acme_itam", k=5, method="intent")
    assert "validateAssetTag" in [r.namespace for r in intent] and "intent_dense" in intent[0].evidence
    retriever.retrieve(CODE, scope="x_acme_itam", k=5, method="hyde")
    assert len(calls) == 2  # the repeated HyDE query was served from the cache


def test_without_an_llm_the_forms_are_unavailable_and_reported_so(built_sample):
    retriever = Retriever("sample", str(built_sample))
    with pytest.raises(MethodUnavailable, match="ANTHROPIC_API_KEY"):
        retriever.retrieve(CODE, method="hyde")
    samples = read_benchmark(sample_benchmark_path()).samples[:5]
    report = evaluate(retriever, samples, methods=("fusion",))
    assert report.unavailable == ["intent", "hyde"] and "Not measured: intent, hyde" in report.markdown()
