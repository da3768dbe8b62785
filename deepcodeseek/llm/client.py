"""The LLM client the pipeline uses to write JSDoc: a Protocol and an Anthropic implementation.

Callers depend on :class:`LLMClient`, not on the SDK, so tests and the static fallback can
substitute anything with ``complete``. :class:`AnthropicClient` adds what a batch pipeline
needs around the Messages API: a persistent response cache so re-runs cost nothing and
return the same text, a cost figure per call, and errors that are one line long and never
contain the API key (they end up in Dagster run logs).

No ``temperature`` is sent. anthropic 2.x removed the sampling parameters from
``messages.create`` and sends ``anthropic-version: 2026-10-21``, under which the API
rejects ``temperature``/``top_p``/``top_k`` at any value with HTTP 400 (smuggling it in
through ``extra_body`` would fail every call). Repeatability therefore comes from the
cache: an identical request is answered once and served from DuckDB afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import anthropic

from deepcodeseek.errors import DeepCodeSeekError
from deepcodeseek.llm.cache import LLMCache
from deepcodeseek.llm.pricing import cost_usd, price_for

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-haiku-4-5"
_MAX_ERROR_CHARS = 300


class LLMError(DeepCodeSeekError, RuntimeError):
    """An LLM call failed (HTTP error, overload, network, auth) after the SDK's retries.

    The message is one line and never contains the API key. Callers that can do without
    the LLM (JSDoc generation falls back to static analysis) catch this.
    """

    def __init__(self, message: str, *, status_code: int | None = None, error_type: str | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type

    @property
    def retryable(self) -> bool:
        """Whether trying again later could succeed (rate limit, overload, server, network)."""
        return self.status_code is None or self.status_code in (408, 409, 429) or self.status_code >= 500


@dataclass
class LLMUsage:
    """Tokens and cost of one call, so assets can report spend and cache hit rate."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0  # Anthropic prompt-cache reads (billed at 10% of input)
    cost_usd: float = 0.0  # 0 when served from our cache
    cached: bool = False  # served from our response cache, no API call made
    cache_write_tokens: int = 0  # Anthropic prompt-cache writes (billed at 125% of input)
    cost_estimated: bool = False  # model not in the price table; cost uses a fallback price


@dataclass
class LLMResult:
    """The text of a reply and what it cost."""

    text: str
    usage: LLMUsage
    stop_reason: str | None = None  # "end_turn", "max_tokens", ...; None on a cache hit


@dataclass
class UsageTotals:
    """Sum of many :class:`LLMUsage`, the numbers an asset puts into its metadata."""

    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    cost_estimated: bool = False
    models: set[str] = field(default_factory=set)

    def add(self, usage: LLMUsage) -> None:
        """Count one call; cached calls count their original tokens but no cost."""
        self.calls += 1
        self.cached_calls += int(usage.cached)
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cost_usd += usage.cost_usd
        self.cost_estimated = self.cost_estimated or usage.cost_estimated
        self.models.add(usage.model)

    @property
    def cache_hit_rate(self) -> float:
        """Share of calls served from our cache (0.0 when there were no calls)."""
        return self.cached_calls / self.calls if self.calls else 0.0


@runtime_checkable
class LLMClient(Protocol):
    """Anything that turns a system prompt and a user prompt into text."""

    name: str

    @property
    def available(self) -> bool:
        """Whether a call can be attempted (for example, an API key is configured)."""
        ...

    def complete(self, system: str, prompt: str, *, prompt_version: str, max_tokens: int = 1024) -> LLMResult:
        """One deterministic completion; ``prompt_version`` is part of the cache key."""
        ...


def cache_key(model: str, prompt_version: str, system: str, prompt: str) -> str:
    """sha256 identifying a request: any change of model, prompt version or text misses.

    The parts are JSON-encoded as a list so that no two different requests can
    concatenate to the same bytes.
    """
    payload = json.dumps([model, prompt_version, system, prompt], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnthropicClient:
    """:class:`LLMClient` on Anthropic's Messages API, with caching and cost accounting.

    ``http_client`` is handed to the SDK untouched; anthropic 2.x uses ``httpx2``, so tests
    pass ``httpx2.Client(transport=httpx2.MockTransport(handler))`` and drive the real SDK.
    Retries (429, 5xx, 529 overload, network) are the SDK's own, bounded by ``max_retries``.
    """

    name = "anthropic"

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_MODEL,
        cache: LLMCache | None = None,
        http_client: Any = None,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 60.0,
    ):
        self.model = model
        self.cache = cache
        self._api_key = api_key or ""
        # Kept out of repr and error messages; the SDK client is built lazily so that a
        # client without a key can still serve cache hits.
        self._sdk_kwargs: dict[str, Any] = {
            "max_retries": max_retries,
            "timeout": timeout,
        }
        if http_client is not None:
            self._sdk_kwargs["http_client"] = http_client
        if base_url is not None:
            self._sdk_kwargs["base_url"] = base_url
        self._sdk: anthropic.Anthropic | None = None

    def __repr__(self) -> str:
        return f"AnthropicClient(model={self.model!r}, cache={type(self.cache).__name__ if self.cache else None})"

    @property
    def available(self) -> bool:
        """True when an API key is configured (cache hits work even without one)."""
        return bool(self._api_key)

    def _client(self) -> anthropic.Anthropic:
        if self._sdk is None:
            self._sdk = anthropic.Anthropic(api_key=self._api_key, **self._sdk_kwargs)
        return self._sdk

    def complete(self, system: str, prompt: str, *, prompt_version: str, max_tokens: int = 1024) -> LLMResult:
        """Answer from the cache when this exact request was answered before, else call the API.

        A cache hit costs nothing and reports the original call's tokens with
        ``cached=True``. Replies cut off by ``max_tokens`` are returned but not cached,
        because ``max_tokens`` is not part of the key and a retry with a larger limit
        must not get the truncated text back.
        """
        key = cache_key(self.model, prompt_version, system, prompt)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                text, input_tokens, output_tokens = hit
                usage = LLMUsage(
                    model=self.model,
                    input_tokens=input_tokens,
                    output_tokens=output_tokens,
                    cost_usd=0.0,
                    cached=True,
                )
                self._record(key, prompt_version, usage)
                return LLMResult(text=text, usage=usage, stop_reason=None)

        if not self.available:
            raise LLMError(f"no Anthropic API key configured and no cached reply (model {self.model})")

        response = self._call(system, prompt, max_tokens)
        text = "".join(getattr(block, "text", "") for block in response.content if block.type == "text")
        u = response.usage
        cache_read = int(getattr(u, "cache_read_input_tokens", None) or 0)
        cache_write = int(getattr(u, "cache_creation_input_tokens", None) or 0)
        usage = LLMUsage(
            model=self.model,
            input_tokens=int(u.input_tokens),
            output_tokens=int(u.output_tokens),
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            cost_usd=cost_usd(self.model, int(u.input_tokens), int(u.output_tokens), cache_read, cache_write),
            cached=False,
            cost_estimated=price_for(self.model).estimated,
        )
        if self.cache is not None and response.stop_reason != "max_tokens":
            self._store(key, prompt_version, text, usage)
        self._record(key, prompt_version, usage)
        return LLMResult(text=text, usage=usage, stop_reason=response.stop_reason)

    def _call(self, system: str, prompt: str, max_tokens: int) -> Any:
        """One Messages API request; every SDK failure becomes a one-line :class:`LLMError`."""
        # No temperature: see the module docstring (the 2026-10-21 API version rejects it).
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}],
        }
        if system:
            kwargs["system"] = system
        try:
            return self._client().messages.create(**kwargs)
        except anthropic.APIStatusError as exc:
            detail = exc.api_message or _body_text(exc.body)
            kind = f" {exc.type}" if exc.type else ""
            msg = f"Anthropic API returned HTTP {exc.status_code}{kind} for model {self.model}: {detail}"
            raise LLMError(self._clean(msg), status_code=exc.status_code, error_type=exc.type) from None
        except anthropic.APIConnectionError as exc:
            msg = f"Anthropic API unreachable ({type(exc).__name__}) for model {self.model}"
            raise LLMError(self._clean(msg)) from None
        except anthropic.AnthropicError as exc:
            msg = f"Anthropic request failed ({type(exc).__name__}) for model {self.model}: {exc}"
            raise LLMError(self._clean(msg)) from None

    def _clean(self, message: str) -> str:
        """One line, bounded, with the API key masked even if a server echoed it back."""
        if self._api_key:
            message = message.replace(self._api_key, "***")
        message = re.sub(r"\s+", " ", message).strip()
        if len(message) > _MAX_ERROR_CHARS:
            message = message[: _MAX_ERROR_CHARS - 3] + "..."
        return message

    def _store(self, key: str, prompt_version: str, text: str, usage: LLMUsage) -> None:
        # The call is already paid for: a cache write failure (e.g. the file is locked by
        # another process) is logged, and the reply is still returned.
        assert self.cache is not None
        try:
            self.cache.put(
                key, self.model, prompt_version, text, usage.input_tokens, usage.output_tokens, usage.cost_usd
            )
        except Exception as exc:  # noqa: BLE001 - any storage failure must not lose the reply
            log.warning("could not cache LLM reply %s: %s", key[:12], exc)

    def _record(self, key: str, prompt_version: str, usage: LLMUsage) -> None:
        if self.cache is None:
            return
        try:
            self.cache.record_call(
                key=key,
                model=usage.model,
                prompt_version=prompt_version,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cost_usd=usage.cost_usd,
                cached=usage.cached,
            )
        except Exception as exc:  # noqa: BLE001 - the ledger is bookkeeping, not the result
            log.warning("could not record LLM call %s: %s", key[:12], exc)


def _body_text(body: object) -> str:
    if body is None:
        return "no response body"
    if isinstance(body, (dict, list)):
        return json.dumps(body)
    return str(body)


def llm_from_env(cache: LLMCache | None = None, model: str | None = None) -> LLMClient | None:
    """An :class:`AnthropicClient` when ``ANTHROPIC_API_KEY`` is set, else None.

    None (rather than an error) lets the pipeline run without a key and use the static
    JSDoc backend; it is read when called, never at import.
    """
    api_key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not api_key:
        return None
    return AnthropicClient(api_key=api_key, model=model or DEFAULT_MODEL, cache=cache)
