"""USD prices of Claude models, so every LLM call can report what it cost.

The pipeline reports ``llm/cost_usd`` per partition; that number comes from this table and
the token counts the API returns, not from a bill. Prices are USD per million tokens
(Anthropic's published list prices). A model missing from the table is priced like Sonnet
and flagged ``estimated`` so a report can say the figure is a guess rather than silently
showing zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Prompt-cache reads are billed at a tenth of the input price, writes at 1.25x.
CACHE_READ_FACTOR = 0.1
CACHE_WRITE_FACTOR = 1.25


@dataclass(frozen=True)
class ModelPrice:
    """List price of one model in USD per million tokens."""

    input_per_mtok: float
    output_per_mtok: float
    estimated: bool = False  # True when the model was not in the table


# Keys are model ids without the date suffix (``claude-haiku-4-5-20251001`` -> ``claude-haiku-4-5``).
PRICES: dict[str, ModelPrice] = {
    "claude-haiku-4-5": ModelPrice(1.0, 5.0),
    "claude-sonnet-4-5": ModelPrice(3.0, 15.0),
    "claude-sonnet-4": ModelPrice(3.0, 15.0),
    "claude-opus-4-5": ModelPrice(5.0, 25.0),
    "claude-opus-4-1": ModelPrice(15.0, 75.0),
    "claude-opus-4": ModelPrice(15.0, 75.0),
    "claude-3-5-haiku": ModelPrice(0.8, 4.0),
}

#: Price used for unknown models (Sonnet's), always with ``estimated=True``.
FALLBACK_PRICE = ModelPrice(3.0, 15.0, estimated=True)

_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)$")


def normalize_model(model: str) -> str:
    """Strip a snapshot date or ``-latest`` so dated ids share their family's price."""
    return _DATE_SUFFIX.sub("", model.strip().lower())


def price_for(model: str) -> ModelPrice:
    """The price of ``model``; unknown models get Sonnet's price flagged ``estimated``."""
    return PRICES.get(normalize_model(model), FALLBACK_PRICE)


def cost_usd(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> float:
    """USD cost of one call from the token counts the Messages API reports.

    ``input_tokens`` excludes prompt-cache reads and writes (that is how the API counts
    them), so the three are priced separately and added.
    """
    price = price_for(model)
    per_token_in = price.input_per_mtok / 1_000_000
    per_token_out = price.output_per_mtok / 1_000_000
    return (
        input_tokens * per_token_in
        + output_tokens * per_token_out
        + cache_read_tokens * per_token_in * CACHE_READ_FACTOR
        + cache_write_tokens * per_token_in * CACHE_WRITE_FACTOR
    )
