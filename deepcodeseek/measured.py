"""Results of the build's measuring stages, kept by what they measured.

The query encoder choice and the rerankers' N come from timings as well as from
quality, and timings on a shared 2-core machine move by 20% between runs. Measured
again on a reindex that changed nothing, the same inputs would give other figures:
the staged manifest would differ from the published one, so the evaluation keyed by it
would run again, and a choice could flip. So a stage that measures keeps its result
under a key of everything it read (the staged manifest so far, the split files, its
settings) and reads it back when the key comes again: a no-change reindex measures
nothing, as it trains nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from deepcodeseek import atomic

MEASURED_DIR = "measured"  # under the instance's state folder
KEEP_PER_STAGE = 3  # a few recent keys, so going back to an earlier input finds it too
VOLATILE = ("published_at",)


def inputs_key(manifest: dict, *parts: object) -> str:
    """A key over the staged manifest a stage starts from (less its time of writing) and the stage's own inputs."""
    stable = {k: v for k, v in manifest.items() if k not in VOLATILE}
    text = json.dumps([stable, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def file_digest(*files: Path) -> str:
    """The content of ``files`` (an absent one counts as empty), for a key."""
    h = hashlib.sha256()
    for path in files:
        h.update(str(Path(path).name).encode())
        h.update(Path(path).read_bytes() if Path(path).exists() else b"")
    return h.hexdigest()[:20]


def folder_digest(folder: Path) -> str:
    """The content of every file directly in ``folder`` (the instance's datasets: splits, held-out rule, pairs)."""
    folder = Path(folder)
    return file_digest(*sorted(p for p in folder.iterdir() if p.is_file())) if folder.is_dir() else file_digest()


def remembered(root: Path, stage: str, key: str, measure: Callable[[], dict],
               usable: Callable[[dict], bool] = lambda result: True) -> tuple[dict, bool]:
    """``measure()``'s result for ``key``, measured now or read back; and whether it was read back.

    ``usable`` rejects a stored result whose artefacts are gone (a model folder removed by hand).
    """
    stored = read_back(root, stage, key, usable)
    if stored is not None:
        return stored, True
    result = measure()
    keep(root, stage, key, result)
    return result, False


def read_back(root: Path, stage: str, key: str, usable: Callable[[dict], bool] = lambda result: True) -> dict | None:
    """The result stored for ``key``, when there is a readable and usable one."""
    path = Path(root) / MEASURED_DIR / f"{stage}-{key}.json"
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: measure again and replace it
    return stored if isinstance(stored, dict) and usable(stored) else None


def keep(root: Path, stage: str, key: str, result: dict) -> None:
    """Store ``result`` under ``key`` (the stage keeps its few latest keys)."""
    folder = Path(root) / MEASURED_DIR
    atomic.write_json(folder / f"{stage}-{key}.json", result, default=str)
    _prune(folder, stage)


def _prune(folder: Path, stage: str) -> None:
    """Keep the stage's ``KEEP_PER_STAGE`` latest results. Keys are hex, so a name with another hyphen
    after the stage's belongs to another stage (``paired_default-static`` is not ``-static-mlp``'s)."""
    mine = [p for p in folder.glob(f"{stage}-*.json") if "-" not in p.stem[len(stage) + 1:]]
    kept = sorted(mine, key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_PER_STAGE:]:
        old.unlink(missing_ok=True)
