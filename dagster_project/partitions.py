"""One dynamic partition per ServiceNow instance."""

from dagster import DynamicPartitionsDefinition

servicenow_instances = DynamicPartitionsDefinition(name="servicenow_instances")
