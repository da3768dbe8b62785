"""Build steps for the vector and BM25 indexes of one instance."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepcodeseek.documents import DEFAULT_VARIANT, load_documents
from deepcodeseek.index.api_docs import API_DOCS_FILE, write_api_docs
from deepcodeseek.index.bm25 import BM25Index
from deepcodeseek.index.contexts import (
    CONTEXTS_FILE,
    UsageContext,
    contexts_digest,
    load_usage_contexts,
    write_contexts,
)
from deepcodeseek.index.embedder import Embedder, local_model_path
from deepcodeseek.index.onnx_query_encoder import UnsupportedModel, export_int8_onnx, onnx_encoder_dir
from deepcodeseek.index.publish import index_version, version_path, write_vector_table
from deepcodeseek.index.static_encoder import StaticEncoder, distill, static_encoder_dir
from deepcodeseek.paths import InstancePaths
from deepcodeseek.ranking.graph import GRAPH_FILE, doc_graph_rows, graph_digest, write_doc_graph
from deepcodeseek.retrieval.context_ivf import write_index
from deepcodeseek.sources.platform_load import platform_classes
from deepcodeseek.store.duckdb_store import InstanceStore, fetch_dicts, insert_rows


@dataclass
class VectorIndexSummary:
    version: str
    rows: int
    embedded: int
    reused: int
    model: str
    dimension: int
    device: str
    seconds: float
    docs_per_second: float


def embed_with_cache(store: InstanceStore, embedder: Embedder, docs: list[dict],
                     progress: Callable[[str], None] | None = None, batch: int = 64) -> tuple[np.ndarray, int]:
    """Embed only documents whose text hash this model has not embedded before."""
    with store.connect() as con:
        cached = {r["text_hash"]: r["vector"] for r in fetch_dicts(con, "documents/select_cached_embeddings", [embedder.name])}
    todo = sorted({d["text_hash"]: d["text"] for d in docs if d["text_hash"] not in cached}.items())
    started = time.perf_counter()
    new_rows = []
    for i in range(0, len(todo), batch):
        chunk = todo[i: i + batch]
        vectors = embedder.embed_documents([t for _, t in chunk])
        for (h, _), v in zip(chunk, vectors):
            cached[h] = v
            new_rows.append([embedder.name, h, v.tolist()])
        if progress:
            done = min(i + batch, len(todo))
            rate = done / max(1e-9, time.perf_counter() - started)
            progress(f"embedded {done}/{len(todo)} documents ({rate:.1f}/s)")
    if new_rows:
        with store.transaction() as con:
            insert_rows(con, "documents/insert_embedding", ("model", "text_hash", "vector"), new_rows)
    matrix = np.asarray([cached[d["text_hash"]] for d in docs], dtype=np.float32).reshape(len(docs), -1)
    return matrix, len(todo)


def current_version(store: InstanceStore, model: str, variant: str = DEFAULT_VARIANT) -> tuple[str, list[dict], list[UsageContext]]:
    """The version the instance's current documents, usage contexts and graph facts make, with the first two."""
    docs = load_documents(store, variant)
    contexts = load_usage_contexts(store)
    digest = contexts_digest(contexts) + graph_digest(doc_graph_rows(store))
    return index_version(docs, model, variant, digest), docs, contexts


def build_vector_index(store: InstanceStore, paths: InstancePaths, embedder: Embedder,
                       variant: str = DEFAULT_VARIANT, progress: Callable[[str], None] | None = None) -> VectorIndexSummary:
    started = time.perf_counter()
    version, docs, contexts = current_version(store, embedder.name, variant)
    vectors, embedded = embed_with_cache(store, embedder, docs, progress)
    rows = write_vector_table(paths, version, docs, vectors, embedder.name, variant)
    paths.index.write_once(version_path(version, STATIC_DIR),
                           lambda tmp: write_static_signals(paths, embedder, docs, contexts, tmp))
    export_query_encoder(paths, embedder, progress)
    seconds = time.perf_counter() - started
    return VectorIndexSummary(
        version=version, rows=rows, embedded=embedded, reused=len(docs) - embedded, model=embedder.name,
        dimension=int(vectors.shape[1]) if len(docs) else embedder.dimension,
        device=getattr(embedder, "device", "cpu"), seconds=seconds,
        docs_per_second=embedded / seconds if embedded else 0.0,
    )


STATIC_DIR = "static"


def write_static_signals(paths: InstancePaths, embedder: Embedder, docs: list[dict],
                         contexts: list[UsageContext], folder: Path) -> None:
    """Usage contexts embedded with the static encoder distilled from ``embedder`` (distilled once per model).

    The serving path compares a query with them in about a millisecond: semantic
    neighbour votes without running the teacher at query time.
    """
    encoder_dir = static_encoder_dir(paths.home, embedder.name)
    distill(local_model_path(embedder.name, paths.home), encoder_dir, embedder.name, device=getattr(embedder, "device", "cpu"))
    encoder = StaticEncoder(encoder_dir)
    idf = encoder.fit_idf([d["text"] for d in docs])
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "idf.npy", idf)
    vectors = encoder.encode([c.text for c in contexts]).astype(np.float16)
    np.save(folder / "contexts.npy", vectors)
    write_index(folder, vectors)  # above the crossover, the inverted file semantic votes read
    (folder / "meta.json").write_text(json.dumps({
        "encoder": str(encoder_dir.relative_to(paths.home)), "teacher": embedder.name, "contexts": len(contexts)}))


def export_query_encoder(paths: InstancePaths, embedder: Embedder, progress: Callable[[str], None] | None = None) -> bool:
    """The int8 ONNX copy of ``embedder``'s model that query-only processes encode with (once per model).

    A model the exporter cannot reproduce is served through torch instead: said, not fatal.
    """
    try:
        export_int8_onnx(local_model_path(embedder.name, paths.home), onnx_encoder_dir(paths.home, embedder.name),
                         embedder.name)
        return True
    except (UnsupportedModel, ImportError) as exc:
        if progress:
            progress(f"no int8 ONNX query encoder for {embedder.name} (queries go through torch): {exc}")
        return False


def build_bm25_index(store: InstanceStore, paths: InstancePaths, model: str,
                     variant: str = DEFAULT_VARIANT) -> dict:
    """BM25 over the documents and over the usage contexts that feed neighbour votes, and the
    API docs (signatures, summaries, JSDoc) that the service returns with each result."""
    version, docs, contexts = current_version(store, model, variant)
    # Versions are content-addressed: a part that is complete may be in use by readers and
    # is left alone (``Storage.write_once``: rename locally, marker last on S3).
    index = paths.index
    index.write_once(version_path(version, BM25_DIR), lambda tmp: BM25Index.build([d["text"] for d in docs]).save(tmp))
    index.write_once(version_path(version, API_DOCS_FILE), lambda tmp: write_api_docs(docs, jsdoc_by_sys_id(store), tmp))
    index.write_once(version_path(version, CONTEXTS_FILE), lambda tmp: write_contexts(contexts, tmp))
    index.write_once(version_path(version, GRAPH_FILE), lambda tmp: write_doc_graph(doc_graph_rows(store), tmp))
    if contexts:
        index.write_once(version_path(version, CONTEXTS_BM25_DIR),
                         lambda tmp: BM25Index.build([c.text for c in contexts]).save(tmp))
    return {"version": version, "documents": len(docs), "usage_contexts": len(contexts),
            "path": index.uri(version_path(version))}


def jsdoc_by_sys_id(store: InstanceStore) -> dict[str, str]:
    """The structured JSDoc (JSON) of every Script Include and platform class of the instance."""
    with store.connect() as con:
        rows = fetch_dicts(con, "jsdoc/select_docs")
    return {r["sys_id"]: r["doc_json"] for r in rows + platform_classes(store)}


BM25_DIR = "bm25"
CONTEXTS_BM25_DIR = "contexts_bm25"
