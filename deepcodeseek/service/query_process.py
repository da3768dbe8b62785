"""One query process of ``deepcodeseek serve --processes N``: a loaded index that answers over pipes.

The serving process parses HTTP and MCP; each query process holds its own
:class:`InstancePool` (its own loaded versions and watcher, as a replica does) and answers
one request at a time on its query pipe with :data:`queries.HANDLERS`. A second pipe, read
by a thread, answers status questions (readiness, versions) even while a query runs.

Every reply carries what the serving process keeps for the metrics: the queries ranked
(instance, method, seconds) and the loads since the last reply, so the service's one
registry counts every process without shared files.

Messages are tuples made of plain types (pickled by ``multiprocessing``): a request is
``(op, payload)``; a reply is a dict with ``result``, ``error``, ``observed`` and ``events``.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import deque
from multiprocessing.connection import Connection

log = logging.getLogger("deepcodeseek.service")

START, STATUS = "start", "status"  # the first request a process gets (load, then reply); a status question


def error_reply(exc: BaseException) -> dict:
    """An exception a handler raised, as data the serving process raises again (``runners.unwrap``)."""
    from deepcodeseek.service.queries import CALLER_ERRORS, BadRequest

    if isinstance(exc, BadRequest):
        return {"kind": "bad_request", "message": str(exc), "field": exc.field, "status": exc.status,
                "code": exc.code}
    kind = next((name for name, cls in CALLER_ERRORS.items() if isinstance(exc, cls)), "internal")
    message = str(exc) if kind != "internal" else f"{type(exc).__name__}: {exc}"
    return {"kind": kind, "message": message}


class Events:
    """Loads and failed loads since the last reply (appended by the watcher thread, drained by replies)."""

    def __init__(self):
        self._events: deque = deque()

    def on_load(self, instance: str, live, error) -> None:
        from deepcodeseek.service.metrics import served_entry

        if error is not None:
            self._events.append(("load_failure", instance))
        else:
            self._events.append(("load", instance, *served_entry(live)))

    def drain(self) -> list:
        out = []
        while self._events:
            out.append(self._events.popleft())
        return out


def main(query: Connection, control: Connection, settings: dict) -> None:
    """The process's life: answer status questions at once, load, then answer queries until the
    serving process closes the pipe or stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    from deepcodeseek.service.run import configure_logging, few_malloc_arenas
    from deepcodeseek.threads import one_thread_per_query

    configure_logging()
    few_malloc_arenas()
    one_thread_per_query()
    from deepcodeseek.service.instances import InstancePool
    from deepcodeseek.service.queries import HANDLERS

    events = Events()
    pool = InstancePool(settings["instances"], settings["home"], settings["poll_seconds"],
                        settings["retry_seconds"], on_load=events.on_load)
    threading.Thread(target=_answer_status, args=(control, pool, events), name="deepcodeseek-status",
                     daemon=True).start()
    while True:
        try:
            op, payload = query.recv()
        except (EOFError, OSError):
            break  # the serving process is gone or closed the pipe
        observed: list = []
        reply = {"result": None, "error": None, "observed": observed}
        try:
            if op == START:
                pool.refresh()  # load what is published now, then follow the pointer
                pool.start()
            else:
                reply["result"] = HANDLERS[op](pool, payload, lambda *seen: observed.append(seen))
        except Exception as exc:  # noqa: BLE001 - every failure goes back as data; the process stays up
            reply["error"] = error_reply(exc)
            if reply["error"]["kind"] == "internal":  # a defect, not the caller's input
                log.exception("query process: %s failed", op)
        reply["events"] = events.drain()
        try:
            query.send(reply)
        except (BrokenPipeError, OSError):
            break
    pool.stop()


def _answer_status(control: Connection, pool, events: Events) -> None:
    from deepcodeseek.service.queries import pool_status

    while True:
        try:
            control.recv()
            control.send({"result": pool_status(pool), "error": None, "observed": [], "events": events.drain()})
        except (EOFError, OSError):
            return
