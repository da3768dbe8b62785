"""Where a request's ranking runs: on query threads of the serving process, or in query processes.

Ranking is CPU work, and most of a query holds the GIL: one Python process answers one query at a
time, however many threads it runs. With the light query encoders, a query is almost all
Python, so on 2 cores one process used little more than one core, and 4 clients waited on each
other (4-client p50 about four times the CPU per query).

:class:`QueryThreads` (``serve --processes 1``) runs the handlers on at most one thread per core
of this process, beside its one loaded index: the least memory. :class:`QueryProcesses`
(``--processes N``) keeps N query processes, each with its own loaded index, and hands each
request to one that is idle: the serving process only parses HTTP and MCP, so N queries rank at
once and a request never waits behind another while a process is free. Keep-alive connections
do not matter: unlike N servers on one port, every connection reaches every process.

Both expose the same coroutine, ``call(op, payload)`` with an op of ``queries.HANDLERS``, and
``statuses()``, one status per process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import anyio

from deepcodeseek.service.instances import InstancePool
from deepcodeseek.service.metrics import ServiceMetrics
from deepcodeseek.service.queries import CALLER_ERRORS, HANDLERS, BadRequest, pool_status
from deepcodeseek.service import query_process
from deepcodeseek.service.query_process import START, STATUS
from deepcodeseek.service.settings import ServiceSettings

log = logging.getLogger("deepcodeseek.service")

STATUS_TIMEOUT_S = 2.0  # a process still importing (or stuck) counts as not ready
IDLE_WAIT_S = 30.0  # a request waits this long for a free process (all of them starting again: 503)
RESTART_DELAY_S = 1.0  # before starting a process again that died soon after its start
QUICK_DEATH_S = 10.0


class QueryProcessLost(RuntimeError):
    """A query process exited with a request in flight; the service starts another."""


class QueryThreads:
    """The handlers on at most ``threads`` threads of this process, over its own loaded versions."""

    count = 1  # processes that hold a loaded index

    def __init__(self, pool: InstancePool, threads: int, metrics: ServiceMetrics):
        self.pool, self.metrics = pool, metrics
        self.limiter = anyio.CapacityLimiter(threads)

    @property
    def names(self) -> list[str]:
        return self.pool.names

    def start(self) -> None:
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()

    async def call(self, op: str, payload: dict) -> dict:
        handler = HANDLERS[op]
        return await anyio.to_thread.run_sync(lambda: handler(self.pool, payload, self.metrics.observe_query),
                                              limiter=self.limiter)

    async def statuses(self) -> list[dict]:
        return [pool_status(self.pool)]


class Channel:
    """The serving process's end of one pipe: requests answered in order, read when readable.

    The event loop watches the pipe (``add_reader``), so waiting costs no thread. A request whose
    caller went away still has its reply read, so the next reply matches the next request.
    """

    def __init__(self, conn: Connection, loop: asyncio.AbstractEventLoop,
                 on_reply: Callable[[dict], None], on_lost: Callable[[], None]):
        self.conn, self.loop = conn, loop
        self.on_reply, self.on_lost = on_reply, on_lost
        self.pending: deque[asyncio.Future] = deque()
        self.open = True
        loop.add_reader(conn.fileno(), self._readable)

    def request(self, message: tuple) -> asyncio.Future:
        future = self.loop.create_future()
        if not self.open:
            future.set_exception(QueryProcessLost("the query process has exited"))
            return future
        self.pending.append(future)
        try:
            self.conn.send(message)
        except OSError:
            self.close()
        return future

    def _readable(self) -> None:
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            self.close()
            return
        future = self.pending.popleft()
        self.on_reply(reply)
        if not future.done():
            future.set_result(reply)

    def close(self) -> None:
        """Stop reading; fail what waits (the process exited, or the service stops)."""
        if not self.open:
            return
        self.open = False
        self.loop.remove_reader(self.conn.fileno())
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(QueryProcessLost("the query process exited with the request in flight"))
        self.conn.close()
        self.on_lost()


@dataclass
class QueryProcess:
    index: int
    process: multiprocessing.Process
    query: Channel | None = None
    control: Channel | None = None
    started_at: float = field(default_factory=time.monotonic)
    stopping: bool = False


class QueryProcesses:
    """N query processes (``query_process.main``), each request to an idle one."""

    def __init__(self, settings: ServiceSettings, metrics: ServiceMetrics, count: int):
        self.settings, self.metrics, self.count = settings, metrics, count
        self.workers: dict[int, QueryProcess] = {}
        self._idle: asyncio.Queue[QueryProcess] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
        self._stopping = False

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(self.settings.instances))

    def start(self) -> None:
        """Start the processes (in the event loop: their pipes are read by it); each loads on its own."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        self._stopping = False
        for index in range(self.count):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        query_here, query_there = self._context.Pipe()
        control_here, control_there = self._context.Pipe()
        settings = {"instances": self.names, "home": self.settings.home, "poll_seconds": self.settings.poll_seconds,
                    "retry_seconds": self.settings.retry_seconds}
        process = self._context.Process(target=query_process.main, args=(query_there, control_there, settings),
                                        name=f"deepcodeseek-query-{index}", daemon=True)
        process.start()
        query_there.close()
        control_there.close()
        worker = QueryProcess(index, process)
        worker.query = Channel(query_here, self._loop, lambda reply, w=worker: self._replied(w, reply),
                               lambda w=worker: self._lost(w))
        worker.control = Channel(control_here, self._loop, self._reported, lambda: None)
        self.workers[index] = worker
        worker.query.request((START, None))  # its reply puts the process in the idle queue
        log.info("query process %d started (pid %d)", index, process.pid)

    def _reported(self, reply: dict) -> None:
        self.metrics.apply(reply.get("observed") or [], reply.get("events") or [])

    def _replied(self, worker: QueryProcess, reply: dict) -> None:
        self._reported(reply)
        if not self._stopping and self.workers.get(worker.index) is worker:
            self._idle.put_nowait(worker)  # idle again, whether or not its caller still waits

    def _lost(self, worker: QueryProcess) -> None:
        """A process exited: start another in its place (after a pause if it died young)."""
        if worker.control is not None:
            worker.control.close()
        if self._stopping or worker.stopping or self.workers.get(worker.index) is not worker:
            return
        worker.process.join(0.5)
        log.warning("query process %d (pid %d) exited with code %s; starting another", worker.index,
                    worker.process.pid, worker.process.exitcode)
        young = time.monotonic() - worker.started_at < QUICK_DEATH_S
        self._loop.call_later(RESTART_DELAY_S if young else 0.0, self._respawn, worker)

    def _respawn(self, worker: QueryProcess) -> None:
        if not self._stopping and self.workers.get(worker.index) is worker:
            self._spawn(worker.index)

    async def call(self, op: str, payload: dict) -> dict:
        """``op`` on the first idle process. Every op only reads, so one whose process exited under it
        runs again on another, once per process at most."""
        for attempt in range(self.count + 1):
            try:
                worker = await asyncio.wait_for(self._idle.get(), IDLE_WAIT_S)
            except asyncio.TimeoutError:
                raise QueryProcessLost(f"no query process was free within {IDLE_WAIT_S:.0f} s") from None
            if not worker.query.open:
                continue  # exited while idle: its replacement joins the queue when it has loaded
            try:
                reply = await worker.query.request((op, payload))
            except QueryProcessLost:
                if attempt == self.count:
                    raise
                continue
            return unwrap(reply)
        raise QueryProcessLost("no query process answered")

    async def statuses(self) -> list[dict]:
        """Each process's status (a process that does not answer in time: not ready, no instances)."""

        async def one(worker: QueryProcess) -> dict:
            try:
                reply = await asyncio.wait_for(asyncio.shield(worker.control.request((STATUS, None))),
                                               STATUS_TIMEOUT_S)
                return {**unwrap(reply), "pid": worker.process.pid}
            except (QueryProcessLost, asyncio.TimeoutError):
                return {"ready": False, "instances": [], "pid": worker.process.pid}

        return list(await asyncio.gather(*(one(w) for w in list(self.workers.values()))))

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        workers = list(self.workers.values())
        for worker in workers:
            worker.stopping = True
            for channel in (worker.query, worker.control):
                if channel is not None:
                    channel.close()  # the process reads EOF and exits
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(2)
        self.workers.clear()


def unwrap(reply: dict) -> dict:
    """A reply's result, or its error raised as the exception the handler raised."""
    error = reply.get("error")
    if error is None:
        return reply["result"]
    kind, message = error["kind"], error["message"]
    if kind == "bad_request":
        raise BadRequest(message, error["field"], error["status"], error["code"])
    raise CALLER_ERRORS.get(kind, RuntimeError)(message)
