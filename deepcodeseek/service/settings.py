"""What a service process serves and the limits it enforces, from the command line and the environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

TOKEN_ENV = "DEEPCODESEEK_API_TOKEN"
WORKER_SETTINGS_ENV = "DEEPCODESEEK_SERVICE_SETTINGS"  # what ``serve --processes N`` hands its workers
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
    processes: int = 1  # server processes on one port, each with its own loaded index (a GIL each)

    @classmethod
    def from_env(cls, instances: list[str], **overrides) -> "ServiceSettings":
        """Settings whose token comes from ``DEEPCODESEEK_API_TOKEN`` (unset or empty: no auth)."""
        token = os.environ.get(TOKEN_ENV) or None
        return cls(instances=instances, token=token, **overrides)

    def worker_env(self) -> str:
        """These settings for a worker process, as JSON: without the token, which each worker reads
        from its own environment (it is never written anywhere)."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "token"})

    @classmethod
    def from_worker_env(cls) -> "ServiceSettings":
        raw = os.environ.get(WORKER_SETTINGS_ENV)
        if not raw:
            raise RuntimeError(f"{WORKER_SETTINGS_ENV} is not set: a worker is started by 'deepcodeseek serve --processes N'")
        return cls.from_env(**json.loads(raw))

    @property
    def query_threads(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)
