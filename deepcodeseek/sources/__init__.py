"""Sources of instance records. Each returns a :class:`ReadResult`."""

from deepcodeseek.sources.records import Application, ReadResult, SourceError, SourceRecord
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry, read_source

__all__ = [
    "Application", "InstanceConfig", "InstanceRegistry", "ReadResult", "SourceError",
    "SourceRecord", "read_source",
]
