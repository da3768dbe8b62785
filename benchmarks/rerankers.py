"""Neural rerankers on an indexed instance: the paper's Table 4, beside no rerank and BM25.

    python benchmarks/rerankers.py --instance corpus --home /work/state/corpus-v0 --out /tmp/rerankers-bench

Reads the instance's published index and datasets (read-only), builds candidates with
the default method, trains every stage into ``--artefacts`` (default ``<out>/home``;
content-addressed, so a second run with the same flags trains nothing), and prints:

1. the choice of N for the cross-encoder, measured on the calibration split (the
   instance's ``benchmark_calibration.jsonl`` when present, else a seeded fifth of
   the train split's scripts, held out of every training set);
2. Table 4 on dev for the cross-encoders (all dev samples) beside no rerank, BM25,
   votes and dense over the whole index;
3. Table 4 on a subset of dev (``--lm-dev-limit`` samples, same candidates for
   every row) for the LM stages: base / SFT / extended SFT / SFT+GRPO, with the
   cross-encoders and no rerank on the same subset.

Defaults are sized for 2 CPU cores (SmolLM2 costs ~0.1-0.3 s per candidate there):
documents and queries cut to short budgets, few candidates for the LM. With
``--device cuda`` raise ``--lm-sft-pairs``, ``--grpo-steps``, ``--lm-n`` and
``--lm-dev-limit`` towards the paper's scale. Nothing here is chosen on dev or test:
the settings are fixed by the flags, N by the calibration split.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--instance", required=True)
    p.add_argument("--home", help="DEEPCODESEEK_HOME of the indexed instance (read only)")
    p.add_argument("--out", default="/tmp/rerankers-bench", help="results: JSON, Markdown, curves PNG")
    p.add_argument("--artefacts", help="home for trained rerankers (default <out>/home)")
    p.add_argument("--device", default="auto")
    p.add_argument("--depth", type=int, default=40, help="candidates per query from the default method")
    p.add_argument("--calibration-share", type=float, default=0.2)
    p.add_argument("--calibration-limit", type=int, default=100, help="calibration samples for choosing N")
    # cross-encoder
    p.add_argument("--ce-negatives", type=int, default=3, help="hard negatives per triplet")
    p.add_argument("--ce-max-pairs", type=int, default=2400)
    p.add_argument("--ce-epochs", type=float, default=1.0)
    p.add_argument("--ce-query-tokens", type=int, default=64)
    p.add_argument("--ce-doc-tokens", type=int, default=64)
    p.add_argument("--ns", default="5,10,15,20,30", help="N values to measure for the cross-encoder")
    p.add_argument("--budget-ms", type=float, default=150.0, help="path p50 budget for the reranked path")
    # LM reranker
    p.add_argument("--lm-query-tokens", type=int, default=64)
    p.add_argument("--lm-doc-tokens", type=int, default=48)
    p.add_argument("--lm-sft-pairs", type=int, default=192)
    p.add_argument("--lm-batch", type=int, default=8)
    p.add_argument("--lm-lr", type=float, default=2e-4)
    p.add_argument("--grpo-steps", type=int, default=10)
    p.add_argument("--grpo-lr", type=float, default=2e-5)
    p.add_argument("--lm-n", type=int, default=10, help="candidates the LM stages re-order")
    p.add_argument("--lm-dev-limit", type=int, default=40, help="dev samples for the LM rows (every k-th)")
    p.add_argument("--skip-lm", action="store_true")
    # distillation
    p.add_argument("--distil-queries", type=int, default=40, help="train queries the teacher scores")
    p.add_argument("--distil-n", type=int, default=10)
    p.add_argument("--teacher", default="lm-sft-grpo", choices=["lm-sft", "lm-sft-extended", "lm-sft-grpo"])
    p.add_argument("--temperature", type=float, default=1.0)
    return p.parse_args(argv)


def every_kth(items: list, limit: int) -> list:
    if limit <= 0 or len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def main(argv=None) -> int:
    args = parse_args(argv)
    import numpy as np
    import pyarrow.parquet as pq

    from deepcodeseek.evaluation.benchmark_build import datasets_dir, read_split, split_path
    from deepcodeseek.evaluation.report import source_scripts
    from deepcodeseek.rerankers import examples as ex
    from deepcodeseek.rerankers.candidates import build_cases, recall_at, short_namespace
    from deepcodeseek.rerankers.cross_encoder import CrossEncoderConfig, train_cross_encoder
    from deepcodeseek.rerankers.loop import LoopSettings
    from deepcodeseek.rerankers.plots import training_curves_png
    from deepcodeseek.rerankers.table4 import choose_top_n, table4
    from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, Retriever

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    artefacts = Path(args.artefacts or out / "home")
    started = time.perf_counter()
    retriever = Retriever(args.instance, args.home)
    paths = retriever.paths
    log(f"index version {retriever.version} ({len(retriever.docs)} documents), default method {DEFAULT_METHOD}")

    # -- splits: calibration from the instance when it has one, else carved from train
    train = read_split(paths, "train")
    dev = read_split(paths, "dev")
    if split_path(paths, "calibration").exists():
        calibration = read_split(paths, "calibration")
        calibration_from = "benchmark_calibration.jsonl"
    else:
        held = ex.calibration_scripts([s.id for s in train], args.calibration_share,
                                      sources={s.id: s.source for s in train})
        calibration = [s for s in train if ex.script_of(s.id, s.source) in held]
        train = [s for s in train if ex.script_of(s.id, s.source) not in held]
        calibration_from = f"{args.calibration_share:.0%} of train scripts (seeded)"
    calibration_scripts = {ex.script_of(s.id, s.source) for s in calibration}
    log(f"train {len(train)}, calibration {len(calibration)} ({calibration_from}), dev {len(dev)} samples")

    folder = datasets_dir(paths)
    triplets = pq.read_table(folder / "triplets.parquet")
    yes_no = pq.read_table(folder / "yes_no_pairs.parquet")
    ce_pairs = ex.without_scripts(ex.pairs_from_triplets(triplets, args.ce_negatives), calibration_scripts)
    ce_pairs = ce_pairs[:args.ce_max_pairs]
    lm_pairs_all = ex.without_scripts(ex.pairs_from_table(yes_no), calibration_scripts)
    lm_pairs = lm_pairs_all[:args.lm_sft_pairs]
    calib_pairs = [p for p in ex.pairs_from_table(yes_no) if ex.script_of(p.query_id) in calibration_scripts]
    log(f"training pairs: cross-encoder {len(ce_pairs)}, LM SFT {len(lm_pairs)}; "
        f"calibration pairs {len(calib_pairs)}")

    # -- candidates (same for every stage) and whole-index baselines
    t = time.perf_counter()
    dev_cases = build_cases(retriever, dev, args.depth, progress=log)
    calib_cases = build_cases(retriever, every_kth(calibration, args.calibration_limit), args.depth, progress=log)
    log(f"candidates built in {time.perf_counter() - t:.0f} s; dev recall@{args.depth} "
        f"{recall_at(dev_cases, args.depth):.3f}, calibration {recall_at(calib_cases, args.depth):.3f}")
    baselines = {}
    for method in ("bm25", "votes", "dense"):
        baselines[method] = [[short_namespace(r.namespace) for r in retriever.retrieve(
            s.code_before, s.code_after or None, s.scope, k=20, method=method, exclude_callers=source_scripts(s))]
            for s in dev]
    by_id = {c.query_id: i for i, c in enumerate(dev_cases)}

    summaries = {}
    # -- 3a: cross-encoder
    ce_config = CrossEncoderConfig(max_query_tokens=args.ce_query_tokens, max_document_tokens=args.ce_doc_tokens,
                                   loop=LoopSettings(epochs=args.ce_epochs, batch_size=16, learning_rate=5e-4,
                                                     eval_every=50))
    ce, summaries["cross-encoder"] = train_cross_encoder(ce_pairs, artefacts, ce_config, device=args.device,
                                                         progress=log, dev_pairs=calib_pairs[:200])
    log(f"cross-encoder: {summaries['cross-encoder'].steps} steps in {summaries['cross-encoder'].seconds} s")
    ns = [int(n) for n in args.ns.split(",")]
    serving = ce.for_cpu() if ce.device == "cpu" else ce  # what a CPU query runs: merged, int8
    choice = choose_top_n(calib_cases, serving, ns, budget_ms=args.budget_ms, progress=log)
    log(f"N chosen on calibration: {choice.n} ({'within' if choice.within_budget else 'OVER'} "
        f"{args.budget_ms:.0f} ms)\n{choice.markdown()}")

    stages = {"no rerank": None, "cross-encoder": ce}
    top_n = {"cross-encoder": choice.n}
    if serving is not ce:
        stages[serving.name] = serving
        top_n[serving.name] = choice.n
    lm_rows = {}
    if not args.skip_lm:
        lm_rows, lm_n = run_lm_stages(args, artefacts, lm_pairs, lm_pairs_all, calib_pairs, train, retriever,
                                      summaries, log)
        teacher = lm_rows[args.teacher]
        distil_cases = build_cases(retriever, every_kth(train, args.distil_queries), args.depth)
        from deepcodeseek.rerankers.distill import lm_score_table, soft_pairs, teacher_agreement

        t = time.perf_counter()
        scores = lm_score_table(teacher, distil_cases, args.distil_n, progress=log)
        pq.write_table(scores, out / "lm_scores.parquet")
        log(f"teacher {args.teacher} scored {scores.num_rows} pairs in {time.perf_counter() - t:.0f} s "
            f"-> {out / 'lm_scores.parquet'}")
        distil_pairs = ce_pairs + soft_pairs(scores, args.temperature)
        distilled, summaries["cross-encoder-distilled"] = train_cross_encoder(
            distil_pairs, artefacts, ce_config, name="cross-encoder-distilled", device=args.device, progress=log,
            dev_pairs=calib_pairs[:200])
        log(f"distilled student keeps {teacher_agreement(distilled, scores):.3f} of the teacher's pair orders "
            f"(undistilled: {teacher_agreement(ce, scores):.3f})")
        stages["cross-encoder-distilled"] = distilled
        top_n["cross-encoder-distilled"] = choice.n
        if serving is not ce:
            stages[f"{distilled.name} (int8)"] = distilled.for_cpu()
            top_n[f"{distilled.name} (int8)"] = choice.n

    # On all of dev, the serving forms only (the float models join the subset table below).
    full_stages = {k: v for k, v in stages.items() if serving is ce or k == "no rerank" or k.endswith("(int8)")}
    full = table4(dev_cases, full_stages, top_n, baselines=baselines, progress=log,
                  notes={serving.name: f"N chosen on calibration ({choice.metric}, path p50 <= {args.budget_ms:.0f} ms "
                                      f"for the int8 form)"})
    print(f"\n## Table 4 (dev, {len(dev_cases)} samples, candidates: top-{args.depth} of {DEFAULT_METHOD}, "
          f"recall@{args.depth} {full.recall:.3f})\n")
    print(full.markdown())
    result = {"instance": args.instance, "index_version": retriever.version, "method": DEFAULT_METHOD,
              "calibration": calibration_from, "n_choice": asdict(choice), "dev": full.as_dict(),
              "summaries": {k: asdict(v) for k, v in summaries.items()}}

    if lm_rows:
        subset = every_kth(dev_cases, args.lm_dev_limit)
        sub_stages = {"no rerank": None, **{k: v for k, v in lm_rows.items()},
                      **{k: v for k, v in stages.items() if v is not None}}
        sub_n = {**{k: lm_n for k in sub_stages}}
        sub_baselines = {m: [ranked[by_id[c.query_id]] for c in subset] for m, ranked in baselines.items()}
        lm_table = table4(subset, sub_stages, sub_n, baselines=sub_baselines, progress=log)
        print(f"\n## Table 4, LM stages (dev subset of {len(subset)} samples, every stage re-orders the top {lm_n})\n")
        print(lm_table.markdown())
        result["dev_lm_subset"] = lm_table.as_dict()
    print(f"\n## N chosen on calibration for the cross-encoder: {choice.n}\n")
    print(choice.markdown())

    png = training_curves_png(summaries)
    (out / "training_curves.png").write_bytes(png)
    (out / "training_curves.md").write_text(f"![curves](data:image/png;base64,{base64.b64encode(png).decode()})\n")
    (out / "table4.json").write_text(json.dumps(result, indent=2, default=str))
    log(f"done in {time.perf_counter() - started:.0f} s; results in {out}")
    return 0


def run_lm_stages(args, artefacts, lm_pairs, lm_pairs_all, calib_pairs, train, retriever, summaries, log):
    """Base, SFT, SFT+GRPO and extended SFT of the yes/no LM reranker."""
    from deepcodeseek.rerankers.grpo import GRPOSettings, extended_sft, train_lm_grpo
    from deepcodeseek.rerankers.lm_reranker import LMRerankerConfig, YesNoLMReranker, train_lm_sft
    from deepcodeseek.rerankers.loop import LoopSettings

    config = LMRerankerConfig(max_query_tokens=args.lm_query_tokens, max_document_tokens=args.lm_doc_tokens,
                              loop=LoopSettings(epochs=1.0, batch_size=args.lm_batch, learning_rate=args.lm_lr,
                                                eval_every=0))
    dev_pairs = calib_pairs[:24]
    base = YesNoLMReranker.from_base(artefacts, config, "lm-base", args.device, progress=log)
    sft, summaries["lm-sft"] = train_lm_sft(lm_pairs, artefacts, config, "lm-sft", args.device, log, dev_pairs)
    log(f"lm-sft: {summaries['lm-sft'].steps} steps in {summaries['lm-sft'].seconds} s")
    grpo_pairs = lm_pairs_all[len(lm_pairs):len(lm_pairs) + 4 * args.grpo_steps] or lm_pairs
    settings = GRPOSettings(max_steps=args.grpo_steps, learning_rate=args.grpo_lr)
    grpo, summaries["lm-sft-grpo"] = train_lm_grpo(grpo_pairs, artefacts, summaries["lm-sft"], settings,
                                                   device=args.device, progress=log, dev_pairs=dev_pairs)
    log(f"lm-sft-grpo: {settings.max_steps} steps ({settings.sequences} sequences) in "
        f"{summaries['lm-sft-grpo'].seconds} s")
    extended, summaries["lm-sft-extended"] = extended_sft(grpo_pairs, artefacts, summaries["lm-sft"],
                                                          settings.sequences, device=args.device, progress=log,
                                                          dev_pairs=dev_pairs)
    log(f"lm-sft-extended: {summaries['lm-sft-extended'].steps} more steps in {summaries['lm-sft-extended'].seconds} s")
    return {"lm-base": base, "lm-sft": sft, "lm-sft-extended": extended, "lm-sft-grpo": grpo}, args.lm_n


if __name__ == "__main__":
    raise SystemExit(main())
