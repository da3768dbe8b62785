"""Models that published versions need (tuned embedders, static encoders), beside the index on object storage.

Models this system trains or distils live under ``<home>/models/<name>``, and their
names are content-addressed (a tuned model's name carries the hash of its base,
examples and settings; a static encoder's the name of its teacher). When the index is
on object storage, a version is staged only after the models it names are uploaded
to ``$DEEPCODESEEK_INDEX_URI/models/<name>``; a serving replica with an empty local
disk downloads a model once into its own ``<home>/models``. Because names are
content-addressed, a local copy is never stale.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from deepcodeseek.paths import index_base_uri
from deepcodeseek.storage import Storage, storage_for

MODELS_DIR = "models"


def remote_models(index_uri: str | None = None) -> Storage | None:
    """Where published models live, or None when the index is local (``<home>/models`` is the store)."""
    base = index_uri if index_uri is not None else index_base_uri()
    return storage_for(f"{base.rstrip('/')}/{MODELS_DIR}") if base else None


def publish_model(home: str | os.PathLike[str], name: str, index_uri: str | None = None) -> bool:
    """Upload ``<home>/models/<name>`` unless it is already there; False when there is nothing to do.

    Models shipped in a package (the base embedder) are not under ``home`` and are not uploaded.
    """
    store = remote_models(index_uri)
    local = Path(home) / MODELS_DIR / name
    if store is None or not local.is_dir():
        return False
    return store.write_once(name, lambda tmp: shutil.copytree(local, tmp))


def fetch_model(home: str | os.PathLike[str], name: str, index_uri: str | None = None) -> Path | None:
    """``<home>/models/<name>``, downloaded from the model store first when only it has the model."""
    local = Path(home) / MODELS_DIR / name
    if local.is_dir():
        return local
    store = remote_models(index_uri)
    if store is None or not store.is_complete(name):
        return None
    store.download(name, local)
    return local if local.is_dir() else None
