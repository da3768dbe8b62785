"""Several server processes on one port (``deepcodeseek serve --processes N``): what they share.

One Python process answers at most about 170 queries a second on 2 cores, however many threads it
runs: most of a query holds the GIL. N processes behind one listening socket (uvicorn's workers)
each hold their own loaded index and follow the published version on their own, as replicas do.
They share one folder, made by the parent: prometheus_client's multiprocess files (so a scrape of
any worker counts every worker's requests) and a marker per worker that has every instance loaded
(so ``/readyz`` answers ready only once all of them are).
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "DEEPCODESEEK_SERVICE_STATE"
MARKER = "ready-"


class ProcessReadiness:
    """This worker's readiness marker, and whether every worker of the service has one."""

    def __init__(self, folder: str | Path | None, processes: int):
        self.folder = Path(folder) if folder else None
        self.processes = max(1, processes)

    @classmethod
    def from_env(cls, processes: int) -> "ProcessReadiness":
        return cls(os.environ.get(STATE_ENV) if processes > 1 else None, processes)

    def mark(self, ready: bool) -> None:
        if self.folder is None:
            return
        marker = self.folder / f"{MARKER}{os.getpid()}"
        if ready:
            marker.touch()
        else:
            marker.unlink(missing_ok=True)

    def ready_processes(self) -> int:
        """Workers alive with every instance loaded (a worker that died leaves a marker of a dead pid)."""
        if self.folder is None:
            return 1
        return sum(1 for m in self.folder.glob(f"{MARKER}*") if _alive(m.name[len(MARKER):]))

    def all_ready(self) -> bool:
        return self.ready_processes() >= self.processes


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
