"""One dynamic partition per ServiceNow instance."""

from dagster import DynamicPartitionsDefinition

servicenow_instances = DynamicPartitionsDefinition(name="servicenow_instances")


def partition_of(context) -> str:
    """The instance an asset check runs for (checks run inside the partitioned run)."""
    return context.run.tags.get("dagster/partition") or context.op_execution_context.partition_key
