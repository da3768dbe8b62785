"""ServiceNow credentials for the Table API source, read at launch through ``EnvVar``.

Which variables hold them depends on the instance (``InstanceConfig.auth_env_prefix``:
``SERVICENOW`` by default, ``ACME_PROD`` for ``ACME_PROD_USER`` ...), and only Table API
instances need them, so they are not bound to fixed ``EnvVar`` names in the code
location (an unset ``EnvVar`` fails every run at launch, the sample instance's too).
Instead each run of a Table API instance gets run config whose fields are ``{"env":
"<PREFIX>_USER"}`` references: Dagster resolves them when the run launches, and the UI
and the run's stored config show the variable names, never the values. The job's
partitioned config adds them for every run of the instance (schedule, sensor, backfill,
launchpad); ``deepcodeseek index`` passes them to its in-process run.

A variable that the launching process does not see is left out of the run config, so the
run still starts and the source step fails with the library's message naming that
variable. Deployments must therefore give the variables to the process that launches
runs (the daemon, the webserver, the CLI) as well as to the run workers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dagster import ConfigurableResource

from deepcodeseek.sources.instance_config import InstanceConfig
from deepcodeseek.sources.table_api_client import CREDENTIAL_NAMES, Auth, auth_from_credentials
from deepcodeseek_pipeline.environment import Environment

RESOURCE_KEY = "servicenow"


class ServiceNowCredentials(ConfigurableResource):
    """The Table API credentials of the run's instance (empty for every other source)."""

    user: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    env_prefix: str = ""  # the prefix the run config read them under, for messages

    def auth_for(self, config: InstanceConfig) -> Auth:
        """Basic or OAuth auth for ``config``; a missing variable is named with the instance's prefix."""
        return auth_from_credentials(self.user, self.password, self.client_id, self.client_secret,
                                     prefix=config.auth_env_prefix, owner=config.name)

    def __repr__(self) -> str:  # never show a value, even in a debugger
        given = [name for name in ("user", "password", "client_id", "client_secret") if getattr(self, name)]
        return f"ServiceNowCredentials(env_prefix={self.env_prefix!r}, given={given})"


def credentials_run_config(config: InstanceConfig, environ: Mapping[str, str] | None = None) -> dict:
    """Run config that reads ``config``'s credentials at launch (``{"env": NAME}``), or ``{}``.

    Only variables set in ``environ`` (the launching process's environment) are
    referenced; see the module docstring.
    """
    if not config.uses_table_api:
        return {}
    environ = os.environ if environ is None else environ
    fields = {"env_prefix": config.auth_env_prefix}
    for key in CREDENTIAL_NAMES:
        name = f"{config.auth_env_prefix}_{key}"
        if environ.get(name):
            fields[key.lower()] = {"env": name}
    return {"resources": {RESOURCE_KEY: {"config": fields}}}


def resources_for(env: Environment) -> dict:
    """The same in every environment: empty until a run's config fills it for a Table API instance."""
    return {RESOURCE_KEY: ServiceNowCredentials()}
