"""Per-instance adaptation: the untuned embedder against models fine-tuned on the instance's call sites.

Two steps, so that training can also run on a GPU machine that has torch and
sentence-transformers but not the index stack (lancedb, duckdb):

  export  from an indexed instance, write a bundle: training examples per setting
          (gathered as ``adapted_embedder`` gathers them, under the one held-out
          rule), the documents, and the calibration and dev queries with the
          serving path's own fusion signals (``Retriever.fusion_components``);
  run     train each setting with ``deepcodeseek.training.contrastive.fine_tune`` on
          the chosen device, add its dense signal, choose the fusion weights on the
          calibration split with the product's own ``calibration.choose_weights``,
          and print dev top@k for dense alone and the calibrated fusion, against
          BM25, lexical fusion and the untuned model, all in the same run.

    python benchmarks/adaptation.py export --instance corpus --out /tmp/bundle
    python benchmarks/adaptation.py run --bundle /tmp/bundle [--device cuda] [--settings cap24-e1,cap64-e2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPLITS = ("calibration", "dev")  # calibration chooses the weights, dev reports; test only with --final


def export(args: argparse.Namespace) -> None:
    from deepcodeseek.evaluation.benchmark_build import read_holdout_of, read_split
    from deepcodeseek.index.build import current_version
    from deepcodeseek.retrieval.query import Query
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.store.duckdb_store import InstanceStore
    from deepcodeseek.training import adapt
    from deepcodeseek.training.calibration import signal_matrix

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    retriever = Retriever(args.instance, args.home)
    paths = retriever.paths
    store = InstanceStore(paths.database)
    base_version = retriever.manifest.get("adapted_from", {}).get("version") or current_version(store, retriever.model_name)[0]
    retriever = Retriever(args.instance, args.home, version=base_version)
    for cap in (int(c) for c in args.caps.split(",")):
        examples, held_out = adapt.gather_examples(store, paths, per_target=cap)  # the one held-out rule
        with gzip.open(out / f"examples_cap{cap}.jsonl.gz", "wt", encoding="utf-8") as fh:
            for e in examples:
                fh.write(json.dumps(asdict(e)) + "\n")
        print(f"cap {cap}: {len(examples)} examples, {len(held_out)} scripts held out", file=sys.stderr)
    with gzip.open(out / "documents.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(retriever.docs.texts(), fh)
    holdout = read_holdout_of(paths)
    names = ("bm25", "votes", "prior") + (("semantic_votes",) if retriever._static_signals()[0] is not None else ())
    for split in SPLITS + (("test",) if args.final else ()):
        samples = read_split(paths, split, retriever.docs.namespaces())
        # The serving path's own signals, each sample's held-out group excluded from votes and prior.
        signal_matrix(retriever, samples, holdout, names).save(out / f"{split}.npz")
        queries = [retriever._text(Query(s.code_before, s.code_after or None, s.scope)) for s in samples]
        (out / f"{split}.json").write_text(json.dumps({"queries": queries}))
        print(f"{split}: {len(samples)} samples", file=sys.stderr)
    (out / "bundle.json").write_text(json.dumps({"instance": args.instance, "base_version": base_version,
                                                 "model": retriever.model_name}))


def _dense_part(model, documents: list[str], queries: list[str], batch: int = 64) -> np.ndarray:
    """The dense signal as the fusion uses it (``signals.floored`` per query), queries cut as served."""
    from deepcodeseek.index.embedder import QUERY_MAX_TOKENS, query_truncation
    from deepcodeseek.retrieval.signals import floored

    docs = model.encode(documents, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    with query_truncation(model, QUERY_MAX_TOKENS):
        encoded = model.encode(queries, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    return np.stack([floored(row) for row in encoded @ docs.T]).astype(np.float32)


def _measure(label: str, matrices: dict, seconds: float | None) -> list[dict]:
    """BM25, lexical fusion and dense alone, and the fusion with weights chosen on the calibration split."""
    from deepcodeseek.training.calibration import choose_weights

    chosen = choose_weights(matrices["calibration"])
    lexical = choose_weights(type(matrices["calibration"])(
        {k: v for k, v in matrices["calibration"].parts.items() if k != "dense"},
        matrices["calibration"].admitted, matrices["calibration"].targets))
    rows = []
    for split, matrix in matrices.items():
        if split == "calibration":
            continue
        measured = {"bm25": {"bm25": 1.0}, "dense": {"dense": 1.0}, "fusion (lexical)": lexical.weights,
                    f"fusion {chosen.weights}": chosen.weights}
        for method, weights in measured.items():
            if label != "untuned" and method in ("bm25", "fusion (lexical)"):  # the same on every row
                continue
            ranks = matrix.ranks(weights)
            rows.append({"embedder": label, "split": split, "method": method, "train_s": seconds,
                         **{f"top@{k}": round(float(np.mean(ranks <= k)), 3) for k in (1, 5, 40)}})
    return rows


def run(args: argparse.Namespace) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from deepcodeseek.training.contrastive import FineTuneConfig, fine_tune
    from deepcodeseek.training.examples import ContrastiveExample

    from deepcodeseek.training.calibration import SignalMatrix

    bundle = Path(args.bundle)
    with gzip.open(bundle / "documents.json.gz", "rt", encoding="utf-8") as fh:
        documents = json.load(fh)
    splits = {name: {"matrix": SignalMatrix.load(bundle / f"{name}.npz"),
                     **json.loads((bundle / f"{name}.json").read_text())}
              for name in SPLITS + ("test",) if (bundle / f"{name}.npz").exists()}
    base_path = args.base or _default_base()
    device = args.device
    print(f"device {device} ({torch.cuda.get_device_name(0) if device == 'cuda' else 'cpu'}), "
          f"{len(documents)} documents, " + ", ".join(f"{k} {len(v['queries'])}" for k, v in splits.items()))

    def with_dense(model) -> dict:
        out = {}
        for name, split in splits.items():
            m = split["matrix"]
            out[name] = SignalMatrix({**m.parts, "dense": _dense_part(model, documents, split["queries"])},
                                     m.admitted, m.targets)
        return out

    def load(path: str):
        model = SentenceTransformer(path, device=device)
        model.float()  # a bundle may carry fp16 weights to fit a transfer limit
        model.max_seq_length = args.max_document_tokens
        return model

    rows = []
    started = time.perf_counter()
    rows += _measure("untuned", with_dense(load(base_path)), None)
    print(f"untuned embedding: {time.perf_counter() - started:.1f} s")
    for setting in [s for s in args.settings.split(",") if s]:
        cap, epochs = setting.split("-e")
        examples = [ContrastiveExample(**json.loads(line))
                    for line in gzip.open(bundle / f"examples_{cap}.jsonl.gz", "rt", encoding="utf-8")]
        config = FineTuneConfig(epochs=int(epochs), max_document_tokens=args.max_document_tokens)
        out_dir = Path(args.work) / setting
        summary = fine_tune(base_path, "base", examples, out_dir, config, device=device,
                            progress=lambda m: print("  " + m, flush=True))
        print(f"{setting}: {summary.examples} examples, {summary.steps} steps in {summary.seconds} s on {device} "
              f"({summary.examples * config.epochs / summary.seconds:.1f} examples/s), "
              f"loss {summary.first_loss} -> {summary.last_loss}")
        rows += _measure(setting, with_dense(load(summary.path)), summary.seconds)
    _print(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def _print(rows: list[dict]) -> None:
    print(f"\n{'embedder':<10} {'split':<5} {'method':<60} {'top@1':>6} {'top@5':>6} {'top@40':>6} "
          f"{'x bm25@5':>8} {'x best single@5':>15}")
    base = {r["split"]: r["top@5"] for r in rows if r["method"] == "bm25"}
    for r in rows:
        singles = [x["top@5"] for x in rows if x["split"] == r["split"] and x["method"] in ("bm25", "dense")
                   and x["embedder"] in ("untuned", r["embedder"])]
        ratio = r["top@5"] / base[r["split"]] if base.get(r["split"]) else float("nan")
        single = r["top@5"] / max(singles) if singles and max(singles) else float("nan")
        print(f"{r['embedder']:<10} {r['split']:<5} {r['method']:<60} {r['top@1']:>6.3f} {r['top@5']:>6.3f} "
              f"{r['top@40']:>6.3f} {ratio:>8.2f} {single:>15.2f}")


def _default_base() -> str:
    from deepcodeseek.index.embedder import local_model_path

    return local_model_path()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("--instance", required=True)
    e.add_argument("--home")
    e.add_argument("--out", required=True)
    e.add_argument("--caps", default="24,64", help="examples per target, one bundle file each")
    e.add_argument("--final", action="store_true", help="also export the test split (a release's final figure)")
    r = sub.add_parser("run")
    r.add_argument("--bundle", required=True)
    r.add_argument("--base", help="base model folder (default: the packaged all-MiniLM-L6-v2)")
    r.add_argument("--device", default="cpu")
    r.add_argument("--settings", default="cap24-e1", help="comma-separated capN-eM: N examples per target, M epochs")
    r.add_argument("--max-document-tokens", type=int, default=192)
    r.add_argument("--work", default="/tmp/adaptation-models")
    r.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    export(args) if args.command == "export" else run(args)


if __name__ == "__main__":
    main()
