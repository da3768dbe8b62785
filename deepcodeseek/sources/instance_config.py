"""One registered instance's configuration: where its records come from and how it is rebuilt.

A module of its own so that the sources (``table_api_source``) and the registry that
stores these entries both import it, and neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deepcodeseek.cron import check_cron
from deepcodeseek.errors import BadInput
from deepcodeseek.paths import validate_instance_name

__all__ = ["DEFAULT_AUTH_PREFIX", "DEFAULT_SCHEDULE", "SOURCE_KINDS", "InstanceConfig"]

SOURCE_KINDS = ("sample", "records", "export", "update-set", "table-api")
DEFAULT_SCHEDULE = "0 2 * * *"
DEFAULT_AUTH_PREFIX = "SERVICENOW"
_ENV_PREFIX = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    source: str  # one of SOURCE_KINDS
    path: str = ""  # records folder, export folder or zip, update-set file
    url: str = ""  # instance URL for the Table API
    schedule: str = DEFAULT_SCHEDULE  # cron, in UTC, for the reindex schedule
    benchmark: str = ""  # optional benchmark JSONL for the evaluation asset
    platform: str = ""  # @servicenow/glide tarball or folder: index the platform's APIs too
    auth_env_prefix: str = DEFAULT_AUTH_PREFIX  # credentials from <prefix>_USER, _PASSWORD, _CLIENT_ID, _CLIENT_SECRET
    max_error_share: float = 0.2  # a sync fails when more records than this are unreadable

    def __post_init__(self) -> None:
        """Checks that make an entry unusable for every purpose; the schedule is checked
        by :meth:`check_schedule` instead, so one bad cron never hides the whole registry."""
        validate_instance_name(self.name)
        if self.source not in SOURCE_KINDS:
            raise BadInput(f"instance {self.name}: unknown source kind {self.source!r} (known: {', '.join(SOURCE_KINDS)})")
        if self.source == "table-api" and not self.url.startswith(("https://", "http://")):
            raise BadInput(f"instance {self.name}: the table-api source needs --url https://<instance>.service-now.com")
        if self.source in ("records", "export", "update-set") and not self.path:
            raise BadInput(f"instance {self.name}: the {self.source} source needs --path")
        if not _ENV_PREFIX.fullmatch(self.auth_env_prefix):
            raise BadInput(f"instance {self.name}: auth_env_prefix {self.auth_env_prefix!r} is not an environment "
                           "variable prefix (upper-case letters, digits and '_', such as ACME_PROD)")

    @property
    def uses_table_api(self) -> bool:
        """Whether syncing this instance needs ServiceNow credentials."""
        return self.source == "table-api"

    def check_schedule(self) -> str:
        """The schedule, normalised, or :class:`~deepcodeseek.errors.InvalidSchedule` naming this instance."""
        return check_cron(self.schedule, owner=self.name)
