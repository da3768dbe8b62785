"""Stage 1: read an instance's source into DuckDB records."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dagster_project.metadata import md_list, md_table
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome
from deepcodeseek.sources.load import load_records
from deepcodeseek.sources.registry import read_source

@asset(partitions_def=servicenow_instances, group_name="sources", kinds={"duckdb", "python"})
def source_records(context: AssetExecutionContext, home: DeepCodeSeekHome) -> MaterializeResult:
    """Script Includes, usage-bearing scripts and applications of the instance, in DuckDB.

    Unreadable records are named in the metadata and skipped; the step fails only when
    more than the instance's configured share of records fail (default a fifth), which
    points at a broken source, not bad rows.
    """
    instance = context.partition_key
    config = home.instance(instance)
    result = read_source(config, home.root(), progress=context.log.info)
    total = len(result.records) + len(result.errors)
    if total and len(result.errors) / total > config.max_error_share:
        raise RuntimeError(f"instance {instance}: {len(result.errors)} of {total} records unreadable, "
                           f"first: {result.errors[0]}")
    summary = load_records(home.store(instance), result)
    for error in result.errors[:20]:
        context.log.warning(f"instance {instance}: skipped {error}")
    return MaterializeResult(metadata={
        "source": f"{config.source} {config.path}".strip(),
        "files_read": result.files,
        "script_includes": summary.script_includes,
        "scripts": summary.scripts,
        "applications": summary.applications,
        "duplicates_dropped": summary.duplicates,
        "errors": summary.errors,
        "records_by_table": md_table([{"table": t, "records": n} for t, n in summary.by_table.items()]),
        "error_details": md_list([str(e) for e in result.errors]),
        "database": MetadataValue.path(str(home.store(instance).database)),
    })
