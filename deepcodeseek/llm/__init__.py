"""The library side of the pipeline's LLM resource: client, response cache and prices.

Kept free of Dagster so the JSDoc backend and its tests use it directly; the Dagster
resource only builds an :class:`AnthropicClient` (or none) and hands it over.
"""

from deepcodeseek.llm.cache import DuckDBLLMCache, LLMCache
from deepcodeseek.llm.client import (
    DEFAULT_MODEL,
    AnthropicClient,
    LLMClient,
    LLMError,
    LLMResult,
    LLMUsage,
    UsageTotals,
    cache_key,
    llm_from_env,
)
from deepcodeseek.llm.pricing import ModelPrice, cost_usd, price_for

__all__ = [
    "DEFAULT_MODEL",
    "AnthropicClient",
    "DuckDBLLMCache",
    "LLMCache",
    "LLMClient",
    "LLMError",
    "LLMResult",
    "LLMUsage",
    "ModelPrice",
    "UsageTotals",
    "cache_key",
    "cost_usd",
    "llm_from_env",
    "price_for",
]
