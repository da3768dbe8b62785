"""Does a change move scripts that the fits learned from into a held-out split?

Usage:
    DEEPCODESEEK_ENV=local .venv/bin/python benchmarks/holdout_moves.py --from $DEEPCODESEEK_HOME:corpus \
        --edit code --share 0.05 --seeds 0-7 --out /tmp/holdout_moves

A built instance's splits group each script with its near-duplicates, and a group's split
follows a stable hash of its smallest member. A change can merge groups (an edit near a call
site makes its context a near-duplicate of another script's) or split them, and a script can
then change split. A script that was trainable and is now held out is what a carried fit, a
kept tuned model or a warm-started one must not have learned (``deepcodeseek.carry.may_carry``,
``training.warm_start.learned_held_out``): this measures how often a change does that.

For each seed, a copy of ``HOME:NAME`` gets its records edited, then only the assets that
decide the splits are rebuilt (records, platform, JSDoc, graph, benchmark), and the held-out
scripts before and after are compared. Two edits:

- ``methods``: ``scaling.edit_share`` (a method added at the top of ``share`` of the Script
  Includes: the cost curve's small change; seeds do not matter);
- ``code``: a statement after every third line of ``share`` of the scripts, picked by the
  seed: edits near call sites, which change their usage contexts.

One JSON line per seed: the scripts held out before and after, those trainable before and
held out now (by split), and those freed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPLIT_ASSETS = {"source_records", "platform_apis", "jsdoc_summaries", "knowledge_graph", "benchmark_samples"}


def _sibling(name: str):
    """A benchmark script beside this one, loaded by path (benchmarks/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def copy_home(spec: str, out: Path) -> tuple[str, Path, Path]:
    """A copy of ``HOME:NAME`` under ``out`` that reads its own copy of the records."""
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl
    from deepcodeseek.sources.registry import InstanceRegistry

    source_home, _, name = spec.rpartition(":")
    config = InstanceRegistry(source_home).get(name)
    if config.source != "records":
        raise SystemExit(f"--from {spec}: instance {name!r} reads {config.source!r}, not records")
    shutil.rmtree(out, ignore_errors=True)
    home, records = out / "home", out / "records"
    shutil.copytree(source_home, home, symlinks=True)
    records.mkdir(parents=True)
    write_records_jsonl(read_records_jsonl(Path(config.path)).records, records / "records.jsonl.gz")
    InstanceRegistry(home).add(replace(config, path=str(records)))
    return name, home, records


def edit_code(records_dir: Path, share: float, seed: int) -> int:
    """A statement after every third line of ``share`` of the scripts longer than five lines."""
    from deepcodeseek.sources.records_jsonl import read_records_jsonl, write_records_jsonl

    path = records_dir / "records.jsonl.gz"
    records = read_records_jsonl(path).records
    scripted = [i for i, r in enumerate(records) if (r.script or "").count("\n") > 5]
    chosen = random.Random(seed).sample(scripted, max(1, int(share * len(scripted))))
    for i in chosen:
        lines = records[i].script.split("\n")
        edited = (line + ("\nvar reviewed = true;" if k % 3 == 2 else "") for k, line in enumerate(lines))
        records[i] = replace(records[i], script="\n".join(edited))
    write_records_jsonl(records, path)
    return len(chosen)


def rebuild_splits(name: str, home: Path) -> float:
    """The assets that decide the splits, materialised again; seconds."""
    from dagster import DagsterInstance, materialize

    from deepcodeseek_pipeline.definitions import all_assets
    from deepcodeseek_pipeline.environment import get_environment
    from deepcodeseek_pipeline.resources import resources_for

    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("servicenow_instances", [name])
    started = time.perf_counter()
    materialize([a for a in all_assets if a.key.to_user_string() in SPLIT_ASSETS], partition_key=name,
                instance=instance, resources=resources_for(get_environment(), home=str(home)),
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    return time.perf_counter() - started


def moves(spec: str, out: Path, edit: str, share: float, seed: int) -> dict:
    from deepcodeseek.datasets.holdout import DATASETS_DIR, read_holdout

    name, home, records = copy_home(spec, out)
    folder = home / "instances" / name / DATASETS_DIR
    before = read_holdout(folder)
    edited = _sibling("scaling").edit_share(records, share) if edit == "methods" else edit_code(records, share, seed)
    seconds = rebuild_splits(name, home)
    after = read_holdout(folder)
    held_before, held_after = before.held_out(), after.held_out()
    moved = held_after - held_before  # no script is new: each one not held out before was trainable
    by_split: dict[str, int] = {}
    for script in moved:
        split = after.splits.get(after.groups[script], "")
        by_split[split] = by_split.get(split, 0) + 1
    return {"instance": name, "edit": edit, "share": share, "seed": seed, "edited": edited,
            "seconds": round(seconds, 1), "held_out_before": len(held_before), "held_out_after": len(held_after),
            "trainable_then_held_out_now": len(moved), "by_split": by_split,
            "held_out_then_trainable_now": len(held_before - held_after)}


def seeds_of(text: str) -> list[int]:
    """``0-7`` or ``0,3,5``."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="HOME:NAME of a built records instance")
    parser.add_argument("--edit", choices=("methods", "code"), default="code")
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--out", type=Path, default=Path("/tmp/holdout_moves"))
    args = parser.parse_args()
    rows = []
    for seed in seeds_of(args.seeds):
        rows.append(moves(args.source, args.out / "copy", args.edit, args.share, seed))
        print(json.dumps(rows[-1]), flush=True)
    shutil.rmtree(args.out / "copy", ignore_errors=True)
    changed = [r for r in rows if r["trainable_then_held_out_now"]]
    print(f"{len(changed)} of {len(rows)} changes moved a trainable script into a held-out split "
          f"({sum(r['trainable_then_held_out_now'] for r in rows)} scripts)", file=sys.stderr)


if __name__ == "__main__":
    main()
