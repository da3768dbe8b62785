"""Cost curve: how build, reindex, query time, memory and disk grow with an instance's namespaces.

Usage:
    .venv/bin/python benchmarks/scaling.py --sizes 2600,10000 --out /tmp/scaling          # full builds
    .venv/bin/python benchmarks/scaling.py --sizes 2600 --no-adaptation                  # no tuned embedder
    .venv/bin/python benchmarks/scaling.py --sizes 10000,25000,50000 --synthetic-from /tmp/scaling/home-2600
    .venv/bin/python benchmarks/scaling.py --changes-of $DEEPCODESEEK_HOME:corpus --out /tmp/changes  # reindexes only

Instances are synthesised from the shared corpus (``../shared/corpus``, 1,363 Script
Includes, plus the 1,247 classes of ``@servicenow/glide``: 2,610 namespaces): every
extra copy renames each Script Include (``IncidentUtils`` -> ``IncidentUtilsC3``, new
sys_ids) and every script that calls it, so the copy has its own call sites, usage
contexts and training examples, as a larger instance would.

Per size, a **full build** goes through the same Dagster assets as ``deepcodeseek
index`` (the evaluation report left out: it measures, it does not build), split into
embedding (``vector_index``, ``adapted_index``), training (``training_triplets``,
``adapted_embedder``, ``query_encoders``, ``learned_ranker``, ``rerankers``) and the rest, with each
step's seconds beside; then a **no-change reindex**; then two **small-change
reindexes** in a row, each with about 1% of the Script Includes edited (below
``training.warm_start.KEEP_MODEL_CHANGE`` of its examples new the tuned model is kept, and below
``deepcodeseek.carry.KEEP_CHANGE`` of the instance changed every fitted stage is carried over;
``benchmarks/carry_quality.py`` compares that with fitting again). Then **query latency** p50/p95 for the default method and BM25 (the
model loaded, 100 queries made of usage contexts, two passes), the **memory** of a
fresh process holding a loaded Retriever, and the **on-disk size** of the index.

``--synthetic-from HOME`` measures query cost, memory and disk at sizes too large to
build here: it takes the built 2.6k instance's published version and replicates its
documents (renamed) and usage contexts, with each copy's embedding the original one
plus Gaussian noise (cosine about 0.9 to it), into a version of its own. Those figures
are labelled ``synthetic``: they measure the serving path's cost, not accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEEPCODESEEK_ENV", "ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS, PLATFORM = SHARED / "corpus", SHARED / "platform" / "servicenow-glide-27.0.5.tgz"
PLATFORM_CLASSES = 1247
EMBEDDING_STEPS = ("vector_index", "adapted_index")
# Every step that fits a model: the embedder (and its triplets), the query-encoder students, the learned
# ranker and the neural rerankers. A small change should cost a small share of each.
TRAINING_STEPS = ("training_triplets", "adapted_embedder", "query_encoders", "learned_ranker", "rerankers")
SKIPPED = ("evaluation_report",)
QUERIES = 100
PLATFORM_GLOBALS = {"Class", "Object", "JSON", "Math", "String", "Array", "Date", "Number", "Boolean", "RegExp"}

MEMORY_PROBE = """
import json, sys
from pathlib import Path
import time
def rss(field='VmRSS:'):
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
from deepcodeseek.retrieval.retriever import Retriever
base = rss()
started = time.perf_counter()
r = Retriever(sys.argv[1], sys.argv[2]); r.warm_up()
seconds = time.perf_counter() - started
loaded = rss()
from deepcodeseek.service.instances import release_freed_memory
release_freed_memory()  # what the service does after each load: the load's transient memory goes back
print(json.dumps({'imported_mib': base, 'loaded_mib': loaded, 'served_mib': rss(), 'peak_mib': rss('VmHWM:'),
                  'load_s': round(seconds, 2)}))
"""


# -- synthesis -------------------------------------------------------------------------


def synthesize(n_namespaces: int, out: Path) -> int:
    """Records JSONL for an instance of about ``n_namespaces`` namespaces (platform classes included)."""
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl

    records = read_records_jsonl(CORPUS).records
    includes = [r for r in records if r.table == "sys_script_include"]
    others = [r for r in records if r.table != "sys_script_include"]
    wanted = max(0, n_namespaces - PLATFORM_CLASSES - len(includes))
    # Names that are also the platform's own globals (a corpus app defining `Class`) keep their
    # call sites: renaming `Class.create()` would make code no ServiceNow instance has.
    names = sorted({r.name for r in includes if r.name not in PLATFORM_GLOBALS and len(r.name) > 3},
                   key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    pieces = {id(r): pattern.split(r.script) for r in records}  # text, name, text, name, ... (split once)
    callers = [r for r in others if len(pieces[id(r)]) > 1]
    out_records = list(records)
    copy = 0
    while wanted > 0:
        copy += 1
        suffix = f"C{copy}"
        chosen = includes[:wanted]
        kept = {r.name for r in chosen}

        def rename(record) -> str:
            parts = pieces[id(record)]
            return "".join(p + suffix if i % 2 and p in kept else p for i, p in enumerate(parts))

        for r in chosen:
            out_records.append(replace(r, sys_id=f"{r.sys_id}-{suffix}", name=r.name + suffix,
                                       api_name=(r.api_name + suffix) if r.api_name else None, script=rename(r)))
        for r in callers:
            out_records.append(replace(r, sys_id=f"{r.sys_id}-{suffix}", name=f"{r.name} {suffix}", script=rename(r)))
        wanted -= len(chosen)
    out.mkdir(parents=True, exist_ok=True)
    write_records_jsonl(out_records, out / "records.jsonl.gz")
    return sum(r.table == "sys_script_include" for r in out_records) + PLATFORM_CLASSES


def edit_share(records_dir: Path, share: float) -> int:
    """Edit ``share`` of the Script Includes (a new method in each, class-style ones): the small change a reindex sees.

    Each edit adds a method named for a revision the records do not have yet, so a second
    change (or a change of records an earlier run edited) changes the documents again."""
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl

    path = records_dir / "records.jsonl.gz"
    records = read_records_jsonl(path).records
    revision = 1 + max((int(m) for r in records for m in re.findall(r"auditTrail(\d+):", r.script or "")), default=0)
    includes = [i for i, r in enumerate(records) if r.table == "sys_script_include" and ".prototype = {" in r.script]
    total = sum(r.table == "sys_script_include" for r in records)
    step = max(1, int(round(len(includes) / max(1, share * total))))
    edited = includes[::step]
    for i in edited:  # a new method in the class: the document (its method list and JSDoc) changes
        r = records[i]
        method = f".prototype = {{\n    auditTrail{revision}: function(record) {{ return record; }},"
        records[i] = replace(r, script=r.script.replace(".prototype = {", method, 1))
    write_records_jsonl(records, path)
    return len(edited)


# -- builds ----------------------------------------------------------------------------


def build(name: str, home: Path, adaptation: bool) -> dict:
    """Materialise every asset but the evaluation; seconds per step, split by kind."""
    from dagster import DagsterInstance, materialize

    from deepcodeseek_pipeline.assets.adaptation.resources import AdaptationResource
    from deepcodeseek_pipeline.definitions import all_assets, all_checks
    from deepcodeseek_pipeline.environment import get_environment
    from deepcodeseek_pipeline.resources import resources_for

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("servicenow_instances", [name])
    assets = [a for a in all_assets if a.key.to_user_string() not in SKIPPED]
    checks = [c for c in all_checks if not {k.asset_key.to_user_string() for k in c.check_keys} & set(SKIPPED)]
    resources = resources_for(get_environment(), home=str(home))
    if not adaptation:
        resources["adaptation"] = AdaptationResource(enabled=False)
    started = time.perf_counter()
    result = materialize([*assets, *checks], partition_key=name, instance=instance, resources=resources,
                         run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    total = time.perf_counter() - started
    steps = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events
             if e.event_type_value == "STEP_SUCCESS"}
    metadata = {e.materialization.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
                for e in result.get_asset_materialization_events()}
    embedding = sum(steps.get(s, 0) for s in EMBEDDING_STEPS)
    training = sum(steps.get(s, 0) for s in TRAINING_STEPS)
    tuned = metadata.get("adapted_embedder", {})
    return {"total_s": round(total, 1), "embedding_s": round(embedding, 1), "training_s": round(training, 1),
            "other_s": round(total - embedding - training, 1),
            "embedded_docs": metadata.get("vector_index", {}).get("embedded"),
            "training_steps": tuned.get("training/steps"), "training_reused": tuned.get("training/reused"),
            "warm_start_from": tuned.get("warm_start_from", ""), "changed_examples": tuned.get("changed_examples"),
            "examples": tuned.get("examples"), "version": metadata.get("published_index", {}).get("version"),
            "kept_model_at_change": tuned.get("kept_at_change"),  # the tuned model kept as it is (a tiny change)
            "query_encoders": metadata.get("query_encoders", {}).get("how"),
            "ranker_carried_from": metadata.get("learned_ranker", {}).get("carried_from"),
            "rerankers": metadata.get("rerankers", {}).get("how"),
            "steps_s": {step: round(seconds, 1) for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1])}}


# -- serving cost ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def query_latency(name: str, home: Path) -> dict:
    """p50/p95 (ms) of the version's default method (what its calibration chose, with the query
    encoder it chose), the fusion and BM25 over usage-context queries, model loaded, two passes."""
    from deepcodeseek.index.contexts import CONTEXTS_FILE, read_contexts
    from deepcodeseek.retrieval.retriever import Retriever

    retriever = Retriever(name, str(home))
    folder = retriever.paths.index.local(f"versions/{retriever.version}/{CONTEXTS_FILE}")
    contexts = read_contexts(folder)
    queries = [c.text for c in contexts[:: max(1, len(contexts) // QUERIES)]][:QUERIES]
    out = {"namespaces": len(retriever.docs), "usage_contexts": len(contexts), "adapted": retriever.adapted,
           "default_method": retriever.default_method, "query_encoder": retriever.query_encoder_name}
    for method in dict.fromkeys((retriever.default_method, "fusion", "bm25")):
        retriever.warm_up(method)
        times = []
        for _ in range(2):
            for q in queries:
                started = time.perf_counter()
                retriever.retrieve(q, k=40, method=method)
                times.append((time.perf_counter() - started) * 1000)
        out[f"{method}_p50_ms"] = round(statistics.median(times), 2)
        out[f"{method}_p95_ms"] = round(percentile(times, 95), 2)
    return out


def component_costs(name: str, home: Path) -> dict:
    """Median ms of each part of the default ranking: which parts grow with the namespaces.

    The query encoder is constant; BM25 over documents, BM25 over usage contexts (the
    votes, semantic votes included) and the dense product are linear in documents or
    contexts. Where the learned ranker is the default, the rest of its query is the
    candidates and their features (``ranking inputs`` less the signals above) and the
    LightGBM model over them.
    """
    import numpy as np

    from deepcodeseek.index.contexts import CONTEXTS_FILE, read_contexts
    from deepcodeseek.retrieval.query import Query
    from deepcodeseek.retrieval.retriever import Retriever

    r = Retriever(name, str(home))
    contexts = read_contexts(r.paths.index.local(f"versions/{r.version}/{CONTEXTS_FILE}"))
    queries = [Query(c.text) for c in contexts[:: max(1, len(contexts) // 50)]][:50]
    r.warm_up()
    ranked = r.default_method == "ranker"
    parts: dict[str, list[float]] = {"encoder": [], "dense_product": [], "bm25_documents": [], "bm25_contexts_votes": []}
    if ranked:
        parts.update({"candidates_features": [], "lightgbm": []})
    for q in queries:
        text = r._text(q)
        t0 = time.perf_counter()
        vector = r.embedder.embed_query(text)
        t1 = time.perf_counter()
        r._similarities(vector)
        t2 = time.perf_counter()
        r.bm25.scores(text)
        t3 = time.perf_counter()
        r._votes(q, semantic=True)
        t4 = time.perf_counter()
        timings = [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
        if ranked:
            inputs = r.ranking.inputs(q)
            t5 = time.perf_counter()
            r.ranking.ranker.score(inputs.features)
            t6 = time.perf_counter()
            timings += [max(0.0, (t5 - t4) - (t4 - t0)), t6 - t5]
        for key, seconds in zip(parts, timings):
            seconds and parts[key].append(seconds * 1000)
    out = {k: round(float(np.median(v)), 2) for k, v in parts.items() if v}
    out["semantic_votes"] = semantic_index_cost(r, queries)
    if ranked:
        out["candidates"] = int(np.median([len(r.ranking.inputs(q).candidates) for q in queries[:10]]))
    out["dense_ann"] = dense_ann(r.vectors, np.stack([r.embedder.embed_query(r._text(q)) for q in queries[:20]]))
    return out


def semantic_index_cost(r, queries: list) -> dict:
    """Semantic votes' context similarities: the exact product against the inverted file the
    Retriever builds above ``IVF_MIN_CONTEXTS`` (ms per query, and the recall of the 20 nearest)."""
    import numpy as np

    from deepcodeseek.retrieval.context_ivf import IVF_MIN_CONTEXTS, ContextIVF, nearest_recall

    encoder, contexts = r._static_signals()
    if encoder is None:
        return {"contexts": 0}
    ivf = contexts if isinstance(contexts, ContextIVF) else ContextIVF.build(contexts)
    # The float32 vectors as the version stores them (the inverted file holds int8 codes), cluster by
    # cluster: the recall below counts what probing and the codes lose together.
    matrix = r.stored_context_vectors(r.paths.index.local(r._static_folder), r._context_keep)[ivf.order]
    exact_ms, ivf_ms, recall = [], [], []
    for q in queries:
        vector = encoder.encode([r._text(q)])[0]
        t0 = time.perf_counter()
        exact = matrix @ vector
        t1 = time.perf_counter()
        probed = ivf.similarities(vector)
        t2 = time.perf_counter()
        probed = probed[ivf.order]  # into the exact product's row order
        exact_ms.append((t1 - t0) * 1000)
        ivf_ms.append((t2 - t1) * 1000)
        recall.append(nearest_recall(exact, probed, 20))
    return {"contexts": len(ivf.order), "served_by": "inverted file" if contexts is ivf else "exact product",
            "ivf_from_contexts": IVF_MIN_CONTEXTS, "exact_ms": round(float(np.median(exact_ms)), 2),
            "ivf_ms": round(float(np.median(ivf_ms)), 2), "ivf_recall_at_20": round(float(np.mean(recall)), 3),
            "clusters": len(ivf.centroids), "probes": ivf.probes}


def dense_ann(vectors, queries, k: int = 50) -> dict:
    """The dense signal's top-50 (all ``fusion`` uses of it: it is floored at the 50th best) by brute force
    (torch, as the Retriever does) against a LanceDB IVF-PQ index: ms per query and recall@50."""
    import tempfile

    import lancedb
    import numpy as np
    import pyarrow as pa
    import torch

    matrix = torch.from_numpy(np.ascontiguousarray(vectors))
    brute_ms, truth = [], []
    for q in queries:
        started = time.perf_counter()
        top = torch.topk(matrix @ torch.from_numpy(q), min(k, len(vectors))).indices.numpy()
        brute_ms.append((time.perf_counter() - started) * 1000)
        truth.append(set(top.tolist()))
    if len(vectors) < 5000:
        return {"brute_ms": round(float(np.median(brute_ms)), 2), "ann": "not built below 5,000 rows"}
    with tempfile.TemporaryDirectory() as folder:
        db = lancedb.connect(folder)
        column = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel()),
                                                   vectors.shape[1])
        table = db.create_table("v", data=pa.table({"id": np.arange(len(vectors)), "vector": column}))
        started = time.perf_counter()
        partitions = int(np.sqrt(len(vectors)))
        table.create_index(metric="cosine", vector_column_name="vector", index_type="IVF_PQ",
                           num_partitions=partitions, num_sub_vectors=48)
        build_s = time.perf_counter() - started
        ann_ms, recall = [], []
        for q, expected in zip(queries, truth):
            started = time.perf_counter()
            got = table.search(q).metric("cosine").nprobes(max(8, partitions // 10)).refine_factor(4).limit(k) \
                .select(["id", "_distance"]).to_arrow()["id"].to_pylist()
            ann_ms.append((time.perf_counter() - started) * 1000)
            recall.append(len(expected & set(got)) / len(expected))
    return {"brute_ms": round(float(np.median(brute_ms)), 2), "ann_ms": round(float(np.median(ann_ms)), 2),
            "ann_recall_at_50": round(float(np.mean(recall)), 3), "ann_build_s": round(build_s, 1),
            "partitions": partitions}


def memory(name: str, home: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, name, str(home)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def disk_mib(name: str, home: Path) -> float:
    """The whole index folder: every version the instance keeps, not only the served one."""
    folder = home / "instances" / name / "index"
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def version_mib(name: str, home: Path) -> float:
    """The served version alone (its folder and its LanceDB tables): the size to compare across sizes and
    runs, since how many older versions the folder still keeps depends on the builds before."""
    from deepcodeseek.index.publish import current_manifest, table_name
    from deepcodeseek.paths import instance_paths

    paths = instance_paths(name, home)
    version = current_manifest(paths)["version"]
    files = [*paths.version_dir(version).rglob("*"), *(paths.lancedb / f"{table_name(version)}.lance").rglob("*")]
    return round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)


# -- synthetic large versions ----------------------------------------------------------


def synthetic_version(source_home: Path, source: str, n_namespaces: int, home: Path, name: str,
                      noise: float = 0.025, seed: int = 0, as_adapted: bool = True) -> dict:
    """Replicate the built instance's live version to ``n_namespaces`` (renamed docs, noisy vectors) and publish it."""
    import numpy as np

    from deepcodeseek.index.bm25 import BM25Index
    from deepcodeseek.index.contexts import CONTEXTS_FILE, UsageContext, read_contexts, write_contexts
    from deepcodeseek.index.publish import open_vector_table, publish, version_path, write_vector_table
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.retrieval.retriever import Retriever

    real = Retriever(source, str(source_home))
    docs = open_vector_table(real.paths, real.version).to_arrow().drop_columns(["vector"]).to_pylist()  # as stored
    vectors = real.vectors
    contexts = read_contexts(real.paths.index.local(f"versions/{real.version}/{CONTEXTS_FILE}"))
    includes = [i for i, d in enumerate(docs) if d["kind"] != "platform"]
    by_target: dict[str, list[int]] = {}
    for n, c in enumerate(contexts):
        by_target.setdefault(c.target_sys_id, []).append(n)
    rng = np.random.default_rng(seed)
    out_docs, out_vectors, out_contexts = list(docs), [vectors], list(contexts)
    context_sources = list(range(len(contexts)))  # which source context each one copies (its static vector)
    renames: list[tuple[str, set[str]]] = []  # per copy: its suffix and the sys_ids it renamed
    copy = 0
    while len(out_docs) < n_namespaces:
        copy += 1
        chosen = includes[: n_namespaces - len(out_docs)]
        suffix = f"C{copy}"
        renames.append((suffix, {docs[i]["sys_id"] for i in chosen}))
        for i in chosen:
            d = docs[i]
            new = {**d, "sys_id": f"{d['sys_id']}-{suffix}", "namespace": d["namespace"] + suffix,
                   "api_name": d["api_name"] + suffix, "text": d["text"].replace(d["namespace"], d["namespace"] + suffix)}
            out_docs.append(new)
            for n in by_target.get(d["sys_id"], []):
                c = contexts[n]
                out_contexts.append(UsageContext(f"{c.caller_sys_id}-{suffix}", new["sys_id"], c.method,
                                                 c.text.replace(d["namespace"], new["namespace"])))
                context_sources.append(n)
        noisy = vectors[chosen] + rng.normal(0, noise, size=(len(chosen), vectors.shape[1])).astype(np.float32)
        out_vectors.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    matrix = np.concatenate(out_vectors).astype(np.float32)
    paths = instance_paths(name, home)
    version = f"synthetic{n_namespaces}"
    model = real.model_name
    write_vector_table(paths, version, out_docs, matrix, model, real.manifest.get("variant", "jsdoc"))
    index = paths.index
    index.write_once(version_path(version, "bm25"), lambda p: BM25Index.build([d["text"] for d in out_docs]).save(p))
    index.write_once(version_path(version, CONTEXTS_FILE), lambda p: write_contexts(out_contexts, p))
    index.write_once(version_path(version, "contexts_bm25"),
                     lambda p: BM25Index.build([c.text for c in out_contexts]).save(p))
    carry_serving_parts(real, version, paths, renames, context_sources, noise, seed)
    manifest = {k: v for k, v in real.manifest.items() if k not in ("version", "table", "published_at")}
    if as_adapted and not manifest.get("adapted_from"):
        # Serve as an adapted index does (the dense signal in the default fusion), the base
        # weights standing in for a tuned model of the same architecture: same cost, not same accuracy.
        manifest["adapted_from"] = {"model": model, "version": real.version}
        manifest["fusion_weights"] = {**manifest.get("fusion_weights", {}), "dense": 0.5}
    publish(paths, version, {**manifest, "instance": name, "documents": len(out_docs),
                             "usage_contexts": len(out_contexts), "synthetic_from": real.version})
    models = home / "models"  # the tuned model, the static table and the query students, linked
    models.mkdir(parents=True, exist_ok=True)
    for entry in (source_home / "models").iterdir() if (source_home / "models").is_dir() else ():
        if not (models / entry.name).exists():
            (models / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    return {"namespaces": len(out_docs), "usage_contexts": len(out_contexts),
            "default_method": manifest.get("default_method", "fusion"),
            "query_encoder": (manifest.get("query_encoder") or {}).get("name", "teacher")}


def carry_serving_parts(real, version: str, paths, renames: list[tuple[str, set[str]]],
                        context_sources: list[int], noise: float, seed: int) -> None:
    """What the source version's default needs beside documents and contexts, grown with them:
    the graph sidecar (each copy's ``extends`` pointing into the same copy), the static signals
    of semantic votes (each copied context its source's vector plus noise, as the documents':
    exact copies would tie, and make any index's recall look perfect) and the learned ranker
    (copied as is: its features do not depend on how many documents there are)."""
    import numpy as np
    import pyarrow.parquet as pq

    from deepcodeseek.index.publish import version_path
    from deepcodeseek.ranking.graph import GRAPH_FILE, write_doc_graph
    from deepcodeseek.ranking.stage import ranker_folder
    from deepcodeseek.retrieval.context_ivf import write_index

    source_rel, index = f"versions/{real.version}", paths.index
    graph = real.paths.index.local(f"{source_rel}/{GRAPH_FILE}")
    if graph.exists():
        rows = pq.read_table(graph).to_pylist()
        out = list(rows)
        for suffix, renamed in renames:
            out.extend({"sys_id": f"{r['sys_id']}-{suffix}", "tables": r["tables"],
                        "extends": f"{r['extends']}-{suffix}" if r["extends"] in renamed else r["extends"]}
                       for r in rows if r["sys_id"] in renamed)
        index.write_once(version_path(version, GRAPH_FILE), lambda p: write_doc_graph(out, p))
    static = real.paths.index.local(f"{source_rel}/static")
    if (static / "contexts.npy").exists():
        def write_static(folder: Path) -> None:
            folder.mkdir(parents=True)
            meta = json.loads((static / "meta.json").read_text())
            (folder / "meta.json").write_text(json.dumps({**meta, "contexts": len(context_sources)}))
            shutil.copyfile(static / "idf.npy", folder / "idf.npy")
            source = np.load(static / "contexts.npy").astype(np.float32)
            rows = source[np.asarray(context_sources)]
            copies = slice(len(source), None)  # the source's own contexts stay as they are
            rng = np.random.default_rng(seed + 1)
            rows[copies] += rng.normal(0, noise, size=rows[copies].shape).astype(np.float32)
            rows[copies] /= np.linalg.norm(rows[copies], axis=1, keepdims=True)
            np.save(folder / "contexts.npy", rows.astype(np.float16))
            write_index(folder, rows.astype(np.float16))  # as the index build does, above the crossover
        index.write_once(version_path(version, "static"), write_static)
    ranker = ranker_folder(real.paths, real.manifest, source_rel)
    if ranker is not None:
        index.write_once(version_path(version, ranker.name), lambda p: shutil.copytree(ranker, p))


# -- main ------------------------------------------------------------------------------


def example_keys(name: str, home: Path) -> list[str]:
    """The instance's training examples now (what adapted_embedder would train on), by identity."""
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.store.duckdb_store import InstanceStore
    from deepcodeseek.training.adapt import gather_examples
    from deepcodeseek.training.warm_start import example_key

    paths = instance_paths(name, home)
    examples, _ = gather_examples(InstanceStore(paths.database), paths)
    return [example_key(e) for e in examples]


def warm_start_share(before: list[str], after: list[str], batch_size: int = 32) -> dict:
    """What a warm start would train on after the change, against a full epoch (steps are the cost)."""
    from deepcodeseek.training.warm_start import MAX_CHANGE, MIN_EXAMPLES_BATCHES, REPLAY_PER_CHANGED

    old = set(before)
    changed = sum(k not in old for k in after)
    trained = min(len(after), changed + max(REPLAY_PER_CHANGED * changed, MIN_EXAMPLES_BATCHES * batch_size - changed))
    return {"examples": len(after), "changed_examples": changed, "change": round(changed / max(1, len(after)), 4),
            "warm_start": 0 < changed / max(1, len(after)) <= MAX_CHANGE, "warm_examples": trained,
            "warm_share_of_full_epoch": round(trained / max(1, len(after)), 3)}


def measure_full(size: int, out: Path, adaptation: bool) -> dict:
    name = f"scale{size}"
    home, records = out / f"home-{size}", out / f"records-{size}"
    if not (records / "records.jsonl.gz").exists():
        synthesize(size, records)
    from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry

    InstanceRegistry(home).add(InstanceConfig(name=name, source="records", path=str(records), platform=str(PLATFORM)))
    row: dict = {"size": size, "mode": "full build" + ("" if adaptation else " (no adaptation)")}
    row["full"] = build(name, home, adaptation)
    print(json.dumps({"size": size, "full": row["full"]}), flush=True)
    return reindexes(row, name, home, records, adaptation)


def reindexes(row: dict, name: str, home: Path, records: Path, adaptation: bool) -> dict:
    """After a build: the no-change reindex, the 1% change reindex (records edited in place), serving."""
    row["no_change"] = build(name, home, adaptation)
    print(json.dumps({"instance": name, "no_change": row["no_change"]}), flush=True)
    # Two changes in a row: the first after the build, the second once the first has filled what a
    # change leaves for the next (the train queries' vectors, kept since this stop's carry rule).
    for step in ("small_change", "second_small_change"):
        before = example_keys(name, home)
        edited = edit_share(records, 0.01)
        row[step] = {"edited_script_includes": edited, **build(name, home, adaptation)}
        row[step]["examples"] = warm_start_share(before, example_keys(name, home))
        print(json.dumps({"instance": name, step: row[step]}), flush=True)
    row.update(serving(name, home))
    return row


def measure_changes(spec: str, out: Path, adaptation: bool) -> dict:
    """The no-change and the 1% change reindex of an instance already built by ``deepcodeseek index``
    (``HOME:NAME``, a records instance), on a copy of its home reading a copy of its records.

    At 2,610 namespaces the corpus instance is the 2.6k size itself, so its own build is the full
    build and this measures the two reindexes after it (adaptation and warm start included)
    without building it a second time; the full build's time is the one its own run logged.
    """
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl
    from deepcodeseek.sources.registry import InstanceRegistry

    source_home, _, name = spec.rpartition(":")
    config = InstanceRegistry(source_home).get(name)
    if config.source != "records":
        raise SystemExit(f"--changes-of {spec}: instance {name!r} reads {config.source!r}, not records")
    home, records = out / f"changes-{name}", out / f"records-{name}"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(source_home, home, symlinks=True)
    records.mkdir(parents=True, exist_ok=True)
    write_records_jsonl(read_records_jsonl(Path(config.path)).records, records / "records.jsonl.gz")
    InstanceRegistry(home).add(replace(config, path=str(records)))
    row: dict = {"size": name, "mode": f"reindexes of {name}, built by deepcodeseek index"}
    return reindexes(row, name, home, records, adaptation)


def in_fresh_process(function: str, name: str, home: Path) -> dict:
    """``function(name, home)`` of this module, run in a new interpreter that holds nothing else.

    A serving process holds one loaded version. Measured in the process that had just synthesised
    the 50k version, the same queries took 28 ms at p50 instead of 19: its millions of leftover
    objects and freed memory slowed every allocation and collection of the query path.
    """
    probe = ("import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import scaling; "
             f"print(json.dumps(scaling.{function}(sys.argv[2], Path(sys.argv[3]))))")
    done = subprocess.run([sys.executable, "-c", probe, str(Path(__file__).resolve().parent), name, str(home)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"{function} on {name} failed:\n{done.stderr[-3000:]}")
    sys.stderr.write(done.stderr)  # the probe's own warnings and progress
    return json.loads(done.stdout.strip().splitlines()[-1])


def serving(name: str, home: Path) -> dict:
    row = {"query": in_fresh_process("query_latency", name, home), "memory": memory(name, home),
           "disk_mib": disk_mib(name, home), "version_mib": version_mib(name, home)}
    print(json.dumps(row), flush=True)
    row["components_ms"] = in_fresh_process("component_costs", name, home)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2600,10000,25000,50000", help="namespaces per instance, comma-separated")
    parser.add_argument("--out", default="/tmp/deepcodeseek-scaling", help="state and records of each size")
    parser.add_argument("--no-adaptation", "--skip-training", dest="adaptation", action="store_false",
                        help="build without the tuned embedder (no training steps)")
    parser.add_argument("--synthetic-from", default="",
                        help="a built instance's home (scale<size>): measure serving cost on synthetic versions")
    parser.add_argument("--synthetic-source", default="", help="that home's instance name (default scale2600)")
    parser.add_argument("--changes-of", default="", metavar="HOME:NAME",
                        help="only the no-change and 1%% change reindexes of a records instance built there")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.changes_of:
        row = measure_changes(args.changes_of, out, args.adaptation)
        (out / "scaling.jsonl").open("a").write(json.dumps(row) + "\n")
        print_table([row])
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        if args.synthetic_from:
            source_home = Path(args.synthetic_from)
            source = args.synthetic_source or "scale2600"
            home = out / f"synthetic-{size}"
            shutil.rmtree(home, ignore_errors=True)
            started = time.perf_counter()
            row = {"size": size, "mode": "synthetic (noisy copies of the built version, served as adapted)",
                   **synthetic_version(source_home, source, size, home, f"syn{size}"),
                   "write_s": round(time.perf_counter() - started, 1)}
            row.update(serving(f"syn{size}", home))
        else:
            row = measure_full(size, out, args.adaptation)
        rows.append(row)
        print(json.dumps(row), flush=True)
        (out / "scaling.jsonl").open("a").write(json.dumps(row) + "\n")
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    print("\n| size | mode | full build s (embed / train / other) | no-change s | 1% change s (a second one) | "
          "default (encoder) p50/p95 ms | bm25 p50/p95 ms | Retriever MiB (after the service's trim) | "
          "start s (peak MiB) | index MiB (served version) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        full, q = r.get("full"), r["query"]
        build_cell = (f"{full['total_s']} ({full['embedding_s']} / {full['training_s']} / {full['other_s']})"
                      if full else "")
        default = q.get("default_method", "fusion")
        print(f"| {q['namespaces']} | {r['mode']} | {build_cell} | {r.get('no_change', {}).get('total_s', '')} | "
              f"{r.get('small_change', {}).get('total_s', '')} ({r.get('second_small_change', {}).get('total_s', '')}) | "
              f"{default} ({q.get('query_encoder', '')}) "
              f"{q[f'{default}_p50_ms']} / {q[f'{default}_p95_ms']} | "
              f"{q['bm25_p50_ms']} / {q['bm25_p95_ms']} | {r['memory']['loaded_mib']:.0f} ({r['memory'].get('served_mib', 0):.0f}) | "
              f"{r['memory'].get('load_s', '')} ({r['memory'].get('peak_mib', 0):.0f}) | {r['disk_mib']} ({r.get('version_mib', '')}) |")


if __name__ == "__main__":
    main()
