"""Per-instance adaptation: the untuned embedder against models fine-tuned on the instance's call sites.

Two steps, so that training can also run on a GPU machine that has torch and
sentence-transformers but not the index stack (lancedb, duckdb):

  export  from an indexed instance, write a bundle: training examples per setting
          (as ``adapted_embedder`` gathers them), the documents, and the dev/test
          queries with the lexical, vote and prior signals of the default method;
  run     train each setting with ``deepcodeseek.training.contrastive.fine_tune`` on
          the chosen device, embed documents and queries, and print top@k for dense
          alone and for the default fusion plus the dense signal, against BM25 and
          the untuned model, all measured in the same run.

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

DENSE_WEIGHTS = (0.3, 0.5, 0.8, 1.0, 1.2, 1.6, 2.0)  # weight of the dense signal in the fusion, chosen on dev
FLOOR_RANK = 50  # dense similarities below the 50th best carry no weight (as the intent method does)


def export(args: argparse.Namespace) -> None:
    from deepcodeseek.evaluation.benchmark_build import read_split
    from deepcodeseek.evaluation.report import source_scripts
    from deepcodeseek.index.build import current_version
    from deepcodeseek.retrieval.query import Query
    from deepcodeseek.retrieval.retriever import Retriever
    from deepcodeseek.retrieval.signals import max_normalised
    from deepcodeseek.store.duckdb_store import InstanceStore
    from deepcodeseek.training import adapt

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    retriever = Retriever(args.instance, args.home)
    paths = retriever.paths
    store = InstanceStore(paths.database)
    base_version = retriever.manifest.get("adapted_from", {}).get("version") or current_version(store, retriever.model_name)[0]
    retriever = Retriever(args.instance, args.home, version=base_version)
    for cap in (int(c) for c in args.caps.split(",")):
        examples, held_out = adapt.gather_examples(store, paths, per_target=cap)
        with gzip.open(out / f"examples_cap{cap}.jsonl.gz", "wt", encoding="utf-8") as fh:
            for e in examples:
                fh.write(json.dumps(asdict(e)) + "\n")
        print(f"cap {cap}: {len(examples)} examples, {held_out} scripts held out", file=sys.stderr)
    with gzip.open(out / "documents.json.gz", "wt", encoding="utf-8") as fh:
        json.dump([d["text"] for d in retriever.docs], fh)
    for split in ("dev", "test"):
        samples = read_split(paths, split)
        queries, targets, signals, admitted = [], [], [], []
        for s in samples:
            query = Query(s.code_before, s.code_after or None, s.scope)
            fused = retriever._fusion(query, source_scripts(s))
            queries.append(retriever._text(query))
            short = s.target_namespace.rsplit(".", 1)[-1]
            targets.append([i for i, d in enumerate(retriever.docs) if d["namespace"] == short])
            exclude = source_scripts(s)
            signals.append(np.stack([max_normalised(fused["bm25"]), max_normalised(fused["votes"]),
                                     retriever._prior(exclude)]).astype(np.float16))
            admitted.append(retriever._admitted(s.scope))
        np.savez_compressed(out / f"{split}.npz", signals=np.stack(signals), admitted=np.stack(admitted))
        (out / f"{split}.json").write_text(json.dumps({"queries": queries, "targets": targets}))
        print(f"{split}: {len(samples)} samples", file=sys.stderr)
    (out / "bundle.json").write_text(json.dumps({"instance": args.instance, "base_version": base_version,
                                                 "model": retriever.model_name}))


def _top_k(scores: np.ndarray, admitted: np.ndarray, targets: list[list[int]]) -> dict[str, float]:
    hits = {1: 0, 5: 0, 40: 0}
    for row, keep, target in zip(scores, admitted, targets):
        order = np.argsort(-np.where(keep, row, -np.inf))[:40]
        for k in hits:
            hits[k] += any(i in target for i in order[:k])
    return {f"top@{k}": round(v / len(targets), 3) for k, v in hits.items()}


def _floored(dense: np.ndarray) -> np.ndarray:
    floor = np.sort(dense, axis=1)[:, -FLOOR_RANK][:, None]
    clipped = np.clip(dense - floor, 0, None)
    return clipped / np.maximum(clipped.max(axis=1, keepdims=True), 1e-9)


def _evaluate(model, documents: list[str], splits: dict, batch: int = 64) -> dict:
    """Dense similarities, queries cut as the serving path cuts them."""
    from deepcodeseek.index.embedder import QUERY_MAX_TOKENS, query_truncation

    docs = model.encode(documents, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
    out = {}
    for name, split in splits.items():
        with query_truncation(model, QUERY_MAX_TOKENS):
            queries = model.encode(split["queries"], batch_size=batch, normalize_embeddings=True, convert_to_numpy=True)
        out[name] = queries @ docs.T
    return out


def _evaluate_static(folder: Path, documents: list[str], splits: dict) -> dict:
    """The static encoder distilled from the base model (token lookup, IDF over the documents)."""
    from deepcodeseek.index.static_encoder import StaticEncoder

    encoder = StaticEncoder(folder)
    encoder.fit_idf(documents)
    docs = encoder.encode(documents)
    return {name: encoder.encode(split["queries"]) @ docs.T for name, split in splits.items()}


def run(args: argparse.Namespace) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from deepcodeseek.training.contrastive import FineTuneConfig, fine_tune
    from deepcodeseek.training.examples import ContrastiveExample

    bundle = Path(args.bundle)
    with gzip.open(bundle / "documents.json.gz", "rt", encoding="utf-8") as fh:
        documents = json.load(fh)
    splits = {}
    for name in ("dev", "test"):
        arrays = np.load(bundle / f"{name}.npz")
        meta = json.loads((bundle / f"{name}.json").read_text())
        splits[name] = {"signals": arrays["signals"].astype(np.float32), "admitted": arrays["admitted"], **meta}
    base_path = args.base or _default_base()
    device = args.device
    print(f"device {device} ({torch.cuda.get_device_name(0) if device == 'cuda' else 'cpu'}), "
          f"{len(documents)} documents, dev {len(splits['dev']['queries'])}, test {len(splits['test']['queries'])}")

    def load(path: str):
        model = SentenceTransformer(path, device=device)
        model.float()  # a bundle may carry fp16 weights to fit a transfer limit
        model.max_seq_length = args.max_document_tokens
        return model

    rows = []
    started = time.perf_counter()
    untuned = _evaluate(load(base_path), documents, splits)
    print(f"untuned embedding: {time.perf_counter() - started:.1f} s")
    rows += _rows("untuned", untuned, splits, None)
    if args.static:
        rows += _rows("static", _evaluate_static(Path(args.static), documents, splits), splits, None)
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
        rows += _rows(setting, _evaluate(load(summary.path), documents, splits), splits, summary.seconds)
    _print(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def _rows(label: str, dense: dict, splits: dict, seconds: float | None) -> list[dict]:
    """BM25, fusion (no dense), dense alone and fusion + dense, with the dense weight chosen on dev."""
    fused = {name: s["signals"][:, 0] + 0.7 * s["signals"][:, 1] + 0.3 * s["signals"][:, 2] for name, s in splits.items()}
    best = max(DENSE_WEIGHTS, key=lambda w: _top_k(fused["dev"] + w * _floored(dense["dev"]), splits["dev"]["admitted"],
                                                    splits["dev"]["targets"])["top@5"])
    rows = []
    for name, s in splits.items():
        measured = {
            "bm25": s["signals"][:, 0], "fusion": fused[name], "dense": dense[name],
            f"fusion+dense({best})": fused[name] + best * _floored(dense[name]),
        }
        for method, scores in measured.items():
            if label != "untuned" and method in ("bm25", "fusion"):  # measured once, on the untuned row
                continue
            rows.append({"embedder": label, "split": name, "method": method,
                         **_top_k(scores, s["admitted"], s["targets"]), "train_s": seconds})
    return rows


def _print(rows: list[dict]) -> None:
    print(f"\n{'embedder':<10} {'split':<5} {'method':<18} {'top@1':>6} {'top@5':>6} {'top@40':>6} {'x bm25@5':>8}")
    base = {(r["split"]): r["top@5"] for r in rows if r["method"] == "bm25"}
    for r in rows:
        ratio = r["top@5"] / base[r["split"]] if base.get(r["split"]) else float("nan")
        print(f"{r['embedder']:<10} {r['split']:<5} {r['method']:<18} {r['top@1']:>6.3f} {r['top@5']:>6.3f} "
              f"{r['top@40']:>6.3f} {ratio:>8.2f}")


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
    r = sub.add_parser("run")
    r.add_argument("--bundle", required=True)
    r.add_argument("--base", help="base model folder (default: the packaged all-MiniLM-L6-v2)")
    r.add_argument("--device", default="cpu")
    r.add_argument("--settings", default="cap24-e1", help="comma-separated capN-eM: N examples per target, M epochs")
    r.add_argument("--max-document-tokens", type=int, default=192)
    r.add_argument("--work", default="/tmp/adaptation-models")
    r.add_argument("--json", help="also write the rows here")
    r.add_argument("--static", help="also compare the static encoder distilled from the base model (its folder)")
    args = parser.parse_args()
    export(args) if args.command == "export" else run(args)


if __name__ == "__main__":
    main()
