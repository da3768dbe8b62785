"""Gates on the records a source produced."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from deepcodeseek.store.duckdb_store import fetch_dicts
from deepcodeseek_pipeline.assets.sources.assets import source_records
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


@asset_check(asset=source_records, blocking=True, description="A sys_id names one record.")
def no_duplicate_sys_ids(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    with home.store(partition_of(context)).connect(read_only=True) as con:
        dupes = fetch_dicts(con, "records/duplicate_sys_ids")
        n = con.execute("SELECT count(*) FROM script_includes").fetchone()[0]
    return AssetCheckResult(passed=not dupes and n > 0, metadata={"duplicates": len(dupes), "script_includes": n})
