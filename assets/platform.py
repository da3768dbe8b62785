"""Stage 1b: the platform's scriptable APIs (@servicenow/glide), when the instance names them."""
from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.metadata import md_list
from dagster_project.partitions import servicenow_instances
from dagster_project.resources import DeepCodeSeekHome
from deepcodeseek.sources.platform_api import read_platform_api
from deepcodeseek.sources.platform_load import load_platform_classes


@asset(partitions_def=servicenow_instances, group_name="sources", deps=["source_records"],
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
