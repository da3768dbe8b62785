"""Where DeepCodeSeek keeps its state on disk.

Everything lives under ``DEEPCODESEEK_HOME`` (default ``./.deepcodeseek``) so that a
checkout, a test or a CI run can point the whole system at a private folder.
Each instance gets its own folder, and therefore its own DuckDB file: DuckDB allows
one writing process per file, so separate files let instances build in parallel.

Published index versions (and the CURRENT pointer) live under the instance folder by
default, or at ``$DEEPCODESEEK_INDEX_URI/instances/<name>/index`` when that names an
``s3://`` location (see ``deepcodeseek.storage``): the pipeline's working state stays
on a filesystem (DuckDB needs one), what serving replicas read can be on object storage.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from deepcodeseek.errors import InvalidInstanceName, RemoteIndex

__all__ = ["DEFAULT_HOME", "HOME_ENV", "InstancePaths", "InvalidInstanceName", "RemoteIndex", "home_dir",
           "instance_paths", "validate_instance_name"]
from deepcodeseek.storage import INDEX_URI_ENV, Storage, is_remote, storage_for

HOME_ENV = "DEEPCODESEEK_HOME"
DEFAULT_HOME = ".deepcodeseek"
_INSTANCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def home_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The state folder: an explicit path, else ``$DEEPCODESEEK_HOME``, else ``./.deepcodeseek``."""
    raw = explicit or os.environ.get(HOME_ENV) or DEFAULT_HOME
    return Path(raw).expanduser().resolve()


def validate_instance_name(name: str) -> str:
    """Instance names become Dagster partition keys and folder names, so keep them plain."""
    if not _INSTANCE_NAME.match(name or ""):
        raise InvalidInstanceName(
            f"invalid instance name {name!r}: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class InstancePaths:
    """The files of one instance under the state folder."""

    home: Path
    instance: str
    index_uri: str = ""  # s3://... for an index on object storage; empty: <root>/index on this disk

    @property
    def root(self) -> Path:
        return self.home / "instances" / self.instance

    @property
    def index(self) -> Storage:
        """The published index: versions (LanceDB tables, BM25, contexts) and CURRENT.json.

        Every reader and writer of index versions goes through this, so the same code
        serves a local folder and an S3 bucket.
        """
        return storage_for(self.index_uri or self.root / "index", cache=self.home / "cache")

    @property
    def remote_index(self) -> bool:
        return is_remote(self.index_uri)

    @property
    def index_base_uri(self) -> str:
        """The object-storage base every instance's index (and the model store) hangs from; empty when local."""
        return self.index_uri.removesuffix(f"/instances/{self.instance}/index")

    @property
    def database(self) -> Path:
        """The pipeline's DuckDB file (written by the build only)."""
        return self.root / "records.duckdb"

    @property
    def index_root(self) -> Path:
        """The local folder of published index versions (one per version plus the CURRENT pointer).

        Raises :class:`RemoteIndex` when the index lives on object storage: use ``index``.
        """
        if self.remote_index:
            raise RemoteIndex(f"instance {self.instance}: the index lives at {self.index_uri}; "
                              "read it through InstancePaths.index")
        return self.root / "index"

    @property
    def lancedb(self) -> Path:
        return self.index_root / "lancedb"

    def version_dir(self, version: str) -> Path:
        return self.index_root / "versions" / version

    @property
    def current_pointer(self) -> Path:
        return self.index_root / "CURRENT.json"

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def index_base_uri() -> str:
    """``$DEEPCODESEEK_INDEX_URI`` when it names object storage, else empty (the local default)."""
    raw = os.environ.get(INDEX_URI_ENV, "").strip().rstrip("/")
    if raw and not is_remote(raw):
        raise ValueError(f"{INDEX_URI_ENV}={raw!r}: expected an s3://bucket/prefix URI (leave it unset for local)")
    return raw


def instance_paths(instance: str, home: str | os.PathLike[str] | None = None,
                   index_uri: str | None = None) -> InstancePaths:
    """The instance's paths; its index at ``index_uri`` (a base URI), else ``$DEEPCODESEEK_INDEX_URI``, else local."""
    name = validate_instance_name(instance)
    base = (index_uri if index_uri is not None else index_base_uri()).rstrip("/")
    return InstancePaths(home_dir(home), name, f"{base}/instances/{name}/index" if base else "")
