"""Light query encoders (CodeQuest) on an indexed instance: every student against the teacher and BM25.

Usage:
    .venv/bin/python benchmarks/query_encoders.py --instance corpus --home /path/to/state --root /tmp/students
    .venv/bin/python benchmarks/query_encoders.py ... --validation-share 0.2   # choose settings on part of train

It trains (or reuses: students are content-addressed) every student of the published
version's teacher on the instance's usage contexts, holding out the scripts of the dev
and test samples, then measures each through the serving path on the chosen split:
query-encode p50 on this machine, memory, dense and default-method top@5/top@40 as
shares of the teacher's, and the whole default-query p50 with each student, with the
teacher, BM25 and the lexical fusion (no neural model) in the same run. With
``--validation-share`` a share of the train split's scripts is held out as well and
the students are measured on those train samples instead (never on dev or test).
Writes ``recall_vs_cost.png``, ``projection.png`` and ``query_encoders.json`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEEPCODESEEK_ENV", "ci")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instance", default="corpus")
    parser.add_argument("--home", required=True, help="the state folder of the indexed instance (read only)")
    parser.add_argument("--root", help="where students are saved (default <home>/models/query_encoders)")
    parser.add_argument("--split", default="dev", help="benchmark split to measure on (dev; test only for a release)")
    parser.add_argument("--validation-share", type=float, default=0.0,
                        help="hold out this share of the train split's scripts too and measure on their samples")
    parser.add_argument("--students", help="comma-separated student names (default: all)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--truncated-layers", default="1,2,3", help="which truncated teachers to train")
    parser.add_argument("--truncated-epochs", type=int, help="epochs for truncated teachers (default: the spec's)")
    parser.add_argument("--truncated-max-texts", type=int, help="train truncated teachers on at most this many texts")
    parser.add_argument("--projection", type=int, default=300, help="query texts in the 2-D projection")
    parser.add_argument("--out", default="benchmarks/out/query_encoders")
    parser.add_argument("--torch-threads", type=int,
                        help="torch's intra-op threads (1 keeps torch usable on a machine other jobs share)")
    args = parser.parse_args(argv)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    import pandas as pd

    from deepcodeseek.encoders.compact import TeacherEncoder
    from deepcodeseek.encoders.instance import index_inputs
    from deepcodeseek.encoders.measure import (
        TEACHER,
        encode_p50_ms,
        measure_students,
        query_texts,
        select_student,
        shares,
    )
    from deepcodeseek.encoders.plots import projection_before_after, recall_against_cost
    from deepcodeseek.encoders.store import STUDENTS_DIR
    from deepcodeseek.encoders.students import DEFAULT_STUDENTS, train_query_encoders
    from deepcodeseek.evaluation.benchmark import read_benchmark
    from deepcodeseek.evaluation.report import evaluate
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.training.examples import held_out_callers

    home = Path(args.home)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(args.root) if args.root else home / "models" / STUDENTS_DIR
    retriever = Retriever(args.instance, str(home))
    inputs = index_inputs(retriever)
    datasets = retriever.paths.root / "datasets"
    split = {name: read_benchmark(datasets / f"benchmark_{name}.jsonl").samples for name in ("train", "dev", "test")}
    held_out = held_out_callers(split["dev"] + split["test"])
    train, samples, where = split["train"], split[args.split], f"{args.split} split"
    if args.validation_share > 0:
        callers = sorted(held_out_callers(train))
        random.Random(0).shuffle(callers)
        validation = set(callers[: int(round(len(callers) * args.validation_share))])
        held_out |= validation
        samples = [s for s in train if s.source.split(":", 1)[1] in validation]
        train = [s for s in train if s.source.split(":", 1)[1] not in validation]
        where = f"validation part of the train split ({len(validation)} scripts held out of training)"
    specs = [_budgeted(s, args) for s in DEFAULT_STUDENTS if not args.students or s.name in args.students.split(",")]
    specs = [s for s in specs if s.family != "truncated" or str(s.layers) in args.truncated_layers.split(",")]
    print(f"instance {args.instance}, version {retriever.version} (adapted: {retriever.adapted}), "
          f"teacher {inputs.teacher_name}; {len(held_out)} scripts held out; measuring on {len(samples)} samples "
          f"of the {where}", flush=True)

    started = time.perf_counter()
    built = train_query_encoders(inputs.teacher_path, inputs.contexts, held_out, inputs.document_ids,
                                 inputs.document_vectors, root, extra_texts=query_texts(train), specs=specs,
                                 device=args.device, progress=lambda m: print(f"  {m}", flush=True))
    print(f"students ready in {time.perf_counter() - started:.0f} s (trained now: {', '.join(built.trained) or 'none'})")

    teacher = TeacherEncoder(inputs.teacher_path)
    encoders = [b.encoder for b in built.students.values()]
    measurements = measure_students(retriever, encoders, samples, teacher, progress=lambda m: print(f"  {m}", flush=True))
    lexical = next(s for s in evaluate(retriever, samples, methods=("fusion_lexical",)).scores
                   if s.method == "fusion_lexical")
    rows = shares(measurements)
    bm25 = measurements[0]
    table = pd.DataFrame(rows)
    print()
    print(table.to_markdown(index=False))
    print()
    print(f"bm25 (same run): top@5 {bm25.bm25_top5:.3f}, top@40 {bm25.bm25_top40:.3f}; "
          f"fusion_lexical (no neural model): top@5 {lexical.top_k(5):.3f}, top@40 {lexical.top_k(40):.3f}, "
          f"p50 {lexical.latency(50):.2f} ms")
    chosen = select_student(measurements)
    print(f"selected (cheapest keeping >= 97% of the teacher's default top@5 on these samples): {chosen}")

    texts = query_texts(samples)[: args.projection]
    teacher_vectors = teacher.embed_queries(texts)
    before = built.students.get("static")
    after = built.students.get("static-mlp") or built.students.get("static-tuned")
    plots = {"recall_vs_cost": recall_against_cost(measurements, out / "recall_vs_cost.png")}
    if before and after:
        plots["projection"] = projection_before_after(
            teacher_vectors, before.encoder.embed_queries(texts), after.encoder.embed_queries(texts),
            out / "projection.png", labels=(f"{before.name} (before)", f"{after.name} (after)"))
    report = {"instance": args.instance, "version": retriever.version, "teacher": inputs.teacher_name,
              "measured_on": where, "samples": len(samples), "training_texts": len(built.data),
              "selected": chosen, "rows": rows, "measurements": [m.as_dict() for m in measurements],
              "fusion_lexical": {"top@5": lexical.top_k(5), "top@40": lexical.top_k(40), "p50_ms": lexical.latency(50)},
              "teacher_encode_p50_ms_again": encode_p50_ms(teacher, texts[:100]),
              "training": {n: {k: v for k, v in b.training.items() if k != "map_history"}
                           for n, b in built.students.items()},
              "build_seconds": built.seconds, "teacher_name": TEACHER}
    (out / "query_encoders.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"plots and results in {out}: {', '.join(f'{n}.png' for n in plots)}, query_encoders.json")
    return 0


def _budgeted(spec, args):
    """A truncated teacher with the epochs/texts the command line allows (training on 2 CPU cores is slow)."""
    from dataclasses import replace

    if spec.family != "truncated":
        return spec
    config = spec.train_config
    if args.truncated_epochs:
        config = replace(config, epochs=args.truncated_epochs)
    if args.truncated_max_texts:
        config = replace(config, max_texts=args.truncated_max_texts)
    return replace(spec, train_config=config)


if __name__ == "__main__":
    sys.exit(main())
