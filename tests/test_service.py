"""The HTTP service on the built sample: answers as the library does, refuses bad input by name, swaps versions live.

In-process tests go through the ASGI app (Starlette's TestClient runs its lifespan);
the hot swap, auth and load tests run a real uvicorn on a random loopback port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.testclient import TestClient

from deepcodeseek.index.publish import current_manifest, promote
from deepcodeseek.paths import instance_paths
from deepcodeseek.retrieval.retriever import Retriever
from deepcodeseek.service.app import create_app
from deepcodeseek.service.instances import InstancePool
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.results import estimate_tokens
from deepcodeseek.service.settings import MAX_BATCH, MAX_BODY_BYTES, MAX_K, ServiceSettings
from tests.service_support import (
    INSTANCE,
    copy_home,
    live_server,
    other_version,
    publish_broken_version,
    wait_for,
)

CODE = ("// Business rule on x_acme_hr_case, after update\n"
        "if (current.state.changesTo('resolved')) {\n"
        "    // tell the employee their HR case was resolved\n")
QUERY = {"code_before": CODE, "scope": "x_acme_hr", "k": 5}


def settings_for(home, **overrides) -> ServiceSettings:
    return ServiceSettings(**{"instances": [INSTANCE], "home": str(home), "poll_seconds": 0.1, "retry_seconds": 0.5,
                              **overrides})


@pytest.fixture(scope="module")
def home(built_sample, tmp_path_factory):
    return copy_home(built_sample, tmp_path_factory.mktemp("service") / "home")


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(settings_for(home)), raise_server_exceptions=False) as c:
        wait_for(lambda: c.get("/readyz").status_code == 200)
        yield c


@pytest.fixture(scope="module")
def retriever(home):
    return Retriever(INSTANCE, str(home))


# -- answers ---------------------------------------------------------------------------

def test_retrieve_answers_as_the_library_with_signatures_and_summaries(client, retriever):
    r = client.post("/v1/retrieve", json=QUERY)
    assert r.status_code == 200, r.text
    body = r.json()
    expected = retriever.retrieve(CODE, scope="x_acme_hr", k=5)
    assert body["instance"] == INSTANCE and body["method"] == retriever.default_method  # the version's own default
    assert body["version"] == current_manifest(instance_paths(INSTANCE, client.app.state.settings.home))["version"]
    assert [x["api_name"] for x in body["results"]] == [e.api_name for e in expected]
    first = body["results"][0]
    assert set(first) == {"namespace", "api_name", "methods", "score", "kind", "summary", "signatures"}
    assert len(first["signatures"]) == len(first["methods"])
    assert all(s.startswith(m + "(") for s, m in zip(first["signatures"], first["methods"]))
    assert first["kind"] in ("script_include", "platform")
    assert any(x["summary"] for x in body["results"])  # the sample's Script Includes have JSDoc
    assert abs(first["score"] - round(expected[0].score, 6)) < 1e-6


def test_explain_and_methods(client):
    body = client.post("/v1/retrieve", json={**QUERY, "explain": True, "method": "bm25"}).json()
    assert body["method"] == "bm25"
    assert "bm25" in body["results"][0]["evidence"] and "scope_rule" in body["results"][0]["evidence"]
    for method in ("fusion_lexical", "votes", "dense", "hybrid"):
        r = client.post("/v1/retrieve", json={**QUERY, "method": method})
        assert r.status_code == 200 and r.json()["method"] == method, r.text


def test_a_request_naming_no_method_gets_the_default_its_version_chose(client):
    """The default comes from the served version's manifest (its calibration), not from a constant."""
    live = client.app.state.pool.current(INSTANCE)
    chosen = live.retriever.default_method
    try:
        live.retriever.default_method = "bm25"  # as if calibration had chosen bm25 for this version
        body = client.post("/v1/retrieve", json=QUERY).json()
        named = client.post("/v1/retrieve", json={**QUERY, "method": "bm25"}).json()
        batch = client.post("/v1/retrieve/batch", json={"queries": [{"code_before": CODE, "scope": "x_acme_hr"}],
                                                           "k": 5}).json()
    finally:
        live.retriever.default_method = chosen
    assert body["method"] == "bm25" and batch["method"] == "bm25"
    assert body["results"] == named["results"] == batch["results"][0]["results"]


def test_batch_answers_each_query_like_a_single_call(client):
    queries = [{"id": "a", "code_before": CODE, "scope": "x_acme_hr"},
               {"code_before": "var gr = new GlideRecord('incident');\ngr.addQuery("}]
    body = client.post("/v1/retrieve/batch", json={"queries": queries, "k": 3}).json()
    assert [item["id"] for item in body["results"]] == ["a", 2]
    single = client.post("/v1/retrieve", json={"code_before": CODE, "scope": "x_acme_hr", "k": 3}).json()
    assert body["results"][0]["results"] == single["results"]
    assert all(len(item["results"]) <= 3 for item in body["results"])


def test_prompt_format_fits_the_token_budget(client):
    sizes = []
    for budget in (40, 120, 400, 2000):
        r = client.post("/v1/retrieve?format=prompt", json={**QUERY, "k": 10, "token_budget": budget})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["format"] == "prompt" and body["token_budget"] == budget
        assert body["tokens"] <= budget and estimate_tokens(body["prompt"]) <= budget
        assert body["results_included"] == len(body["apis"])
        sizes.append(body["results_included"])
        if body["results_included"]:
            assert body["prompt"].startswith("// APIs this code likely calls next")
            assert body["apis"][0] in body["prompt"]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]  # a larger budget holds more APIs
    tiny = client.post("/v1/retrieve", json={**QUERY, "format": "prompt", "token_budget": 16}).json()
    assert tiny["prompt"] == "" and tiny["results_included"] == 0
    batch = client.post("/v1/retrieve/batch", json={"queries": [{"code_before": CODE, "scope": "x_acme_hr"}],
                                                    "format": "prompt", "token_budget": 200, "k": 5}).json()
    assert batch["results"][0]["tokens"] <= 200


def test_prompt_lines_carry_signatures_and_summaries(client):
    body = client.post("/v1/retrieve", json={**QUERY, "format": "prompt", "token_budget": 1000}).json()
    lines = body["prompt"].splitlines()
    assert any("(" in line and line.startswith("//   ") for line in lines)  # method signatures
    assert any(line.startswith("// ") and "): " in line for line in lines[1:])  # API line with its summary


def test_instances_health_ready(client, home):
    live = current_manifest(instance_paths(INSTANCE, home))
    info = client.get("/v1/instances").json()["instances"][0]
    assert info["instance"] == INSTANCE and info["ready"] is True
    assert info["version"] == live["version"] and info["model"] == live["model"]
    assert info["published_at"].endswith("Z") and info["age_seconds"] >= 0
    assert info["last_load_error"] is None and info["api_docs"] == "api_docs"
    # the version's chosen light student encodes its queries (named); else the int8 ONNX export
    # of its model, so an adapted version's queries need no torch
    student = (live.get("query_encoder") or {}).get("name")
    assert info["query_encoder"] == (student or ("onnx-int8" if live.get("adapted_from") else "none"))
    assert info["adapted"] == bool(live.get("adapted_from"))
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["ready"] is True


def test_metrics_count_requests_latency_and_version(client, home):
    client.post("/v1/retrieve", json={**QUERY, "method": "bm25"})
    client.post("/v1/retrieve", json={"k": 0, "code_before": "x"})
    text = client.get("/metrics").text
    version = current_manifest(instance_paths(INSTANCE, home))["version"]
    assert 'deepcodeseek_index_info{' in text and f'version="{version}"' in text
    assert 'deepcodeseek_retrieve_latency_seconds_bucket{instance="sample",le="0.01",method="bm25"}' in text
    assert 'deepcodeseek_queries_total{instance="sample",method="bm25"}' in text
    assert 'deepcodeseek_requests_total{route="/v1/retrieve",status="200"}' in text
    assert 'deepcodeseek_errors_total{code="invalid_request",route="/v1/retrieve"}' in text
    assert 'deepcodeseek_index_loads_total{instance="sample"} 1.0' in text
    assert "deepcodeseek_ready 1.0" in text and "deepcodeseek_index_age_seconds" in text


# -- bad input -------------------------------------------------------------------------

BAD = [
    ({"k": 5}, 422, "code_before"),
    ({"code_before": "   ", "code_after": ""}, 422, "code_before"),
    ({"code_before": 42}, 422, "code_before"),
    ({**QUERY, "k": 0}, 422, "k"),
    ({**QUERY, "k": MAX_K + 1}, 422, "k"),
    ({**QUERY, "k": "ten"}, 422, "k"),
    ({**QUERY, "instance": "nope"}, 404, "instance"),
    ({**QUERY, "instance": "../etc"}, 404, "instance"),
    ({**QUERY, "method": "magic"}, 422, "method"),
    ({**QUERY, "method": "hyde"}, 422, "method"),  # an LLM method: this service has no LLM
    ({**QUERY, "kk": 5}, 422, "kk"),
    ({**QUERY, "format": "xml"}, 422, "format"),
    ({**QUERY, "token_budget": 1}, 422, "token_budget"),
    ({**QUERY, "code_before": "x" * 200_001}, 422, "code_before"),
    ({**QUERY, "scope": ["a"]}, 422, "scope"),
    ({**QUERY, "explain": "maybe"}, 422, "explain"),
    ({**QUERY, "k": 5.5}, 422, "k"),
]


@pytest.mark.parametrize("body,status,field", BAD, ids=[f"{f}-{s}-{i}" for i, (_, s, f) in enumerate(BAD)])
def test_bad_input_is_a_4xx_naming_the_field(client, body, status, field):
    r = client.post("/v1/retrieve", json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["field"] == field and error["message"] and error["code"]


BAD_BATCH = [
    ({"queries": []}, "queries"),
    ({"queries": [QUERY] * (MAX_BATCH + 1)}, "queries"),
    ({"queries": [{"code_before": CODE}, {"code_after": None}]}, "queries.1.code_before"),
    ({"queries": [{"code_before": ""}]}, "queries.0.code_before"),
    ({"queries": [{"code_before": CODE}], "k": -1}, "k"),
    ({"queries": "all of them"}, "queries"),
]


@pytest.mark.parametrize("body,field", BAD_BATCH, ids=[f for _, f in BAD_BATCH])
def test_bad_batch_input_names_the_field(client, body, field):
    r = client.post("/v1/retrieve/batch", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


def test_bodies_that_are_not_json_or_too_large_are_refused(client):
    for raw in (b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"', b"[" * 100_000):
        r = client.post("/v1/retrieve", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["field"] == "body", raw
    lone_surrogate = json.dumps({**QUERY, "code_before": "\ud800 gr.query();"}).encode()  # escaped: valid JSON
    r = client.post("/v1/retrieve", content=lone_surrogate, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "code_before"  # but not text
    big = json.dumps({**QUERY, "code_after": "y" * MAX_BODY_BYTES}).encode()
    r = client.post("/v1/retrieve", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

    def chunks():  # no Content-Length: the cap applies while reading
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    r = client.post("/v1/retrieve", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["field"] == "body"


def test_unknown_routes_and_verbs_are_json_errors(client):
    r = client.get("/v1/retrieve")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = client.get("/v2/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# -- auth ------------------------------------------------------------------------------

def test_bearer_token_guards_every_route_but_healthz_and_is_never_logged(home, caplog):
    token = "s3cr3t-token-for-tests"
    caplog.set_level(logging.DEBUG)
    with live_server(create_app(settings_for(home, token=token))) as url:
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("/healthz").status_code == 200
            wait_for(lambda: http.get("/readyz", headers=auth).status_code == 200)
            for path in ("/v1/instances", "/readyz", "/metrics"):
                assert http.get(path).status_code == 401
                assert http.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
                assert http.get(path, headers=auth).status_code == 200
            r = http.post("/v1/retrieve", json=QUERY)
            assert r.status_code == 401 and r.json()["error"]["field"] == "Authorization"
            assert r.headers["www-authenticate"] == "Bearer"
            assert token not in r.text
            assert http.post("/v1/retrieve", json=QUERY, headers=auth).status_code == 200
            assert http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401
    assert token not in caplog.text


# -- hot swap --------------------------------------------------------------------------

def test_new_version_swaps_in_under_load_with_zero_errors(built_sample, tmp_path):
    home = copy_home(built_sample, tmp_path / "home")
    paths = instance_paths(INSTANCE, home)
    first = current_manifest(paths)["version"]
    second = other_version(home)
    errors, seen, stop = [], set(), threading.Event()
    with live_server(create_app(settings_for(home))) as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            wait_for(lambda: http.get("/readyz").status_code == 200)

            def hammer():
                with httpx.Client(base_url=url, timeout=30) as own:
                    while not stop.is_set():
                        r = own.post("/v1/retrieve", json=QUERY)
                        if r.status_code != 200:
                            errors.append(r.text)
                        else:
                            seen.add(r.json()["version"])

            with ThreadPoolExecutor(4) as pool:
                futures = [pool.submit(hammer) for _ in range(4)]
                time.sleep(0.5)
                promote(paths, second)  # what the pipeline's publish step does
                wait_for(lambda: http.get("/v1/instances").json()["instances"][0]["version"] == second)
                time.sleep(0.5)
                promote(paths, first)
                wait_for(lambda: http.get("/v1/instances").json()["instances"][0]["version"] == first)
                time.sleep(0.3)
                stop.set()
                for f in futures:
                    f.result()
            metrics = http.get("/metrics").text
    assert errors == []
    assert {first, second} <= seen
    assert 'deepcodeseek_index_loads_total{instance="sample"} 3.0' in metrics


def test_failed_load_keeps_the_old_version_and_reports_it(built_sample, tmp_path):
    home = copy_home(built_sample, tmp_path / "home")
    live = current_manifest(instance_paths(INSTANCE, home))["version"]
    with TestClient(create_app(settings_for(home, retry_seconds=600)), raise_server_exceptions=False) as client:
        wait_for(lambda: client.get("/readyz").status_code == 200)
        broken = publish_broken_version(home)
        info = wait_for(lambda: (i := client.get("/v1/instances").json()["instances"][0])["last_load_error"] and i)
        assert info["version"] == live and info["ready"] is True
        assert info["last_load_error"]["version"] == broken and info["last_load_error"]["error"]
        r = client.post("/v1/retrieve", json=QUERY)
        assert r.status_code == 200 and r.json()["version"] == live
        assert 'deepcodeseek_index_load_failures_total{instance="sample"} 1.0' in client.get("/metrics").text
        assert client.get("/readyz").status_code == 200  # still serving: ready
        promote(instance_paths(INSTANCE, home), live)  # a good publish clears the error
        wait_for(lambda: client.get("/v1/instances").json()["instances"][0]["last_load_error"] is None)


def test_requests_in_flight_finish_on_the_version_they_started_with(built_sample, tmp_path):
    home = copy_home(built_sample, tmp_path / "home")
    paths = instance_paths(INSTANCE, home)
    first, second = current_manifest(paths)["version"], other_version(home)
    metrics = ServiceMetrics()
    pool = InstancePool([INSTANCE], str(home), on_load=metrics.on_load)
    pool.refresh()
    old = pool.current(INSTANCE)
    entered, release = threading.Event(), threading.Event()
    original = old.retriever.retrieve

    def slow_retrieve(*args, **kwargs):  # holds the request inside the old version's ranking
        entered.set()
        release.wait(30)
        return original(*args, **kwargs)

    old.retriever.retrieve = slow_retrieve
    app = create_app(settings_for(home, mcp=False), pool=pool, metrics=metrics)
    with TestClient(app, raise_server_exceptions=False) as client:
        with ThreadPoolExecutor(1) as executor:
            pending = executor.submit(client.post, "/v1/retrieve", json=QUERY)
            assert entered.wait(30)
            promote(paths, second)
            assert pool.refresh() == [INSTANCE]  # swapped while the request is still ranking
            assert client.post("/v1/retrieve", json=QUERY).json()["version"] == second
            release.set()
            r = pending.result(30)
    assert r.status_code == 200 and r.json()["version"] == first


def test_an_instance_published_after_start_becomes_ready(built_sample, tmp_path):
    home = copy_home(built_sample, tmp_path / "home")
    pointer = instance_paths(INSTANCE, home).current_pointer
    saved = pointer.read_text()
    pointer.unlink()
    with TestClient(create_app(settings_for(home)), raise_server_exceptions=False) as client:
        r = wait_for(lambda: (x := client.get("/readyz")).json()["errors"] and x)
        assert r.status_code == 503 and INSTANCE in r.json()["waiting"]
        assert "deepcodeseek index --instance sample" in r.json()["errors"][INSTANCE]
        q = client.post("/v1/retrieve", json=QUERY)
        assert q.status_code == 503 and q.json()["error"]["code"] == "not_ready"
        pointer.write_text(saved)
        wait_for(lambda: client.get("/readyz").status_code == 200)
        assert client.post("/v1/retrieve", json=QUERY).status_code == 200


def test_dagster_and_the_service_agree_on_the_live_version(built_sample, tmp_path):
    """The published_index asset's metadata names the version /v1/instances serves after a Dagster publish."""
    from dagster import instance_for_test, materialize

    from deepcodeseek_pipeline.assets.index.assets import published_index
    from deepcodeseek_pipeline.environment import get_environment
    from deepcodeseek_pipeline.partitions import servicenow_instances
    from deepcodeseek_pipeline.resources import resources_for

    home = copy_home(built_sample, tmp_path / "home")
    paths = instance_paths(INSTANCE, home)
    built = current_manifest(paths)["version"]
    promote(paths, other_version(home))  # the service starts on another version
    with TestClient(create_app(settings_for(home)), raise_server_exceptions=False) as client:
        wait_for(lambda: client.get("/readyz").status_code == 200)
        assert client.get("/v1/instances").json()["instances"][0]["version"] != built
        with instance_for_test() as instance:  # a scoped instance: an ephemeral one can lose its weakref
            instance.add_dynamic_partitions(servicenow_instances.name, [INSTANCE])
            result = materialize([published_index], partition_key=INSTANCE, instance=instance,
                                 resources=resources_for(get_environment(), home=str(home)))
        event = result.get_asset_materialization_events()[0]
        version = event.materialization.metadata["version"].value
        assert version == built
        wait_for(lambda: client.get("/v1/instances").json()["instances"][0]["version"] == version)


def test_a_serving_process_loads_neither_dagster_duckdb_nor_torch(home):
    """What a query costs to start: the service answers the default method without those stacks."""
    import subprocess
    import sys

    code = "\n".join([
        "import sys",
        "from starlette.testclient import TestClient",
        "from deepcodeseek.service.app import create_app",
        "from deepcodeseek.service.settings import ServiceSettings",
        f"app = create_app(ServiceSettings([{INSTANCE!r}], home={str(home)!r}))",
        "with TestClient(app) as c:",
        "    app.state.pool.wait_ready(120)",
        "    r = c.post('/v1/retrieve', json={'code_before': 'var gr = new GlideRecord(\"x\");', 'k': 3})",
        "print(r.status_code, *(m in sys.modules for m in ('dagster', 'duckdb', 'torch', 'sentence_transformers')))",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.split()[-5:] == ["200", "False", "False", "False", "False"], out.stderr[-2000:]


def test_cli_serve_starts_answers_and_refuses_bad_arguments(home):
    import subprocess
    import sys

    from tests.service_support import free_socket

    bad = subprocess.run([sys.executable, "-m", "deepcodeseek.cli", "--home", str(home), "serve", "--instance", "Bad Name"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "invalid instance name" in bad.stderr
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "deepcodeseek.cli", "--home", str(home), "serve",
                             "--instance", INSTANCE, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"

        def ready():
            try:
                return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                return False

        wait_for(ready, timeout=120, interval=0.2)
        r = httpx.post(f"{url}/v1/retrieve", json=QUERY, timeout=30)
        assert r.status_code == 200 and r.json()["results"]
    finally:
        proc.terminate()
        proc.wait(30)


def test_cli_serve_with_two_query_processes_is_ready_once_both_are_and_counts_every_query(home):
    """``--processes 2``: one HTTP process and two query processes, each with its own index; /readyz waits
    for both, and /metrics counts the queries both ranked."""
    import subprocess
    import sys

    from tests.service_support import free_socket

    bad = subprocess.run([sys.executable, "-m", "deepcodeseek.cli", "--home", str(home), "serve", "--instance",
                          INSTANCE, "--processes", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--processes must be 1-64" in bad.stderr
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen([sys.executable, "-m", "deepcodeseek.cli", "--home", str(home), "serve",
                             "--instance", INSTANCE, "--port", str(port), "--processes", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        def ready():
            try:
                return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()[-2000:]
                return False

        wait_for(ready, timeout=180, interval=0.2)
        body = httpx.get(f"{url}/readyz", timeout=5).json()
        assert body["ready"] and body["processes"] == {"ready": 2, "of": 2}
        with ThreadPoolExecutor(4) as clients:
            replies = list(clients.map(lambda _: httpx.post(f"{url}/v1/retrieve", json=QUERY, timeout=30), range(16)))
        assert all(r.status_code == 200 and r.json()["results"] for r in replies)
        text = httpx.get(f"{url}/metrics", timeout=5).text
        counted = sum(float(v) for v in re.findall(r'^deepcodeseek_queries_total\{[^}]*\} (\S+)$', text, re.M))
        assert counted == 16, text[:2000]
        assert "deepcodeseek_ready 1.0" in text and 'deepcodeseek_index_info{' in text
        assert 'deepcodeseek_index_loads_total{instance="sample"} 2.0' in text  # one load per process
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert "2 query processes" in err and "query process 1 started" in err


def test_query_processes_answer_as_threads_do_swap_and_survive_a_lost_process(built_sample, tmp_path):
    """Two query processes behind one app: the same answers as query threads (JSON, prompt, batch, MCP,
    refusals), a publish reaches both with zero errors under load, and a killed process is replaced while
    the other answers."""
    import os
    import signal

    from mcp import Client

    home = copy_home(built_sample, tmp_path / "home")
    paths = instance_paths(INSTANCE, home)
    first, second = current_manifest(paths)["version"], other_version(home)
    expected = [r.api_name for r in Retriever(INSTANCE, str(home)).retrieve(CODE, scope="x_acme_hr", k=5)]
    with live_server(create_app(settings_for(home, processes=2))) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        wait_for(lambda: http.get("/readyz").status_code == 200, timeout=120)
        info = http.get("/v1/instances").json()["instances"][0]
        assert info["version"] == first and [p["version"] for p in info["processes"]] == [first, first]
        pids = {p["pid"] for p in info["processes"]}
        assert len(pids) == 2 and os.getpid() not in pids

        assert [r["api_name"] for r in http.post("/v1/retrieve", json=QUERY).json()["results"]] == expected
        prompt = http.post("/v1/retrieve?format=prompt", json={**QUERY, "token_budget": 120}).json()
        assert prompt["format"] == "prompt" and 0 < prompt["tokens"] <= 120
        batch = http.post("/v1/retrieve/batch", json={"queries": [{"code_before": CODE, "id": "a"}] * 3, "k": 3})
        assert batch.status_code == 200 and [i["id"] for i in batch.json()["results"]] == ["a", "a", "a"]
        refused = http.post("/v1/retrieve", json={**QUERY, "instance": "nope"})
        assert refused.status_code == 404 and refused.json()["error"]["field"] == "instance"
        assert http.post("/v1/retrieve", json={**QUERY, "k": 0}).json()["error"]["field"] == "k"

        async def agent():
            async with Client(f"{url}/mcp") as client:
                found = (await client.call_tool("find_apis", {"code_before": CODE, "scope": "x_acme_hr"})).structured_content
                described = await client.call_tool("describe_api", {"name": found["results"][0]["api_name"]})
                missing = await client.call_tool("describe_api", {"name": "NoSuchApi"})
                return found, described.structured_content, missing

        found, described, missing = asyncio.run(agent())
        assert [r["api_name"] for r in found["results"]] == expected
        assert described["jsdoc"].startswith("/**") and missing.is_error

        errors, seen, stop = [], set(), threading.Event()

        def hammer():
            with httpx.Client(base_url=url, timeout=30) as own:
                while not stop.is_set():
                    r = own.post("/v1/retrieve", json=QUERY)
                    (errors.append(r.text) if r.status_code != 200 else seen.add(r.json()["version"]))

        def versions():
            return [p["version"] for p in http.get("/v1/instances").json()["instances"][0]["processes"]]

        with ThreadPoolExecutor(4) as load:
            futures = [load.submit(hammer) for _ in range(4)]
            promote(paths, second)
            wait_for(lambda: versions() == [second, second])
            time.sleep(0.3)
            os.kill(next(iter(pids)), signal.SIGKILL)  # one query process dies under load
            wait_for(lambda: len({p["pid"] for p in http.get("/v1/instances").json()["instances"][0]["processes"]}
                                 - pids) == 1, timeout=120)
            wait_for(lambda: http.get("/readyz").status_code == 200, timeout=120)
            time.sleep(0.3)
            stop.set()
            for f in futures:
                f.result()
        lost = [e for e in errors if "query_process_lost" in e]
        assert errors == lost and len(lost) <= 4  # at most the requests in flight on the killed process
        assert second in seen and versions() == [second, second]
        metrics = http.get("/metrics").text
        assert 'deepcodeseek_index_loads_total{instance="sample"} 5.0' in metrics  # 2 + 2 swaps + the new process
        broken = publish_broken_version(home)  # every process keeps serving its version and says why
        info = wait_for(lambda: (i := http.get("/v1/instances").json()["instances"][0])["last_load_error"] and i)
        assert info["version"] == second and info["last_load_error"]["version"] == broken
        assert http.post("/v1/retrieve", json=QUERY).json()["version"] == second
        def failures() -> float:
            found = re.search(r'^deepcodeseek_index_load_failures_total\{instance="sample"\} (\S+)$',
                              http.get("/metrics").text, re.M)
            return float(found.group(1)) if found else 0.0

        wait_for(lambda: failures() >= 2)  # each process counted its own (and retries, every 0.5 s here)
