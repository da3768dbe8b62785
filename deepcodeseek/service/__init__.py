"""The long-lived query service: HTTP (FastAPI on uvicorn) and MCP over one set of loaded indexes.

Each served instance keeps its published index version loaded (``instances``); a
background watcher follows the published pointer and swaps versions atomically. The
HTTP routes (``app``) and the MCP tools (``mcp_tools``) check their input and hand the rest to
``queries``' handlers, run on query threads beside one loaded index or in query processes that
each load their own (``runners``, ``query_process``). This package never imports Dagster nor
opens the pipeline's DuckDB.
"""
