"""Starting the service: HTTP (uvicorn) for ``deepcodeseek serve``, stdio MCP for ``deepcodeseek mcp``.

Logs go to stderr (stdout is the MCP channel over stdio). Neither logs request headers,
so a bearer token never reaches a log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile

from deepcodeseek.service.settings import WORKER_SETTINGS_ENV, ServiceSettings

log = logging.getLogger("deepcodeseek.service")


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("deepcodeseek")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def few_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread heaps: with a thread per request and a loader thread, each version
    swap otherwise leaves freed memory scattered over many arenas that are never handed back."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def one_thread_per_query() -> None:
    """Numerical libraries run each query on one thread: the service runs queries side by side
    (one per core), and a threaded BLAS or ONNX Runtime inside each of them only oversubscribes
    the cores."""
    from threadpoolctl import threadpool_limits

    from deepcodeseek.index.onnx_query_encoder import set_threads_per_query

    threadpool_limits(limits=1, user_api="blas")
    set_threads_per_query(1)


def serve_http(settings: ServiceSettings) -> None:
    """Serve until interrupted; instances load in the background (``/readyz`` says when).

    With ``settings.processes`` above 1, uvicorn's supervisor starts that many workers on one
    listening socket (restarting any that dies), each building its app from the settings this
    process hands down (:func:`worker_app`); see ``service.processes`` for what they share.
    """
    import uvicorn

    configure_logging()
    log.info("serving %s on http://%s:%d (auth %s, %d process%s)", ", ".join(settings.instances), settings.host,
             settings.port, "on" if settings.token else "off", settings.processes,
             "" if settings.processes == 1 else "es")
    options = {"host": settings.host, "port": settings.port, "log_level": "warning", "access_log": False,
               "timeout_graceful_shutdown": 10}
    if settings.processes <= 1:
        from deepcodeseek.service.app import create_app

        few_malloc_arenas()
        one_thread_per_query()
        uvicorn.run(create_app(settings), **options)
        return
    with shared_state() as folder:
        os.environ[WORKER_SETTINGS_ENV] = settings.worker_env()
        log.info("workers share %s (metrics, readiness)", folder)
        uvicorn.run("deepcodeseek.service.run:worker_app", factory=True, workers=settings.processes, **options)


@contextlib.contextmanager
def shared_state():
    """The workers' shared folder, named to them by the environment they inherit; removed at exit."""
    from deepcodeseek.service.metrics import MULTIPROCESS_ENV
    from deepcodeseek.service.processes import STATE_ENV

    saved = {k: os.environ.get(k) for k in (MULTIPROCESS_ENV, STATE_ENV)}
    with tempfile.TemporaryDirectory(prefix="deepcodeseek-serve-", ignore_cleanup_errors=True) as folder:
        os.environ[MULTIPROCESS_ENV] = os.environ[STATE_ENV] = folder
        try:
            yield folder
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def worker_app():
    """One worker of ``serve --processes N``: its app, from the settings its parent handed down."""
    from deepcodeseek.service.app import create_app

    configure_logging()
    few_malloc_arenas()
    one_thread_per_query()
    return create_app(ServiceSettings.from_worker_env())


def serve_mcp_stdio(instance: str, home: str | None = None, poll_seconds: float = 2.0) -> None:
    """Serve one instance's MCP tools over stdio, its index loaded before the first message is read."""
    from deepcodeseek.service.instances import InstancePool
    from deepcodeseek.service.mcp_tools import build_mcp_server
    from deepcodeseek.service.metrics import ServiceMetrics
    from deepcodeseek.service.queries import QueryRunner

    configure_logging(logging.WARNING)
    few_malloc_arenas()
    one_thread_per_query()
    pool = InstancePool([instance], home, poll_seconds)
    pool.refresh()  # load now: an agent's first call should not wait on a watcher
    slot = pool.slot(instance)
    if slot.live is None and slot.last_load_error is not None:
        log.warning("instance %s is not loaded yet: %s", instance, slot.last_load_error.error)
    pool.start()
    try:
        build_mcp_server(pool, QueryRunner(ServiceSettings([instance]).query_threads, ServiceMetrics())).run()
    finally:
        pool.stop()
