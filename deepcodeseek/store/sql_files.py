"""Load the project's SQL from ``.sql`` files.

The queries live in the top-level ``sql/`` folder (installed as ``deepcodeseek.sql``) so
they can be read, reviewed and diffed as SQL rather than as Python strings.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load_sql(name: str) -> str:
    """Return the text of ``sql/<name>.sql``; ``name`` may contain one folder level."""
    path = resources.files("deepcodeseek.sql")
    for part in f"{name}.sql".split("/"):
        path = path / part
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file sql/{name}.sql")
    return path.read_text(encoding="utf-8")


def schema_files() -> list[str]:
    """Names of the DDL files under ``sql/schema/``, in the order they must run."""
    folder = resources.files("deepcodeseek.sql") / "schema"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [f"schema/{n[:-4]}" for n in names]
