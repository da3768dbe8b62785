"""Release a built index version to readers, after checking it is complete."""

from __future__ import annotations

from deepcodeseek.documents import DEFAULT_VARIANT
from deepcodeseek.index.build import current_version
from deepcodeseek.index.publish import IndexNotPublished, current_manifest, open_vector_table, publish
from deepcodeseek.paths import InstancePaths
from deepcodeseek.store.duckdb_store import InstanceStore


class IncompleteIndex(RuntimeError):
    """A version is missing a part or rows; it is never published."""


def release_index(store: InstanceStore, paths: InstancePaths, model: str, variant: str = DEFAULT_VARIANT,
                  adapted_from: dict | None = None, keep_adapted: bool = True, switch: bool = True) -> dict:
    """Check the version ``model`` makes of the current documents, then switch readers to it.

    ``adapted_from`` (``{"model", "version"}``) marks a version embedded with an
    instance-tuned model. Releasing the base version of the adapted version readers
    already use would be a downgrade, so it is skipped unless ``keep_adapted`` is off.
    ``switch=False`` writes the manifest without moving readers.
    """
    version, docs, contexts = current_version(store, model, variant)
    if keep_adapted and adapted_from is None:
        live = _live_manifest(paths)
        if live and live.get("adapted_from", {}).get("version") == version:
            return live
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
    manifest = {
        "instance": paths.instance,
        "model": model,
        "dimension": int(metadata.get(b"dimension", b"0")),
        "variant": variant,
        "documents": len(docs),
        "usage_contexts": len(contexts),
        "scopes": sorted({d["scope"] for d in docs}),
    }
    if adapted_from:
        manifest["adapted_from"] = adapted_from
    return publish(paths, version, manifest, switch=switch)


def _live_manifest(paths: InstancePaths) -> dict | None:
    try:
        return current_manifest(paths)
    except IndexNotPublished:
        return None
