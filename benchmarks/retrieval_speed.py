"""Index build time per namespace and query latency per method, against BM25 in the same run.

Usage:
    .venv/bin/python benchmarks/retrieval_speed.py                       # bundled sample instance
    .venv/bin/python benchmarks/retrieval_speed.py --records ../shared/corpus --instance corpus
    .venv/bin/python benchmarks/retrieval_speed.py --instance corpus --home /path/to/state   # already built

It builds the instance from scratch in a temporary state folder (through the same
Dagster assets as `deepcodeseek index`), then times queries with the model loaded.
Queries are the instance's benchmark samples (the bundled one, or samples mined from
the instance's call sites).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEEPCODESEEK_ENV", "ci")


MEMORY_PROBE = """
import json, sys
from pathlib import Path
def rss():
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
out = {'start': rss()}
from deepcodeseek.retrieval.retriever import Retriever
out['imported'] = rss()
r = Retriever(sys.argv[1], sys.argv[2]); r.warm_up()
out['default'] = rss()
for m in r.available_methods():  # the rerankers and the ranker only where this version has them
    r.warm_up(m)
out['all'] = rss()
print(json.dumps(out))
"""


def retriever_memory(instance: str, home: Path) -> dict[str, float]:
    """RSS of a fresh process that loads only the Retriever: what a query service would hold."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, instance, str(home)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def build(instance: str, records: str | None, home: Path) -> dict:
    from dagster import DagsterInstance

    from deepcodeseek_pipeline.run import materialize_instance
    from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry

    if records:
        InstanceRegistry(str(home)).add(InstanceConfig(name=instance, source="records", path=str(Path(records).resolve())))
    started = time.perf_counter()
    result = materialize_instance(instance, home=str(home), instance=DagsterInstance.ephemeral())
    total = time.perf_counter() - started
    meta = {}
    for event in result.get_asset_materialization_events():
        m = event.materialization
        meta[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}
    return {"total_s": total, "meta": meta}


def model_throughput(texts: list[str]) -> float:
    """Documents per second of the embedding model alone, on the same documents."""
    from deepcodeseek.index.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(device="cpu")
    embedder.embed_documents(texts[:4])
    started = time.perf_counter()
    embedder.embed_documents(texts)
    return len(texts) / (time.perf_counter() - started)


def report_build(built: dict, docs: list[dict]) -> None:
    n = len(docs)
    vec = built["meta"]["vector_index"]
    print(f"\n== index build ({n} namespaces)")
    print(f"whole build          {built['total_s']:8.1f} s   {1000 * built['total_s'] / n:8.1f} ms/namespace")
    print(f"embedding step       {vec['seconds']:8.1f} s   {1000 * vec['seconds'] / n:8.1f} ms/namespace")
    rate = model_throughput([d["text"] for d in docs[:200]])
    print(f"model alone          {rate:8.1f} docs/s  -> {1000 / rate:8.1f} ms/namespace")
    print(f"build / model-bound  {built['total_s'] / (n / rate):8.2f} x")
    adapted = built["meta"].get("adapted_embedder", {})
    if adapted.get("training/seconds") is not None:
        print(f"adaptation training  {adapted['training/seconds']:8.1f} s   {adapted['examples']} examples on "
              f"{adapted['training/device']}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instance", default="sample")
    parser.add_argument("--records")
    parser.add_argument("--queries", type=int, default=200, help="at most this many benchmark samples")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=int, default=40,
                        help="results per query (40: the evaluation's depth; the service answers 10 by default)")
    parser.add_argument("--home", help="time an instance already built in this state folder (no build figures)")
    args = parser.parse_args()

    from deepcodeseek.documents import load_documents
    from deepcodeseek.evaluation.benchmark import read_benchmark
    from deepcodeseek.evaluation.mining import mine_call_site_samples
    from deepcodeseek.datasets.holdout import exclusions_for
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.sources.sample_instance import sample_benchmark_path
    from deepcodeseek.store import InstanceStore

    if args.home:
        home = Path(args.home).resolve()
        store = InstanceStore(instance_paths(args.instance, home).database)
    else:
        home = Path(tempfile.mkdtemp(prefix="dcs-bench-"))
        print(f"building {args.instance} from scratch in {home} ...", flush=True)
        built = build(args.instance, args.records, home)
        store = InstanceStore(instance_paths(args.instance, home).database)
        report_build(built, load_documents(store))

    samples = (read_benchmark(sample_benchmark_path()).samples if args.instance == "sample" and not args.records
               else mine_call_site_samples(store).samples)[: args.queries]
    holdout = read_holdout_of(instance_paths(args.instance, home))
    memory = retriever_memory(args.instance, home)
    retriever = Retriever(args.instance, str(home))
    methods = retriever.available_methods()
    for method in methods:
        retriever.warm_up(method)
    print(f"\n== query latency ({len(samples)} queries x {args.repeat}, model loaded, k={args.k})")
    timings: dict[str, list[float]] = {}
    for method in methods:
        values = []
        for _ in range(args.repeat):
            for s in samples:
                started = time.perf_counter()
                retriever.retrieve(s.code_before, s.code_after or None, s.scope, k=args.k, method=method,
                                   exclude_callers=exclusions_for(s, holdout))
                values.append((time.perf_counter() - started) * 1000)
        timings[method] = values
    base = statistics.median(timings["bm25"])
    adapted = retriever.manifest.get("adapted_from")
    print(f"index {retriever.version}, model {retriever.model_name}" + (" (adapted)" if adapted else ""))
    print(f"{'method':<16} {'p50 ms':>8} {'p95 ms':>8} {'p50 / bm25':>11}")
    for method, values in timings.items():
        mark = "  (default)" if method == retriever.default_method else ""
        print(f"{method:<16} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f} "
              f"{statistics.median(values) / base:10.1f}x{mark}")
    print(f"\nmemory of a Retriever in a fresh process (RSS): {memory['start']:.0f} MiB at start, "
          f"{memory['imported']:.0f} MiB after imports, {memory['default']:.0f} MiB loaded for the default method, "
          f"{memory['all']:.0f} MiB with every method (embedder included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
