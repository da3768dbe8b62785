"""What a service process serves and the limits it enforces, from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

TOKEN_ENV = "DEEPCODESEEK_API_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700

MAX_BODY_BYTES = 1_048_576  # a request body; code around a cursor is kilobytes
MAX_CODE_CHARS = 200_000  # per code field; only the last lines reach the ranking anyway
MAX_K = 100
MAX_BATCH = 64  # queries per batch request
MAX_TOKEN_BUDGET = 8_192
DEFAULT_TOKEN_BUDGET = 512
MCP_MAX_K = 20
MCP_MAX_JSDOC_CHARS = 16_000  # describe_api: the full JSDoc of one namespace, bounded
# ``serve``'s query processes unless told: one per core, at most this many. On 2 cores two processes
# answered 4 clients at a p50 of 16 ms against 25 for one (README, "Query processes"), for twice the
# memory; each process holds its own index, so more cores get more only when asked.
DEFAULT_MAX_PROCESSES = 2


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, DEFAULT_MAX_PROCESSES))


@dataclass
class ServiceSettings:
    instances: list[str]
    home: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = field(default=None, repr=False)  # never printed
    poll_seconds: float = 2.0  # how often the watcher asks for the published version
    retry_seconds: float = 60.0  # a version that failed to load is tried again after this
    workers: int = 0  # threads that run queries at once in a process; 0: one per core
    mcp: bool = True  # serve MCP over streamable HTTP at /mcp
    processes: int = 1  # query processes, each with its own loaded index (a GIL each); 1: query threads here

    @classmethod
    def from_env(cls, instances: list[str], **overrides) -> "ServiceSettings":
        """Settings whose token comes from ``DEEPCODESEEK_API_TOKEN`` (unset or empty: no auth)."""
        token = os.environ.get(TOKEN_ENV) or None
        return cls(instances=instances, token=token, **overrides)

    @property
    def query_threads(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)
