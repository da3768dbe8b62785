"""Throughput of the Table API sync against the fake instance (127.0.0.1, no network beyond it).

Usage:
    .venv/bin/python benchmarks/sync_throughput.py                  # 20,000 records, page size 1000
    .venv/bin/python benchmarks/sync_throughput.py --records 5000 --page-size 500 --fault-rate 0.1

Three runs, each timed end to end (HTTP, normalising, journal, state and records file):
  clean     full sync from an empty state, no faults
  faulty    full sync from an empty state, a share of table requests failing with the fake's
            mix of transient faults (429 with Retry-After, 500, dropped and cut connections,
            HTML pages), plus answers slower than the client timeout
  no-change incremental sync on the clean run's state, nothing changed on the instance
The ratios to the clean run say what faults and a no-op sync cost. The fake runs in this
process (a thread), so its JSON encoding competes for the same interpreter: absolute rows/s
are a floor for a real instance's client side, not a prediction of one.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fake_servicenow

from deepcodeseek.sources.table_api import BasicAuth, SyncResult, TableAPIClient, sync_instance  # noqa: E402
from tests.fake_servicenow import MIXED_FAULTS, FakeServiceNow, make_instance  # noqa: E402

# A mix shaped like a mid-size instance: Script Includes and business rules dominate.
MIX = {
    "sys_script_include": 0.30, "sys_script": 0.25, "sys_script_client": 0.15, "sys_ui_action": 0.12,
    "sys_ui_script": 0.07, "sysauto_script": 0.05, "sys_script_fix": 0.03, "sys_ws_operation": 0.03,
}


def counts_for(total: int) -> dict[str, int]:
    counts = {table: int(total * share) for table, share in MIX.items()}
    counts["sys_script_include"] += total - sum(counts.values())
    return counts


def run(name: str, fake: FakeServiceNow, state_dir: Path, args: argparse.Namespace) -> SyncResult:
    client = TableAPIClient(fake.url, BasicAuth("admin", "admin-pw"), page_size=args.page_size,
                            timeout=args.timeout, backoff_base=args.backoff_base, backoff_cap=args.backoff_cap,
                            rate_limit_per_s=args.rate_limit or None,
                            # an HTML page is a proxy's hiccup here, not a sleeping instance: the
                            # same short backoff as other faults, so the figure is not waits alone
                            asleep_backoff_base_s=args.backoff_base, asleep_backoff_cap_s=args.backoff_cap)
    try:
        result = sync_instance(client, state_dir / "state.json", state_dir / "records.jsonl.gz")
    finally:
        client.close()
    rate = result.fetched / result.seconds if result.seconds else 0.0
    print(f"{name:<10} {result.fetched:>8} {rate:>10.0f} {result.requests:>9} {result.retries:>8} "
          f"{result.seconds:>9.2f} {len(result.read.records):>8} {result.changed:>8}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=1.0, help="client timeout (s); slow faults exceed it")
    parser.add_argument("--backoff-base", type=float, default=0.1)
    parser.add_argument("--backoff-cap", type=float, default=2.0)
    parser.add_argument("--rate-limit", type=float, default=0.0, help="requests/s; 0 = unthrottled")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="show each retry as it happens")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING if args.verbose else logging.ERROR, format="    %(message)s")

    started = time.perf_counter()
    tables = make_instance(counts_for(args.records), seed=args.seed, script_size=(1024, 4096))
    size_mib = sum(len(r.get("script") or r.get("operation_script") or "")
                   for rows in tables.values() for r in rows) / 2**20
    print(f"instance: {args.records} code records in {len(MIX)} tables + {sum(len(tables[t]) for t in tables if t not in MIX)}"
          f" metadata rows, {size_mib:.1f} MiB of script (built in {time.perf_counter() - started:.1f}s)")
    print(f"client: page size {args.page_size}, timeout {args.timeout}s, backoff {args.backoff_base}s..{args.backoff_cap}s "
          f"(full jitter), rate limit {args.rate_limit or 'none'}; faulty run: {args.fault_rate:.0%} of table "
          f"requests fail ({' / '.join(MIXED_FAULTS)}, 429 with Retry-After 0.05s; slow {args.timeout + 0.5}s)")
    print(f"{'run':<10} {'fetched':>8} {'rows/s':>10} {'requests':>9} {'retries':>8} {'seconds':>9} {'held':>8} {'changed':>8}")
    with FakeServiceNow(tables, seed=args.seed) as fake, tempfile.TemporaryDirectory() as tmp:
        clean_dir, faulty_dir = Path(tmp, "clean"), Path(tmp, "faulty")
        clean = run("clean", fake, clean_dir, args)
        fake.faults.set_rate(args.fault_rate, (*MIXED_FAULTS, "slow"))
        fake.faults.retry_after = 0.05
        fake.faults.slow_seconds = args.timeout + 0.5
        faulty = run("faulty", fake, faulty_dir, args)
        fake.faults.clear()
        nochange = run("no-change", fake, clean_dir, args)
        assert {r.sys_id: r.content_hash for r in faulty.read.records} == \
            {r.sys_id: r.content_hash for r in clean.read.records}, "faulty sync differs from the clean one"
        faults = len(fake.faults_fired)
    print(f"faults injected: {faults}; faulty run holds exactly the clean run's records")
    print(f"faulty / clean seconds:    {faulty.seconds / clean.seconds:.2f}x")
    print(f"no-change / clean seconds: {nochange.seconds / clean.seconds:.2f}x "
          f"({nochange.requests} requests, {nochange.fetched} rows fetched)")


if __name__ == "__main__":
    main()
