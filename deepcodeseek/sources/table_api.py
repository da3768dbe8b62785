"""The ServiceNow Table API source: a client (``table_api_client``) and an incremental sync
(``table_api_sync``). This module is the one place to import them from.

Needs ``httpx``; nothing else in ``deepcodeseek.sources`` imports this module, so the other
sources keep working without it.
"""

from deepcodeseek.sources.table_api_client import (
    Auth,
    AuthenticationError,
    BasicAuth,
    ClientStats,
    Cursor,
    InstanceAsleep,
    MissingCredentials,
    OAuthPasswordGrant,
    Page,
    TableAPIClient,
    TableAPIError,
    auth_from_credentials,
    auth_from_env,
    keyset_query,
    parse_retry_after,
)
from deepcodeseek.sources.table_api_sync import (
    CODE_TABLES,
    METADATA_TABLES,
    USAGE_TABLES,
    SyncResult,
    SyncState,
    TableSpec,
    sync_instance,
)

__all__ = [
    "Auth", "AuthenticationError", "BasicAuth", "CODE_TABLES", "ClientStats", "Cursor", "InstanceAsleep",
    "METADATA_TABLES", "MissingCredentials", "OAuthPasswordGrant", "Page", "SyncResult", "SyncState",
    "TableAPIClient", "TableAPIError", "TableSpec", "USAGE_TABLES", "auth_from_credentials", "auth_from_env", "keyset_query",
    "parse_retry_after", "sync_instance",
]
