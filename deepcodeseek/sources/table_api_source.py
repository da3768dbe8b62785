"""A configured live instance as a source: credentials from the environment, incremental sync.

The sync keeps its cursors (``sync_state.json``) and the instance's current records
(``table_api_records.jsonl.gz``) in the instance's folder, so each run fetches only what
changed since the last one and resumes where an interrupted one stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from deepcodeseek.paths import InstancePaths
from deepcodeseek.sources.records import ReadResult
from deepcodeseek.sources.registry import InstanceConfig
from deepcodeseek.sources.table_api import TableAPIClient, auth_from_env, sync_instance

STANDARD_PREFIX = "SERVICENOW"
CREDENTIALS = ("USER", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET")


def credentials_env(prefix: str) -> dict[str, str]:
    """The instance's credential variables under the standard names the client reads."""
    return {f"{STANDARD_PREFIX}_{name}": os.environ[f"{prefix}_{name}"]
            for name in CREDENTIALS if os.environ.get(f"{prefix}_{name}")}


def sync_configured_instance(config: InstanceConfig, paths: InstancePaths,
                             progress: Callable[[str], None] | None = None) -> ReadResult:
    auth = auth_from_env(credentials_env(config.auth_env_prefix))
    paths.root.mkdir(parents=True, exist_ok=True)
    with TableAPIClient(config.url, auth, progress=progress) as client:
        result = sync_instance(client, paths.root / "sync_state.json", paths.root / "table_api_records.jsonl.gz")
    if progress:
        progress(f"sync of {config.name}: {result.fetched} rows fetched, {result.changed} changed, "
                 f"{len(result.deleted)} deleted, {result.requests} requests, {result.retries} retries, "
                 f"{result.seconds:.1f} s")
    return result.read
