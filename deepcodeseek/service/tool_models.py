"""The MCP tools' structured results (pydantic): built where a query runs, sent as plain dicts
from a query process, validated again by the tool that returns them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MethodInfo(BaseModel):
    name: str
    signature: str
    summary: str = ""
    returns: str = ""


class ApiMatch(BaseModel):
    namespace: str
    api_name: str = Field(description="the name to call it by, scope included for Script Includes")
    kind: str = Field(description="Script Include or platform API class")
    scope: str
    summary: str = Field(description="one-line JSDoc summary")
    methods: list[MethodInfo] = Field(description="its likely methods, best first, with signatures")
    score: float
    why: str = Field(description="why it ranked: signals, similar call sites, scope rule")


class FindApisResult(BaseModel):
    instance: str
    version: str
    method: str
    results: list[ApiMatch]


class ApiDescription(BaseModel):
    namespace: str
    api_name: str
    kind: str
    scope: str
    summary: str
    methods: list[MethodInfo]
    jsdoc: str = Field(description="the full JSDoc of the namespace and its methods")
    truncated: bool = Field(description="true when the JSDoc was cut to the size limit")
    other_matches: list[str] = Field(default_factory=list, description="other APIs of that name (other scopes)")
