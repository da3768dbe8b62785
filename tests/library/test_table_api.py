"""Table API client and incremental sync against a fake instance served over real HTTP (127.0.0.1).

The fake (tests/fake_servicenow.py) answers with the same encoded-query semantics as the
platform and injects faults by seed, so every test here is deterministic and offline.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from deepcodeseek.sources.records_jsonl import read_records_jsonl
from deepcodeseek.sources.table_api import (
    AuthenticationError,
    BasicAuth,
    Cursor,
    InstanceAsleep,
    MissingCredentials,
    OAuthPasswordGrant,
    SyncState,
    TableAPIClient,
    TableAPIError,
    auth_from_env,
    keyset_query,
    parse_retry_after,
    sync_instance,
)
from tests.fake_servicenow import MIXED_FAULTS, FakeServiceNow, make_instance, make_rows, parse_query, stamp

SI = "sys_script_include"
SMALL_TABLES = ("sys_scope", "sys_app", "sys_store_app", SI)
PASSWORD = "admin-pw"


@pytest.fixture
def fakes() -> Iterator[Callable[..., FakeServiceNow]]:
    """Start fake instances on demand; all are stopped at teardown."""
    started: list[FakeServiceNow] = []

    def start(tables: dict[str, list[dict[str, Any]]], **kwargs: Any) -> FakeServiceNow:
        fake = FakeServiceNow(tables, **kwargs)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


class Sleeps(list):
    """An injected ``sleep`` that records instead of waiting (backoff without the wait)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def clients() -> Iterator[Callable[..., TableAPIClient]]:
    made: list[TableAPIClient] = []

    def make(fake: FakeServiceNow, auth: Any = None, **kwargs: Any) -> TableAPIClient:
        options: dict[str, Any] = {"page_size": 100, "timeout": 2.0, "rate_limit_per_s": None,
                                   "backoff_base": 0.01, "backoff_cap": 0.05, "sleep": Sleeps()}
        options.update(kwargs)
        client = TableAPIClient(fake.url, auth or BasicAuth("admin", PASSWORD), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def script_hashes(records: Any) -> dict[str, str]:
    return {r.sys_id: hashlib.sha256(r.script.encode()).hexdigest() for r in records}


def instance_hashes(fake: FakeServiceNow, tables: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for table in tables:
        for row in fake.rows(table):
            script = row.get("operation_script" if table == "sys_ws_operation" else "script")
            if script is not None:
                out[row["sys_id"]] = hashlib.sha256(script.encode()).hexdigest()
    return out


# ------------------------------------------------------------------------------ queries and paging


def test_keyset_query_forms() -> None:
    assert keyset_query(None) == "ORDERBYsys_updated_on^ORDERBYsys_id"
    assert keyset_query(Cursor("2024-01-01 10:00:00", "abc")) == (
        "sys_updated_on>2024-01-01 10:00:00^NQsys_updated_on=2024-01-01 10:00:00^sys_id>abc"
        "^ORDERBYsys_updated_on^ORDERBYsys_id")
    assert keyset_query(("abc",), ("sys_id",)) == "sys_id>abc^ORDERBYsys_id"
    with pytest.raises(ValueError):
        keyset_query(("a^b", "c"))


def test_fake_implements_nq_and_query_wide_orderby() -> None:
    rows = [{"t": t, "id": i} for t, i in [("2", "b"), ("1", "z"), ("2", "a"), ("3", "a"), ("2", "c")]]
    query = parse_query("t>2^NQt=2^id>a^ORDERBYt^ORDERBYid")
    hits = [r for r in rows if query.matches(r)]
    query.sort(hits)
    assert [(r["t"], r["id"]) for r in hits] == [("2", "b"), ("2", "c"), ("3", "a")]
    either = parse_query("t=1^ORt=3")
    assert sorted(r["t"] for r in rows if either.matches(r)) == ["1", "3"]


def test_offset_paging_without_order_loses_rows_on_the_fake(fakes) -> None:
    """Why the client never pages by offset: without ORDERBY the order changes between pages."""
    fake = fakes({SI: make_rows(SI, 300, seed=3)}, seed=3)
    seen: list[str] = []
    with httpx.Client(base_url=fake.url, auth=("admin", PASSWORD)) as http:
        for offset in range(0, 300, 100):
            page = http.get(f"/api/now/table/{SI}", params={"sysparm_fields": "sys_id", "sysparm_limit": "100",
                                                             "sysparm_offset": str(offset)})
            seen += [r["sys_id"] for r in page.json()["result"]]
            assert page.headers["X-Total-Count"] == "300"
    assert len(set(seen)) < 300


def test_keyset_paging_across_a_shared_timestamp(fakes, clients) -> None:
    rows = make_rows(SI, 2500, seed=1, shared=300, shared_from=1050)
    assert len({r["sys_updated_on"] for r in rows}) == 2500 - 299
    fake = fakes({SI: rows})
    messages: list[str] = []
    client = clients(fake, page_size=100, progress=messages.append)
    got = [r["sys_id"] for r in client.iter_table(SI, ["name"])]
    assert len(got) == 2500 and set(got) == {r["sys_id"] for r in rows}
    requests = fake.table_requests(SI)
    assert len(requests) == 26  # 25 full pages, then the empty page that ends the listing
    assert all("sysparm_offset" not in r.params for r in requests)
    assert all(r.params["sysparm_query"].endswith("ORDERBYsys_updated_on^ORDERBYsys_id") for r in requests)
    assert set(requests[1].params["sysparm_fields"].split(",")) == {"name", "sys_id", "sys_updated_on"}
    assert len(messages) == 25 and messages[-1].startswith(f"{SI}: 2500 rows, ")
    assert messages[-1].endswith(", 0 retries")
    assert client.stats.rows == 2500 and client.stats.requests == 26


# ------------------------------------------------------------------------------------ faults


def test_sync_with_five_percent_faults_ends_with_the_instance(fakes, clients, tmp_path) -> None:
    tables = make_instance({SI: 3000}, seed=7)
    fake = fakes(tables, seed=7)
    fake.faults.set_rate(0.05, ("429", "500", "drop", "slow"))
    for i, kind in enumerate(("429", "drop", "slow", "500")):  # at least one of each, whatever the draw
        fake.faults.schedule(kind, after=10 + 15 * i)
    fake.faults.retry_after = 0.01
    fake.faults.slow_seconds = 0.4
    sleeps = Sleeps()
    client = clients(fake, page_size=50, timeout=0.2, max_retries=8, sleep=sleeps)
    result = sync_instance(client, tmp_path / "state.json", tmp_path / "records.jsonl.gz", tables=SMALL_TABLES)
    assert script_hashes(result.read.records) == instance_hashes(fake, (SI,))
    assert len(result.read.records) == 3000 and not result.read.errors
    faults = fake.faults_fired
    assert result.retries >= len(faults) > 0  # each fault costs a retry (a busy CI box may add timeouts)
    assert {"429", "500", "drop", "slow"} <= set(faults)
    assert result.requests == client.stats.requests
    assert 0.01 in sleeps  # the Retry-After, fractional, was honoured
    assert max(sleeps) <= 0.05  # every other wait is full jitter under the cap
    again = read_records_jsonl(tmp_path / "records.jsonl.gz")
    assert script_hashes(again.records) == script_hashes(result.read.records)


def test_retry_after_is_honoured_and_retries_are_bounded(fakes, clients) -> None:
    fake = fakes({SI: make_rows(SI, 5)})
    fake.faults.retry_after = 0.03
    fake.faults.schedule("429", times=2)
    sleeps = Sleeps()
    client = clients(fake, sleep=sleeps, max_retries=3)
    assert len(list(client.iter_table(SI, ["name"]))) == 5
    assert sleeps == [0.03, 0.03] and client.stats.retries == 2
    fake.faults.schedule("503", times=10)
    with pytest.raises(TableAPIError, match="failed after 4 attempts .*HTTP 503") as err:
        list(client.iter_table(SI, ["name"]))
    assert err.value.table == SI and err.value.status == 503
    assert parse_retry_after("0.25") == 0.25 and parse_retry_after("junk") is None
    assert parse_retry_after("99999") == 300.0


def test_interrupted_sync_resumes_from_the_saved_cursor(fakes, clients, tmp_path) -> None:
    fake = fakes(make_instance({SI: 1000}, seed=2), seed=2)

    class Interrupted(Exception):
        pass

    class CrashAfter(httpx.BaseTransport):
        """Dies on the 5th page of Script Includes, like a killed process."""

        def __init__(self) -> None:
            self.inner, self.pages = httpx.HTTPTransport(), 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith(SI) and request.url.params.get("sysparm_fields") != "sys_id":
                self.pages += 1
                if self.pages == 5:
                    raise Interrupted("simulated crash")
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    state_path, records_path = tmp_path / "state.json", tmp_path / "records.jsonl.gz"
    with pytest.raises(Interrupted):
        sync_instance(clients(fake, transport=CrashAfter()), state_path, records_path, tables=SMALL_TABLES)
    ordered = sorted(fake.rows(SI), key=lambda r: (r["sys_updated_on"], r["sys_id"]))
    state = SyncState.load(state_path)
    assert state.cursors[SI] == (ordered[399]["sys_updated_on"], ordered[399]["sys_id"])
    assert len(state.known[SI]) == 400

    client = clients(fake)
    mark = len(fake.requests)
    second = sync_instance(client, state_path, records_path, tables=SMALL_TABLES)
    fetches = [r for r in fake.requests[mark:] if r.table == SI and not r.is_listing]
    assert len(fetches) == 7  # 6 pages left, then the empty page
    assert second.fetched == 600 and second.changed == 600 and second.unchanged == 0
    assert {r.sys_id for r in second.read.records} == fake.sys_ids(SI)
    assert not (tmp_path / "records.jsonl.gz.journal").exists()
    assert len(read_records_jsonl(records_path).records) == 1000

    mark = len(fake.requests)
    third = sync_instance(client, state_path, records_path, tables=SMALL_TABLES)
    fetches = [r for r in fake.requests[mark:] if not r.is_listing]
    assert len(fetches) == len(SMALL_TABLES)  # one empty page per table, nothing else
    assert (third.fetched, third.changed, third.unchanged, third.deleted) == (0, 0, 0, [])
    assert script_hashes(third.read.records) == script_hashes(second.read.records)


def test_updates_and_deletes_between_syncs(fakes, clients, tmp_path) -> None:
    fake = fakes(make_instance({SI: 300, "sys_ws_operation": 40}, seed=4), seed=4)
    tables = (*SMALL_TABLES, "sys_ws_operation")
    client = clients(fake)
    paths = (tmp_path / "state.json", tmp_path / "records.jsonl.gz")
    first = sync_instance(client, *paths, tables=tables)
    assert first.changed == first.fetched and len(first.read.records) == 340
    ids = sorted(fake.sys_ids(SI))
    for sys_id in ids[:5]:
        fake.update(SI, sys_id, script=f"var Changed = Class.create(); // {sys_id}")
    for sys_id in ids[5:7]:
        fake.touch(SI, sys_id)  # sys_updated_on moves, content does not
    for sys_id in ids[7:10]:
        fake.delete(SI, sys_id)
    op = sorted(fake.sys_ids("sys_ws_operation"))[0]
    fake.update("sys_ws_operation", op, operation_script="(function process(request, response) {})(request, response);")
    for i in range(4):
        fake.insert(SI, {"name": f"Fresh{i}", "script": f"var Fresh{i} = Class.create();", "sys_scope": "global"})
    second = sync_instance(client, *paths, tables=tables)
    assert second.changed == 5 + 1 + 4 and second.unchanged == 2 and second.fetched == 12
    assert sorted(second.deleted) == ids[7:10]
    assert script_hashes(second.read.records) == instance_hashes(fake, (SI, "sys_ws_operation"))
    by_id = {r.sys_id: r for r in second.read.records}
    assert by_id[op].script.startswith("(function process") and by_id[op].extra["script_field"] == "operation_script"
    assert set(SyncState.load(paths[0]).known[SI]) == fake.sys_ids(SI)


def test_lost_records_file_makes_the_next_sync_refetch(fakes, clients, tmp_path) -> None:
    fake = fakes(make_instance({SI: 120}, seed=8))
    client = clients(fake)
    paths = (tmp_path / "state.json", tmp_path / "records.jsonl.gz")
    sync_instance(client, *paths, tables=SMALL_TABLES)
    paths[1].write_bytes(b"not gzip")  # damaged or deleted: the state's cursors alone would leave holes
    again = sync_instance(client, *paths, tables=SMALL_TABLES)
    assert again.fetched == 120 and again.unchanged == 0
    assert {r.sys_id for r in again.read.records} == fake.sys_ids(SI)


def test_scopes_resolve_through_metadata_and_unknown_ones_warn(fakes, clients, tmp_path, caplog) -> None:
    tables = make_instance({SI: 30}, seed=5)
    late_scope = "f" * 32
    tables[SI][0]["sys_scope"] = late_scope
    fake = fakes(tables, seed=5)
    client = clients(fake)
    paths = (tmp_path / "state.json", tmp_path / "records.jsonl.gz")
    first = sync_instance(client, *paths, tables=SMALL_TABLES)
    by_id = {r.sys_id: r for r in first.read.records}
    assert first.scope_warnings == 1 and by_id[tables[SI][0]["sys_id"]].scope == "global"
    assert "sys_scope" in caplog.text
    scoped = by_id[tables[SI][1]["sys_id"]]
    assert scoped.scope == "x_acme_app0" and scoped.api_name == f"x_acme_app0.{scoped.name}"
    apps = {a.scope: a for a in first.read.applications}
    assert apps["x_acme_app0"].kind == "sys_app" and apps["x_acme_app2"].kind == "sys_store_app"
    assert apps["global"].name == "Global"
    fake.insert("sys_scope", {"sys_id": late_scope, "scope": "x_late", "name": "Late App"})
    second = sync_instance(client, *paths, tables=SMALL_TABLES)
    record = {r.sys_id: r for r in second.read.records}[tables[SI][0]["sys_id"]]
    assert second.scope_warnings == 0 and record.scope == "x_late" and record.api_name.startswith("x_late.")


# ---------------------------------------------------------------------------- final answers


def test_hibernating_instance_is_named_after_a_bounded_wait(fakes, clients, tmp_path) -> None:
    fake = fakes(make_instance({SI: 250}, seed=6))
    fake.hibernating = True
    sleeps, messages = Sleeps(), []
    client = clients(fake, sleep=sleeps, progress=messages.append, max_asleep_wait_s=100.0,
                     asleep_backoff_base_s=5.0, asleep_backoff_cap_s=30.0)
    with pytest.raises(InstanceAsleep, match="hibernating") as err:
        list(client.iter_table(SI, ["name"]))
    assert fake.url in str(err.value) and "after waiting 100 s" in str(err.value)
    assert sleeps == [5.0, 10.0, 20.0, 30.0, 30.0, 5.0]  # doubling to the cap, the last one trimmed to the budget
    assert len(fake.requests) == 7 and client.stats.asleep_waits == 6
    assert sum("instance asleep, waiting" in m for m in messages) == 6
    with pytest.raises(InstanceAsleep, match="hibernating"):  # a budget of 0: today's behaviour, no wait
        list(clients(fake, max_asleep_wait_s=0.0).iter_table(SI, ["name"]))


def test_html_pages_are_waited_out_and_a_long_sleep_resumes_from_the_cursors(fakes, clients, tmp_path) -> None:
    fake = fakes(make_instance({SI: 250}, seed=6))
    paths = (tmp_path / "s.json", tmp_path / "r.jsonl.gz")
    fake.faults.schedule("html", after=8, times=3)  # a proxy page, three times, on the 3rd page of Script Includes
    sleeps, messages = Sleeps(), []
    result = sync_instance(clients(fake, sleep=sleeps, progress=messages.append), *paths, tables=SMALL_TABLES)
    assert {r.sys_id for r in result.read.records} == fake.sys_ids(SI)
    assert result.asleep_waits == 3 and sleeps[:3] == [5.0, 10.0, 20.0]
    assert [m for m in messages if "instance asleep, waiting" in m][0].startswith(f"{fake.url}: instance asleep")

    more = paths[0].parent / "more"
    fake.faults.schedule("html", after=8, times=1000)  # asleep for good from the 3rd page on
    with pytest.raises(InstanceAsleep, match="after waiting 300 s"):
        sync_instance(clients(fake), more / "s.json", more / "r.jsonl.gz", tables=SMALL_TABLES)
    assert len(SyncState.load(more / "s.json").known[SI]) == 200  # pages before it are kept
    fake.faults.clear()  # awake again: the next sync resumes from the saved cursor
    mark = len(fake.requests)
    resumed = sync_instance(clients(fake), more / "s.json", more / "r.jsonl.gz", tables=SMALL_TABLES)
    assert resumed.fetched == 50 and {r.sys_id for r in resumed.read.records} == fake.sys_ids(SI)
    assert len([r for r in fake.requests[mark:] if r.table == SI and not r.is_listing]) == 2


def _tied_instance(seed: int) -> dict[str, list[dict[str, Any]]]:
    """About 8,000 code records whose sys_updated_on is shared in blocks: 1,500 rows of one bulk
    import (several pages under one timestamp), the rest in groups of 40."""
    tables = make_instance({SI: 5000, "sys_script": 3000}, seed=seed, script_size=(120, 240))
    for table in (SI, "sys_script"):
        for i, row in enumerate(tables[table]):
            block = 0 if i < 1500 and table == SI else 1 + i // 40
            row["sys_updated_on"] = stamp("2024-03-01 00:00:00", block * 60)
    return tables


def test_sync_of_8000_tied_records_under_mixed_faults_is_exact(fakes, clients, tmp_path) -> None:
    """5% of requests fail in every way a flaky instance fails; the sync still ends with exactly
    the instance's sys_id/hash set, and again after deletes, changes and additions."""
    fake = fakes(_tied_instance(seed=11), seed=11)
    tables = (*SMALL_TABLES, "sys_script")
    code = (SI, "sys_script")
    assert len({r["sys_updated_on"] for t in code for r in fake.rows(t)}) < 250  # heavy ties
    fake.faults.set_rate(0.05)  # 429 with Retry-After, 500, dropped and cut connections, HTML pages
    for i, kind in enumerate(MIXED_FAULTS):  # at least one of each, whatever the draw
        fake.faults.schedule(kind, after=5 + 7 * i)
    fake.faults.retry_after = 0.01
    paths = (tmp_path / "state.json", tmp_path / "records.jsonl.gz")
    sleeps = Sleeps()
    client = clients(fake, page_size=100, timeout=2.0, max_retries=8, sleep=sleeps)

    started = time.perf_counter()
    first = sync_instance(client, *paths, tables=tables)
    seconds = time.perf_counter() - started
    assert script_hashes(first.read.records) == instance_hashes(fake, code)
    assert len(first.read.records) == 8000 and not first.read.errors
    assert set(MIXED_FAULTS) <= set(fake.faults_fired)
    assert first.retries >= len(fake.faults_fired) and first.asleep_waits == fake.faults_fired.count("html")
    assert 0.01 in sleeps  # a Retry-After was honoured
    assert script_hashes(read_records_jsonl(paths[1]).records) == script_hashes(first.read.records)
    assert seconds < 60, f"{seconds:.1f} s"  # no real waiting: sleeps are injected

    ids = sorted(fake.sys_ids(SI))
    tied = [r["sys_id"] for r in fake.rows(SI) if r["sys_updated_on"] == stamp("2024-03-01 00:00:00", 0)]
    for sys_id in ids[:60] + sorted(fake.sys_ids("sys_script"))[:40]:
        fake.delete(SI if sys_id in ids else "sys_script", sys_id)
    now = fake.now()
    for sys_id in [t for t in tied if t not in ids[:60]][:150]:  # changed rows share the new timestamp too
        fake.update(SI, sys_id, script=f"var Changed = Class.create(); // {sys_id}", sys_updated_on=now)
    for i in range(300):
        fake.insert("sys_script" if i % 3 else SI, {"name": f"Fresh{i}", "script": f"var fresh{i} = {i};",
                                                     "sys_scope": "global", "sys_updated_on": now})
    second = sync_instance(client, *paths, tables=tables)
    assert script_hashes(second.read.records) == instance_hashes(fake, code)
    assert len(second.deleted) == 100 and second.changed == 150 + 300
    assert len(second.read.records) == 8000 - 100 + 300
    state = SyncState.load(paths[0])
    assert set(state.known[SI]) | set(state.known["sys_script"]) == {r.sys_id for r in second.read.records}


@pytest.mark.parametrize("status", [401, 403, 404, 400])
def test_final_client_errors_name_instance_table_and_status(fakes, clients, status) -> None:
    table = "sys_ui_script"
    fake = fakes({table: make_rows(table, 3)})
    auth = BasicAuth("admin", "wrong" if status == 401 else PASSWORD)
    if status == 403:
        fake.forbidden.add(table)
    if status == 404:
        fake.faults.schedule("404")
    client = clients(fake, auth=auth)
    with pytest.raises(TableAPIError) as err:
        list(client.iter_table("sys_no_such_table" if status == 400 else table, ["name"]))
    message = str(err.value)
    assert err.value.status == status and f"HTTP {status}" in message and fake.url in message
    assert ("sys_no_such_table" if status == 400 else table) in message
    assert len(fake.requests) == 1 and client.stats.retries == 0  # final: not retried
    assert isinstance(err.value, AuthenticationError) == (status == 401)


def test_oauth_password_grant_refresh_and_no_secret_leaks(fakes, clients, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake = fakes({SI: make_rows(SI, 30)}, token_ttl=0.6)
    auth = OAuthPasswordGrant("client-id", "client-secret", "admin", PASSWORD)
    client = clients(fake, auth=auth, page_size=10)
    assert len(list(client.iter_table(SI, ["name"]))) == 30
    fake.expire_tokens()  # revoked early: the next request gets a 401, refreshes once, goes on
    assert len(list(client.iter_table(SI, ["name"]))) == 30
    assert auth.grants == ["password", "refresh_token"]
    assert [r.status for r in fake.table_requests()].count(401) == 1
    time.sleep(0.6)  # past the token's life: refreshed before the request, no 401 this time
    assert len(list(client.iter_table(SI, ["name"]))) == 30
    assert auth.grants == ["password", "refresh_token", "refresh_token"]
    assert [r.status for r in fake.table_requests()].count(401) == 1
    token_posts = [r for r in fake.requests if r.path == "/oauth_token.do"]
    assert all(r.params == {} for r in token_posts)  # credentials travel in the form body only

    fake.refresh_tokens.clear()  # refresh token refused: falls back to the password grant
    fake.expire_tokens()
    assert len(list(client.iter_table(SI, ["name"]))) == 30
    assert auth.grants[-2:] == ["refresh_token", "password"]

    bad = OAuthPasswordGrant("client-id", "not-the-secret", "admin", PASSWORD)
    with pytest.raises(AuthenticationError) as err:
        list(clients(fake, auth=bad).iter_table(SI, ["name"]))
    assert "grant_type=password" in str(err.value) and "401" in str(err.value)
    secrets = ["client-secret", "not-the-secret", PASSWORD, *fake.issued]
    texts = [caplog.text, str(err.value), repr(auth), repr(bad), repr(client), repr(BasicAuth("admin", PASSWORD))]
    for secret in secrets:
        assert all(secret not in text for text in texts), "a secret leaked"


def test_auth_from_env_names_what_is_missing() -> None:
    with pytest.raises(MissingCredentials, match="SERVICENOW_PASSWORD"):
        auth_from_env({"SERVICENOW_USER": "u"})
    assert isinstance(auth_from_env({"SERVICENOW_USER": "u", "SERVICENOW_PASSWORD": "p"}), BasicAuth)
    with pytest.raises(MissingCredentials, match="SERVICENOW_CLIENT_SECRET"):
        auth_from_env({"SERVICENOW_USER": "u", "SERVICENOW_PASSWORD": "p", "SERVICENOW_CLIENT_ID": "c"})
    oauth = auth_from_env({"SERVICENOW_USER": "u", "SERVICENOW_PASSWORD": "p", "SERVICENOW_CLIENT_ID": "c",
                           "SERVICENOW_CLIENT_SECRET": "s3cr3t"})
    assert isinstance(oauth, OAuthPasswordGrant) and "s3cr3t" not in repr(oauth)


# -------------------------------------------------------------------------------- rate limit


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limit_with_an_injected_clock(fakes, clients) -> None:
    fake = fakes({SI: make_rows(SI, 9)})
    clock = FakeClock()
    client = clients(fake, page_size=1, rate_limit_per_s=20.0, clock=clock, sleep=clock.sleep)
    assert len(list(client.iter_table(SI, ["name"]))) == 9
    assert client.stats.requests == 10
    assert sum(clock.slept) == pytest.approx(0.45) and all(s == pytest.approx(0.05) for s in clock.slept)


def test_rate_limit_in_real_time(fakes, clients) -> None:
    fake = fakes({SI: make_rows(SI, 9)})
    client = clients(fake, page_size=1, rate_limit_per_s=20.0, sleep=time.sleep)
    started = time.perf_counter()
    list(client.iter_table(SI, ["name"]))
    assert client.stats.requests == 10 and time.perf_counter() - started >= 0.44
