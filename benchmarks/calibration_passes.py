"""What answering calibration sample by sample saves the learned ranker's stage (``evaluation.query_major``).

Usage:
    .venv/bin/python benchmarks/calibration_passes.py --home $DEEPCODESEEK_HOME --instance corpus [--samples 0]

After the first ranker is fitted, a build reads the calibration split three times: the ranker's A/B
against the fusion (``training.decide_default``), every query encoder through the ranker
(``encoders.pipeline.rechoose_for_default``: dense, ranker and BM25 per encoder) and each paired
student's ranker against its fusion (``ranking.pairing``). On the published version, this script
times those reads method by method with no memo (the baseline: what the build did before) and as
the build reads them now, one pass per read with a shared query memo, in the same run. It checks
that every job ranks every sample alike both ways, and prints seconds and ratios per read.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import ExitStack
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--samples", type=int, default=0, help="the first N calibration samples (0: all)")
    args = parser.parse_args()
    from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, read_holdout_of, read_split
    from deepcodeseek.evaluation.query_major import Job
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.ranking.pairing import ranking_with
    from deepcodeseek.retrieval.retriever import Retriever

    paths = instance_paths(args.instance, args.home)
    served = Retriever(args.instance, str(args.home))
    manifest = served.manifest
    if manifest.get("default_method") != "ranker":
        raise SystemExit(f"{args.instance}: the ranker does not serve, so the build reads calibration once")
    holdout = read_holdout_of(paths)
    samples = read_split(paths, CALIBRATION_SPLIT, served.docs.namespaces())
    samples = samples[:args.samples] if args.samples else samples
    pairing = manifest.get("paired_query_encoder") or {}
    folders = (manifest.get("query_encoders") or {}).get("students") or {}
    with ExitStack() as stack:
        teacher = Retriever(args.instance, str(args.home), manifest={**manifest, "query_encoder": None})
        if pairing.get("teacher_ranker_folder"):
            stack.enter_context(ranking_with(teacher, pairing["teacher_ranker_folder"]))
        reads = {"ranker A/B": [Job("ranker", teacher, "ranker"), Job("fusion", teacher, "fusion")],
                 "encoders through the ranker": encoder_jobs(teacher, folders, paths),
                 "pairs' A/Bs": []}
        for pair in pairing.get("pairs") or []:
            student = Retriever(args.instance, str(args.home), manifest={
                **manifest, "query_encoder": {"name": pair["student"], "model": folders[pair["student"]]}})
            stack.enter_context(ranking_with(student, pair["ranker_folder"]))
            reads["pairs' A/Bs"] += [Job(f"{pair['student']}:{m}", student, m) for m in ("ranker", "fusion")]
        rows = [timed(name, jobs, samples, holdout) for name, jobs in reads.items() if jobs]
    alone, together = sum(r["method_by_method_s"] for r in rows), sum(r["one_pass_s"] for r in rows)
    print(json.dumps({"instance": args.instance, "documents": len(served.docs), "samples": len(samples),
                      "reads": "all", "method_by_method_s": round(alone, 1), "one_pass_s": round(together, 1),
                      "ratio": round(together / alone, 3), "load_average": round(os.getloadavg()[0], 2)}), flush=True)


def encoder_jobs(teacher, folders: dict, paths) -> list:
    """The encoders' read as the build makes it now: BM25 once, then dense and ranker per encoder, the
    teacher first. The baseline (``timed``) adds what it read per encoder before: BM25 each time."""
    from deepcodeseek.encoders.base import load_encoder
    from deepcodeseek.encoders.compact import TeacherEncoder
    from deepcodeseek.encoders.serving import ServingAdapter
    from deepcodeseek.evaluation.query_major import Job
    from deepcodeseek.index.embedder import local_model_path
    from deepcodeseek.index.model_store import fetch_model

    encoders = [TeacherEncoder(local_model_path(teacher.model_name, teacher.paths.home), None, "teacher")]
    encoders += [load_encoder(fetch_model(paths.home, folder) or Path(paths.home) / "models" / folder)
                 for folder in folders.values()]
    jobs = [Job("bm25", teacher, "bm25")]
    for encoder in encoders:
        adapter = ServingAdapter(encoder, teacher.model_name)
        jobs += [Job(f"{encoder.name}:{m}", teacher, m, adapter) for m in ("dense", "ranker")]
    return jobs


def timed(name: str, jobs: list, samples: list, holdout) -> dict:
    """One read, method by method (no memo) and in one pass; the ranks must agree."""
    from deepcodeseek.datasets.holdout import exclusions_for
    from deepcodeseek.evaluation.metrics import score_method
    from deepcodeseek.evaluation.query_major import answering, score_jobs

    alone, started = {}, time.perf_counter()
    per_encoder_bm25 = sum(1 for j in jobs if j.method == "dense") if any(j.label == "bm25" for j in jobs) else 0
    for job in [*jobs, *[jobs[0]] * max(0, per_encoder_bm25 - 1)]:  # before: BM25 once per encoder
        with answering(job) as retriever:
            retriever.warm_up(job.method)
            alone[job.label] = score_method(job.method, samples, lambda s: [r.namespace for r in retriever.retrieve(
                s.code_before, s.code_after or None, s.scope, k=40, method=job.method,
                exclude_callers=exclusions_for(s, holdout))])
    alone_s = time.perf_counter() - started
    started = time.perf_counter()
    together = score_jobs(jobs, samples, holdout)
    together_s = time.perf_counter() - started
    differ = [label for label in together if together[label].ranks != alone[label].ranks]
    row = {"read": name, "jobs": len(jobs), "samples": len(samples), "method_by_method_s": round(alone_s, 1),
           "one_pass_s": round(together_s, 1), "ratio": round(together_s / alone_s, 3), "same_ranks": not differ,
           "p50_ms": {label: [round(alone[label].latency(50), 2), round(s.latency(50), 2)]
                      for label, s in together.items()}}
    print(json.dumps(row), flush=True)
    if differ:
        raise SystemExit(f"{name}: ranks differ for {', '.join(differ)}")
    return row


if __name__ == "__main__":
    main()
