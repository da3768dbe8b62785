"""What pairing a cheaper query student with a ranker of its own does to one built instance.

Usage:
    .venv/bin/python benchmarks/pairing.py --from /tmp/carry_quality/carried:scale2600 --out /tmp/pairing

A copy of ``HOME:NAME``'s home (the original is not touched) is measured as it is, then
reindexed with the current code (``scaling.build``: every asset but the evaluation). On a
home built before ``deepcodeseek.ranking.pairing`` existed, that reindex changes nothing but
the pairs: each cheaper student gets a ranker trained on its own similarities, and the
calibration split chooses between them and the first choice. The script prints each pair's
calibration figures, which one serves and why, and the published version's calibration and
dev figures before and after (top@1, top@5, top@40, MRR@40 for the default method, the
fusion and every single signal, BM25 among them). Test is not read. Query cost is
``benchmarks/retrieval_speed.py --home`` and ``benchmarks/serve_load.py --home`` on the copy.
"""

from __future__ import annotations

import argparse
import json
import runpy
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, metavar="HOME:NAME")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pairing"))
    args = parser.parse_args()
    # carry_quality's figures and table, and the build the cost curve uses (benchmarks/ is not a package)
    carry_quality = SimpleNamespace(**runpy.run_path(str(Path(__file__).resolve().parent / "carry_quality.py")))
    scaling = carry_quality.scaling
    from deepcodeseek.index.publish import current_manifest
    from deepcodeseek.paths import instance_paths

    source_home, _, name = args.source.rpartition(":")
    home = args.out / "home"
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(source_home, home, symlinks=True)
    rows = {"before": carry_quality.figures(name, home)}
    print(json.dumps({"before": rows["before"]}), flush=True)
    built = scaling.build(name, home, adaptation=True)
    print(f"{name}: reindexed in {built['total_s']} s (learned_ranker {built['steps_s'].get('learned_ranker')} s)",
          flush=True)
    rows["with pairs"] = {"build_s": built["total_s"], **carry_quality.figures(name, home)}
    rows["before"]["build_s"] = ""
    print_pairs(current_manifest(instance_paths(name, home)))
    carry_quality.print_table(rows)


def print_pairs(manifest: dict) -> None:
    pairing = manifest.get("paired_query_encoder")
    if not pairing:
        print("\nno pairs: the default is not the ranker, or its encoder is within 1 ms, or no student costs half of it")
        return
    print(f"\nfirst choice {pairing['replaces']}; the teacher through its ranker: calibration top@5 "
          f"{pairing['teacher_top5']:.4f}; serves: {pairing['serves'] or 'the first choice'} ({pairing['why']})")
    print("\n| student with its own ranker | top@1 | top@5 | kept | MRR@40 | fusion top@5 | beats its fusion |")
    print("|---|---|---|---|---|---|---|")
    for pair in pairing["pairs"]:
        ranker, fusion = pair["calibration"]["ranker"], pair["calibration"]["fusion"]
        print(f"| {pair['student']} | {ranker['top@1']} | {ranker['top@5']} | {pair['kept']:.1%} | {ranker['mrr@40']} "
              f"| {fusion['top@5']} | {pair['beats_fusion']} |")


if __name__ == "__main__":
    main()
