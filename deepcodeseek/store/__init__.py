"""DuckDB storage: one database file per instance, schema and queries from ``sql/``."""

from deepcodeseek.store.duckdb_store import InstanceStore
from deepcodeseek.store.sql_files import load_sql

__all__ = ["InstanceStore", "load_sql"]
