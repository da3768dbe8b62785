"""The long-lived query service: HTTP (FastAPI on uvicorn) and MCP over one set of loaded indexes.

Each served instance keeps its published index version loaded (``instances``); a
background watcher follows the published pointer and swaps versions atomically. The
HTTP routes (``app``) and the MCP tools (``mcp_tools``) answer from the same loaded
versions. This package never imports Dagster nor opens the pipeline's DuckDB.
"""
