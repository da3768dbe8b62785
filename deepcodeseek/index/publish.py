"""Index versions on disk and the atomic switch between them.

Every build writes a complete new version (a LanceDB table ``docs_<version>`` and a
folder ``versions/<version>/`` with the BM25 index and manifest); only then does
``CURRENT.json`` move to it, by ``os.replace``. Readers that opened the previous
version keep answering from it, and nobody ever sees a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time

import lancedb
import numpy as np
import pyarrow as pa

from deepcodeseek import atomic
from deepcodeseek.errors import IndexNotPublished
from deepcodeseek.paths import InstancePaths

FORMAT_VERSION = "2"  # 2: graph facts (extends, tables) are part of a version
KEEP_VERSIONS = 3
DOC_COLUMNS = ("sys_id", "namespace", "api_name", "scope", "access", "active", "client_callable",
               "kind", "methods", "usage_count", "pagerank", "text")


def index_version(docs: list[dict], model: str, variant: str, contexts_digest: str = "") -> str:
    """Same documents, usage contexts, model and form give the same version: rebuilding changes nothing."""
    h = hashlib.sha256(f"{FORMAT_VERSION}|{model}|{variant}|{contexts_digest}".encode())
    for d in docs:
        h.update(d["sys_id"].encode())
        h.update(d["text_hash"].encode())
        h.update(f"{d['scope']}|{d['access']}|{d['active']}|{d['usage_count']}|{d['methods']}".encode())
    return h.hexdigest()[:16]


def table_name(version: str) -> str:
    return f"docs_{version}"


def write_vector_table(paths: InstancePaths, version: str, docs: list[dict], vectors: np.ndarray,
                       model: str, variant: str) -> int:
    """Write the version's LanceDB table (model name and dimension in its schema metadata)."""
    if len(docs) != len(vectors):
        raise ValueError(f"{len(docs)} documents but {len(vectors)} vectors")
    dim = int(vectors.shape[1]) if len(vectors) else 0
    schema = pa.schema(
        [pa.field(c, pa.bool_() if c in ("active", "client_callable") else
                  pa.int32() if c == "usage_count" else pa.float64() if c == "pagerank" else pa.string())
         for c in DOC_COLUMNS] + [pa.field("vector", pa.list_(pa.float32(), dim))],
        metadata={"model": model, "dimension": str(dim), "variant": variant, "version": version},
    )
    columns = {c: [d[c] for d in docs] for c in DOC_COLUMNS}
    columns["vector"] = list(vectors.astype(np.float32))
    table = pa.Table.from_pydict(columns, schema=schema)
    paths.lancedb.mkdir(parents=True, exist_ok=True)
    db = lancedb.connect(str(paths.lancedb))
    name = table_name(version)
    if name in db.table_names():
        # Versions are content-addressed: a complete table of this version is this table,
        # and may be the published one that readers use, so it is never rewritten.
        if db.open_table(name).count_rows() == table.num_rows:
            return table.num_rows
        db.drop_table(name)  # an incomplete leftover of an interrupted build
    db.create_table(name, data=table)
    return table.num_rows


def open_vector_table(paths: InstancePaths, version: str):
    return lancedb.connect(str(paths.lancedb)).open_table(table_name(version))


def publish(paths: InstancePaths, version: str, manifest: dict, switch: bool = True) -> dict:
    """Write the manifest, then switch ``CURRENT.json`` to this version in one rename.

    ``switch=False`` writes the manifest only: the version can then be opened by name
    (and measured) before readers are moved to it.
    """
    folder = paths.version_dir(version)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {**manifest, "version": version, "table": table_name(version), "published_at": time.time()}
    atomic.write_json(folder / "manifest.json", manifest, indent=2, sort_keys=True)
    if switch:
        switch_current(paths, version)
    return manifest


def switch_current(paths: InstancePaths, version: str) -> None:
    """Move readers to a staged version in one rename, then prune versions nobody should need."""
    if not (paths.version_dir(version) / "manifest.json").exists():
        raise IndexNotPublished(f"instance {paths.instance!r}: version {version} has no manifest to switch to")
    atomic.write_json(paths.current_pointer, {"version": version}, indent=2, sort_keys=True)
    _prune_old_versions(paths, keep=version)


def current_manifest(paths: InstancePaths) -> dict:
    try:
        pointer = json.loads(paths.current_pointer.read_text(encoding="utf-8"))
        return json.loads((paths.version_dir(pointer["version"]) / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexNotPublished(
            f"instance {paths.instance!r} has no published index under {paths.index_root}; "
            f"run 'deepcodeseek index --instance {paths.instance}' first"
        ) from exc


def version_manifest(paths: InstancePaths, version: str) -> dict:
    """The manifest of one published version, current or not."""
    try:
        return json.loads((paths.version_dir(version) / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexNotPublished(f"instance {paths.instance!r}: version {version} was never published "
                                f"or has been pruned") from exc


def _prune_old_versions(paths: InstancePaths, keep: str) -> None:
    """Keep the newest few versions so long-running readers of an old one keep working."""
    root = paths.version_dir("x").parent
    versions = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    stale = [p for p in versions if p.name != keep][KEEP_VERSIONS - 1:]
    if not stale:
        return
    db = lancedb.connect(str(paths.lancedb))
    existing = set(db.table_names())
    for folder in stale:
        if table_name(folder.name) in existing:
            db.drop_table(table_name(folder.name))
        shutil.rmtree(folder, ignore_errors=True)
