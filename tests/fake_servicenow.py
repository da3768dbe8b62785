"""A fake ServiceNow instance: the Table API subset the sync uses, served over real HTTP.

It listens on 127.0.0.1 (an ephemeral port) in a background thread so the client is tested
through its real transport: sockets, timeouts, dropped connections and all. Faults are
switchable by probability (seeded, so runs repeat) or by countdown, and the data can be
mutated between syncs. ``Faults.set_rate(0.05)`` gives the mix a flaky instance shows:
429 with Retry-After, 500, dropped connections (no answer, or an answer cut off half-way)
and HTML pages where JSON belongs (a proxy, maintenance, an instance waking up).

Encoded-query semantics implemented (the subset the client sends, plus a few operators):
``^`` ANDs conditions, ``^OR`` ORs a condition with the previous one, ``^NQ`` starts a new
query OR-ed with the others, ``ORDERBY<f>`` / ``ORDERBYDESC<f>`` are query-wide wherever they
stand. Without any ORDERBY the row order is shuffled per request, as unstable as a real
instance's, so offset paging without an order visibly loses rows.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TABLE_PREFIX = "/api/now/table/"
TOKEN_PATH = "/oauth_token.do"
STAMP = "%Y-%m-%d %H:%M:%S"
REFERENCE_FIELDS = {"sys_scope": "sys_scope", "sys_package": "sys_package"}
FAULT_KINDS = ("429", "500", "503", "drop", "cut", "slow", "html", "401", "403", "404")
# The transient faults of a flaky instance, in equal shares by default.
MIXED_FAULTS = ("429", "500", "drop", "cut", "html")
HIBERNATION_PAGE = (
    "<!DOCTYPE html><html><head><title>Instance Hibernating</title></head><body>"
    "<h1>Your instance is hibernating</h1><p>Sign in to the developer portal to wake your instance.</p>"
    "</body></html>"
)


class QueryError(ValueError):
    pass


# ---------------------------------------------------------------------------------- encoded queries

_OPERATORS = ("ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "ENDSWITH", "NOT LIKE", "LIKE", "NOT IN", "IN",
              "!=", ">=", "<=", ">", "<", "=")
_FIELD = re.compile(r"[a-z0-9_.]+")


def _condition(term: str) -> Callable[[dict[str, Any]], bool]:
    m = _FIELD.match(term)
    if not m:
        raise QueryError(f"cannot parse condition {term!r}")
    name, rest = m.group(0), term[m.end():]
    for op in _OPERATORS:
        if rest.startswith(op):
            value = rest[len(op):]
            break
    else:
        raise QueryError(f"unknown operator in {term!r}")

    def get(row: dict[str, Any]) -> str:
        v = row.get(name)
        return "" if v is None else str(v)

    tests: dict[str, Callable[[str], bool]] = {
        "=": lambda x: x == value, "!=": lambda x: x != value, ">": lambda x: x > value,
        ">=": lambda x: x >= value, "<": lambda x: x < value, "<=": lambda x: x <= value,
        "STARTSWITH": lambda x: x.startswith(value), "ENDSWITH": lambda x: x.endswith(value),
        "LIKE": lambda x: value.lower() in x.lower(), "NOT LIKE": lambda x: value.lower() not in x.lower(),
        "IN": lambda x: x in value.split(","), "NOT IN": lambda x: x not in value.split(","),
        "ISEMPTY": lambda x: x == "", "ISNOTEMPTY": lambda x: x != "",
    }
    test = tests[op]
    return lambda row: test(get(row))


@dataclass
class Query:
    """Parsed encoded query: OR of segments, each an AND of OR-groups; plus query-wide order."""

    segments: list[list[list[Callable[[dict[str, Any]], bool]]]]
    order: list[tuple[str, bool]]  # (field, descending)

    def matches(self, row: dict[str, Any]) -> bool:
        if not self.segments:
            return True
        return any(all(any(c(row) for c in group) for group in segment) for segment in self.segments)

    def sort(self, rows: list[dict[str, Any]]) -> None:
        for name, descending in reversed(self.order):  # stable sorts, least significant key first
            rows.sort(key=lambda r, n=name: str(r.get(n) or ""), reverse=descending)


def parse_query(text: str) -> Query:
    segments: list[list[list[Callable[[dict[str, Any]], bool]]]] = []
    order: list[tuple[str, bool]] = []
    for part in text.split("^NQ") if text else []:
        groups: list[list[Callable[[dict[str, Any]], bool]]] = []
        for term in part.split("^"):
            if not term or term == "EQ":
                continue
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC"):], True))
            elif term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY"):], False))
            elif term.startswith("OR"):
                if not groups:
                    raise QueryError(f"^OR without a condition before it: {term!r}")
                groups[-1].append(_condition(term[2:]))
            else:
                groups.append([_condition(term)])
        if groups:
            segments.append(groups)
    seen: set[str] = set()
    unique = [(n, d) for n, d in order if not (n in seen or seen.add(n))]
    return Query(segments, unique)


# ------------------------------------------------------------------------------------------- faults


@dataclass
class Faults:
    """Faults for table requests: scheduled ones first (countdowns), then by probability."""

    probabilities: dict[str, float] = field(default_factory=dict)
    retry_after: float = 0.02  # seconds sent in Retry-After (fractional)
    slow_seconds: float = 0.5  # how long a "slow" answer sleeps before answering
    on_token_endpoint: bool = False  # faults for /oauth_token.do too
    _scheduled: list[list[Any]] = field(default_factory=list)  # [skip, kind, times]

    def set_rate(self, rate: float, kinds: Iterable[str] = MIXED_FAULTS) -> None:
        """Spread ``rate`` evenly over ``kinds`` (a 5% mix of every transient kind: ``set_rate(0.05)``)."""
        kinds = list(kinds)
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds or not 0 <= rate <= 1:
            raise ValueError(f"set_rate({rate}, {kinds}): rate in [0, 1] and kinds from {FAULT_KINDS}")
        self.probabilities = {k: rate / len(kinds) for k in kinds}

    def schedule(self, kind: str, *, after: int = 0, times: int = 1) -> None:
        """Let ``after`` table requests pass, then fail the next ``times`` with ``kind``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {FAULT_KINDS}")
        self._scheduled.append([after, kind, times])

    def clear(self) -> None:
        self.probabilities = {}
        self._scheduled.clear()

    def draw(self, rng: random.Random) -> str | None:
        fired = None
        for entry in self._scheduled:
            if entry[0] > 0:
                entry[0] -= 1
            elif fired is None:
                entry[2] -= 1
                fired = entry[1]
        self._scheduled = [e for e in self._scheduled if e[2] > 0]
        if fired is not None:
            return fired
        x = rng.random()
        for kind, p in sorted(self.probabilities.items()):
            if x < p:
                return kind
            x -= p
        return None


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    params: dict[str, str]
    status: int | None  # None: dropped without an answer
    fault: str | None = None
    grant_type: str | None = None

    @property
    def table(self) -> str | None:
        return self.path[len(TABLE_PREFIX):].split("/")[0] if self.path.startswith(TABLE_PREFIX) else None

    @property
    def is_listing(self) -> bool:
        """A sys_id-only listing (deletion detection), as opposed to a fetch of rows."""
        return self.params.get("sysparm_fields") == "sys_id"


# -------------------------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real instance
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            pass  # the client gave up on a slow answer or the test dropped the connection

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServiceNow


def _now_stamp(rows: Iterable[dict[str, Any]]) -> str:
    latest = max((str(r.get("sys_updated_on") or "") for r in rows), default="2024-01-01 00:00:00")
    return (datetime.strptime(latest, STAMP) + timedelta(seconds=1)).strftime(STAMP)


class FakeServiceNow:
    """A running fake instance; use as a context manager or call :meth:`stop`."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]] | None = None, *, seed: int = 0,
                 users: dict[str, str] | None = None, oauth_clients: dict[str, str] | None = None,
                 token_ttl: float = 1800.0, refresh_ttl: float = 8_640_000.0):
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {
            name: {str(r["sys_id"]): dict(r) for r in rows} for name, rows in (tables or {}).items()
        }
        self.users = dict(users or {"admin": "admin-pw"})
        self.oauth_clients = dict(oauth_clients or {"client-id": "client-secret"})
        self.token_ttl, self.refresh_ttl = token_ttl, refresh_ttl
        self.faults = Faults()
        self.hibernating = False
        self.forbidden: set[str] = set()  # tables the user may not read (403)
        self.requests: list[LoggedRequest] = []
        self.faults_fired: list[str] = []  # logged when drawn (a slow answer is logged only once sent)
        self.tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
        self.refresh_tokens: dict[str, float] = {}
        self.issued: list[str] = []  # every token handed out (tests check none leaks)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-servicenow", daemon=True)
        self._thread.start()

    # -- lifecycle

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServiceNow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- data helpers

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.tables.get(table, {}).values()]

    def sys_ids(self, table: str) -> set[str]:
        with self.lock:
            return set(self.tables.get(table, {}))

    def now(self) -> str:
        """One second after the newest sys_updated_on anywhere: "now" for a mutation."""
        with self.lock:
            return _now_stamp(r for t in self.tables.values() for r in t.values())

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            row = dict(row)
            row.setdefault("sys_id", secrets.token_hex(16))
            row.setdefault("sys_updated_on", self.now())
            self.tables.setdefault(table, {})[row["sys_id"]] = row
            return dict(row)

    def update(self, table: str, sys_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields and move sys_updated_on to "now" (unless given), as the platform does."""
        with self.lock:
            row = self.tables[table][sys_id]
            stamp = changes.pop("sys_updated_on", None) or self.now()
            row.update(changes)
            row["sys_updated_on"] = stamp
            return dict(row)

    def touch(self, table: str, sys_id: str) -> dict[str, Any]:
        """Move sys_updated_on without changing content (an upgrade, a no-op save)."""
        return self.update(table, sys_id)

    def delete(self, table: str, sys_id: str) -> None:
        with self.lock:
            del self.tables[table][sys_id]

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def table_requests(self, table: str | None = None, *, listing: bool | None = None) -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.requests if r.table is not None and (table is None or r.table == table)
                    and (listing is None or r.is_listing == listing)]

    # -- HTTP

    def _log(self, *args: Any, **kwargs: Any) -> None:
        with self.lock:
            self.requests.append(LoggedRequest(*args, **kwargs))

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes | str | dict[str, Any], *,
              content_type: str = "application/json;charset=UTF-8", headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        data = body.encode("utf-8") if isinstance(body, str) else body
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _error(message: str, detail: str | None = None) -> dict[str, Any]:
        return {"error": {"message": message, "detail": detail}, "status": "failure"}

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        path = url.path
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if self.hibernating:
            self._log(method, path, params, 200, "html")
            self._send(h, 200, HIBERNATION_PAGE, content_type="text/html;charset=UTF-8")
            return
        if method == "POST" and path == TOKEN_PATH:
            self._token(h, path, params, body, h.headers.get("Content-Type", ""))
            return
        if method != "GET" or not path.startswith(TABLE_PREFIX):
            self._log(method, path, params, 404)
            self._send(h, 404, self._error("Requested URI does not represent any resource"))
            return
        with self.lock:
            fault = self.faults.draw(self.rng)
            if fault is not None:
                self.faults_fired.append(fault)
        if fault is not None and self._fault(h, method, path, params, fault):
            return
        if not self._authorised(h.headers.get("Authorization", "")):
            self._log(method, path, params, 401, fault)
            self._send(h, 401, self._error("User Not Authenticated", "Required to provide Auth information"))
            return
        self._table(h, method, path, params, fault)

    def _fault(self, h: BaseHTTPRequestHandler, method: str, path: str, params: dict[str, str],
               fault: str) -> bool:
        """Answer with the fault; False for "slow", which sleeps and then answers normally."""
        if fault == "drop":
            self._log(method, path, params, None, fault)
            h.close_connection = True  # no answer at all: the socket just closes
            return True
        if fault == "cut":  # the headers and half the body, then the connection drops
            self._log(method, path, params, None, fault)
            body = json.dumps({"result": [{"sys_id": "x" * 32}] * 20}).encode("utf-8")
            h.send_response(200)
            h.send_header("Content-Type", "application/json;charset=UTF-8")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return True
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)
            return False
        if fault == "html":
            self._log(method, path, params, 200, fault)
            self._send(h, 200, HIBERNATION_PAGE, content_type="text/html;charset=UTF-8")
            return True
        status = int(fault)
        self._log(method, path, params, status, fault)
        headers = {}
        if status == 429:
            headers = {"Retry-After": f"{self.faults.retry_after:g}", "X-RateLimit-Limit": "100",
                       "X-RateLimit-Remaining": "0"}
        messages = {429: "Rate limit exceeded", 500: "Internal server error", 503: "Service unavailable",
                    401: "User Not Authenticated", 403: "User Not Authorized", 404: "No Record found"}
        self._send(h, status, self._error(messages[status]), headers=headers)
        return True

    def _authorised(self, header: str) -> bool:
        import base64

        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return self.users.get(user) == password
        if header.startswith("Bearer "):
            with self.lock:
                expiry = self.tokens.get(header[7:])
            return expiry is not None and time.monotonic() < expiry
        return False

    def _token(self, h: BaseHTTPRequestHandler, path: str, params: dict[str, str], body: bytes,
               content_type: str) -> None:
        if "application/x-www-form-urlencoded" not in content_type:  # a JSON body fails, as on the platform
            self._log("POST", path, params, 400)
            self._send(h, 400, {"error": "invalid_request", "error_description": "form-encoded body required"})
            return
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        grant = form.get("grant_type", "")
        if self.faults.on_token_endpoint:
            with self.lock:
                fault = self.faults.draw(self.rng)
                if fault is not None:
                    self.faults_fired.append(fault)
            if fault is not None and self._fault(h, "POST", path, params, fault):
                return
        ok_client = self.oauth_clients.get(form.get("client_id", "")) == form.get("client_secret")
        now = time.monotonic()
        with self.lock:
            if grant == "password":
                ok = ok_client and self.users.get(form.get("username", "")) == form.get("password")
                refresh = secrets.token_hex(16) if ok else None
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                ok = ok_client and self.refresh_tokens.get(refresh, 0.0) > now
            else:
                ok, refresh = False, None
            if not ok:
                self.requests.append(LoggedRequest("POST", path, params, 401, None, grant))
                self._send(h, 401, {"error": "server_error", "error_description": "access_denied"})
                return
            access = secrets.token_hex(24)
            self.tokens[access] = now + self.token_ttl
            assert refresh is not None
            self.refresh_tokens.setdefault(refresh, now + self.refresh_ttl)
            self.issued += [access, refresh]
            self.requests.append(LoggedRequest("POST", path, params, 200, None, grant))
        self._send(h, 200, {"access_token": access, "refresh_token": refresh, "scope": "useraccount",
                            "token_type": "Bearer", "expires_in": self.token_ttl})

    def _table(self, h: BaseHTTPRequestHandler, method: str, path: str, params: dict[str, str],
               fault: str | None) -> None:
        table, _, record_id = path[len(TABLE_PREFIX):].partition("/")
        if table not in self.tables:
            self._log(method, path, params, 400, fault)
            self._send(h, 400, self._error(f"Invalid table {table}"))
            return
        if table in self.forbidden:
            self._log(method, path, params, 403, fault)
            self._send(h, 403, self._error("User Not Authorized", "ACL restricts the record retrieval"))
            return
        try:
            query = parse_query(params.get("sysparm_query", ""))
            limit = int(params.get("sysparm_limit", "10000"))
            offset = int(params.get("sysparm_offset", "0"))
        except (QueryError, ValueError) as exc:
            self._log(method, path, params, 400, fault)
            self._send(h, 400, self._error(f"Invalid query: {exc}"))
            return
        with self.lock:
            if record_id:
                found = self.tables[table].get(record_id)
                rows = [dict(found)] if found else []
            else:
                rows = [dict(r) for r in self.tables[table].values() if query.matches(r)]
            if query.order:
                query.sort(rows)
            else:
                self.rng.shuffle(rows)
        if record_id and not rows:
            self._log(method, path, params, 404, fault)
            self._send(h, 404, self._error("No Record found", "Record doesn't exist or ACL restricts the record retrieval"))
            return
        total = len(rows)
        page = rows[offset:offset + limit]
        fields = [f for f in params.get("sysparm_fields", "").split(",") if f]
        exclude_links = params.get("sysparm_exclude_reference_link", "false") == "true"
        out = []
        for row in page:
            picked = {f: row.get(f, "") for f in fields} if fields else row
            if not exclude_links:
                for name, target in REFERENCE_FIELDS.items():
                    if picked.get(name):
                        picked[name] = {"link": f"{self.url}{TABLE_PREFIX}{target}/{picked[name]}",
                                        "value": picked[name]}
            out.append(picked)
        result: Any = out[0] if record_id else out
        self._log(method, path, params, 200, fault)
        self._send(h, 200, {"result": result}, headers={"X-Total-Count": str(total)})


# ------------------------------------------------------------------------------------ data builders


def stamp(base: str, seconds: int) -> str:
    return (datetime.strptime(base, STAMP) + timedelta(seconds=seconds)).strftime(STAMP)


def fake_sys_id(*parts: object) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def make_script(rng: random.Random, name: str, size: int) -> str:
    """Plausible Script Include source of about ``size`` characters."""
    lines = [f"var {name} = Class.create();", f"{name}.prototype = {{",
             "    initialize: function() {", "        this.log = new GSLog('x', 'y');", "    },"]
    k = 0
    while sum(len(line) + 1 for line in lines) < size - 40 and k < 10_000:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
        lines += [f"    {word}{k}: function(record, limit) {{",
                  "        var gr = new GlideRecord('incident');",
                  f"        gr.addQuery('short_description', 'CONTAINS', '{word}');",
                  "        gr.setLimit(limit || 10);", "        gr.query();",
                  "        return gr.next() ? gr.getUniqueValue() : null;", "    },"]
        k += 1
    lines += [f"    type: '{name}'", "};"]
    return "\n".join(lines) + "\n"


def make_rows(table: str, n: int, *, seed: int = 0, start: str = "2024-01-01 00:00:00",
              shared: int = 0, shared_from: int = 0, script_size: tuple[int, int] = (150, 300),
              scope_ids: tuple[str, ...] = ("global",), script_field: str = "script",
              extra: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """``n`` rows with distinct sys_updated_on, except ``shared`` rows (from index ``shared_from``)
    that all carry one timestamp: the bulk-import case that breaks a plain watermark."""
    rng = random.Random(f"{seed}:{table}")
    rows = []
    for i in range(n):
        in_block = shared_from <= i < shared_from + shared
        seconds = shared_from if in_block else i
        name = f"{table.title().replace('_', '')}{i}"
        row = {"sys_id": fake_sys_id(seed, table, i), "sys_updated_on": stamp(start, seconds * 60), "name": name,
               script_field: make_script(rng, name, rng.randint(*script_size)), "active": "true",
               "sys_scope": scope_ids[i % len(scope_ids)], "sys_package": scope_ids[i % len(scope_ids)]}
        if table == "sys_script_include":
            row.update(access=rng.choice(["public", "package_private"]), client_callable="false",
                       description=f"Helpers number {i}", api_name="")
        row.update(extra or {})
        rows.append(row)
    return rows


def make_instance(counts: dict[str, int], *, seed: int = 0, scopes: int = 6,
                  script_size: tuple[int, int] = (150, 300)) -> dict[str, list[dict[str, Any]]]:
    """A whole instance: scopes, applications and packages, and code tables of the given sizes."""
    scope_rows = [{"sys_id": "global", "sys_updated_on": "2023-06-01 00:00:00", "scope": "global", "name": "Global"}]
    apps, store_apps = [], []
    for k in range(scopes):
        sid = fake_sys_id(seed, "scope", k)
        row = {"sys_id": sid, "sys_updated_on": stamp("2023-06-01 00:00:00", k + 1), "scope": f"x_acme_app{k}",
               "name": f"Acme App {k}"}
        scope_rows.append(row)
        target = store_apps if k % 3 == 2 else apps
        target.append({**row, "version": f"1.{k}.0", "vendor": "Acme"})
    packages = [{"sys_id": r["sys_id"], "sys_updated_on": r["sys_updated_on"], "name": r["name"],
                 "source": r["scope"], "version": "1.0"} for r in scope_rows]
    packages.append({"sys_id": fake_sys_id(seed, "plugin"), "sys_updated_on": "2023-06-01 00:00:00",
                     "name": "com.glide.plugin", "source": "com.glide.plugin", "version": "1.0"})
    ids = tuple(r["sys_id"] for r in scope_rows)
    tables: dict[str, list[dict[str, Any]]] = {"sys_scope": scope_rows, "sys_app": apps,
                                               "sys_store_app": store_apps, "sys_package": packages}
    for i, (table, n) in enumerate(counts.items()):
        field_name = "operation_script" if table == "sys_ws_operation" else "script"
        tables[table] = make_rows(table, n, seed=seed, start=stamp("2024-01-01 00:00:00", i * 86_400 * 30),
                                  scope_ids=ids, script_field=field_name, script_size=script_size)
    return tables
