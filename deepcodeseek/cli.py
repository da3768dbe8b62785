"""``deepcodeseek`` command line.

The query path (``retrieve``) imports only the library: no Dagster, so it starts fast.
``index`` and ``demo`` import the Dagster project lazily to materialise assets.
Known errors (the project's :class:`~deepcodeseek.errors.DeepCodeSeekError` hierarchy, and
:class:`CLIError`) end with one line on stderr and exit 2; anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from deepcodeseek.errors import DeepCodeSeekError
from deepcodeseek.paths import home_dir

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


class CLIError(Exception):
    """An error already phrased for the user."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CLIError, DeepCodeSeekError) as exc:
        print(f"deepcodeseek: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("deepcodeseek: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deepcodeseek", description="API retrieval for ServiceNow code completion")
    parser.add_argument("--home", help="state folder (default: $DEEPCODESEEK_HOME or ./.deepcodeseek)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("instance", help="manage the instance registry")
    isub = p.add_subparsers(dest="instance_command", required=True)
    a = isub.add_parser("add", help="register (or update) an instance")
    a.add_argument("name")
    a.add_argument("--source", required=True, choices=["table-api", "export", "update-set", "records"])
    a.add_argument("--url", default="", help="instance URL (table-api)")
    a.add_argument("--path", default="", help="export folder or zip, update-set XML, or records folder")
    a.add_argument("--platform", default="", help="@servicenow/glide tarball or folder: index platform APIs too")
    a.add_argument("--schedule", default=None, help="reindex cron in UTC: five fields or @daily, @hourly, ... (default: nightly 02:00)")
    a.add_argument("--benchmark", default="", help="benchmark JSONL for the evaluation report")
    a.add_argument("--auth-env-prefix", default=None,
                   help="table-api credentials from PREFIX_USER, PREFIX_PASSWORD (+ PREFIX_CLIENT_ID, "
                        "PREFIX_CLIENT_SECRET for OAuth); default SERVICENOW")
    a.set_defaults(func=cmd_instance_add)
    ls = isub.add_parser("list", help="list registered instances")
    ls.set_defaults(func=cmd_instance_list)
    rm = isub.add_parser("remove", help="take an instance out of the registry (its partition goes too)")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_instance_remove)

    p = sub.add_parser("index", help="register an instance and build all of its assets")
    p.add_argument("--instance", required=True)
    p.add_argument("--records", help="folder (or file) of records JSONL to register as the instance's source")
    p.add_argument("--benchmark", help="benchmark JSONL for the instance's evaluation report")
    p.add_argument("--skip", action="append", default=[], metavar="ASSET",
                   help="leave this asset out of the build (repeat), e.g. adapted_embedder or evaluation_report: "
                        "publish sooner, and let the next scheduled reindex build it")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("retrieve", help="rank APIs for each query of a JSONL file")
    p.add_argument("--instance", required=True)
    p.add_argument("--queries", required=True, help='JSONL: {"id", "code_before", "code_after"?, "scope"?}')
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--method", default=None,
                   help="ranker, fusion, fusion_lexical, fusion_semantic, hybrid, dense, bm25, votes (default: the one the "
                        "instance's calibration chose); intent and hyde need ANTHROPIC_API_KEY")
    p.add_argument("--explain", action="store_true", help="print why each result ranked, for people")
    p.set_defaults(func=cmd_retrieve)

    p = sub.add_parser("eval", help="evaluate an instance's published index on a benchmark JSONL or one of its splits")
    p.add_argument("--instance", required=True)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--samples", help="benchmark JSONL")
    source.add_argument("--split", choices=["calibration", "dev", "test"],
                        help="a split mined from the instance (test: read once, for a release's final figure)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("mine", help="mine a leak-free completion benchmark from an indexed instance")
    p.add_argument("--instance", required=True)
    p.add_argument("--out", help="also copy the benchmark JSONL (all splits, labelled) here")
    p.add_argument("--split-by", choices=["source", "namespace"], default="source",
                   help="group splits by source script (default) or make them namespace-disjoint")
    p.set_defaults(func=cmd_mine)

    p = sub.add_parser("export", help="write an instance's current records as records JSONL")
    p.add_argument("--instance", required=True)
    p.add_argument("--out", required=True, help="folder to write <instance>.jsonl.gz into")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("status", help="records, index version, model and freshness per instance")
    p.add_argument("--instance")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("report", help="print instances' result tables, or rewrite them in a README between markers")
    p.add_argument("--instance", action="append", required=True, help="repeat for several instances")
    p.add_argument("--readme", help="rewrite the blocks between <!-- results:NAME --> and <!-- /results:NAME -->")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="build the bundled sample instance and show what it retrieves")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve retrieval over HTTP and MCP (/mcp), following published index versions")
    p.add_argument("--instance", action="append", default=[], help="instance to serve (repeat; default: all registered)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--processes", type=int, default=None,
                   help="query processes, each with its own loaded index, behind this one HTTP/MCP process "
                        "(default: one per core, at most 2; 1: queries run on threads beside one loaded index, "
                        "the least memory; a query holds Python's GIL most of its time, so one process per core "
                        "answers concurrent clients sooner)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mcp", help="serve one instance's MCP tools over stdio (for editor agents)")
    p.add_argument("--instance", required=True)
    p.set_defaults(func=cmd_mcp)
    return parser


def cmd_instance_add(args: argparse.Namespace) -> int:
    from deepcodeseek.sources.instance_config import DEFAULT_AUTH_PREFIX, DEFAULT_SCHEDULE, InstanceConfig
    from deepcodeseek.sources.registry import InstanceRegistry

    def resolved(path: str) -> str:
        if not path:
            return ""
        full = Path(path).expanduser()
        full = full.parent.resolve() / full.name
        pattern = any(ch in full.name for ch in "*?[")  # a glob of records files
        if not (any(full.parent.glob(full.name)) if pattern else full.exists()):
            raise CLIError(f"{path} matches no file" if pattern else f"{path} does not exist")
        return str(full)

    config = InstanceConfig(
        name=args.name, source=args.source, url=args.url.rstrip("/"), path=resolved(args.path),
        platform=resolved(args.platform), schedule=args.schedule or DEFAULT_SCHEDULE,
        benchmark=resolved(args.benchmark), auth_env_prefix=args.auth_env_prefix or DEFAULT_AUTH_PREFIX,
    )
    InstanceRegistry(args.home).add(config)  # checks the schedule: a bad cron is refused here
    print(f"registered instance {config.name} ({config.source}); build it with "
          f"'deepcodeseek index --instance {config.name}'", file=sys.stderr)
    return 0


def cmd_instance_remove(args: argparse.Namespace) -> int:
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.sources.registry import InstanceRegistry

    removed = InstanceRegistry(args.home).remove(args.name)
    print(f"removed instance {removed.name} from the registry; the sensor deletes its partition. "
          f"Its records and index stay under {instance_paths(removed.name, args.home).root}", file=sys.stderr)
    return 0


def cmd_instance_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from deepcodeseek.sources.registry import InstanceRegistry

    for config in InstanceRegistry(args.home).all():
        print(json.dumps(asdict(config)))
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from deepcodeseek.sources.instance_config import InstanceConfig
    from deepcodeseek.sources.registry import InstanceRegistry

    if args.skip:  # named before anything is registered or built
        from deepcodeseek_pipeline.run import selection

        selection(args.skip)
    registry = InstanceRegistry(args.home)
    if args.records:
        records = Path(args.records).expanduser().resolve()
        if not records.exists():
            raise CLIError(f"records path {records} does not exist")
        benchmark = str(Path(args.benchmark).resolve()) if args.benchmark else ""
        registry.add(InstanceConfig(name=args.instance, source="records", path=str(records), benchmark=benchmark))
    elif args.benchmark:
        from dataclasses import replace

        registry.add(replace(registry.get(args.instance), benchmark=str(Path(args.benchmark).resolve())))
    else:
        registry.get(args.instance)  # fails with a clear message when unknown
    return _materialize(args.instance, args.home, skip=args.skip)


def _materialize(instance: str, home: str | None, skip: list[str] | None = None) -> int:
    print(f"indexing instance {instance} ...", file=sys.stderr)
    from deepcodeseek_pipeline.run import materialize_instance

    started = time.perf_counter()
    result = materialize_instance(instance, home=str(home_dir(home)), raise_on_error=False, log_level="INFO",
                                  skip=skip or ())
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        shown = {k: v.value for k, v in mat.metadata.items() if isinstance(v.value, (int, float, str)) and "/" not in k
                 and len(str(v.value)) < 60}
        print(f"  {mat.asset_key.to_user_string():<22} {json.dumps(shown)[:160]}", file=sys.stderr)
    failed = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    for event in failed:
        print(f"  FAILED {event.step_key}: {_root_cause(event.step_failure_data.error)}", file=sys.stderr)
    print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return EXIT_FAILED if failed or not result.success else 0


def _root_cause(error) -> str:
    """The innermost message of a Dagster step error: the library's own, not Dagster's wrapper."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[-1] if error and error.message.strip() else ""


def _query_llm(instance: str, home: str | None):
    """The LLM for the LLM query forms when ANTHROPIC_API_KEY is set, else None.

    Its response cache is a DuckDB file of the query path's own, so queries never wait
    on the lock of the database a build is writing.
    """
    import os

    if not os.environ.get("ANTHROPIC_API_KEY"):
        return None
    from deepcodeseek.llm import DuckDBLLMCache, llm_from_env
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.store import InstanceStore

    return llm_from_env(cache=DuckDBLLMCache(InstanceStore(instance_paths(instance, home).root / "query_llm_cache.duckdb")))


def _read_queries(path: str) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read queries file {path}: {exc.strerror if isinstance(exc, OSError) else exc}")
    queries = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            query = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CLIError(f"{path}:{lineno}: not JSON ({exc.msg})")
        if not isinstance(query, dict) or not isinstance(query.get("code_before"), str):
            raise CLIError(f"{path}:{lineno}: a query needs a string 'code_before'")
        queries.append(query)
    return queries


def cmd_retrieve(args: argparse.Namespace) -> int:
    from deepcodeseek.retrieval.retriever import Retriever

    if args.k < 1:
        raise CLIError("--k must be at least 1")
    queries = _read_queries(args.queries)
    retriever = Retriever(args.instance, args.home, llm=_query_llm(args.instance, args.home))
    method = args.method  # None: the version's default, chosen on its calibration split
    out = sys.stdout
    for i, query in enumerate(queries, start=1):
        results = retriever.retrieve(query["code_before"], query.get("code_after"), query.get("scope"),
                                     k=args.k, method=method)
        qid = query.get("id", i)
        if args.explain:
            _explain(out, qid, results)
        else:
            out.write(json.dumps({"id": qid, "results": [r.as_dict() for r in results]}) + "\n")
    return 0


def _explain(out, qid, results) -> None:
    out.write(f"query {qid}\n")
    for rank, r in enumerate(results, start=1):
        ev = r.evidence
        signals = ", ".join(f"{k}={ev[k]:.3f}" for k in ("dense", "bm25", "votes", "semantic_votes") if k in ev)
        if ev.get("voters"):
            signals += f" from {int(ev['voters'])} similar call sites"
        out.write(f"  {rank:>2}. {r.api_name:<40} score={r.score:.4f}  [{signals}]\n")
        out.write(f"      scope rule: {ev.get('scope_rule')}; likely methods: {', '.join(r.methods[:3]) or '-'}"
                  f"{'; matched ' + ev['matched_method'] if ev.get('matched_method') else ''}\n")


def cmd_eval(args: argparse.Namespace) -> int:
    from deepcodeseek.evaluation.benchmark import read_benchmark
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of, split_path
    from deepcodeseek.evaluation.report import evaluate
    from deepcodeseek.evaluation.runner import guard_leaks
    from deepcodeseek.retrieval.retriever import Retriever

    retriever = Retriever(args.instance, args.home, llm=_query_llm(args.instance, args.home))
    path = Path(args.samples) if args.samples else split_path(retriever.paths, args.split)
    if not path.exists():
        raise CLIError(f"no {args.split} split for instance {args.instance!r} ({path}); run 'deepcodeseek index' first")
    bench = read_benchmark(path, retriever.docs.namespaces())
    samples, leaks, leak_skips = guard_leaks(bench.samples)
    report = evaluate(retriever, samples, skipped=bench.skipped + leak_skips, holdout=read_holdout_of(retriever.paths),
                      split=f"{args.split} split" if args.split else str(path),
                      progress=lambda m: print(m, file=sys.stderr))
    report.leaks = leaks
    print(report.markdown(inline_images=False))
    return 0


def _indexed_store(args: argparse.Namespace):
    """The DuckDB store and paths of a registered instance that has been indexed at least once."""
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.sources.registry import InstanceRegistry
    from deepcodeseek.store import InstanceStore

    InstanceRegistry(args.home).get(args.instance)
    paths = instance_paths(args.instance, args.home)
    if not paths.database.exists():
        raise CLIError(f"instance {args.instance!r} is not indexed yet; run 'deepcodeseek index --instance {args.instance}'")
    return InstanceStore(paths.database), paths


def cmd_mine(args: argparse.Namespace) -> int:
    import shutil

    from deepcodeseek.evaluation.benchmark_build import build_benchmark

    store, paths = _indexed_store(args)
    summary = build_benchmark(store, paths, split_by=args.split_by)
    if args.out:
        try:
            shutil.copyfile(summary.path, args.out)
        except OSError as exc:
            raise CLIError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(json.dumps({"mined": summary.mined, "duplicates_removed": summary.duplicates_removed,
                      "prefix_leaks_dropped": summary.prefix_leaks, "suffixes_cut": summary.suffix_cut,
                      "grouped_scripts": summary.grouped_scripts, "held_out_scripts": summary.held_out_scripts,
                      "by_split": summary.by_split, "by_kind": summary.by_kind, "clear_intent": summary.clear_intent,
                      "namespaces": summary.namespaces, "file": args.out or summary.path}))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from deepcodeseek.sources.load import records_from_store
    from deepcodeseek.sources.records_jsonl import write_records_jsonl

    store, _ = _indexed_store(args)
    records = records_from_store(store)
    out = Path(args.out) / f"{args.instance}.jsonl.gz"
    try:
        count = write_records_jsonl(records, out)
    except OSError as exc:
        raise CLIError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"wrote {count} records to {out}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from deepcodeseek.status import instance_status
    from deepcodeseek.sources.registry import InstanceRegistry

    registry = InstanceRegistry(args.home)
    configs = [registry.get(args.instance)] if args.instance else registry.all()
    for config in configs:
        print(json.dumps(instance_status(config, args.home), sort_keys=False))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from deepcodeseek.evaluation.readme_tables import section_for, update_readme

    if not args.readme:
        for name in args.instance:
            print(section_for(name, args.home) + "\n")
        return 0
    missing = update_readme(Path(args.readme), args.instance, args.home)
    if missing:
        raise CLIError(f"{args.readme} has no <!-- results:NAME --> block for {', '.join(missing)}")
    print(f"updated {args.readme}: {', '.join(args.instance)}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.sources.sample_instance import SAMPLE_INSTANCE_NAME

    code = _materialize(SAMPLE_INSTANCE_NAME, args.home)
    if code:
        return code
    paths = instance_paths(SAMPLE_INSTANCE_NAME, args.home)
    print("\n" + (paths.reports / "evaluation.md").read_text(encoding="utf-8"))
    example = ("// Business rule on x_acme_hr_case, after update\n"
               "if (current.state.changesTo('resolved')) {\n"
               "    // tell the employee their HR case was resolved\n")
    print("Example retrieval for:\n" + "\n".join("    " + line for line in example.splitlines()))
    retriever = Retriever(SAMPLE_INSTANCE_NAME, args.home)
    _explain(sys.stdout, "example", retriever.retrieve(example, scope="x_acme_hr", k=5))
    print("\nOpen the Dagster UI on this run's history:\n"
          "    DAGSTER_HOME=$PWD/.dagster_home .venv/bin/dagster dev -w workspace.yaml   # then http://localhost:3000")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from deepcodeseek.paths import validate_instance_name
    from deepcodeseek.service.run import serve_http
    from deepcodeseek.service.settings import ServiceSettings, default_processes
    from deepcodeseek.sources.registry import InstanceRegistry

    names = [validate_instance_name(n) for n in args.instance] or [c.name for c in InstanceRegistry(args.home).all()]
    if not names:
        raise CLIError("no instance to serve: register one ('deepcodeseek instance add') or pass --instance NAME")
    if not 0 < args.port < 65536:
        raise CLIError(f"--port must be 1-65535 (got {args.port})")
    processes = default_processes() if args.processes is None else args.processes
    if not 0 < processes <= 64:
        raise CLIError(f"--processes must be 1-64 (got {processes})")
    serve_http(ServiceSettings.from_env(names, home=args.home, host=args.host, port=args.port, processes=processes))
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from deepcodeseek.paths import validate_instance_name
    from deepcodeseek.service.run import serve_mcp_stdio

    serve_mcp_stdio(validate_instance_name(args.instance), args.home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
