"""Neural rerankers as a stage of the build: train them for the version this build publishes,
A/B-test each against no rerank on the calibration split, and name the ones that may serve.

The cross-encoder (LoRA SFT on the train split's triplets) always trains: minutes on a
CPU. The yes/no LM reranker's stages (SFT, GRPO from SFT, extended SFT) and the
cross-encoder distilled from the LM run on a GPU, or when asked for (``lm="on"``):
on two CPU cores they cost an hour and more at a useful scale. N, the number of
first-stage candidates a reranker re-orders, is chosen on calibration within a latency
budget. A reranker becomes the version's default only when it beats no rerank there;
otherwise it stays available by ``--method`` and the report says it is off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

CE_METHOD = "rerank_ce"
DISTILLED_METHOD = "rerank_ce_distilled"
LM_METHOD = "rerank_lm"
RERANK_METHODS = (CE_METHOD, DISTILLED_METHOD, LM_METHOD)
LM_STAGES = ("lm-base", "lm-sft", "lm-sft-extended", "lm-sft-grpo")


@dataclass(frozen=True)
class RerankerSettings:
    enabled: bool = True
    lm: str = "auto"  # auto: on a GPU only; on; off
    device: str = "auto"
    depth: int = 20  # first-stage candidates per query
    ns: tuple[int, ...] = (5, 10, 20)
    budget_ms: float = 150.0  # path p50 a reranked query may take (2 CPU cores)
    calibration_limit: int = 80  # calibration cases for N and the A/B (every k-th sample)
    ce_pairs: int = 1200
    ce_negatives: int = 3
    ce_query_tokens: int = 64
    ce_document_tokens: int = 96
    lm_sft_pairs: int = 96
    grpo_steps: int = 8
    lm_n: int = 5
    lm_query_tokens: int = 64
    lm_document_tokens: int = 48
    distil_queries: int = 24
    lm_eval_limit: int = 24  # evaluation samples the LM stages score (Table 4 subset)

    @classmethod
    def for_gpu(cls, **changes) -> "RerankerSettings":
        """Closer to the paper's scale, for a GPU (minutes there)."""
        return replace(cls(ce_pairs=8000, lm_sft_pairs=4000, grpo_steps=200, lm_n=10, distil_queries=400,
                           lm_eval_limit=0, calibration_limit=0, ce_query_tokens=96, ce_document_tokens=160,
                           lm_query_tokens=96, lm_document_tokens=96), **changes)


@dataclass
class RerankerOutcome:
    default_method: str
    rerank_base: str
    served: dict[str, dict] = field(default_factory=dict)  # method -> {folder, top_n, name}
    lm_stages: dict[str, str] = field(default_factory=dict)  # Table 4 rows -> artefact folder (under models)
    calibration: str = ""  # the calibration Table 4, Markdown
    calibration_top: dict[str, dict[str, float]] = field(default_factory=dict)  # row -> {"top@k": rate}
    summaries: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    note: str = ""
    how: str = "measured"  # or "read back" (same inputs), or "carried" (a small change: deepcodeseek.carry)

    def as_manifest(self) -> dict:
        return {"rerankers": self.served, "rerank_base": self.rerank_base, "rerank_lm_stages": self.lm_stages,
                "default_method": self.default_method,
                "rerankers_calibration": {"table": self.calibration, "note": self.note, "top": self.calibration_top}}


def every_kth(items: list, limit: int) -> list:
    """At most ``limit`` items spread over the list (all when ``limit`` is 0)."""
    if limit <= 0 or len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def every_kth_query(pairs: list, limit: int) -> list:
    """At most ``limit`` pairs, whole queries at a time, spread over the list: a query's positive
    and its negatives stay together, so the balance of labels is the data's."""
    if limit <= 0 or len(pairs) <= limit:
        return list(pairs)
    groups: dict[str, list] = {}
    for pair in pairs:
        groups.setdefault(pair.query_id or pair.query, []).append(pair)
    per_query = len(pairs) / len(groups)
    chosen = every_kth(list(groups.values()), max(1, int(limit / per_query)))
    return [pair for group in chosen for pair in group][:limit]


def _models_rel(home: Path, path: str) -> str:
    return str(Path(path).resolve().relative_to((Path(home) / "models").resolve()))


def stage_rerankers(store, paths, base_model: str, tuned_model: str | None, settings: RerankerSettings,
                    progress: Callable[[str], None] | None = None) -> RerankerOutcome:
    """Train (or reuse) the rerankers of this build's version; choose N and the default on calibration."""
    import pyarrow.parquet as pq

    from deepcodeseek.carry import Carry, compatible_digest, instance_fingerprint, remembered_or_carried
    from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, datasets_dir, read_holdout_of, read_split
    from deepcodeseek.index.release import build_version, restage
    from deepcodeseek.measured import folder_digest, inputs_key
    from deepcodeseek.rerankers import examples as ex
    from deepcodeseek.rerankers.base import resolve_device
    from deepcodeseek.rerankers.candidates import build_cases
    from deepcodeseek.rerankers.cross_encoder import CrossEncoderConfig, train_cross_encoder
    from deepcodeseek.rerankers.loop import LoopSettings
    from deepcodeseek.rerankers.table4 import ab_key, choose_top_n, table4
    from deepcodeseek.retrieval.retriever import Retriever

    manifest, _ = build_version(store, paths, base_model, tuned_model)
    retriever = Retriever(paths.instance, str(paths.home), version=manifest["version"])
    base_method = manifest.get("rerank_base") or retriever.default_method
    if base_method in RERANK_METHODS:
        base_method = "fusion"
    outcome = RerankerOutcome(default_method=base_method, rerank_base=base_method)
    triplets_path = datasets_dir(paths) / "triplets.parquet"
    calibration = read_split(paths, CALIBRATION_SPLIT, retriever.docs.namespaces())
    if not settings.enabled or not calibration or not triplets_path.exists():
        outcome.note = "disabled" if not settings.enabled else "no calibration samples or triplets: no reranker"
        restage(paths, manifest, outcome.as_manifest())
        return outcome
    key = inputs_key(manifest, "rerankers", asdict(settings), folder_digest(datasets_dir(paths)))

    def measure() -> dict:
        started = time.perf_counter()
        outcome = RerankerOutcome(default_method=base_method, rerank_base=base_method)  # this measurement's own
        device = resolve_device(settings.device)
        holdout = read_holdout_of(paths)
        cases = build_cases(retriever, every_kth(calibration, settings.calibration_limit), settings.depth, base_method,
                            holdout=holdout)
        triplets = pq.read_table(triplets_path)  # the train split only: nothing held out reaches it
        pairs = _training_pairs(retriever, paths, triplets, base_method, holdout, settings, progress)
        ce_config = CrossEncoderConfig(max_query_tokens=settings.ce_query_tokens,
                                       max_document_tokens=settings.ce_document_tokens,
                                       loop=LoopSettings(epochs=1.0, batch_size=16, learning_rate=5e-4))
        home = Path(paths.home)
        ce, summary = train_cross_encoder(pairs, home, ce_config, device=device, progress=progress)
        outcome.summaries["cross-encoder"] = asdict(summary)
        serving = {CE_METHOD: (ce.for_cpu() if ce.device == "cpu" else ce, summary)}
        lm_on = settings.lm == "on" or (settings.lm == "auto" and device == "cuda")
        if lm_on:
            distilled = _lm_stages(retriever, paths, triplets, pq.read_table(datasets_dir(paths) / "yes_no_pairs.parquet"),
                                   pairs, ce_config, settings, device, holdout, outcome, progress)
            serving[DISTILLED_METHOD] = (distilled[0].for_cpu() if distilled[0].device == "cpu" else distilled[0],
                                         distilled[1])
        else:
            outcome.note = "LM reranker stages need a GPU or lm='on' (about an hour on 2 CPU cores at a useful scale)"
        stages, top_n = {"no rerank": None}, {}
        for method, (reranker, trained) in serving.items():
            choice = choose_top_n(cases, reranker, settings.ns, budget_ms=settings.budget_ms, progress=progress)
            outcome.served[method] = {"name": trained.name, "folder": _models_rel(home, trained.path), "top_n": choice.n,
                                      "within_budget": choice.within_budget, "by_n": choice.by_n}
            stages[method], top_n[method] = reranker, choice.n
        table = table4(cases, stages, top_n, progress=progress)
        outcome.calibration = table.markdown()
        outcome.calibration_top = {r.name: {f"top@{k}": v for k, v in r.top.items()} for r in table.rows}
        base_row = table.row("no rerank")
        winners = [m for m in serving if outcome.served[m]["within_budget"] and ab_key(table.row(m).top) > ab_key(base_row.top)]
        if winners:
            outcome.default_method = max(winners, key=lambda m: ab_key(table.row(m).top))
        outcome.seconds = round(time.perf_counter() - started, 1)
        if progress:
            progress(f"rerankers on calibration ({len(cases)} cases): default {outcome.default_method}\n{outcome.calibration}")
        return asdict(outcome)

    ranker = manifest.get("ranker") or {}
    carry = Carry(compatible_digest("rerankers", manifest["model"], asdict(settings), base_method,
                                    ranker.get("fitted_key") or ranker.get("key"),
                                    (manifest.get("query_encoder") or {}).get("name")),
                  instance_fingerprint(store, paths.root))
    stored, how = remembered_or_carried(paths.root, "rerankers", key, measure, carry,
                                        usable=lambda r: _artefacts_exist(paths, r))
    reused = how != "measured"
    outcome = replace(RerankerOutcome(**stored), how=how)
    restage(paths, manifest, outcome.as_manifest())
    if reused and progress:
        progress(f"rerankers: {'measured before on the same inputs' if how == 'read back' else 'carried over a small change'}"
                 f", default {outcome.default_method}")
    return outcome


def _artefacts_exist(paths, outcome: dict) -> bool:
    """Every reranker a stored outcome serves is still under the home's models."""
    return all((Path(paths.home) / "models" / spec["folder"]).exists() for spec in (outcome.get("served") or {}).values())


def _training_pairs(retriever, paths, triplets, base_method: str, holdout, settings: RerankerSettings,
                    progress: Callable[[str], None] | None = None) -> list:
    """The cross-encoder's pairs: train-split samples (spread evenly, never a held-out script) with
    the first stage's own top candidates as negatives, so it learns what it will re-order; the
    triplets' pairs when the train split has no sample."""
    from deepcodeseek.evaluation.benchmark_build import read_split
    from deepcodeseek.rerankers import examples as ex
    from deepcodeseek.rerankers.candidates import build_cases, short_namespace

    known = retriever.docs.namespaces()
    train = every_kth(read_split(paths, "train", known), settings.ce_pairs // (1 + settings.ce_negatives))
    if not train:
        return every_kth_query(ex.pairs_from_triplets(triplets, settings.ce_negatives), settings.ce_pairs)
    cases = build_cases(retriever, train, settings.depth, base_method, progress=progress, holdout=holdout)
    documents = {short_namespace(n): t for n, t in zip(reversed(retriever.docs.column("namespace")),
                                                       reversed(retriever.docs.texts()))}
    return ex.pairs_from_cases(cases, documents, settings.ce_negatives)


def _lm_stages(retriever, paths, triplets, yes_no, ce_pairs, ce_config, settings: RerankerSettings, device: str,
               holdout, outcome: RerankerOutcome, progress):
    """The paper's LM stages, then the cross-encoder distilled from the SFT+GRPO model; returns the latter."""
    from deepcodeseek.evaluation.benchmark_build import read_split
    from deepcodeseek.rerankers import examples as ex
    from deepcodeseek.rerankers.candidates import build_cases
    from deepcodeseek.rerankers.cross_encoder import train_cross_encoder
    from deepcodeseek.rerankers.distill import lm_score_table, soft_pairs
    from deepcodeseek.rerankers.grpo import GRPOSettings, extended_sft, train_lm_grpo
    from deepcodeseek.rerankers.lm_reranker import LMRerankerConfig, YesNoLMReranker, train_lm_sft
    from deepcodeseek.rerankers.loop import LoopSettings

    home = Path(paths.home)
    all_pairs = ex.pairs_from_table(yes_no)
    spread = every_kth_query(all_pairs, settings.lm_sft_pairs + 4 * settings.grpo_steps)  # not the first scripts
    sft_pairs = spread[:settings.lm_sft_pairs]
    grpo_pairs = spread[settings.lm_sft_pairs:] or sft_pairs
    config = LMRerankerConfig(max_query_tokens=settings.lm_query_tokens, max_document_tokens=settings.lm_document_tokens,
                              loop=LoopSettings(epochs=1.0, batch_size=8, learning_rate=2e-4))
    YesNoLMReranker.from_base(home, config, "lm-base", device, progress=progress)  # converts the GGUF once
    outcome.lm_stages["lm-base"] = ""
    _, sft = train_lm_sft(sft_pairs, home, config, "lm-sft", device, progress)
    grpo_settings = GRPOSettings(max_steps=settings.grpo_steps)
    grpo_model, grpo = train_lm_grpo(grpo_pairs, home, sft, grpo_settings, device=device, progress=progress)
    _, extended = extended_sft(grpo_pairs, home, sft, grpo_settings.sequences, device=device, progress=progress)
    for name, trained in (("lm-sft", sft), ("lm-sft-grpo", grpo), ("lm-sft-extended", extended)):
        outcome.lm_stages[name] = _models_rel(home, trained.path)
        outcome.summaries[name] = asdict(trained)
    outcome.served[LM_METHOD] = {"name": "lm-sft-grpo", "folder": outcome.lm_stages["lm-sft-grpo"],
                                 "top_n": settings.lm_n, "within_budget": False, "by_n": []}
    train = read_split(paths, "train", retriever.docs.namespaces())
    teacher_cases = build_cases(retriever, every_kth(train, settings.distil_queries), settings.depth, holdout=holdout)
    scores = lm_score_table(grpo_model, teacher_cases, settings.lm_n, progress=progress)
    distilled, trained = train_cross_encoder(ce_pairs + soft_pairs(scores), home, ce_config,
                                             name="cross-encoder-distilled", device=device, progress=progress)
    outcome.summaries["cross-encoder-distilled"] = asdict(trained)
    return distilled, trained


def reranker_table4(retriever, samples: list, holdout, depth: int = 20, lm_limit: int = 24,
                    progress: Callable[[str], None] | None = None) -> str:
    """The paper's Table 4 for this instance on ``samples`` (dev): no rerank and every reranker the
    version has over the same candidates, with BM25, votes and dense over the whole index beside them;
    the LM stages (base / SFT / extended SFT / SFT+GRPO) on an evenly spread subset of ``lm_limit``."""
    from deepcodeseek.datasets.holdout import exclusions_for
    from deepcodeseek.index.model_store import fetch_model
    from deepcodeseek.rerankers.candidates import build_cases, short_namespace
    from deepcodeseek.rerankers.lm_reranker import YesNoLMReranker
    from deepcodeseek.rerankers.table4 import table4

    served = retriever.manifest.get("rerankers") or {}
    if not served or not samples:
        return ""
    base_method = retriever.manifest.get("rerank_base") or retriever.default_method
    cases = build_cases(retriever, samples, depth, base_method, holdout=holdout)
    baselines = {m: [[short_namespace(r.namespace) for r in retriever.retrieve(
        s.code_before, s.code_after or None, s.scope, k=depth, method=m, exclude_callers=exclusions_for(s, holdout))]
        for s in samples] for m in ("bm25", "votes", "dense")}
    fast = {m: spec for m, spec in served.items() if m != LM_METHOD}
    stages = {"no rerank": None, **{m: retriever._reranker(m, spec) for m, spec in fast.items()}}
    parts = [f"Candidates: the top {depth} of `{base_method}`. N chosen on the calibration split.", "",
             table4(cases, stages, {m: int(s["top_n"]) for m, s in fast.items()}, baselines=baselines,
                    progress=progress).markdown()]
    lm = retriever.manifest.get("rerank_lm_stages") or {}
    if lm.get("lm-sft"):
        home = Path(retriever.paths.home)
        loaded = {name: YesNoLMReranker.load(fetch_model(home, rel), "auto", home)
                  for name, rel in lm.items() if rel}
        loaded = {"lm-base": YesNoLMReranker.from_base(home, loaded["lm-sft"].config, "lm-base"), **loaded}
        subset = every_kth(cases, lm_limit)
        ids = {c.query_id for c in subset}
        keep = [i for i, c in enumerate(cases) if c.query_id in ids]
        n = int((served.get(LM_METHOD) or {}).get("top_n", 5))
        rows = {"no rerank": None, **{name: loaded[name] for name in LM_STAGES if name in loaded},
                **{m: stages[m] for m in fast}}
        parts += ["", f"LM stages on {len(subset)} of these samples, each re-ordering the top {n}:", "",
                  table4(subset, rows, n, baselines={m: [v[i] for i in keep] for m, v in baselines.items()},
                         progress=progress).markdown()]
    return "\n".join(parts)
