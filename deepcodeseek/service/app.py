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

from deepcodeseek.service.instances import InstanceNotReady, InstancePool, UnknownInstance, describe_slot
from deepcodeseek.service.mcp_tools import build_mcp_server
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.processes import ProcessReadiness
from deepcodeseek.service.queries import BadRequest, QueryRunner, answer, checked_method
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


def create_app(settings: ServiceSettings, pool: InstancePool | None = None,
               metrics: ServiceMetrics | None = None) -> FastAPI:
    """The service's ASGI app. Its lifespan starts the index watcher (and MCP's session manager)."""
    metrics = metrics or ServiceMetrics()
    readiness = ProcessReadiness.from_env(settings.processes)

    def on_load(instance: str, live, error) -> None:
        metrics.on_load(instance, live, error)
        readiness.mark(pool.ready)  # this worker's marker: /readyz waits for every worker's

    pool = pool or InstancePool(settings.instances, settings.home, settings.poll_seconds, settings.retry_seconds,
                                on_load=on_load)
    runner = QueryRunner(settings.query_threads, metrics)
    mcp = build_mcp_server(pool, runner) if settings.mcp else None
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                      host=settings.host) if mcp else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        pool.start()
        try:
            if mcp is not None:
                async with mcp.session_manager.run():
                    yield
            else:
                yield
        finally:
            pool.stop()

    app = FastAPI(title="DeepCodeSeek", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.pool, app.state.metrics, app.state.settings, app.state.mcp = pool, metrics, settings, mcp
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
        fmt, method = output_format(request, req.format), checked_method(req.method)
        live = pool.current(req.instance)  # this request's version, whatever a swap does meanwhile
        results = await runner.run(lambda: runner.rank(live, req.code_before, req.code_after, req.scope, req.k, method))
        return JSONResponse(answer(live, results, method, req.explain, fmt, req.token_budget))  # plain JSON types already

    @app.post("/v1/retrieve/batch")
    async def retrieve_batch(request: Request):
        req: BatchRequest = await read_body(request, BatchRequest)
        fmt, method = output_format(request, req.format), checked_method(req.method)
        live = pool.current(req.instance)

        def rank_all():
            return [runner.rank(live, q.code_before, q.code_after, q.scope, req.k, method) for q in req.queries]

        ranked = await runner.run(rank_all)
        items = []
        for i, (q, results) in enumerate(zip(req.queries, ranked), start=1):
            body = answer(live, results, method, req.explain, fmt, req.token_budget)
            items.append({"id": q.id if q.id is not None else i,
                          **{k: v for k, v in body.items() if k not in ("instance", "version", "method")}})
        return JSONResponse({"instance": live.instance, "version": live.version,
                             "method": method or live.retriever.default_method, "results": items})

    @app.get("/v1/instances")
    async def instances():
        return {"instances": [describe_slot(slot) for slot in pool.slots.values()]}

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    def all_ready() -> bool:
        return pool.ready and readiness.all_ready()

    @app.get("/readyz")
    async def readyz():
        waiting = [name for name, slot in pool.slots.items() if slot.live is None]
        body = {"ready": not waiting and readiness.all_ready(), "waiting": waiting,
                "errors": {n: s.last_load_error.error for n, s in pool.slots.items() if s.last_load_error}}
        if settings.processes > 1:
            body["processes"] = {"ready": readiness.ready_processes(), "of": settings.processes}
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics")
    async def prometheus_metrics():
        return Response(metrics.exposition(all_ready()), media_type=metrics.content_type)

    app.state.started_at = time.time()
    return app
