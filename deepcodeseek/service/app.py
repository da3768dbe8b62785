"""The HTTP API (FastAPI): retrieval, instances, health, readiness, metrics, and MCP at ``/mcp``.

Every refusal is JSON ``{"error": {"code", "message", "field"}}`` with a 4xx status that
names what to fix; bad input never reaches the ranking as an exception, so it never
becomes a 500. Bodies are read with a size cap before they are parsed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from deepcodeseek.service.instances import InstanceNotReady, InstancePool, UnknownInstance
from deepcodeseek.service.mcp_tools import build_mcp_server
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.queries import BadRequest, checked_method
from deepcodeseek.service.runners import QueryProcesses, QueryProcessLost, QueryThreads
from deepcodeseek.service.schemas import BatchRequest, RetrieveRequest
from deepcodeseek.service.settings import MAX_BODY_BYTES, ServiceSettings

log = logging.getLogger("deepcodeseek.service")
OPEN_PATHS = frozenset({"/healthz"})  # everything else needs the token when one is set


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


class BearerAuth:
    """ASGI middleware: ``Authorization: Bearer <token>`` on every route but /healthz (MCP included).

    The token is compared in constant time and never logged or echoed.
    """

    def __init__(self, app, token: str, metrics: ServiceMetrics):
        self.app, self._expected, self.metrics = app, f"Bearer {token}".encode(), metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if secrets.compare_digest(given, self._expected):
            return await self.app(scope, receive, send)
        self.metrics.errors.labels(_route_label(scope["path"]), "unauthorized").inc()
        message = "missing bearer token" if not given else "invalid bearer token"
        response = JSONResponse(error_body("unauthorized", message, "Authorization"), status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)


class RequestCounter:
    """ASGI middleware: requests by route and status (pure ASGI: no buffering of streamed MCP replies)."""

    def __init__(self, app, metrics: ServiceMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = {"code": 500}

        async def send_counted(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            self.metrics.requests.labels(_route_label(scope["path"]), str(status["code"])).inc()


def _route_label(path: str) -> str:
    """Bounded label values: the known routes, everything else as 'other'."""
    known = ("/v1/retrieve/batch", "/v1/retrieve", "/v1/instances", "/healthz", "/readyz", "/metrics", "/mcp")
    return next((k for k in known if path == k or path.startswith(k + "/")), "other")


async def read_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """Parse a JSON body into ``model``, refusing more than ``MAX_BODY_BYTES`` before reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadRequest(f"body of {declared} bytes is over the limit of {MAX_BODY_BYTES}", "body", 413, "body_too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(f"body is over the limit of {MAX_BODY_BYTES} bytes", "body", 413, "body_too_large")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not JSON ({exc})", "body", 400, "not_json") from None
    except RecursionError:
        raise BadRequest("body is nested too deeply to be a request", "body", 400, "not_json") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object", "body", 400, "not_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> BadRequest:
    """The first problem, named by its field path (``k``, ``queries.2.code_before``)."""
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if message.startswith("no code"):
        loc.append("code_before")
    field = ".".join(loc) or "body"
    if first.get("type") == "extra_forbidden":
        message = "unknown field"
    return BadRequest(f"{field}: {message}", field)


def make_runner(settings: ServiceSettings, metrics: ServiceMetrics,
                pool: InstancePool | None = None) -> QueryThreads | QueryProcesses:
    """Query threads beside this process's loaded index, or ``settings.processes`` query processes."""
    if settings.processes > 1:
        if pool is not None:
            raise ValueError("query processes load their own indexes: pass no pool with processes > 1")
        return QueryProcesses(settings, metrics, settings.processes)
    pool = pool or InstancePool(settings.instances, settings.home, settings.poll_seconds, settings.retry_seconds,
                                on_load=metrics.on_load)
    return QueryThreads(pool, settings.query_threads, metrics)


def create_app(settings: ServiceSettings, pool: InstancePool | None = None,
               metrics: ServiceMetrics | None = None) -> FastAPI:
    """The service's ASGI app. Its lifespan starts the queries' runner (and MCP's session manager)."""
    metrics = metrics or ServiceMetrics()
    runner = make_runner(settings, metrics, pool)
    mcp = build_mcp_server(runner) if settings.mcp else None
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                      host=settings.host) if mcp else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        runner.start()
        try:
            if mcp is not None:
                async with mcp.session_manager.run():
                    yield
            else:
                yield
        finally:
            runner.stop()

    app = FastAPI(title="DeepCodeSeek", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runner, app.state.metrics, app.state.settings, app.state.mcp = runner, metrics, settings, mcp
    app.state.pool = getattr(runner, "pool", None)  # this process's loaded versions (query threads only)
    if mcp_app is not None:
        app.router.routes.extend(mcp_app.routes)

    if settings.token:
        app.add_middleware(BearerAuth, token=settings.token, metrics=metrics)
    app.add_middleware(RequestCounter, metrics=metrics)  # outermost: refusals by the token check count too

    def refuse(request: Request, status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
        metrics.errors.labels(_route_label(request.url.path), code).inc()
        return JSONResponse(error_body(code, message, field), status_code=status)

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, exc: BadRequest):
        return refuse(request, exc.status, exc.code, str(exc), exc.field)

    @app.exception_handler(UnknownInstance)
    async def _unknown_instance(request: Request, exc: UnknownInstance):
        return refuse(request, 404, "unknown_instance", str(exc), "instance")

    @app.exception_handler(InstanceNotReady)
    async def _not_ready(request: Request, exc: InstanceNotReady):
        return refuse(request, 503, "not_ready", str(exc), "instance")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        first = (exc.errors() or [{}])[0]
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query")) or "body"
        return refuse(request, 422, "invalid_request", f"{field}: {first.get('msg', 'invalid')}", field)

    @app.exception_handler(QueryProcessLost)
    async def _lost(request: Request, exc: QueryProcessLost):
        return refuse(request, 503, "query_process_lost", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return refuse(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):  # a defect, not bad input: logged, answered as JSON
        log.exception("unhandled error on %s", request.url.path)
        return refuse(request, 500, "internal_error", f"{type(exc).__name__} (logged by the service)")

    def output_format(request: Request, body_format: str) -> str:
        fmt = request.query_params.get("format", body_format)
        if fmt not in ("json", "prompt"):
            raise BadRequest(f"format must be json or prompt (got {fmt!r})", "format")
        return fmt

    @app.post("/v1/retrieve")
    async def retrieve(request: Request):
        req: RetrieveRequest = await read_body(request, RetrieveRequest)
        payload = {**req.model_dump(), "format": output_format(request, req.format), "method": checked_method(req.method)}
        return JSONResponse(await runner.call("retrieve", payload))  # plain JSON types already

    @app.post("/v1/retrieve/batch")
    async def retrieve_batch(request: Request):
        req: BatchRequest = await read_body(request, BatchRequest)
        payload = {**req.model_dump(), "format": output_format(request, req.format), "method": checked_method(req.method)}
        return JSONResponse(await runner.call("batch", payload))

    @app.get("/v1/instances")
    async def instances():
        return {"instances": served_instances(await runner.statuses(), runner.count)}

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz():
        body = readiness(await runner.statuses(), runner.names, runner.count)
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics")
    async def prometheus_metrics():
        ready = readiness(await runner.statuses(), runner.names, runner.count)["ready"]  # also counts their news
        return Response(metrics.exposition(ready), media_type=metrics.content_type)

    app.state.started_at = time.time()
    return app


def readiness(statuses: list[dict], names: list[str], processes: int) -> dict:
    """``/readyz``: ready once every process has every instance loaded; what waits, and why."""
    loaded = [{e["instance"] for e in status["instances"] if e["ready"]} for status in statuses]
    waiting = [name for name in names if len(loaded) < processes or any(name not in done for done in loaded)]
    errors = {e["instance"]: e["last_load_error"]["error"]
              for status in statuses for e in status["instances"] if e["last_load_error"]}
    body = {"ready": not waiting, "waiting": waiting, "errors": errors}
    if processes > 1:
        body["processes"] = {"ready": sum(1 for status in statuses if status["ready"]), "of": processes}
    return body


def served_instances(statuses: list[dict], processes: int) -> list[dict]:
    """``/v1/instances``: each instance as the first process that has it loaded serves it; with
    several processes, each one's version too (they follow the published version on their own)."""
    by_name: dict[str, dict] = {}
    for status in statuses:
        for entry in status["instances"]:
            kept = by_name.get(entry["instance"])
            if kept is None or (entry["ready"] and not kept["ready"]):
                by_name[entry["instance"]] = dict(entry)
    if processes > 1:
        for name, entry in by_name.items():
            entry["processes"] = [{"pid": status.get("pid"), **next(
                ({"ready": e["ready"], "version": e.get("version")} for e in status["instances"] if e["instance"] == name),
                {"ready": False, "version": None})} for status in statuses]
    return list(by_name.values())
