"""Release a built index version to readers, after checking it is complete."""

from __future__ import annotations

from deepcodeseek.documents import DEFAULT_VARIANT
from deepcodeseek.index.build import current_version
from deepcodeseek.index.publish import open_vector_table, publish
from deepcodeseek.paths import InstancePaths
from deepcodeseek.store.duckdb_store import InstanceStore


class IncompleteIndex(RuntimeError):
    """A version is missing a part or rows; it is never published."""


def release_index(store: InstanceStore, paths: InstancePaths, model: str, variant: str = DEFAULT_VARIANT) -> dict:
    version, docs, contexts = current_version(store, model, variant)
    try:
        table = open_vector_table(paths, version)
    except (FileNotFoundError, ValueError) as exc:
        raise IncompleteIndex(f"instance {paths.instance}: vector table of version {version} is missing ({exc})") from exc
    rows = table.count_rows()
    if rows != len(docs):
        raise IncompleteIndex(f"instance {paths.instance}: version {version} has {rows} rows for {len(docs)} documents")
    if not (paths.version_dir(version) / "bm25" / "params.index.json").exists():
        raise IncompleteIndex(f"instance {paths.instance}: BM25 index of version {version} is missing")
    metadata = table.schema.metadata or {}
    return publish(paths, version, {
        "instance": paths.instance,
        "model": model,
        "dimension": int(metadata.get(b"dimension", b"0")),
        "variant": variant,
        "documents": len(docs),
        "usage_contexts": len(contexts),
        "scopes": sorted({d["scope"] for d in docs}),
    })
