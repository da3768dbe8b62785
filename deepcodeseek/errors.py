"""The project's error hierarchy: failures a user can act on, each named for what went wrong.

Every error the library raises on purpose derives from :class:`DeepCodeSeekError`, so the
command line catches that one class, prints its message as one line and exits with 2;
anything else (a genuine bug) keeps its traceback. Each class also keeps the built-in base
that code already catches it by (``ValueError`` for bad input, ``KeyError`` for an unknown
instance, ``OSError`` for a file that cannot be read, ``RuntimeError`` for a remote or
build failure), so existing ``except ValueError`` handlers behave as before.

Modules that raise one of these import it from here; several re-export it under the name
they always had (``deepcodeseek.sources.registry.UnknownInstance``, ...).
"""

from __future__ import annotations

__all__ = [
    "BadInput", "BenchmarkError", "DeepCodeSeekError", "IncompleteIndex", "IndexNotPublished",
    "AuthenticationError", "InstanceAsleep", "InvalidInstanceName", "InvalidSchedule", "MethodUnavailable",
    "MissingCredentials", "ModelNotAvailable", "RemoteSourceError", "SourceNotFound", "SourceUnreadable",
    "RemoteIndex", "StorageError", "TableAPIError", "UnknownInstance", "UnknownMethod",
]


class DeepCodeSeekError(Exception):
    """Base of every error the project raises on purpose; its message is one line for people."""


# ------------------------------------------------------------------------------- bad input


class BadInput(DeepCodeSeekError, ValueError):
    """An argument, a configuration entry or a file's content that cannot be used as given."""


class InvalidInstanceName(BadInput):
    """An instance name that cannot be a partition key or a folder name."""


class InvalidSchedule(BadInput):
    """A reindex schedule that is not a valid cron expression."""


class MissingCredentials(BadInput):
    """No usable set of ServiceNow credentials in the configured variables."""


class BenchmarkError(BadInput):
    """The benchmark file as a whole cannot be used."""


class UnknownMethod(BadInput):
    """A retrieval method name that does not exist."""


class MethodUnavailable(DeepCodeSeekError, ValueError):
    """A retrieval method that needs something this deployment does not have (an LLM key, a model)."""


class UnknownInstance(DeepCodeSeekError, KeyError):
    """An instance that is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; we want a plain line
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------------- sources


class SourceUnreadable(DeepCodeSeekError, OSError):
    """A source (file, folder, archive) that exists but cannot be read."""


class SourceNotFound(SourceUnreadable, FileNotFoundError):
    """A source path that does not exist, or holds nothing of the expected kind."""


class RemoteSourceError(DeepCodeSeekError, RuntimeError):
    """A live source that failed for good after its retries."""


class TableAPIError(RemoteSourceError):
    """A Table API request that failed for good; the message names instance, table and status."""

    def __init__(self, message: str, *, instance: str, table: str | None = None, status: int | None = None):
        super().__init__(message)
        self.instance = instance
        self.table = table
        self.status = status


class AuthenticationError(TableAPIError):
    """Credentials were refused (bad user/password, client id/secret, or an unusable token)."""


class InstanceAsleep(TableAPIError):
    """The instance kept answering with HTML instead of JSON: hibernating, in maintenance or behind a proxy."""


# ---------------------------------------------------------------------------- index, models


class IndexNotPublished(DeepCodeSeekError, FileNotFoundError):
    """The instance has no published index (yet), or the version asked for is gone."""


class IncompleteIndex(DeepCodeSeekError, RuntimeError):
    """A version is missing a part or rows; it is never published."""


class ModelNotAvailable(DeepCodeSeekError, RuntimeError):
    """The model's package is not installed, so there are no local weights."""


class StorageError(DeepCodeSeekError, RuntimeError):
    """Object storage was misconfigured or could not be reached; the message names the URI."""


class RemoteIndex(DeepCodeSeekError, RuntimeError):
    """A local index path was asked for, but the instance's index lives on object storage."""
