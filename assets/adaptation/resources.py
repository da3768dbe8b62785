"""Fine-tuning settings per environment."""

from __future__ import annotations

from dagster import ConfigurableResource

from deepcodeseek.training.contrastive import FineTuneConfig
from deepcodeseek_pipeline.environment import Environment


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


def resources_for(env: Environment) -> dict:
    # CI trains the same way on short sequences: the sample instance's call sites are short anyway.
    adaptation = AdaptationResource(max_document_tokens=128) if env == Environment.CI else AdaptationResource()
    return {"adaptation": adaptation, **encoder_resources_for(env)}


class QueryEncoderResource(ConfigurableResource):
    """Light query students (``deepcodeseek.encoders``): which families to build, and where."""

    enabled: bool = True
    full: bool = False  # every family (truncated teachers, a fine-tuned static table) also on a CPU
    device: str = "auto"  # cuda when present, else cpu


def encoder_resources_for(env: Environment) -> dict:
    return {"query_encoders": QueryEncoderResource(device="cpu") if env == Environment.CI else QueryEncoderResource()}
