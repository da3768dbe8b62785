"""Where DeepCodeSeek keeps its state on disk.

Everything lives under ``DEEPCODESEEK_HOME`` (default ``./.deepcodeseek``) so that a
checkout, a test or a CI run can point the whole system at a private folder.
Each instance gets its own folder, and therefore its own DuckDB file: DuckDB allows
one writing process per file, so separate files let instances build in parallel.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from deepcodeseek.errors import InvalidInstanceName

__all__ = ["DEFAULT_HOME", "HOME_ENV", "InstancePaths", "InvalidInstanceName", "home_dir", "instance_paths",
           "validate_instance_name"]

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

    @property
    def root(self) -> Path:
        return self.home / "instances" / self.instance

    @property
    def database(self) -> Path:
        """The pipeline's DuckDB file (written by the build only)."""
        return self.root / "records.duckdb"

    @property
    def index_root(self) -> Path:
        """Published index versions: one folder per version plus the CURRENT pointer."""
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


def instance_paths(instance: str, home: str | os.PathLike[str] | None = None) -> InstancePaths:
    return InstancePaths(home_dir(home), validate_instance_name(instance))
