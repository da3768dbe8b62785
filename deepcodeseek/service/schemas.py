"""Request bodies of the HTTP API, with the limits that keep one request cheap.

Unknown fields are refused (a misspelt ``k`` must not silently become the default).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deepcodeseek.service.settings import DEFAULT_TOKEN_BUDGET, MAX_BATCH, MAX_CODE_CHARS, MAX_K, MAX_TOKEN_BUDGET


class QueryFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code_before: str = Field(max_length=MAX_CODE_CHARS, description="the code before the cursor")
    code_after: str | None = Field(default=None, max_length=MAX_CODE_CHARS, description="the code after the cursor")
    scope: str | None = Field(default=None, max_length=100, description="scope of the code being written")

    @model_validator(mode="after")
    def _some_code(self):
        if not self.code_before.strip() and not (self.code_after or "").strip():
            raise ValueError("no code: code_before (or code_after) must contain code")
        return self


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: str | None = Field(default=None, max_length=63, description="the instance (optional when one is served)")
    k: int = Field(default=10, ge=1, le=MAX_K, description=f"results per query, 1-{MAX_K}")
    method: str | None = Field(default=None, max_length=40, description="ranking method (default: the version's own, chosen on its calibration split)")
    explain: bool = False
    format: Literal["json", "prompt"] = "json"
    token_budget: int = Field(default=DEFAULT_TOKEN_BUDGET, ge=16, le=MAX_TOKEN_BUDGET,
                              description="format=prompt: the block's size limit in tokens")


class RetrieveRequest(Options, QueryFields):
    """``POST /v1/retrieve``."""


class BatchQuery(QueryFields):
    id: str | int | None = None


class BatchRequest(Options):
    """``POST /v1/retrieve/batch``: many queries, one instance and method."""

    queries: list[BatchQuery] = Field(min_length=1, max_length=MAX_BATCH)
