"""Load test of ``deepcodeseek serve`` on loopback, beside the in-process Retriever, with a live index swap.

Works on a private copy of the home (instances copied, models linked), so the swap never
touches the original. Queries are the instance's mined benchmark queries (dev split by
default). Prints, per number of concurrent clients, latency percentiles seen by the
client (HTTP included), queries per second and errors; the in-process Retriever on the
same queries and encoder first (then, in the same process, the teacher encoding the queries and BM25:
the whole query against both baselines); then a run at 4 clients during which another complete
version is published (and then the first again), counting errors and versions seen.
Also: start-to-ready time and the server's resident memory. Each ``--processes`` value
(default 1 and 2) is a server run of its own: ``serve --processes 2`` runs two query processes
behind the HTTP process, each with its own index (memory and CPU are summed over the processes).

    .venv/bin/python benchmarks/serve_load.py --home ../state/corpus-v0 --instance corpus

Figures on a shared 2-core machine are rough: the load generator shares the cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deepcodeseek.index.publish import current_manifest, promote, version_manifest, versions_with_manifest  # noqa: E402
from deepcodeseek.paths import instance_paths  # noqa: E402


def copy_home(source: Path, instance: str, target: Path) -> Path:
    """The instance's folder copied (the swap writes its pointer), models linked (read-only)."""
    (target / "instances").mkdir(parents=True)
    shutil.copytree(source / "instances" / instance, target / "instances" / instance,
                    ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "reports"))
    (target / "models").mkdir()
    for model in (source / "models").iterdir() if (source / "models").exists() else ():
        (target / "models" / model.name).symlink_to(model.resolve(), target_is_directory=True)
    return target


def export_missing_query_encoders(home: Path, instance: str) -> list[str]:
    """A home built before the build exported query encoders gets them here, in the copy only."""
    from deepcodeseek.index.build import export_query_encoder
    from deepcodeseek.index.embedder import SentenceTransformerEmbedder
    from deepcodeseek.index.onnx_query_encoder import META_FILE, onnx_encoder_dir

    paths = instance_paths(instance, home)
    models = {version_manifest(paths, v)["model"] for v in versions_with_manifest(paths)}
    done = []
    for model in sorted(models):
        if not (onnx_encoder_dir(home, model) / META_FILE).exists():
            export_query_encoder(paths, SentenceTransformerEmbedder(model, device="cpu", home=home), print)
            done.append(model)
    return done


def read_queries(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            s = json.loads(line)
            out.append({"code_before": s["code_before"], "code_after": s.get("code_after"), "scope": s.get("scope")})
    if not out:
        raise SystemExit(f"{path}: no queries")
    return out


def percentiles(ms: list[float]) -> dict:
    if not ms:
        return {"p50": None, "p95": None, "p99": None}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2)}


def in_process(home: Path, instance: str, queries: list[dict], method: str | None, n: int) -> list[dict]:
    """The same loaded version the service loads (same encoder), queried one at a time; then, in the same
    process, the same queries with the teacher encoding them (with the ranker trained for the teacher
    where a student serves with one of its own) and with BM25: the whole query against both baselines."""
    from deepcodeseek.ranking.pairing import teacher_ranking
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.service.instances import EncoderCache, load_live_index
    from deepcodeseek.threads import one_thread_per_query

    one_thread_per_query()  # as the service runs its queries
    paths = instance_paths(instance, home)
    live = load_live_index(paths, current_manifest(paths), EncoderCache())
    rows = [timed(live.retriever, queries, method, n, "in-process", live.query_encoder)]
    if live.query_encoder != "teacher":
        teacher = Retriever(instance, str(home), query_encoder="teacher", manifest=live.retriever.manifest)
        with teacher_ranking(teacher):
            teacher.warm_up(method)
            rows.append(timed(teacher, queries, method, n, "in-process, teacher", "teacher"))
    rows.append(timed(live.retriever, queries, "bm25", n, "in-process, bm25", ""))
    return rows


def timed(retriever, queries: list[dict], method: str | None, n: int, label: str, encoder: str) -> dict:
    times = []
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        q = queries[i % len(queries)]
        t = time.perf_counter()
        retriever.retrieve(q["code_before"], q["code_after"], q["scope"], k=10, method=method)
        times.append((time.perf_counter() - t) * 1000)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"clients": label, **percentiles(times), "qps": round(n / wall, 1), "errors": 0, "requests": n,
            "encoder": encoder, "cpu_ms": round(cpu * 1000 / n, 2)}


class Server:
    def __init__(self, home: Path, instance: str, port: int, processes: int = 1):
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        env.pop("DEEPCODESEEK_API_TOKEN", None)
        self.port = port
        self.processes = processes
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "deepcodeseek.cli", "--home", str(home), "serve",
                                      "--instance", instance, "--port", str(port), "--processes", str(processes)],
                                     env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def pids(self) -> list[int]:
        """The server and its query processes (with ``--processes N``)."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def wait_ready(self, timeout: float = 180) -> float:
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                status, _ = request(self.port, "GET", "/readyz")
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.02)
        raise SystemExit("server not ready in time")

    def memory_mib(self) -> dict:
        """Resident memory summed over the server's processes, and the largest one's."""
        rss = {}
        for pid in self.pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            rss[pid] = next(int(v.split()[0]) / 1024 for k, _, v in (line.partition(":") for line in lines) if k == "VmRSS")
        largest = max(rss.values(), default=0.0)
        return {"VmRSS": round(sum(rss.values()), 1), "largest process": round(largest, 1)} if len(rss) > 1 \
            else {"VmRSS": round(largest, 1)}

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(port: int, verb: str, path: str, body: dict | None = None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(verb, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def load(port: int, queries: list[dict], clients: int, total: int, method: str | None,
         during: callable = None) -> dict:
    """``total`` requests from ``clients`` threads (keep-alive connections); ``during`` runs alongside."""
    times, errors, versions, lock = [], [], {}, threading.Lock()
    counter = iter(range(total))

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            q = queries[i % len(queries)]
            t = time.perf_counter()
            try:
                status, raw = request(port, "POST", "/v1/retrieve", {**q, "k": 10, "method": method}, conn)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if status == 200:
                        times.append(ms)
                        v = json.loads(raw)["version"]
                        versions[v] = versions.get(v, 0) + 1
                    else:
                        errors.append(f"{status}: {raw[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    side = threading.Thread(target=during) if during else None
    if side:
        side.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if side:
        side.join()
    return {"clients": clients, **percentiles(times), "qps": round(len(times) / wall, 1), "errors": len(errors),
            "requests": total, "versions": versions, "error_samples": errors[:3]}


def swapper(paths, port: int, first: str, second: str, log: list, period: float) -> callable:
    """Publish ``second`` after ``period`` s, wait until it is served (by every query process, with
    several), then publish ``first`` again."""
    def served(raw: bytes) -> set:
        entry = json.loads(raw)["instances"][0]
        return {p.get("version") for p in entry["processes"]} if "processes" in entry else {entry.get("version")}

    def run():
        for target in (second, first):
            time.sleep(period)
            promote(paths, target)
            switched = time.perf_counter()
            while served(request(port, "GET", "/v1/instances")[1]) != {target}:
                time.sleep(0.02)
            log.append({"published": target, "served_after_s": round(time.perf_counter() - switched, 2)})
    return run


def measure_server(home: Path, paths, instance: str, queries: list[dict], args, processes: int) -> dict:
    """Start ``serve --processes N`` on the copy, load it from each client count, then swap under load."""
    server = Server(home, instance, args.port, processes)
    rows: list[dict] = []
    swaps: list = []
    try:
        ready = server.wait_ready()
        ready_cpu = server.cpu_seconds()  # what start-up costs on idle cores, whatever else runs here
        memory_ready = server.memory_mib()
        _, first_body = request(args.port, "POST", "/v1/retrieve", {**queries[0], "method": args.method})
        served_method = json.loads(first_body).get("method")
        for clients in (int(c) for c in args.clients.split(",")):
            before = server.cpu_seconds()
            row = load(args.port, queries, clients, args.requests, args.method)
            rows.append({**row, "server_cpu_ms": round((server.cpu_seconds() - before) * 1000 / args.requests, 2)})
        memory_after = server.memory_mib()  # steady state, one version loaded
        if not args.no_swap:
            first = current_manifest(paths)["version"]
            others = [v for v in versions_with_manifest(paths) if v != first]
            if others:
                total = max(args.requests, 600)
                row = load(args.port, queries, 4, total, args.method,
                           during=swapper(paths, args.port, first, others[0], swaps, period=1.5))
                rows.append({**row, "clients": "4 (swap)"})
        memory_swap = server.memory_mib()
        _, raw = request(args.port, "GET", "/v1/instances")
    finally:
        server.stop()
    return {"processes": processes, "rows": rows, "swaps": swaps, "ready": ready, "ready_cpu": ready_cpu,
            "memory": (memory_ready, memory_after, memory_swap), "method": served_method,
            "served": json.loads(raw)["instances"][0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--samples", help="benchmark JSONL (default: the instance's dev split)")
    parser.add_argument("--requests", type=int, default=400, help="requests per client count")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--processes", default="1,2", help="query processes to measure, comma-separated "
                                                            "('serve --processes N'; each one a run of its own)")
    parser.add_argument("--method", default=None,
                        help="ranking method (default: none named, so each version serves the default it chose)")
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--no-swap", action="store_true")
    parser.add_argument("--no-export", action="store_true",
                        help="serve a home built before query encoders were exported as it is (torch queries)")
    args = parser.parse_args()

    source = Path(args.home).resolve()
    samples = Path(args.samples) if args.samples else \
        instance_paths(args.instance, source).root / "datasets" / "benchmark_dev.jsonl"
    queries = read_queries(samples)
    work = Path(tempfile.mkdtemp(prefix="serve-load-"))
    try:
        home = copy_home(source, args.instance, work / "home")
        paths = instance_paths(args.instance, home)
        if not args.no_export:
            exported = export_missing_query_encoders(home, args.instance)
            if exported:
                print(f"exported int8 ONNX query encoders into the copy: {exported}", file=sys.stderr)
        base = in_process(home, args.instance, queries, args.method, args.requests)
        runs = [measure_server(home, paths, args.instance, queries, args, int(n)) for n in args.processes.split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"instance {args.instance}, method {runs[0]['method']}"
          f"{'' if args.method else ' (the version default)'}, {len(queries)} queries from {samples.name}, "
          f"{os.cpu_count()} cores")
    for run in runs:
        ready_mem, after, swapped = run["memory"]
        print(f"{run['processes']} process(es): start to ready {run['ready']:.2f} s wall, {run['ready_cpu']:.2f} s of "
              f"CPU; server memory (MiB) at ready {ready_mem}, after the load {after}, after the swaps {swapped} "
              "(two versions are held while one loads)")
    print(f"served: {runs[-1]['served']}")
    print("\n| processes | clients | requests | p50 ms | p95 ms | p99 ms | QPS | errors | server CPU ms/request |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for row in base:
        label = row["clients"] + (f" ({row['encoder']})" if row["encoder"] else "")
        print(f"| {label} | | {row['requests']} | {row['p50']} | {row['p95']} | {row['p99']} | {row['qps']} | "
              f"{row['errors']} | {row['cpu_ms']} |")
    for run in runs:
        for r in run["rows"]:
            print(f"| {run['processes']} | {r['clients']} | {r['requests']} | {r['p50']} | {r['p95']} | {r['p99']} | "
                  f"{r['qps']} | {r['errors']} | {r.get('server_cpu_ms', '')} |")
    for run in runs:
        for r in run["rows"]:
            if r.get("error_samples"):
                print(f"errors at {run['processes']} process(es), {r['clients']} clients: {r['error_samples']}")
        if run["swaps"]:
            swap_row = run["rows"][-1]
            print(f"\n{run['processes']} process(es), swap during the 4-client run: {run['swaps']}; responses by "
                  f"version {swap_row['versions']}, errors {swap_row['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
