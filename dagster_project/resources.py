"""Resources: the state folder every domain shares, and each domain's resources per environment.

Clients are created when a step runs, never at import; secrets are read at launch
(``EnvVar`` or ``{"env": NAME}`` run config), so run config names variables, never values.
"""

from __future__ import annotations

from dagster import ConfigurableResource

from deepcodeseek.paths import InstancePaths, home_dir, instance_paths
from deepcodeseek.sources.instance_config import InstanceConfig
from deepcodeseek.sources.registry import InstanceRegistry
from deepcodeseek.store.duckdb_store import InstanceStore
from deepcodeseek_pipeline.environment import Environment


class DeepCodeSeekHome(ConfigurableResource):
    """The state folder: the instance registry, each instance's DuckDB file and index."""

    home: str = ""  # empty: $DEEPCODESEEK_HOME or ./.deepcodeseek, read when the step runs

    def root(self) -> str:
        return str(home_dir(self.home or None))

    def registry(self) -> InstanceRegistry:
        return InstanceRegistry(self.root())

    def instance(self, name: str) -> InstanceConfig:
        return self.registry().get(name)

    def paths(self, name: str) -> InstancePaths:
        return instance_paths(name, self.root())

    def store(self, name: str) -> InstanceStore:
        return InstanceStore(self.paths(name).database)


def resources_for(env: Environment, home: str = "") -> dict:
    """Every resource the code location binds in ``env``: the shared home, then each domain's own."""
    from deepcodeseek_pipeline.assets.adaptation.resources import resources_for as adaptation
    from deepcodeseek_pipeline.assets.enrichment.resources import resources_for as enrichment
    from deepcodeseek_pipeline.assets.index.resources import resources_for as index
    from deepcodeseek_pipeline.assets.ranking.resources import resources_for as ranking
    from deepcodeseek_pipeline.assets.sources.resources import resources_for as sources

    return {"home": DeepCodeSeekHome(home=home), **sources(env), **enrichment(env), **index(env),
            **adaptation(env), **ranking(env)}
