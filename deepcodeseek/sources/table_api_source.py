"""A configured live instance as a source: incremental sync with the credentials it is given.

The sync keeps its cursors (``sync_state.json``) and the instance's current records
(``table_api_records.jsonl.gz``) in the instance's folder, so each run fetches only what
changed since the last one and resumes where an interrupted one stopped.

Credentials are an argument: the Dagster code location reads them at launch (``EnvVar``,
see ``assets/sources/resources.py``). Only a caller that passes none (a script, the
library used on its own) has them read here from ``<auth_env_prefix>_USER`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable

from deepcodeseek.paths import InstancePaths
from deepcodeseek.sources.instance_config import InstanceConfig
from deepcodeseek.sources.records import ReadResult
from deepcodeseek.sources.table_api import Auth, TableAPIClient, auth_from_env, sync_instance

STATE_FILE = "sync_state.json"
RECORDS_FILE = "table_api_records.jsonl.gz"


def sync_configured_instance(config: InstanceConfig, paths: InstancePaths, auth: Auth | None = None,
                             progress: Callable[[str], None] | None = None, **client_options) -> ReadResult:
    """Sync ``config``'s instance into its folder; ``client_options`` go to :class:`TableAPIClient`."""
    if auth is None:
        auth = auth_from_env(prefix=config.auth_env_prefix, owner=config.name)
    paths.root.mkdir(parents=True, exist_ok=True)
    with TableAPIClient(config.url, auth, progress=progress, **client_options) as client:
        result = sync_instance(client, paths.root / STATE_FILE, paths.root / RECORDS_FILE)
    if progress:
        progress(f"sync of {config.name}: {result.fetched} rows fetched, {result.changed} changed, "
                 f"{len(result.deleted)} deleted, {result.requests} requests, {result.retries} retries, "
                 f"{result.seconds:.1f} s")
    return result.read
