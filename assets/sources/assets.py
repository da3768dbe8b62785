"""Sources: an instance's records into DuckDB, and the platform's scriptable APIs."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from deepcodeseek.sources.load import load_records
from deepcodeseek.sources.platform_api import read_platform_api
from deepcodeseek.sources.platform_load import load_platform_classes
from deepcodeseek.sources.registry import read_source
from deepcodeseek_pipeline.metadata import md_list, md_table
from deepcodeseek_pipeline.assets.sources.resources import ServiceNowCredentials
from deepcodeseek_pipeline.partitions import servicenow_instances
from deepcodeseek_pipeline.resources import DeepCodeSeekHome

GROUP = "sources"


@asset(partitions_def=servicenow_instances, group_name=GROUP, kinds={"duckdb", "python"})
def source_records(context: AssetExecutionContext, home: DeepCodeSeekHome,
                   servicenow: ServiceNowCredentials) -> MaterializeResult:
    """Script Includes, usage-bearing scripts and applications of the instance, in DuckDB.

    Unreadable records are named in the metadata and skipped; the step fails only when
    more than the instance's configured share of records fail (default a fifth), which
    points at a broken source, not bad rows. A Table API instance syncs with the
    credentials the run read at launch (``servicenow``); other sources need none.
    """
    instance = context.partition_key
    config = home.instance(instance)
    auth = servicenow.auth_for(config) if config.uses_table_api else None
    result = read_source(config, home.root(), progress=context.log.info, auth=auth)
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


@asset(partitions_def=servicenow_instances, group_name=GROUP, deps=[source_records],
       kinds={"duckdb", "typescript"})
def platform_apis(context: AssetExecutionContext, home: DeepCodeSeekHome) -> MaterializeResult:
    """Every platform class (GlideRecord, sn_ws.RESTMessageV2, ...) as an API namespace with its methods."""
    name = context.partition_key
    config = home.instance(name)
    result = read_platform_api(config.platform) if config.platform else None
    summary = load_platform_classes(home.store(name), result)
    return MaterializeResult(metadata={
        "package": config.platform or "not configured",
        "package_version": summary.package_version,
        "classes": summary.classes,
        "scopes": summary.scopes,
        "errors": summary.errors,
        "error_details": md_list([str(e) for e in result.errors] if result else []),
    })
