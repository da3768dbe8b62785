"""The LLM behind JSDoc summaries, the clear-intent judge and the LLM query forms."""

from __future__ import annotations

import os

from dagster import ConfigurableResource

from deepcodeseek_pipeline.environment import Environment


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


def resources_for(env: Environment) -> dict:
    """LOCAL uses the LLM when a key is set, CI never calls it, PROD uses the larger model."""
    return {"llm": {Environment.LOCAL: LLMResource(), Environment.CI: LLMResource(enabled=False),
                    Environment.PROD: LLMResource(model="claude-sonnet-4-5")}[env]}
