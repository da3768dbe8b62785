"""Starting the service: HTTP (uvicorn) for ``deepcodeseek serve``, stdio MCP for ``deepcodeseek mcp``.

Logs go to stderr (stdout is the MCP channel over stdio). Neither logs request headers,
so a bearer token never reaches a log.
"""

from __future__ import annotations

import logging
import sys

from deepcodeseek.service.settings import ServiceSettings
from deepcodeseek.threads import one_thread_per_query

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


def serve_http(settings: ServiceSettings) -> None:
    """Serve until interrupted; instances load in the background (``/readyz`` says when).

    With ``settings.processes`` above 1, this process only serves HTTP and MCP, and that many query
    processes (``service.runners.QueryProcesses``) each load the index and rank the requests that
    it hands them.
    """
    import uvicorn

    from deepcodeseek.service.app import create_app

    configure_logging()
    log.info("serving %s on http://%s:%d (auth %s, %d query process%s)", ", ".join(settings.instances),
             settings.host, settings.port, "on" if settings.token else "off", settings.processes,
             "" if settings.processes == 1 else "es")
    few_malloc_arenas()
    if settings.processes == 1:
        one_thread_per_query()  # query processes set their own
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=10)


def serve_mcp_stdio(instance: str, home: str | None = None, poll_seconds: float = 2.0) -> None:
    """Serve one instance's MCP tools over stdio, its index loaded before the first message is read."""
    from deepcodeseek.service.instances import InstancePool
    from deepcodeseek.service.mcp_tools import build_mcp_server
    from deepcodeseek.service.metrics import ServiceMetrics
    from deepcodeseek.service.runners import QueryThreads

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
        build_mcp_server(QueryThreads(pool, ServiceSettings([instance]).query_threads, ServiceMetrics())).run()
    finally:
        pool.stop()
