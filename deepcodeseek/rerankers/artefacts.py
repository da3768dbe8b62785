"""Content-addressed training artefacts and the summary every training returns.

A trained reranker is named by a key over its base model, a digest of its training
data and its settings (and, for a stage that starts from another, that artefact's
key). Training writes into a folder beside the destination and renames it into
place; a second call with the same inputs finds the folder and trains nothing. The
summary (with the training curve) is stored with the weights, so a reused artefact
still reports how it was trained and a Dagster asset can plot it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deepcodeseek import atomic
from typing import Any

RERANKERS_DIR = "rerankers"  # under <home>/models
TRAINING_FILE = "training.json"
Progress = Callable[[str], None] | None


@dataclass
class TrainingSummary:
    """How an artefact was trained: counts, time, device and the curve per step.

    ``curve`` maps a series name (``loss``, ``reward``, ``dev_accuracy``) to a list of
    ``[step, value]`` points.
    """

    kind: str
    name: str
    key: str
    path: str
    base: str
    examples: int
    steps: int
    device: str
    seconds: float
    sequences: int = 0  # forward-backward passes over one sequence: the compute the stage spent
    reused: bool = False
    curve: dict[str, list[list[float]]] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    parent: str | None = None  # the key of the artefact this stage started from

    def last(self, series: str) -> float | None:
        points = self.curve.get(series) or []
        return points[-1][1] if points else None

    def as_metadata(self) -> dict:
        """Flat values for an asset's metadata (the curve is plotted, not listed)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("curve", "config")}
        out["config"] = json.dumps(self.config, sort_keys=True)
        for series in self.curve:
            out[f"last_{series}"] = self.last(series)
        return out


def rows_digest(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A digest of the given columns of every row, in order: equal data, equal digest."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps([row.get(c) for c in columns], sort_keys=True, default=str).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def artefact_key(base: str, data_digest: str, settings: Mapping, parent: str | None = None) -> str:
    payload = json.dumps({"base": base, "data": data_digest, "settings": settings, "parent": parent},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def artefact_dir(home: Path | str, kind: str, key: str) -> Path:
    return Path(home) / "models" / RERANKERS_DIR / f"{kind}-{key}"


def read_summary(folder: Path | str) -> TrainingSummary | None:
    """The stored summary of a complete artefact, marked reused; None when there is none."""
    path = Path(folder) / TRAINING_FILE
    if not path.exists():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    return TrainingSummary(**{**stored, "path": str(folder), "reused": True})


def publish_artefact(build: Callable[[Path], TrainingSummary], destination: Path) -> TrainingSummary:
    """Run ``build`` into a temporary folder beside ``destination`` and rename it into place.

    ``build`` writes the weights and returns the summary; the summary file is written
    last, so a folder with it is complete. A concurrent build of the same key that
    finished first wins; ours is discarded.
    """
    tmp = atomic.temp_dir_beside(destination)
    try:
        summary = build(tmp)
        summary.path = str(destination)
        (tmp / TRAINING_FILE).write_text(json.dumps(asdict(summary), indent=2, sort_keys=True, default=str),
                                         encoding="utf-8")
        if not atomic.rename_into_place(tmp, destination):  # the destination appeared meanwhile: keep that one
            return read_summary(destination)
        return summary
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
