"""The MCP tools, driven by the official SDK's client: in process, over HTTP on loopback, and over stdio."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from deepcodeseek.index.publish import current_manifest
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.service.app import create_app
from deepcodeseek.service.instances import InstancePool
from deepcodeseek.service.mcp_tools import build_mcp_server
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.runners import QueryThreads
from deepcodeseek.service.settings import MCP_MAX_K, ServiceSettings
from tests.service_support import INSTANCE, copy_home, live_server, wait_for

CODE = ("// Business rule on x_acme_hr_case, after update\n"
        "if (current.state.changesTo('resolved')) {\n"
        "    // tell the employee their HR case was resolved\n")
ARGS = {"code_before": CODE, "scope": "x_acme_hr", "k": 5}


@pytest.fixture(scope="module")
def home(built_sample, tmp_path_factory):
    return copy_home(built_sample, tmp_path_factory.mktemp("mcp") / "home")


@pytest.fixture(scope="module")
def server(home):
    pool = InstancePool([INSTANCE], str(home))
    pool.refresh()
    return build_mcp_server(QueryThreads(pool, 2, ServiceMetrics()))


def run(coro):
    return asyncio.run(coro)


async def _session_checks(client: Client, home) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"find_apis", "describe_api"}
    assert tools["find_apis"].output_schema["properties"]["results"]
    assert tools["describe_api"].output_schema["properties"]["jsdoc"]

    found = await client.call_tool("find_apis", ARGS)
    assert not found.is_error, found.content
    out = found.structured_content
    assert out["instance"] == INSTANCE
    assert out["version"] == current_manifest(instance_paths(INSTANCE, home))["version"]
    expected = Retriever(INSTANCE, str(home)).retrieve(CODE, scope="x_acme_hr", k=5)
    assert [r["api_name"] for r in out["results"]] == [e.api_name for e in expected]
    first = out["results"][0]
    assert {"namespace", "api_name", "kind", "methods", "summary", "score", "why", "scope"} <= set(first)
    assert first["kind"] in ("Script Include", "platform API class")
    assert first["methods"] and all(m["signature"].startswith(m["name"] + "(") for m in first["methods"])
    assert first["why"].startswith("signals:") and "scope rule" in first["why"]

    described = await client.call_tool("describe_api", {"name": first["api_name"]})
    assert not described.is_error, described.content
    doc = described.structured_content
    assert doc["api_name"] == first["api_name"] and doc["jsdoc"].startswith("/**")
    assert f"@namespace {first['api_name']}" in doc["jsdoc"] and doc["truncated"] is False
    by_bare_name = await client.call_tool("describe_api", {"name": first["namespace"].lower()})
    assert by_bare_name.structured_content["namespace"] == first["namespace"]


def test_in_process(server, home):
    async def go():
        async with Client(server) as client:
            await _session_checks(client, home)
    run(go())


def test_bounds_and_bad_arguments_are_tool_errors(server):
    async def go():
        async with Client(server) as client:
            many = await client.call_tool("find_apis", {**ARGS, "k": MCP_MAX_K})
            assert len(many.structured_content["results"]) <= MCP_MAX_K
            for bad in ({**ARGS, "k": MCP_MAX_K + 1}, {**ARGS, "k": 0}, {"code_before": "  "},
                        {**ARGS, "instance": "nope"}, {**ARGS, "code_before": "x" * 200_001},
                        {**ARGS, "code_before": "\ud800 gr.query();"}):
                result = await client.call_tool("find_apis", bad)
                assert result.is_error, bad
            assert "k must be between 1 and 20" in (await client.call_tool("find_apis", {**ARGS, "k": 50})).content[0].text
            missing = await client.call_tool("describe_api", {"name": "NoSuchThing"})
            assert missing.is_error and "NoSuchThing" in missing.content[0].text
            no_code = await client.call_tool("find_apis", {"k": 3})
            assert no_code.is_error
    run(go())


def test_over_streamable_http_on_loopback_with_auth(home):
    token = "mcp-test-token"
    app = create_app(ServiceSettings([INSTANCE], home=str(home), poll_seconds=0.2, token=token))

    async def go(url):
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
                await _session_checks(client, home)
        with pytest.raises(Exception):  # no token: the transport is refused before MCP starts
            async with Client(f"{url}/mcp") as client:
                await client.list_tools()

    with live_server(app) as url:
        wait_for(lambda: app.state.pool.ready)
        run(go(url))


def test_over_stdio(home):
    env = {**os.environ, "DEEPCODESEEK_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "deepcodeseek.cli", "mcp", "--instance", INSTANCE],
                                   env=env)

    async def go():
        async with Client(params, read_timeout_seconds=120) as client:
            await _session_checks(client, home)
    run(go())
