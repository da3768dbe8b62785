"""Full build against a no-change reindex of one instance, step by step.

Usage:
    .venv/bin/python benchmarks/reindex.py --records ../shared/corpus [--platform ../shared/platform/servicenow-glide-27.0.5.tgz]

Builds the instance from scratch in a temporary state folder, then runs the same job
again with nothing changed, and prints each step's time and work (generated against
reused) for both runs, with the ratio of the two totals. Target: a no-change reindex
under 10% of a full build.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEEPCODESEEK_ENV", "ci")

WORK_KEYS = ("generated", "reused", "embedded", "reused_embeddings", "callers_parsed", "callers_reused", "reused")


def run(name: str, home: Path) -> tuple[float, dict[str, dict]]:
    from dagster import DagsterInstance

    from deepcodeseek_pipeline.run import materialize_instance

    started = time.perf_counter()
    result = materialize_instance(name, home=str(home), instance=DagsterInstance.ephemeral())
    total = time.perf_counter() - started
    steps: dict[str, dict] = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS" and event.step_key:
            steps.setdefault(event.step_key, {})["seconds"] = event.event_specific_data.duration_ms / 1000
    for event in result.get_asset_materialization_events():
        m = event.materialization
        work = {k: v.value for k, v in m.metadata.items() if k in WORK_KEYS}
        steps.setdefault(m.asset_key.to_user_string(), {}).update(work)
    return total, steps


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", required=True)
    parser.add_argument("--platform", default="")
    parser.add_argument("--instance", default="bench")
    args = parser.parse_args()

    from deepcodeseek.sources.registry import InstanceConfig, InstanceRegistry

    home = Path(tempfile.mkdtemp(prefix="dcs-reindex-"))
    InstanceRegistry(str(home)).add(InstanceConfig(
        name=args.instance, source="records", path=str(Path(args.records).resolve()),
        platform=str(Path(args.platform).resolve()) if args.platform else ""))
    print(f"full build of {args.records} in {home} ...", flush=True)
    full_s, full = run(args.instance, home)
    print("no-change reindex ...", flush=True)
    again_s, again = run(args.instance, home)
    print(f"\n{'step':<52} {'full s':>8} {'no-change s':>12}  work (no-change run)")
    for step in sorted(set(full) | set(again), key=lambda s: list(full).index(s) if s in full else 99):
        f, a = full.get(step, {}), again.get(step, {})
        work = ", ".join(f"{k}={v}" for k, v in a.items() if k != "seconds")
        print(f"{step:<52} {f.get('seconds', 0):8.1f} {a.get('seconds', 0):12.1f}  {work}")
    print(f"\n{'total (wall, with Dagster start-up)':<52} {full_s:8.1f} {again_s:12.1f}")
    print(f"no-change / full: {again_s / full_s:.1%} (target < 10%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
