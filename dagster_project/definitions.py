"""The code location: each domain's definitions merged, plus what spans them (job, schedule, sensor, resources,
and in PROD the executor that runs each step as a Kubernetes job).

Installed as ``deepcodeseek_pipeline.definitions`` (the folder stays ``dagster_project/``).
"""

from dagster import Definitions

from deepcodeseek_pipeline.assets.adaptation.definitions import defs as adaptation
from deepcodeseek_pipeline.assets.enrichment.definitions import defs as enrichment
from deepcodeseek_pipeline.assets.evaluation.definitions import defs as evaluation
from deepcodeseek_pipeline.assets.index.definitions import defs as index
from deepcodeseek_pipeline.assets.ranking.definitions import defs as ranking
from deepcodeseek_pipeline.assets.sources.definitions import defs as sources
from deepcodeseek_pipeline.deployment import executor_for
from deepcodeseek_pipeline.environment import get_environment
from deepcodeseek_pipeline.jobs import index_instance_job
from deepcodeseek_pipeline.resources import resources_for
from deepcodeseek_pipeline.schedules import reindex_schedule
from deepcodeseek_pipeline.sensors import instance_registry_sensor, stranded_pool_steps_sensor

DOMAINS = (sources, enrichment, index, adaptation, ranking, evaluation)
all_assets = [a for domain in DOMAINS for a in domain.assets or []]
all_checks = [c for domain in DOMAINS for c in domain.asset_checks or []]

ENVIRONMENT = get_environment()

defs = Definitions.merge(
    *DOMAINS,
    Definitions(jobs=[index_instance_job], schedules=[reindex_schedule],
                sensors=[instance_registry_sensor, stranded_pool_steps_sensor],
                resources=resources_for(ENVIRONMENT), executor=executor_for(ENVIRONMENT)),
)
