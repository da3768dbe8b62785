"""The LLM client driven through the real anthropic SDK with a mock HTTP transport.

anthropic 2.x sends requests with ``httpx2``; a ``httpx2.MockTransport`` stands in for the
API, so request shape, retries and error mapping are those of the shipped SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest

from deepcodeseek.llm import (
    AnthropicClient,
    DuckDBLLMCache,
    LLMClient,
    LLMError,
    UsageTotals,
    cache_key,
    cost_usd,
    llm_from_env,
    price_for,
)
from deepcodeseek.store.duckdb_store import InstanceStore

API_KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK reads these; a developer's shell must not redirect or authorise test calls."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def message_json(text: str, *, input_tokens: int = 1200, output_tokens: int = 300, **usage_extra: int) -> dict:
    """A realistic Messages API response body."""
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens, **usage_extra},
    }


class FakeAPI:
    """A MockTransport handler that records requests and answers from a queue or a default."""

    def __init__(self, respond: Callable[[httpx2.Request], httpx2.Response] | None = None):
        self.requests: list[httpx2.Request] = []
        self.respond = respond or (lambda req: httpx2.Response(200, json=message_json("hello")))

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.respond(request)

    def body(self, i: int = -1) -> dict:
        return json.loads(self.requests[i].content)


def make_client(api: FakeAPI, **kwargs) -> AnthropicClient:
    kwargs.setdefault("max_retries", 0)
    return AnthropicClient(
        api_key=API_KEY,
        http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
        **kwargs,
    )


@pytest.fixture
def store(tmp_path) -> InstanceStore:
    return InstanceStore(tmp_path / "llm.duckdb")


def test_request_shape_and_usage() -> None:
    api = FakeAPI()
    client = make_client(api)

    result = client.complete("You write JSDoc.", "Document Foo", prompt_version="v1", max_tokens=512)

    assert result.text == "hello"
    assert result.stop_reason == "end_turn"
    assert len(api.requests) == 1
    req = api.requests[0]
    assert req.method == "POST"
    assert req.url.path == "/v1/messages"
    assert req.headers.get("x-api-key") == API_KEY or req.headers.get("authorization") == f"Bearer {API_KEY}"
    body = api.body()
    assert body["model"] == "claude-haiku-4-5"
    # anthropic 2.x speaks API version 2026-10-21, which answers 400 to any sampling parameter.
    assert req.headers["anthropic-version"] == "2026-10-21"
    assert not {"temperature", "top_p", "top_k"} & body.keys()
    assert body["max_tokens"] == 512
    assert body["system"] == "You write JSDoc."
    assert body["messages"] == [{"role": "user", "content": "Document Foo"}]

    usage = result.usage
    assert (usage.model, usage.input_tokens, usage.output_tokens, usage.cached) == ("claude-haiku-4-5", 1200, 300, False)
    # haiku-4-5: $1 / $5 per million tokens
    assert usage.cost_usd == pytest.approx(1200 * 1e-6 + 300 * 5e-6)
    assert usage.cost_estimated is False
    assert "sk-ant" not in repr(client)


def test_prompt_cache_tokens_are_priced() -> None:
    api = FakeAPI(
        lambda req: httpx2.Response(
            200, json=message_json("x", input_tokens=1000, output_tokens=200, cache_read_input_tokens=2000)
        )
    )
    usage = make_client(api).complete("s", "p", prompt_version="v1").usage
    assert usage.cache_read_tokens == 2000
    assert usage.cost_usd == pytest.approx(1000e-6 + 200 * 5e-6 + 2000 * 1e-6 * 0.1)


def test_second_identical_call_is_served_from_duckdb_cache(store: InstanceStore) -> None:
    api = FakeAPI()
    first = make_client(api, cache=DuckDBLLMCache(store)).complete("sys", "prompt", prompt_version="v1")
    # A new client (as in a later pipeline run) over the same database file.
    second = make_client(api, cache=DuckDBLLMCache(store)).complete("sys", "prompt", prompt_version="v1")

    assert len(api.requests) == 1
    assert second.text == first.text == "hello"
    assert second.usage.cached is True
    assert second.usage.cost_usd == 0.0
    assert (second.usage.input_tokens, second.usage.output_tokens) == (1200, 300)

    with store.connect(read_only=True) as con:
        cached = con.execute("SELECT cache_key, model, prompt_version, input_tokens, output_tokens, cost_usd FROM llm_cache").fetchall()
        calls = con.execute("SELECT cached, cost_usd FROM llm_calls ORDER BY ts, cached").fetchall()
    assert cached == [
        (cache_key("claude-haiku-4-5", "v1", "sys", "prompt"), "claude-haiku-4-5", "v1", 1200, 300, pytest.approx(first.usage.cost_usd))
    ]
    assert sorted(calls) == [(False, pytest.approx(first.usage.cost_usd)), (True, 0.0)]
    summary = DuckDBLLMCache(store).usage_summary()
    assert summary[0]["calls"] == 2 and summary[0]["cached_calls"] == 1


def test_prompt_version_and_model_are_part_of_the_key(store: InstanceStore) -> None:
    api = FakeAPI()
    cache = DuckDBLLMCache(store)
    make_client(api, cache=cache).complete("sys", "prompt", prompt_version="v1")
    r2 = make_client(api, cache=cache).complete("sys", "prompt", prompt_version="v2")
    r3 = make_client(api, cache=cache, model="claude-sonnet-4-5").complete("sys", "prompt", prompt_version="v1")
    r4 = make_client(api, cache=cache).complete("sys", "other prompt", prompt_version="v1")

    assert len(api.requests) == 4
    assert not any(r.usage.cached for r in (r2, r3, r4))
    assert api.body(2)["model"] == "claude-sonnet-4-5"
    assert r3.usage.cost_usd == pytest.approx(1200 * 3e-6 + 300 * 15e-6)


def test_truncated_reply_is_not_cached(store: InstanceStore) -> None:
    body = message_json('{"description": "cut')
    body["stop_reason"] = "max_tokens"
    api = FakeAPI(lambda req: httpx2.Response(200, json=body))
    client = make_client(api, cache=DuckDBLLMCache(store))
    assert client.complete("s", "p", prompt_version="v1").stop_reason == "max_tokens"
    client.complete("s", "p", prompt_version="v1")
    assert len(api.requests) == 2


def test_from_connection_uses_the_callers_connection(store: InstanceStore) -> None:
    api = FakeAPI()
    with store.transaction() as con:
        client = make_client(api, cache=DuckDBLLMCache.from_connection(con))
        client.complete("s", "p", prompt_version="v1")
        again = client.complete("s", "p", prompt_version="v1")
        assert again.usage.cached is True
        assert con.execute("SELECT count(*) FROM llm_calls").fetchone() == (2,)
    # Committed with the caller's transaction, and the connection was the caller's to close.
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM llm_cache").fetchone() == (1,)
    assert len(api.requests) == 1


def _error_response(status: int, error_type: str, message: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={"type": "error", "error": {"type": error_type, "message": message}},
        headers={"retry-after-ms": "1"},  # keep SDK retries fast
    )


@pytest.mark.parametrize(("status", "error_type"), [(500, "api_error"), (529, "overloaded_error")])
def test_server_errors_become_llm_error_without_the_key(status: int, error_type: str) -> None:
    # A hostile or buggy server that echoes the key back must still not leak it.
    api = FakeAPI(lambda req: _error_response(status, error_type, f"Internal failure for key {API_KEY}\ntrace"))
    client = make_client(api, max_retries=0)

    with pytest.raises(LLMError) as info:
        client.complete("s", "p", prompt_version="v1")

    message = str(info.value)
    assert API_KEY not in message
    assert "***" in message
    assert "\n" not in message
    assert str(status) in message and error_type in message
    assert info.value.status_code == status
    assert info.value.retryable is True
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert len(api.requests) == 1


def test_sdk_retries_then_raises() -> None:
    api = FakeAPI(lambda req: _error_response(529, "overloaded_error", "Overloaded"))
    with pytest.raises(LLMError, match="529"):
        make_client(api, max_retries=2).complete("s", "p", prompt_version="v1")
    assert len(api.requests) == 3


def test_retry_recovers_from_one_overload() -> None:
    answers = [_error_response(529, "overloaded_error", "Overloaded"), httpx2.Response(200, json=message_json("ok"))]
    api = FakeAPI(lambda req: answers.pop(0))
    result = make_client(api, max_retries=1).complete("s", "p", prompt_version="v1")
    assert result.text == "ok"
    assert len(api.requests) == 2


def test_client_errors_are_not_retried_and_say_why() -> None:
    api = FakeAPI(lambda req: _error_response(401, "authentication_error", "invalid x-api-key"))
    with pytest.raises(LLMError) as info:
        make_client(api, max_retries=2).complete("s", "p", prompt_version="v1")
    assert info.value.status_code == 401 and info.value.retryable is False
    assert "authentication_error" in str(info.value)
    assert len(api.requests) == 1


def test_connection_error_becomes_llm_error() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    with pytest.raises(LLMError, match="unreachable") as info:
        make_client(FakeAPI(refuse)).complete("s", "p", prompt_version="v1")
    assert API_KEY not in str(info.value)


def test_without_key_cache_hits_still_work(store: InstanceStore) -> None:
    api = FakeAPI()
    make_client(api, cache=DuckDBLLMCache(store)).complete("s", "p", prompt_version="v1")
    keyless = AnthropicClient(api_key="", cache=DuckDBLLMCache(store))
    assert keyless.available is False
    assert keyless.complete("s", "p", prompt_version="v1").usage.cached is True
    with pytest.raises(LLMError, match="no Anthropic API key"):
        keyless.complete("s", "not cached", prompt_version="v1")


def test_pricing_table() -> None:
    assert cost_usd("claude-haiku-4-5", 1_000_000, 1_000_000) == pytest.approx(6.0)
    assert cost_usd("claude-sonnet-4-5", 1_000_000, 1_000_000) == pytest.approx(18.0)
    assert cost_usd("claude-opus-4-1", 1_000_000, 1_000_000) == pytest.approx(90.0)
    # Dated snapshot ids share their family's price.
    assert price_for("claude-haiku-4-5-20251001") == price_for("claude-haiku-4-5")
    assert price_for("claude-haiku-4-5").estimated is False
    unknown = price_for("claude-future-9")
    assert unknown.estimated is True
    assert cost_usd("claude-future-9", 1_000_000, 0) == pytest.approx(3.0)
    assert cost_usd("claude-haiku-4-5", 0, 0, cache_read_tokens=1_000_000) == pytest.approx(0.1)


def test_unknown_model_cost_is_flagged_estimated() -> None:
    usage = make_client(FakeAPI(), model="claude-future-9").complete("s", "p", prompt_version="v1").usage
    assert usage.cost_estimated is True
    assert usage.cost_usd == pytest.approx(1200 * 3e-6 + 300 * 15e-6)


def test_usage_totals() -> None:
    api = FakeAPI()
    client = make_client(api)
    totals = UsageTotals()
    totals.add(client.complete("s", "p", prompt_version="v1").usage)
    totals.add(client.complete("s", "q", prompt_version="v1").usage)
    assert (totals.calls, totals.cached_calls, totals.input_tokens, totals.output_tokens) == (2, 0, 2400, 600)
    assert totals.cache_hit_rate == 0.0
    assert UsageTotals().cache_hit_rate == 0.0


def test_llm_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert llm_from_env() is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    assert llm_from_env() is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    client = llm_from_env()
    assert isinstance(client, AnthropicClient)
    assert isinstance(client, LLMClient)  # satisfies the Protocol the JSDoc backend expects
    assert client.available and client.model == "claude-haiku-4-5"
    assert llm_from_env(model="claude-sonnet-4-5").model == "claude-sonnet-4-5"
