"""Resources: thin wrappers that hand assets the library's objects.

Clients are created when a step runs, never at import; secrets come from the
environment at run time (``ANTHROPIC_API_KEY``) and are never part of run config.
"""

from __future__ import annotations

import os

from dagster import ConfigurableResource

from dagster_project.environment import Environment
from deepcodeseek.index.embedder import DEFAULT_MODEL, SentenceTransformerEmbedder
from deepcodeseek.paths import InstancePaths, home_dir, instance_paths
from deepcodeseek.training.contrastive import FineTuneConfig
from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry
from deepcodeseek.store.duckdb_store import InstanceStore


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


class LLMResource(ConfigurableResource):
    """The Anthropic client when a key is set, else None (assets then use static analysis)."""

    model: str = "claude-haiku-4-5"
    api_key_env: str = "ANTHROPIC_API_KEY"
    enabled: bool = True

    def client(self, cache=None):
        key = os.environ.get(self.api_key_env) if self.enabled else None
        if not key:
            return None
        from deepcodeseek.llm.client import AnthropicClient

        return AnthropicClient(api_key=key, model=self.model, cache=cache)


class EmbedderResource(ConfigurableResource):
    model: str = DEFAULT_MODEL
    device: str = "auto"  # cuda when present, else cpu

    def embedder(self) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder(self.model, self.device)


class AdaptationResource(ConfigurableResource):
    """Fine-tuning of the embedder on each instance's call sites (see ``deepcodeseek.training``)."""

    enabled: bool = True
    epochs: int = 0  # 0: three on a GPU (seconds), one on the CPU (about 13 min for 2,000 examples on 2 cores)
    batch_size: int = 32
    learning_rate: float = 5e-5
    max_query_tokens: int = 64
    max_document_tokens: int = 192

    def config(self, device: str) -> FineTuneConfig:
        epochs = self.epochs or (3 if device == "cuda" else 1)
        return FineTuneConfig(epochs=epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                              max_query_tokens=self.max_query_tokens, max_document_tokens=self.max_document_tokens)


def resources_for(env: Environment, home: str = "") -> dict:
    """Resources per deployment: LOCAL and CI stay offline; PROD may use the LLM."""
    by_env = {
        Environment.LOCAL: {"home": DeepCodeSeekHome(home=home), "llm": LLMResource(),
                            "embedder": EmbedderResource(), "adaptation": AdaptationResource()},
        # CI trains the same way on short sequences: the sample instance's call sites are short anyway.
        Environment.CI: {"home": DeepCodeSeekHome(home=home), "llm": LLMResource(enabled=False),
                         "embedder": EmbedderResource(device="cpu"),
                         "adaptation": AdaptationResource(max_document_tokens=128)},
        Environment.PROD: {"home": DeepCodeSeekHome(home=home), "llm": LLMResource(model="claude-sonnet-4-5"),
                           "embedder": EmbedderResource(), "adaptation": AdaptationResource()},
    }
    return by_env[env]
