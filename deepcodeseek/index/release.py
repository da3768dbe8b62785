"""Stage the versions a build makes, then switch readers once, to the best of them.

A build makes up to two versions of the same documents: the one the base embedder
makes, and (when the instance has call sites to learn from) the one its tuned model
makes, with the ranking settings calibrated for it. Each is checked complete and
*staged* (its manifest written, readers untouched); only the build's last step moves
``CURRENT.json``, once, so readers never see an intermediate version.
"""

from __future__ import annotations

import json
from pathlib import Path

from deepcodeseek.documents import DEFAULT_VARIANT
from deepcodeseek.errors import IncompleteIndex
from deepcodeseek.index.build import BM25_DIR, STATIC_DIR, current_version
from deepcodeseek.index.model_store import publish_model
from deepcodeseek.index.onnx_query_encoder import onnx_encoder_dir
from deepcodeseek.index.publish import (
    IndexNotPublished,
    open_vector_table,
    promote,
    publish,
    version_manifest,
    version_path,
)
from deepcodeseek.paths import InstancePaths
from deepcodeseek.store.duckdb_store import InstanceStore


def check_complete(paths: InstancePaths, version: str, documents: int) -> dict:
    """The version's table metadata, once its rows and BM25 index are all there."""
    try:
        table = open_vector_table(paths, version)
    except (FileNotFoundError, ValueError) as exc:
        raise IncompleteIndex(f"instance {paths.instance}: vector table of version {version} is missing ({exc})") from exc
    rows = table.count_rows()
    if rows != documents:
        raise IncompleteIndex(f"instance {paths.instance}: version {version} has {rows} rows for {documents} documents")
    if not paths.index.is_complete(version_path(version, BM25_DIR)):
        raise IncompleteIndex(f"instance {paths.instance}: BM25 index of version {version} is missing")
    return table.schema.metadata or {}


def stage_index(store: InstanceStore, paths: InstancePaths, model: str, variant: str = DEFAULT_VARIANT,
                adapted_from: dict | None = None, extra: dict | None = None) -> dict:
    """Check the version ``model`` makes of the current documents and write its manifest, readers untouched.

    ``adapted_from`` (``{"model", "version"}``) marks a version embedded with an
    instance-tuned model; ``extra`` adds calibrated settings (fusion weights, ranker).
    """
    version, docs, contexts = current_version(store, model, variant)
    metadata = check_complete(paths, version, len(docs))
    if paths.remote_index:
        publish_version_models(paths, version, model)
    manifest = {
        "instance": paths.instance,
        "model": model,
        "dimension": int(metadata.get(b"dimension", b"0")),
        "variant": variant,
        "documents": len(docs),
        "usage_contexts": len(contexts),
        "scopes": sorted({d["scope"] for d in docs}),
        **({"adapted_from": adapted_from} if adapted_from else {}),
        **(extra or {}),
    }
    return publish(paths, version, manifest, switch=False)


def publish_version_models(paths: InstancePaths, version: str, model: str) -> list[str]:
    """Upload the models a version names (its embedder, its int8 ONNX query encoder, its static
    encoder) beside a remote index.

    Done before the version is staged, so a replica that reads the manifest finds
    every model it names. Packaged models (the base embedder) need no upload.
    """
    names = [model, onnx_encoder_dir(paths.home, model).name]
    try:
        static = json.loads(paths.index.read_text(version_path(version, f"{STATIC_DIR}/meta.json")))
        names.append(Path(static["encoder"]).name)
    except FileNotFoundError:
        pass
    return [name for name in names if publish_model(paths.home, name, paths.index_base_uri)]


def build_version(store: InstanceStore, paths: InstancePaths, base_model: str, tuned_model: str | None = None,
                  variant: str = DEFAULT_VARIANT) -> tuple[dict, str]:
    """The staged version this build will publish, and which it is (``adapted`` or ``base``):
    the adapted one when it was staged for the current documents, else the base."""
    base_version = current_version(store, base_model, variant)[0]
    manifest = _staged(paths, base_version)
    if tuned_model:
        tuned_version = current_version(store, tuned_model, variant)[0]
        adapted = _staged(paths, tuned_version, required=False)
        if adapted and adapted.get("adapted_from", {}).get("version") == base_version:
            return adapted, "adapted"
    return manifest, "base"


def restage(paths: InstancePaths, manifest: dict, extra: dict) -> dict:
    """Add settings chosen later (the query encoder, the learned ranker, rerankers, the default method)
    to a staged version's manifest; on object storage the models they name are uploaded first."""
    merged = {**manifest, **extra}
    if paths.remote_index:
        for name in models_named(merged):
            publish_model(paths.home, name, paths.index_base_uri)
    return publish(paths, manifest["version"], merged, switch=False)


def models_named(manifest: dict) -> list[str]:
    """Folders under ``<home>/models`` that serving a version needs beside its embedder."""
    names = [(manifest.get("query_encoder") or {}).get("model")]
    names += [spec.get("folder") for spec in (manifest.get("rerankers") or {}).values()]
    return [n for n in names if n]


def publish_build(store: InstanceStore, paths: InstancePaths, base_model: str, tuned_model: str | None = None,
                  variant: str = DEFAULT_VARIANT) -> dict:
    """Switch readers to this build's version (see :func:`build_version`), once it is complete.

    Returns the live manifest plus ``"chosen"``: ``adapted`` or ``base``.
    """
    manifest, chosen = build_version(store, paths, base_model, tuned_model, variant)
    check_complete(paths, manifest["version"], manifest["documents"])
    return {**promote(paths, manifest["version"]), "chosen": chosen}


def _staged(paths: InstancePaths, version: str, required: bool = True) -> dict | None:
    try:
        return version_manifest(paths, version)
    except IndexNotPublished:
        if required:
            raise IncompleteIndex(f"instance {paths.instance}: version {version} was never staged; "
                                  "its index steps did not complete") from None
        return None
