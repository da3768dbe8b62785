"""MCP tools for coding agents, on the official SDK's ``MCPServer`` (mcp 2.x).

``find_apis`` ranks the APIs that code needs next, with structured output an agent can
read field by field; ``describe_api`` gives one namespace's full JSDoc. Both answer
from the same loaded versions as the HTTP routes, and bound their sizes (k at most 20,
five methods per result, JSDoc cut at 16,000 characters).
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from deepcodeseek.service.instances import InstanceNotReady, UnknownInstance
from deepcodeseek.service.queries import ApiNotFound, BadRequest
from deepcodeseek.service.runners import QueryProcesses, QueryProcessLost, QueryThreads
from deepcodeseek.service.settings import MAX_CODE_CHARS, MCP_MAX_K
from deepcodeseek.service.tool_models import ApiDescription, FindApisResult

INSTRUCTIONS = ("DeepCodeSeek finds the ServiceNow APIs (the instance's Script Includes and the platform's classes) "
                "that partial server-side JavaScript needs next. Call find_apis with the code before the cursor; "
                "call describe_api for the full JSDoc of one result.")
CALLER_ERRORS = (UnknownInstance, InstanceNotReady, BadRequest, ApiNotFound, QueryProcessLost)


def build_mcp_server(runner: QueryThreads | QueryProcesses) -> MCPServer:
    server = MCPServer("deepcodeseek", instructions=INSTRUCTIONS, log_level="WARNING")
    single = len(runner.names) == 1
    instance_help = "" if single else f" (one of: {', '.join(runner.names)})"

    async def call(op: str, payload: dict) -> dict:
        try:
            return await runner.call(op, payload)
        except CALLER_ERRORS as exc:
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
        return FindApisResult.model_validate(await call("find_apis", {
            "instance": instance, "code_before": code_before, "code_after": code_after, "scope": scope, "k": k}))

    @server.tool(description="The full JSDoc of one API namespace: its summary, every method with its signature, "
                             "and the JSDoc text. name: an api_name from find_apis (e.g. global.ArrayUtil) or a bare "
                             f"namespace; instance: which instance{instance_help}.")
    async def describe_api(name: str, instance: str | None = None) -> ApiDescription:
        return ApiDescription.model_validate(await call("describe_api", {"instance": instance, "name": name}))

    return server


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False
