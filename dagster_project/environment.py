"""Which deployment we run in: LOCAL (a laptop, the quickstart), CI, or PROD."""

from __future__ import annotations

import os
from enum import Enum

from deepcodeseek.errors import BadInput


class Environment(str, Enum):
    LOCAL = "local"
    CI = "ci"
    PROD = "prod"


def get_environment() -> Environment:
    raw = os.environ.get("DEEPCODESEEK_ENV") or ("ci" if os.environ.get("CI") else "local")
    try:
        return Environment(raw.lower())
    except ValueError as exc:
        raise BadInput(f"DEEPCODESEEK_ENV={raw!r}: expected one of local, ci, prod") from exc
