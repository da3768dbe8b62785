"""A small, careful client for the ServiceNow Table API (``GET /api/now/table/<table>``).

Why it looks the way it does (see ``shared/notes/servicenow.md``):

* Offset paging without a stable order loses rows, so every listing is *keyset* paged on
  ``(sys_updated_on, sys_id)``: the next page starts strictly after the last row seen, and
  rows sharing one timestamp are told apart by ``sys_id``. Offsets are never sent.
* A page may come back shorter than ``sysparm_limit`` (security constraints drop rows, very
  large pages are truncated), so only an *empty* page ends a listing.
* 429 is not final: it says when to come back (``Retry-After``). 5xx and network trouble are
  retried with exponential backoff and full jitter; other 4xx are final and name the table.
* An HTML page where JSON belongs (a proxy's error page, maintenance, a developer instance
  that is hibernating or waking up) is transient too: it is retried with its own, longer
  backoff until a configurable total wait (``max_asleep_wait_s``) is spent, with progress
  saying "instance asleep, waiting". Only then does :class:`InstanceAsleep` end the
  request; a sync keeps the cursors of the pages it finished, so the next run resumes.
* Credentials and tokens never reach logs, ``repr`` or exception messages.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import json
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

import httpx

from deepcodeseek.errors import AuthenticationError, BadInput, InstanceAsleep, MissingCredentials, TableAPIError

log = logging.getLogger(__name__)

TABLE_PATH = "/api/now/table/"
TOKEN_PATH = "/oauth_token.do"
KEYSET = ("sys_updated_on", "sys_id")
MAX_RETRY_AFTER_S = 300.0  # a Retry-After beyond this is treated as this: a sync must end
MAX_ASLEEP_WAIT_S = 300.0  # total wait on HTML answers per request before InstanceAsleep (a wake-up takes minutes)
ASLEEP_BACKOFF_BASE_S = 5.0  # first wait after an HTML answer; doubles up to the cap
ASLEEP_BACKOFF_CAP_S = 60.0
DEFAULT_MAX_PAGES = 100_000  # a hard stop for a listing, far above any real table / page size

# Network trouble worth another try; anything else raised by a transport is a bug or an
# interruption and propagates untouched.
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TimeoutException,  # connect / read / write / pool timeouts
    httpx.NetworkError,  # connect errors, resets
    httpx.RemoteProtocolError,  # server closed the connection without (a whole) answer
)


class Cursor(NamedTuple):
    """Keyset position: the ``(sys_updated_on, sys_id)`` of the last row fully processed."""

    sys_updated_on: str
    sys_id: str


# ----------------------------------------------------------------------------------------- auth


class BasicAuth:
    """HTTP basic auth. A 401 cannot be fixed by retrying, so :meth:`invalidate` says no."""

    __slots__ = ("user", "_header")

    def __init__(self, user: str, password: str):
        self.user = user
        token = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
        self._header = f"Basic {token}"  # only the header is kept, never logged

    def authorization(self, fetch_token: Callable[[dict[str, str]], dict[str, Any]], now: float) -> str:
        return self._header

    def invalidate(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"BasicAuth(user={self.user!r}, password=<redacted>)"


class OAuthPasswordGrant:
    """OAuth 2 password grant against ``/oauth_token.do``, refreshed before it expires.

    The token is renewed with ``grant_type=refresh_token`` a little before ``expires_in``
    runs out (10% of its life, at most ``refresh_margin_s``), so long syncs do not stall on
    a 401; a 401 anyway (revoked or clock skew) forces one refresh. If the refresh token is
    refused too, the password grant is tried once more.
    """

    __slots__ = ("client_id", "user", "_client_secret", "_password", "_access", "_refresh",
                 "_expires_at", "refresh_margin_s", "grants")

    def __init__(self, client_id: str, client_secret: str, user: str, password: str, *,
                 refresh_margin_s: float = 60.0):
        self.client_id = client_id
        self.user = user
        self._client_secret = client_secret
        self._password = password
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = -math.inf
        self.refresh_margin_s = refresh_margin_s
        self.grants: list[str] = []  # grant types used, in order (for diagnostics and tests)

    def authorization(self, fetch_token: Callable[[dict[str, str]], dict[str, Any]], now: float) -> str:
        if self._access is None:
            self._grant(fetch_token, now, use_refresh=False)
        elif now >= self._expires_at:
            self._grant(fetch_token, now, use_refresh=True)
        return f"Bearer {self._access}"

    def invalidate(self) -> bool:
        """Called on a 401: force a refresh before the next request, and allow one retry."""
        if self._access is None:
            return False
        self._expires_at = -math.inf
        return True

    def _grant(self, fetch_token: Callable[[dict[str, str]], dict[str, Any]], now: float, *,
               use_refresh: bool) -> None:
        payload: dict[str, Any] | None = None
        if use_refresh and self._refresh:
            try:
                self.grants.append("refresh_token")
                payload = fetch_token({"grant_type": "refresh_token", "client_id": self.client_id,
                                       "client_secret": self._client_secret, "refresh_token": self._refresh})
            except AuthenticationError:
                log.info("OAuth refresh token refused; requesting a new token with the password grant")
                self._refresh = None
        if payload is None:
            self.grants.append("password")
            payload = fetch_token({"grant_type": "password", "client_id": self.client_id,
                                   "client_secret": self._client_secret, "username": self.user,
                                   "password": self._password})
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise AuthenticationError("OAuth token response has no access_token", instance="")
        try:
            lifetime = float(payload.get("expires_in") or 1800)
        except (TypeError, ValueError):
            lifetime = 1800.0
        self._access = access
        self._refresh = payload.get("refresh_token") or self._refresh
        self._expires_at = now + lifetime - min(self.refresh_margin_s, lifetime * 0.1)

    def __repr__(self) -> str:
        return (f"OAuthPasswordGrant(client_id={self.client_id!r}, client_secret=<redacted>, "
                f"user={self.user!r}, password=<redacted>)")


Auth = BasicAuth | OAuthPasswordGrant


DEFAULT_AUTH_PREFIX = "SERVICENOW"
CREDENTIAL_NAMES = ("USER", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET")


def auth_from_credentials(user: str | None, password: str | None, client_id: str | None = None,
                          client_secret: str | None = None, *, prefix: str = DEFAULT_AUTH_PREFIX,
                          owner: str = "") -> Auth:
    """Basic auth, or OAuth when a client id and secret are given too.

    ``prefix`` is the variable prefix the values were configured under (``ACME_PROD`` for
    ``ACME_PROD_USER``, ...): what is missing is named by its real variable name, so the
    message says what to set. ``owner`` (an instance name) starts the message.
    """
    who = f"instance {owner}: " if owner else ""
    names = {key: f"{prefix}_{key}" for key in CREDENTIAL_NAMES}
    missing = [names[key] for key, value in (("USER", user), ("PASSWORD", password)) if not value]
    if missing:
        raise MissingCredentials(
            f"{who}ServiceNow credentials: {' and '.join(missing)} not set (basic auth needs {names['USER']} and "
            f"{names['PASSWORD']}; OAuth also needs {names['CLIENT_ID']} and {names['CLIENT_SECRET']})")
    assert user is not None and password is not None
    if client_id or client_secret:
        if not client_id or not client_secret:
            absent = names["CLIENT_ID"] if not client_id else names["CLIENT_SECRET"]
            raise MissingCredentials(f"{who}ServiceNow OAuth credentials: {absent} not set "
                                     f"(OAuth needs both {names['CLIENT_ID']} and {names['CLIENT_SECRET']})")
        return OAuthPasswordGrant(client_id, client_secret, user, password)
    return BasicAuth(user, password)


def auth_from_env(env: Mapping[str, str] | None = None, *, prefix: str = DEFAULT_AUTH_PREFIX,
                  owner: str = "") -> Auth:
    """Credentials from ``<prefix>_USER``, ``_PASSWORD`` (+ ``_CLIENT_ID``, ``_CLIENT_SECRET`` for OAuth).

    For the standalone path (a script or the library used without Dagster); the Dagster
    code location passes credentials it read at launch through ``EnvVar`` instead.
    """
    env = os.environ if env is None else env
    values = [env.get(f"{prefix}_{key}") or None for key in CREDENTIAL_NAMES]
    return auth_from_credentials(*values, prefix=prefix, owner=owner)


# --------------------------------------------------------------------------------------- queries


def _check_value(value: str) -> str:
    if "^" in value:  # would split the encoded query; sys_ids and timestamps never contain it
        raise BadInput(f"keyset value {value!r} contains '^'")
    return value


def keyset_query(after: Sequence[str] | None, keys: Sequence[str] = KEYSET) -> str:
    """The encoded query for "rows after ``after`` in ``keys`` order".

    For keys ``(a, b)`` and position ``(A, B)``: ``a>A^NQa=A^b>B^ORDERBYa^ORDERBYb``. ``^NQ``
    starts a new OR-ed query; the ORDERBY terms are query-wide (the platform gathers them
    wherever they stand), so one trailing set orders the union of both branches. The first
    page has no condition, only the ORDERBYs.
    """
    order = "^".join(f"ORDERBY{k}" for k in keys)
    if after is None:
        return order
    if len(after) != len(keys):
        raise BadInput(f"cursor {tuple(after)!r} does not match keyset {tuple(keys)!r}")
    branches = []
    for i, key in enumerate(keys):
        equal = [f"{keys[j]}={_check_value(after[j])}" for j in range(i)]
        branches.append("^".join([*equal, f"{key}>{_check_value(after[i])}"]))
    return "^NQ".join(branches) + "^" + order


# --------------------------------------------------------------------------------------- client


@dataclass
class ClientStats:
    """What a client has done so far (every HTTP attempt counts as a request)."""

    requests: int = 0
    retries: int = 0
    rows: int = 0
    seconds: float = 0.0
    asleep_waits: int = 0  # retries after an HTML (non-JSON) answer, counted in retries too
    asleep_seconds: float = 0.0  # time spent waiting on them

    def snapshot(self) -> ClientStats:
        return dataclasses.replace(self)


@dataclass(frozen=True)
class Page:
    """One page of a keyset listing; ``cursor`` is its last row's key (where the next page starts)."""

    rows: list[dict[str, Any]]
    cursor: tuple[str, ...]
    total: int | None = None  # X-Total-Count of the whole remaining query, when sent


def _instance_label(base_url: str) -> str:
    """The instance URL without any user info, for messages."""
    url = httpx.URL(base_url)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a (possibly fractional) number or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _reference_value(value: Any) -> Any:
    """Reference fields arrive as a sys_id, or as ``{"link", "value"}`` when links are not excluded."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


class TableAPIClient:
    """Synchronous Table API client with retries, a rate limit and keyset paging.

    ``sleep`` and ``clock`` are injectable so tests run backoff and rate limits without
    waiting; ``rng`` makes the jitter reproducible. ``max_asleep_wait_s`` bounds the total
    wait on HTML answers per request (0: fail on the first one); those waits start at
    ``asleep_backoff_base_s`` and double up to ``asleep_backoff_cap_s``.
    """

    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        page_size: int = 1000,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        rate_limit_per_s: float | None = 20.0,
        listing_page_size: int | None = None,
        transport: httpx.BaseTransport | None = None,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_asleep_wait_s: float = MAX_ASLEEP_WAIT_S,
        asleep_backoff_base_s: float = ASLEEP_BACKOFF_BASE_S,
        asleep_backoff_cap_s: float = ASLEEP_BACKOFF_CAP_S,
    ):
        if page_size < 1:
            raise BadInput("page_size must be at least 1")
        if max_retries < 0:
            raise BadInput("max_retries must be >= 0")
        if rate_limit_per_s is not None and rate_limit_per_s <= 0:
            raise BadInput("rate_limit_per_s must be positive (or None for no limit)")
        if max_asleep_wait_s < 0 or asleep_backoff_base_s <= 0 or asleep_backoff_cap_s < asleep_backoff_base_s:
            raise BadInput("max_asleep_wait_s must be >= 0 and 0 < asleep_backoff_base_s <= asleep_backoff_cap_s")
        self.base_url = str(base_url).rstrip("/")
        self.instance = _instance_label(self.base_url)
        self.auth = auth
        self.page_size = page_size
        self.listing_page_size = listing_page_size or min(10_000, max(page_size, page_size * 5))
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rate_limit_per_s = rate_limit_per_s
        self.progress = progress
        self.max_asleep_wait_s = max_asleep_wait_s
        self.asleep_backoff_base_s = asleep_backoff_base_s
        self.asleep_backoff_cap_s = asleep_backoff_cap_s
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._interval = 1.0 / rate_limit_per_s if rate_limit_per_s else 0.0
        self._next_slot = -math.inf
        self._lock = threading.Lock()
        self._depth = 0
        self.stats = ClientStats()
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout), transport=transport,
                                  follow_redirects=False, headers={"Accept": "application/json"})

    # -- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TableAPIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TableAPIClient({self.instance!r}, auth={self.auth!r}, page_size={self.page_size})"

    # -- pacing

    def _throttle(self) -> None:
        """Space requests at least ``1/rate`` apart (all requests of this client, retries too)."""
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            wait = self._next_slot - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
            self._next_slot = max(now, self._next_slot) + self._interval

    def _backoff(self, retry: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**retry)] so clients do not retry in step."""
        return self._rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * (2 ** min(retry, 30))))

    def _asleep_delay(self, attempt: int, waited: float) -> float:
        """The next wait after an HTML answer: doubling from the base to the cap, never past the budget.

        No jitter: the instance wakes when it wakes, and these waits are seconds, not milliseconds.
        0 means the budget is spent.
        """
        step = min(self.asleep_backoff_cap_s, self.asleep_backoff_base_s * (2 ** min(attempt, 30)))
        return max(0.0, min(step, self.max_asleep_wait_s - waited))

    # -- one logical request

    def _fetch_token(self, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type", "?")
        payload, _ = self._request("POST", TOKEN_PATH, what=f"OAuth token request (grant_type={grant})",
                                   data=form, authorize=False, expect_result=False)
        if "access_token" not in payload:
            raise AuthenticationError(f"{self.instance}: OAuth token response has no access_token",
                                      instance=self.instance)
        return payload

    def _error_detail(self, response: httpx.Response) -> str:
        """The platform's own short error text (``error.message``), never request data."""
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            return ""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            text = str(error.get("message") or "")
        elif isinstance(error, str):  # OAuth errors: {"error": "...", "error_description": "..."}
            text = f"{error} {body.get('error_description') or ''}".strip()
        else:
            text = ""
        return text[:200]

    def _request(self, method: str, path: str, *, what: str, table: str | None = None,
                 params: dict[str, str] | None = None, data: dict[str, str] | None = None,
                 authorize: bool = True, expect_result: bool = True) -> tuple[dict[str, Any], httpx.Headers]:
        """Send one logical request, retrying what is transient; return the JSON body and headers.

        The loop is bounded: at most ``max_retries`` retries of errors, retries of HTML answers
        until ``max_asleep_wait_s`` of waiting is spent, and one extra attempt after a token
        refresh.
        """
        outermost = self._depth == 0  # a token fetch inside a request must not count its time twice
        self._depth += 1
        started = self._clock()
        retries = 0
        asleep_attempts = 0
        asleep_waited = 0.0
        auth_retry_used = False
        try:
            while True:
                self._throttle()
                headers: dict[str, str] = {}
                if authorize:
                    headers["Authorization"] = self.auth.authorization(self._fetch_token, self._clock())
                self.stats.requests += 1
                last_status: int | None = None
                try:
                    response = self._http.request(method, path, params=params, data=data, headers=headers)
                except RETRYABLE_ERRORS as exc:
                    reason = type(exc).__name__
                    delay = self._backoff(retries)
                else:
                    status = last_status = response.status_code
                    if status == 401 and authorize and not auth_retry_used and self.auth.invalidate():
                        auth_retry_used = True
                        log.info("%s: %s answered 401; refreshing the token and trying once more",
                                 self.instance, what)
                        continue
                    if status == 429:
                        reason = "HTTP 429 (rate limited)"
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        delay = retry_after if retry_after is not None else self._backoff(retries)
                    elif status >= 500:
                        reason = f"HTTP {status}"
                        delay = self._backoff(retries)
                    elif status >= 300:
                        self._raise_final(response, what, table, authorize)
                    else:
                        body, shape = self._decode(response, expect_result)
                        if body is not None:
                            return body, response.headers
                        if shape is not None:  # HTML (or JSON that is not the Table API's): asleep
                            delay = self._asleep_delay(asleep_attempts, asleep_waited)
                            if delay <= 0:
                                self._raise_asleep(response, what, table, shape, asleep_waited)
                            asleep_attempts += 1
                            asleep_waited += delay
                            self._wait_asleep(what, shape, delay, asleep_waited)
                            continue
                        reason = "undecodable JSON body"
                        delay = self._backoff(retries)
                if retries >= self.max_retries:
                    raise TableAPIError(
                        f"{self.instance}: {what} failed after {retries + 1} attempts (last: {reason})",
                        instance=self.instance, table=table, status=last_status)
                retries += 1
                self.stats.retries += 1
                log.warning("%s: %s: %s; retry %d/%d in %.2fs", self.instance, what, reason, retries,
                            self.max_retries, delay)
                if delay > 0:
                    self._sleep(delay)
        finally:
            self._depth -= 1
            if outermost:
                self.stats.seconds += self._clock() - started

    def _raise_final(self, response: httpx.Response, what: str, table: str | None, authorize: bool) -> NoReturn:
        status = response.status_code
        detail = self._error_detail(response)
        suffix = f": {detail}" if detail else ""
        hints = {401: " (credentials refused)", 403: " (not allowed: check the user's roles and ACLs)",
                 404: " (not found)"}
        message = f"{self.instance}: {what} failed with HTTP {status}{hints.get(status, '')}{suffix}"
        cls = AuthenticationError if status == 401 or (not authorize and status in (400, 401, 403)) else TableAPIError
        raise cls(message, instance=self.instance, table=table, status=status)

    def _decode(self, response: httpx.Response, expect_result: bool) -> tuple[dict[str, Any] | None, str | None]:
        """(JSON body, None); (None, None) when the JSON is damaged (worth a retry); or (None,
        what came instead) when the answer is not Table API JSON at all: an HTML page, or JSON
        without a ``result``, as from a proxy or an instance that is asleep or waking up."""
        content_type = response.headers.get("Content-Type", "").lower()
        body: Any = None
        if "html" not in content_type and response.content.lstrip()[:1] != b"<":
            try:
                body = json.loads(response.content)
            except (ValueError, UnicodeDecodeError):
                return None, None
            if isinstance(body, dict) and (not expect_result or "result" in body):
                return body, None
        return None, "an HTML page" if body is None else "JSON without a 'result'"

    def _wait_asleep(self, what: str, shape: str, delay: float, waited: float) -> None:
        self.stats.retries += 1
        self.stats.asleep_waits += 1
        self.stats.asleep_seconds += delay
        message = (f"{self.instance}: instance asleep, waiting {delay:.0f} s ({waited:.0f} of at most "
                   f"{self.max_asleep_wait_s:.0f} s): {what} got {shape} instead of JSON")
        log.warning(message)
        if self.progress is not None:
            self.progress(message)
        self._sleep(delay)

    def _raise_asleep(self, response: httpx.Response, what: str, table: str | None, shape: str,
                      waited: float) -> NoReturn:
        after = f" (still so after waiting {waited:.0f} s)" if waited else ""
        raise InstanceAsleep(
            f"{self.instance} answered {what} with {shape} instead of Table API JSON (status "
            f"{response.status_code}){after}: the instance is probably hibernating. Wake it (sign in to the "
            "developer portal and open the instance), then retry; a sync resumes where it stopped.",
            instance=self.instance, table=table, status=response.status_code)

    # -- listings

    def _keyset_pages(self, table: str, fields: Sequence[str], keys: Sequence[str],
                      after: Sequence[str] | None, max_pages: int, page_size: int) -> Iterator[Page]:
        cursor: tuple[str, ...] | None = tuple(after) if after is not None else None
        started = self._clock()
        retries_before = self.stats.retries
        rows_seen = 0
        what = f"GET table {table}"
        for _ in range(max_pages):
            params = {
                "sysparm_fields": ",".join(fields),
                "sysparm_display_value": "false",
                "sysparm_exclude_reference_link": "true",
                "sysparm_limit": str(page_size),
                "sysparm_query": keyset_query(cursor, keys),
            }
            body, headers = self._request("GET", f"{TABLE_PATH}{table}", what=what, table=table, params=params)
            rows = body.get("result")
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TableAPIError(f"{self.instance}: {what}: 'result' is not a list of records",
                                    instance=self.instance, table=table)
            if not rows:
                return
            previous = cursor
            for row in rows:
                key = tuple(str(_reference_value(row.get(k)) or "") for k in keys)
                if not all(key):
                    raise TableAPIError(f"{self.instance}: {what}: a row lacks {'/'.join(keys)}; keyset "
                                        "paging needs them", instance=self.instance, table=table)
                if previous is not None and key <= previous:
                    # The instance ignored the keyset condition or the order: paging on would
                    # loop or skip rows, so stop loudly.
                    raise TableAPIError(f"{self.instance}: {what}: rows out of keyset order ({key} after "
                                        f"{previous}); the query was not honoured", instance=self.instance,
                                        table=table)
                previous = key
            cursor = previous
            rows_seen += len(rows)
            self.stats.rows += len(rows)
            if self.progress is not None:
                elapsed = max(self._clock() - started, 1e-9)
                self.progress(f"{table}: {rows_seen} rows, {rows_seen / elapsed:.0f}/s, "
                              f"{self.stats.retries - retries_before} retries")
            total = headers.get("X-Total-Count", "")
            yield Page(rows=rows, cursor=cursor, total=int(total) if total.isdigit() else None)
        raise TableAPIError(f"{self.instance}: {what}: more than {max_pages} pages; stopping",
                            instance=self.instance, table=table)

    def iter_pages(self, table: str, fields: Iterable[str], *, after: Cursor | Sequence[str] | None = None,
                   max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[Page]:
        """Pages of ``table`` after ``after`` in ``(sys_updated_on, sys_id)`` order.

        Callers that persist progress save ``page.cursor`` once a page is fully processed.
        """
        wanted = list(dict.fromkeys([*fields, *KEYSET]))
        return self._keyset_pages(table, wanted, KEYSET, after, max_pages, self.page_size)

    def iter_table(self, table: str, fields: Iterable[str], *, after: Cursor | None = None) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` after ``after``, oldest change first; reference fields as sys_ids."""
        for page in self.iter_pages(table, fields, after=after):
            yield from page.rows

    def list_sys_ids(self, table: str, *, page_size: int | None = None,
                     max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[str]:
        """All sys_ids of ``table`` (keyset on ``sys_id``): deletions show up only this way.

        A sys_id-only row is ~50 bytes, so pages default to ``listing_page_size`` (five times
        the row page size, at most 10,000): fewer requests for a listing done every sync.
        """
        size = page_size or self.listing_page_size
        for page in self._keyset_pages(table, ["sys_id"], ("sys_id",), None, max_pages, size):
            for row in page.rows:
                yield str(row["sys_id"])
