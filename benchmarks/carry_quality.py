"""What carrying fitted stages over a small change costs in quality: one change, built once per arm.

Usage:
    .venv/bin/python benchmarks/carry_quality.py --from /tmp/scaling/home-2600:scale2600 --out /tmp/carry_quality

From one built records instance (``HOME:NAME``), about 1% of its Script Includes are
edited (``scaling.edit_share``; ``--share`` for another share). Copies of its home then
reindex the same edited records, one per arm (``--arms``, default ``carried,refitted``):

- **carried**, the library's rules: the tuned embedder is kept while at most
  ``warm_start.KEEP_MODEL_CHANGE`` of its examples are new, and the query students, the learned
  ranker (with its A/B) and the rerankers are carried over from their last fit while the
  instance changed by at most ``carry.KEEP_CHANGE`` (``--keep-change`` sets both, to ask what
  a larger bound would cost);
- **refitted**: both bounds 0, as before the carry rule: the embedder is warm-started, every
  document embedded again, and every stage fitted again;
- **warm-started**: the embedder's bound at the stages' (the rule before stop 35): past 2% of
  its examples new it warm-starts, and every stage keyed by the model fits again (the choice
  of what serves carried, ``deepcodeseek.served_choice``);
- **embedder-kept**: the embedder's bound at ``--embedder-keep``, the stages' at
  ``--keep-change`` (0: they all fit again, on the kept model's similarities). With the
  warm-started arm it asks which refit a change buys quality with: the embedder's warm start,
  or the stages fitted on the new data.

Both read the same records, so their benchmark splits are the same. The script prints
each build's seconds, and each published version's calibration and dev figures (top@1,
top@5, top@40, MRR@40) for its default method, the fusion and every single signal, with
BM25 beside them. Test is not read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _sibling(name: str):
    """A benchmark script beside this one, loaded by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up by name
    spec.loader.exec_module(module)
    return module


scaling = _sibling("scaling")  # the build and the edit the cost curve uses

SPLITS = ("calibration", "dev")
METHODS = ("bm25", "votes", "dense", "fusion", "ranker")


def copy_instance(spec: str, out: Path, share: float = 0.01) -> tuple[str, Path, list[str]]:
    """A copy of ``HOME:NAME``'s home and records under ``out``, ``share`` of its Script Includes edited,
    and the embedder's examples before the edit (``scaling.example_keys``)."""
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl
    from deepcodeseek.sources.registry import InstanceRegistry

    source_home, _, name = spec.rpartition(":")
    config = InstanceRegistry(source_home).get(name)
    if config.source != "records":
        raise SystemExit(f"--from {spec}: instance {name!r} reads {config.source!r}, not records")
    home, records = out / "base", out / "records"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source_home, home, symlinks=True)
    records.mkdir(parents=True)
    write_records_jsonl(read_records_jsonl(Path(config.path)).records, records / "records.jsonl.gz")
    InstanceRegistry(home).add(replace(config, path=str(records)))
    # A no-change reindex first: a home built before fits were recorded adopts its results as fits
    # (deepcodeseek.carry.adopt_fit), as every later reindex of a deployment would have.
    print(f"{name}: no-change reindex in {scaling.build(name, home, adaptation=True)['total_s']} s", flush=True)
    before = scaling.example_keys(name, home)
    edited = scaling.edit_share(records, share)
    print(f"{name}: {edited} Script Includes edited", flush=True)
    return name, home, before


def build_arm(name: str, base: Path, home: Path, keep_change: float, embedder_keep: float) -> dict:
    """Reindex a copy of ``base`` with the stages' bound (``carry.KEEP_CHANGE``) and the embedder's
    (``warm_start.KEEP_MODEL_CHANGE``) set for this build only."""
    from deepcodeseek import carry
    from deepcodeseek.training import warm_start

    shutil.copytree(base, home, symlinks=True)
    saved = carry.KEEP_CHANGE, warm_start.KEEP_MODEL_CHANGE
    carry.KEEP_CHANGE, warm_start.KEEP_MODEL_CHANGE = keep_change, embedder_keep
    try:
        return scaling.build(name, home, adaptation=True)
    finally:
        carry.KEEP_CHANGE, warm_start.KEEP_MODEL_CHANGE = saved


def figures(name: str, home: Path) -> dict:
    """Each split's figures for the published version, every method over the same samples."""
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of, read_split
    from deepcodeseek.evaluation.report import evaluate
    from deepcodeseek.retrieval.retriever import Retriever

    retriever = Retriever(name, str(home))
    holdout = read_holdout_of(retriever.paths)
    methods = tuple(m for m in METHODS if m in retriever.available_methods())
    out = {"version": retriever.version, "model": retriever.model_name, "default": retriever.default_method}
    for split in SPLITS:
        samples = read_split(retriever.paths, split, retriever.docs.namespaces())
        report = evaluate(retriever, samples, methods=methods, holdout=holdout)
        out[split] = {"samples": len(samples), **{
            s.method: {"top@1": round(s.top_k(1), 4), "top@5": round(s.top_k(5), 4), "top@40": round(s.top_k(40), 4),
                       "mrr@40": round(s.mrr(), 4)} for s in report.scores}}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, metavar="HOME:NAME")
    parser.add_argument("--out", type=Path, default=Path("/tmp/carry_quality"))
    parser.add_argument("--share", type=float, default=0.01, help="share of the Script Includes to edit")
    parser.add_argument("--keep-change", type=float, help="the stages' bound (carry.KEEP_CHANGE) in every arm but 'refitted', and the embedder's "
                             "too in 'carried' (default: the library's bounds)")
    parser.add_argument("--embedder-keep", type=float, default=0.1,
                        help="the embedder's bound in the 'embedder-kept' arm (the stages take --keep-change's)")
    parser.add_argument("--arms", default="carried,refitted",
                        help="comma-separated: carried, refitted, warm-started, embedder-kept")
    args = parser.parse_args()
    from deepcodeseek import carry
    from deepcodeseek.training import warm_start

    stages = carry.KEEP_CHANGE if args.keep_change is None else args.keep_change
    model = warm_start.KEEP_MODEL_CHANGE if args.keep_change is None else args.keep_change
    arms = {"carried": (stages, model), "refitted": (0.0, 0.0), "warm-started": (stages, stages),
            "embedder-kept": (stages, args.embedder_keep)}
    chosen = [a.strip() for a in args.arms.split(",") if a.strip()]
    if unknown := [a for a in chosen if a not in arms]:
        raise SystemExit(f"--arms: unknown {unknown}; choose among {sorted(arms)}")
    name, base, before = copy_instance(args.source, args.out, args.share)
    rows = {}
    for arm in chosen:
        keep, embedder_keep = arms[arm]
        built = build_arm(name, base, args.out / arm, keep, embedder_keep)
        rows[arm] = {"build_s": built["total_s"], "steps_s": built["steps_s"], "keep_change": keep,
                     "embedder_keep": embedder_keep,
                     "examples": scaling.warm_start_share(before, scaling.example_keys(name, args.out / arm)),
                     **figures(name, args.out / arm)}
        print(json.dumps({arm: rows[arm]}), flush=True)
    print_table(rows)


def print_table(rows: dict) -> None:
    print("\n| arm | build s | version (default) | split | method | top@1 | top@5 | top@40 | MRR@40 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for arm, row in rows.items():
        for split in SPLITS:
            for method, f in row[split].items():
                if method == "samples":
                    continue
                print(f"| {arm} | {row['build_s']} | {row['version']} ({row['default']}) | {split} ({row[split]['samples']}) "
                      f"| {method} | {f['top@1']} | {f['top@5']} | {f['top@40']} | {f['mrr@40']} |")


if __name__ == "__main__":
    main()
