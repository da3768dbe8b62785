"""The embedding model the index is built with."""

from __future__ import annotations

from dagster import ConfigurableResource

from deepcodeseek.index.embedder import DEFAULT_MODEL, SentenceTransformerEmbedder
from deepcodeseek_pipeline.environment import Environment


class EmbedderResource(ConfigurableResource):
    model: str = DEFAULT_MODEL
    device: str = "auto"  # cuda when present, else cpu

    def embedder(self) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder(self.model, self.device)


def resources_for(env: Environment) -> dict:
    """CI embeds on the CPU; elsewhere the device is chosen at run time."""
    return {"embedder": EmbedderResource(device="cpu") if env == Environment.CI else EmbedderResource()}
