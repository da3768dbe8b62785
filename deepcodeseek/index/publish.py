"""Index versions and the atomic switch between them, on a local disk or on object storage.

Every build writes a complete new version (a LanceDB table ``docs_<version>`` and a
folder ``versions/<version>/`` with the BM25 index and manifest); only then does
``CURRENT.json`` move to it, in one replace (``os.replace`` locally, one PUT on S3).
The build's stages add their settings to the version's ``staged.json``; the publish
step makes it the version's ``manifest.json`` in one write, so readers of a version
that a no-change reindex stages again keep its whole published manifest until then.
Readers that opened the previous version keep answering from it, and nobody ever sees
a half-written one. Where the versions live is ``paths.index`` (``deepcodeseek.storage``).
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pyarrow as pa

from deepcodeseek import atomic
from deepcodeseek.errors import IndexNotPublished
from deepcodeseek.paths import InstancePaths

FORMAT_VERSION = "2"  # 2: graph facts (extends, tables) are part of a version
POINTER = "CURRENT.json"
PUBLISHED = "manifest.json"  # a version's manifest as readers of CURRENT see it
STAGED = "staged.json"  # the manifest a build is still adding to (see publish)
LANCEDB_DIR = "lancedb"
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


def version_path(version: str, part: str = "") -> str:
    """A version's folder (or one of its parts) relative to the index root."""
    return f"versions/{version}/{part}" if part else f"versions/{version}"


def connect_index(paths: InstancePaths):
    """The instance's LanceDB database (a local folder or LanceDB's native S3 support)."""
    return paths.index.lancedb(LANCEDB_DIR)


def table_names(db) -> set[str]:
    """Every table of a LanceDB database (``list_tables`` answers in pages)."""
    names: set[str] = set()
    token = None
    while True:
        page = db.list_tables(page_token=token)
        names.update(page.tables)
        token = page.page_token
        if not token or not page.tables:
            return names


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
    db = connect_index(paths)
    name = table_name(version)
    if name in table_names(db):
        # Versions are content-addressed: a complete table of this version is this table,
        # and may be the published one that readers use, so it is never rewritten.
        if db.open_table(name).count_rows() == table.num_rows:
            return table.num_rows
        db.drop_table(name)  # an incomplete leftover of an interrupted build
    db.create_table(name, data=table)
    return table.num_rows


def open_vector_table(paths: InstancePaths, version: str):
    return connect_index(paths).open_table(table_name(version))


def publish(paths: InstancePaths, version: str, manifest: dict, switch: bool = True) -> dict:
    """Write the manifest, then switch ``CURRENT.json`` to this version in one rename.

    ``switch=False`` stages it instead: the manifest goes to the version's ``staged.json``,
    where the build's later stages (and anyone opening the version by name to measure it)
    read it, and readers of ``CURRENT`` never do. A no-change reindex stages the live
    version again, stage by stage; its readers keep the published manifest, whole, until
    :func:`promote` replaces it.
    """
    manifest = {**manifest, "version": version, "table": table_name(version), "published_at": time.time()}
    _write_json(paths, version_path(version, PUBLISHED if switch else STAGED), manifest)
    if switch:
        switch_current(paths, version)
    return manifest


def promote(paths: InstancePaths, version: str) -> dict:
    """Publish a version's newest manifest (the staged one, else the one it was published with), then
    switch readers to it: the manifest in one write, the pointer in another."""
    newest = version_manifest(paths, version)
    return publish(paths, version, {k: v for k, v in newest.items() if k not in ("version", "table")})


def switch_current(paths: InstancePaths, version: str) -> None:
    """Move readers to a staged version in one replace of the pointer, then prune versions nobody should need.

    The pointer is the last thing written: the version's parts and manifest are
    complete before it names them (one PUT on S3 is atomic, ``os.replace`` locally).
    """
    if not paths.index.exists(version_path(version, PUBLISHED)):
        raise IndexNotPublished(f"instance {paths.instance!r}: version {version} has no manifest to switch to")
    _write_json(paths, POINTER, {"version": version})
    _prune_old_versions(paths, keep=version)


def current_manifest(paths: InstancePaths) -> dict:
    """The live version's manifest. Cheap (two small reads), so replicas poll it to pick up new versions."""
    try:
        pointer = json.loads(paths.index.read_text(POINTER))
        return json.loads(paths.index.read_text(version_path(pointer["version"], PUBLISHED)))
    except FileNotFoundError as exc:
        raise IndexNotPublished(
            f"instance {paths.instance!r} has no published index under {paths.index.uri()}; "
            f"run 'deepcodeseek index --instance {paths.instance}' first"
        ) from exc


def version_manifest(paths: InstancePaths, version: str) -> dict:
    """The newest manifest of one version: the one a build staged, else the published one.

    What the build's stages and comparisons open a version by name with. Serving reads
    the published manifest (:func:`current_manifest`, :func:`published_manifest`).
    """
    try:
        return json.loads(paths.index.read_text(version_path(version, STAGED)))
    except FileNotFoundError:
        return published_manifest(paths, version)


def versions_with_manifest(paths: InstancePaths) -> list[str]:
    """Every version that has a manifest, staged or published: those that can be opened or promoted."""
    storage = paths.index
    return [v for v in storage.children("versions")
            if storage.exists(version_path(v, STAGED)) or storage.exists(version_path(v, PUBLISHED))]


def published_manifest(paths: InstancePaths, version: str) -> dict:
    """The manifest one version was last published with, current or not."""
    try:
        return json.loads(paths.index.read_text(version_path(version, PUBLISHED)))
    except FileNotFoundError as exc:
        raise IndexNotPublished(f"instance {paths.instance!r}: version {version} was never published "
                                f"or has been pruned") from exc


def _write_json(paths: InstancePaths, rel: str, payload: dict) -> None:
    paths.index.write_text(rel, json.dumps(payload, indent=2, sort_keys=True))


def _staged_at(paths: InstancePaths, version: str) -> float:
    """When a version was staged (its manifest's time; S3 object times are whole seconds), else its newest file."""
    try:
        return float(version_manifest(paths, version)["published_at"])
    except (IndexNotPublished, KeyError, ValueError):
        return paths.index.newest_mtime(version_path(version))


def _prune_old_versions(paths: InstancePaths, keep: str) -> None:
    """Keep the newest few versions so long-running readers of an old one keep working."""
    storage = paths.index
    recency = {v: _staged_at(paths, v) for v in storage.children("versions")}
    versions = sorted(recency, key=recency.get, reverse=True)
    stale = [v for v in versions if v != keep][KEEP_VERSIONS - 1:]
    if not stale:
        return
    db = connect_index(paths)
    existing = table_names(db)
    for version in stale:
        storage.remove(version_path(version, PUBLISHED))  # first: the version stops being openable
        storage.remove(version_path(version, STAGED))
        if table_name(version) in existing:
            db.drop_table(table_name(version))
        storage.remove(version_path(version))
