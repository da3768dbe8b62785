"""MCP tools for coding agents, on the official SDK's ``MCPServer`` (mcp 2.x).

``find_apis`` ranks the APIs that code needs next, with structured output an agent can
read field by field; ``describe_api`` gives one namespace's full JSDoc. Both answer
from the same loaded versions as the HTTP routes, and bound their sizes (k at most 20,
five methods per result, JSDoc cut at 16,000 characters).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from deepcodeseek.service.instances import InstanceNotReady, InstancePool, UnknownInstance
from deepcodeseek.service.queries import BadRequest, QueryRunner
from deepcodeseek.service.results import SIGNATURE_CHARS, why_ranked
from deepcodeseek.service.settings import MAX_CODE_CHARS, MCP_MAX_JSDOC_CHARS, MCP_MAX_K

INSTRUCTIONS = ("DeepCodeSeek finds the ServiceNow APIs (the instance's Script Includes and the platform's classes) "
                "that partial server-side JavaScript needs next. Call find_apis with the code before the cursor; "
                "call describe_api for the full JSDoc of one result.")


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


def build_mcp_server(pool: InstancePool, runner: QueryRunner) -> MCPServer:
    server = MCPServer("deepcodeseek", instructions=INSTRUCTIONS, log_level="WARNING")
    single = len(pool.names) == 1
    instance_help = "" if single else f" (one of: {', '.join(pool.names)})"

    def live_for(instance: str | None):
        try:
            return pool.current(instance)
        except (UnknownInstance, InstanceNotReady) as exc:
            raise ToolError(str(exc)) from None

    @server.tool(description="Rank the ServiceNow APIs that the code around the cursor most likely calls next. "
                             f"k: results, 1-{MCP_MAX_K}; scope: the scope of the code being written; "
                             f"instance: which instance's APIs{instance_help}.")
    async def find_apis(code_before: str, code_after: str | None = None, scope: str | None = None, k: int = 5,
                        instance: str | None = None) -> FindApisResult:
        if not 1 <= k <= MCP_MAX_K:
            raise ToolError(f"k must be between 1 and {MCP_MAX_K} (got {k})")
        if len(code_before) > MAX_CODE_CHARS or len(code_after or "") > MAX_CODE_CHARS:
            raise ToolError(f"code_before and code_after are limited to {MAX_CODE_CHARS} characters each")
        if not code_before.strip() and not (code_after or "").strip():
            raise ToolError("no code: code_before (or code_after) must contain code")
        for field, text in (("code_before", code_before), ("code_after", code_after), ("scope", scope)):
            if text is not None and not _is_text(text):
                raise ToolError(f"{field} is not valid text (lone surrogate characters)")
        live = live_for(instance)
        try:
            results = await runner.run(lambda: runner.rank(live, code_before, code_after, scope, k, None))
        except BadRequest as exc:
            raise ToolError(str(exc)) from None
        matches = []
        for r in results:
            doc = live.catalog.get(r.api_name)
            methods = []
            for name in r.methods:
                m = doc.method(name) if doc else None
                methods.append(MethodInfo(name=name, signature=_cut(m.signature if m else f"{name}()", SIGNATURE_CHARS),
                                          summary=_cut(m.summary, 200) if m else "", returns=m.returns if m else ""))
            matches.append(ApiMatch(namespace=r.namespace, api_name=r.api_name, scope=r.scope,
                                    kind=doc.kind_label if doc else "unknown", summary=doc.summary if doc else "",
                                    methods=methods, score=round(float(r.score), 6), why=why_ranked(r)))
        return FindApisResult(instance=live.instance, version=live.version, method=live.retriever.default_method,
                               results=matches)

    @server.tool(description="The full JSDoc of one API namespace: its summary, every method with its signature, "
                             "and the JSDoc text. name: an api_name from find_apis (e.g. global.ArrayUtil) or a bare "
                             f"namespace; instance: which instance{instance_help}.")
    async def describe_api(name: str, instance: str | None = None) -> ApiDescription:
        live = live_for(instance)
        found = live.catalog.find(name[:200])
        if not found:
            raise ToolError(f"no API named {name!r} on instance {live.instance!r}; use an api_name from find_apis")
        doc = found[0]
        jsdoc = doc.jsdoc[:MCP_MAX_JSDOC_CHARS]
        return ApiDescription(
            namespace=doc.namespace, api_name=doc.api_name, kind=doc.kind_label, scope=doc.scope, summary=doc.summary,
            methods=[MethodInfo(name=m.name, signature=_cut(m.signature, SIGNATURE_CHARS), summary=_cut(m.summary, 200),
                                returns=m.returns) for m in doc.methods[:200]],
            jsdoc=jsdoc, truncated=len(doc.jsdoc) > len(jsdoc), other_matches=[d.api_name for d in found[1:20]])

    return server


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
