"""Two readers that tests used to time: near-duplicate removal and the platform package's read.

Usage:
    .venv/bin/python benchmarks/readers.py [--samples 5000] [--glide ../shared/platform/servicenow-glide-27.0.5.tgz]

Speed belongs in benchmarks, not in timed tests (a shared CI runner makes a time bound flaky), so the
tests check what these readers return and this script prints how long they take, each beside a
baseline measured in the same run:
- ``datasets.near_duplicates.dedupe`` (MinHash with LSH banding) over ``--samples`` synthetic samples
  with 2% planted copies, against exact Jaccard over every pair of the same shingles on the first
  1,000 (the quadratic work the banding avoids), with how many planted copies each finds;
- ``sources.platform_api.read_platform_api`` on the ``@servicenow/glide`` tarball, against reading
  the same tarball's declaration files as bytes (the I/O floor).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GLIDE = Path(__file__).resolve().parents[2] / "shared" / "platform" / "servicenow-glide-27.0.5.tgz"
EXACT_SAMPLES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--glide", type=Path, default=GLIDE)
    args = parser.parse_args()
    print(json.dumps(near_duplicates(args.samples)), flush=True)
    if args.glide.exists():
        print(json.dumps(platform_read(args.glide)), flush=True)
    else:
        print(f"platform read skipped: {args.glide} is absent (the shared data is not beside the project)")


def synthetic(n: int, seed: int = 1) -> list:
    """``n`` distinct completion contexts, then a copy of every 50th with a comment added (the planted
    near-duplicates)."""
    from deepcodeseek.evaluation.benchmark import Sample

    rng = random.Random(seed)
    tables = ["incident", "task", "sys_user", "cmdb_ci", "change_request", "problem", "sc_req_item"]
    calls = ["addQuery", "orderBy", "setLimit", "addEncodedQuery", "setValue", "getValue", "update"]
    out = []
    for i in range(n):
        lines = [f"var gr{i} = new GlideRecord('{rng.choice(tables)}');"]
        lines += [f"gr{i}.{rng.choice(calls)}('{rng.choice(tables)}_{rng.randint(0, 999)}', {rng.randint(0, 99)});"
                  for _ in range(10)]
        out.append(Sample(id=f"s{i}", code_before="\n".join(lines), target_namespace="GlideRecord",
                          code_middle=f"gr{i}.query();", code_after="", source=f"synthetic:{i}"))
    copies = [Sample(id=f"copy{i}", code_before=s.code_before + " // copied", target_namespace=s.target_namespace,
                     code_middle=s.code_middle, code_after="", source=f"synthetic:copy{i}")
              for i, s in enumerate(out) if i % 50 == 0]
    return out + copies


def near_duplicates(n: int) -> dict:
    from deepcodeseek.datasets.near_duplicates import DEFAULT_THRESHOLD, dedupe

    samples = synthetic(n)
    (_, removed), seconds = timed(dedupe, samples)
    small = synthetic(EXACT_SAMPLES)
    (_, removed_small), lsh_small = timed(dedupe, small)
    found, exact_small = timed(exact_pairs_above, small, DEFAULT_THRESHOLD)
    return {"reader": "near-duplicate dedupe", "samples": len(samples), "seconds": round(seconds, 2),
            "planted_copies_found": f"{planted_found(samples, [r for r, _, _ in removed])}/{planted_count(samples)}",
            f"at {len(small)} samples": {
                "dedupe_s": round(lsh_small, 3), "exact_all_pairs_s": round(exact_small, 3),
                "exact_over_dedupe": round(exact_small / lsh_small, 1),
                "planted_found_by_dedupe": planted_found(small, [r for r, _, _ in removed_small]),
                "planted_found_by_exact": planted_found(small, [b for _, b in found]),
                "planted": planted_count(small)}}


def planted_count(samples: list) -> int:
    return sum(s.id.startswith("copy") for s in samples)


def planted_found(samples: list, flagged: list[str]) -> int:
    """Planted copies among the flagged ids (each copy comes after its original, so it is the one flagged)."""
    return len({s.id for s in samples if s.id.startswith("copy")} & set(flagged))


def exact_pairs_above(samples: list, threshold: float) -> list[tuple[str, str]]:
    """Every pair whose exact Jaccard over the same token shingles reaches ``threshold``."""
    from deepcodeseek.datasets.near_duplicates import SHINGLE_SIZE, context_text
    from deepcodeseek.text import code_tokens

    shingles = []
    for s in samples:
        tokens = code_tokens(context_text(s))
        shingles.append({tuple(tokens[i:i + SHINGLE_SIZE]) for i in range(max(1, len(tokens) - SHINGLE_SIZE + 1))})
    out = []
    for j in range(len(samples)):
        for i in range(j):
            a, b = shingles[i], shingles[j]
            if len(a & b) >= threshold * len(a | b):
                out.append((samples[i].id, samples[j].id))
    return out


def platform_read(tarball: Path) -> dict:
    from deepcodeseek.sources.platform_api import read_platform_api

    result, seconds = timed(read_platform_api, tarball)
    floor, floor_s = timed(declaration_bytes, tarball)
    return {"reader": "platform package", "tarball": tarball.name, "classes": len(result.classes),
            "errors": len(result.errors), "seconds": round(seconds, 2), "declaration_bytes": floor,
            "bytes_only_s": round(floor_s, 3), "read_over_bytes": round(seconds / floor_s, 1)}


def declaration_bytes(tarball: Path) -> int:
    with tarfile.open(tarball) as archive:
        return sum(len(archive.extractfile(m).read()) for m in archive.getmembers()
                   if m.isfile() and m.name.endswith(".d.ts"))


def timed(work, *args) -> tuple:
    """``work(*args)`` and its wall seconds."""
    started = time.perf_counter()
    out = work(*args)
    return out, time.perf_counter() - started


if __name__ == "__main__":
    main()
