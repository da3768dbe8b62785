"""Evaluation of every retrieval method against BM25, in one run, as Markdown and plots."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.metrics import KS, MethodScores, latency_interval, score_method
from deepcodeseek.evaluation.plots import markdown_image, write_plots
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, LLM_METHODS, METHODS, Retriever

BASELINE = "bm25"
SWEEP_LINES = (3, 5, 8, 10, 15, 20)


@dataclass
class EvaluationReport:
    scores: list[MethodScores]
    samples: list[Sample]
    skipped: list[str] = field(default_factory=list)
    plots: dict[str, bytes] = field(default_factory=dict)
    pruning: dict[str, float] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)
    form_ablation: list[dict] = field(default_factory=list)
    lines_sweep: list[dict] = field(default_factory=list)
    adaptation: list[dict] = field(default_factory=list)  # untuned against tuned embedder, same samples
    adaptation_note: str = ""

    @property
    def n(self) -> int:
        return len(self.samples)

    def table(self, scores: list[MethodScores] | None = None) -> pd.DataFrame:
        scores = scores or self.scores
        rows = [s.row() for s in scores]
        base = next((s for s in scores if s.method == BASELINE), None)
        for row, s in zip(rows, scores):
            row["top@5 / bm25"] = round(s.top_k(5) / base.top_k(5), 2) if base and base.top_k(5) else None
        return pd.DataFrame(rows)

    def intervals(self) -> pd.DataFrame:
        """Each metric's 95% bootstrap interval (latency from the same resampling of queries)."""
        rows = []
        for s in self.scores:
            row = {"method": s.method}
            for k in KS:
                lo, hi = s.interval(s.hits(k))
                row[f"top@{k}"] = f"{lo:.2f}-{hi:.2f}"
            lo, hi = s.interval(s.reciprocal_ranks())
            row["mrr@40"] = f"{lo:.2f}-{hi:.2f}"
            for q in (50, 95):
                lo, hi = latency_interval(s.latencies_ms, q)
                row[f"p{q}_ms"] = f"{lo:.1f}-{hi:.1f}"
            rows.append(row)
        return pd.DataFrame(rows)

    def subsets(self) -> dict[str, list[bool]]:
        """Named slices of the samples, each reported on its own when it is not the whole."""
        slices = {}
        kinds = Counter(s.kind for s in self.samples)
        if len(kinds) > 1:
            for kind in sorted(kinds):
                slices[f"{kind} targets"] = [s.kind == kind for s in self.samples]
        if any(s.clear_intent is not None for s in self.samples):
            slices["clear intent"] = [bool(s.clear_intent) for s in self.samples]
        if any(s.id.endswith(":prefix") for s in self.samples):
            slices["prefix only (no code after the cursor)"] = [s.id.endswith(":prefix") for s in self.samples]
            slices["fill-in-the-middle"] = [s.id.endswith(":fim") for s in self.samples]
        return {name: keep for name, keep in slices.items() if any(keep) and not all(keep)}

    def markdown(self, inline_images: bool = True) -> str:
        """Markdown; images inline (for the Dagster UI) or as links to the PNG files beside the report."""
        parts = [f"**{self.n} samples**" + (f", {len(self.skipped)} skipped" if self.skipped else ""), "",
                 self.table().to_markdown(index=False), "", "95% bootstrap intervals", "",
                 self.intervals().to_markdown(index=False)]
        for name, keep in self.subsets().items():
            parts += ["", f"**{name}** ({sum(keep)} samples)", "",
                      self.table([s.subset(keep) for s in self.scores]).to_markdown(index=False)]
        if self.unavailable:
            parts += ["", f"Not measured: {', '.join(self.unavailable)} (LLM query forms need ANTHROPIC_API_KEY)."]
        if self.pruning:
            parts += ["", f"Knowledge-graph pruning before search: {self.pruning['pruned_share']:.1%} of candidates "
                          f"pruned on average over {int(self.pruning['samples_with_scope'])} samples with a scope; "
                          f"the target stayed admitted in {self.pruning['recall_kept']:.1%} of them."]
        if self.form_ablation:
            parts += ["", "Document forms (each embedded with the index's model and indexed for BM25)", "",
                      pd.DataFrame(self.form_ablation).to_markdown(index=False)]
        if self.adaptation:
            parts += ["", f"Per-instance adaptation: {self.adaptation_note}", "",
                      pd.DataFrame(self.adaptation).to_markdown(index=False)]
        if self.lines_sweep:
            parts += ["", f"Query length: last N lines before the cursor ({DEFAULT_METHOD})", "",
                      pd.DataFrame(self.lines_sweep).to_markdown(index=False)]
        parts += self._worst_namespaces()
        for name, png in self.plots.items():
            alt = name.replace("_", " ")
            parts += ["", markdown_image(png, alt) if inline_images else f"![{alt}]({name}.png)"]
        if self.skipped:
            parts += ["", "Skipped samples:", *[f"- {s}" for s in self.skipped[:20]]]
        return "\n".join(parts)

    def _worst_namespaces(self, limit: int = 8) -> list[str]:
        default = next((s for s in self.scores if s.method == DEFAULT_METHOD), self.scores[0] if self.scores else None)
        if default is None or not default.misses:
            return []
        examples: dict[str, list[str]] = defaultdict(list)
        for sample_id, target, got in default.misses:
            examples[target].append(f"{sample_id} → {', '.join(got) or 'nothing'}")
        counts = Counter(target for _, target, _ in default.misses)
        rows = [{"namespace": ns, "missed (not in top 5)": n, "example: sample → returned top 3": examples[ns][0]}
                for ns, n in counts.most_common(limit)]
        return ["", f"Most missed targets ({default.method})", "", pd.DataFrame(rows).to_markdown(index=False)]

    def metrics(self) -> dict[str, float]:
        flat = {}
        for s in self.scores:
            for k in KS:
                flat[f"{s.method}/top@{k}"] = round(s.top_k(k), 4)
            flat[f"{s.method}/mrr@40"] = round(s.mrr(), 4)
            flat[f"{s.method}/p50_ms"] = round(s.latency(50), 3)
            flat[f"{s.method}/p95_ms"] = round(s.latency(95), 3)
        return flat


def source_scripts(sample: Sample) -> frozenset[str]:
    """The script a mined sample came from: its own call sites must not vote for it."""
    return frozenset([sample.source.split(":", 1)[1]]) if sample.source.startswith("mined:") else frozenset()


def evaluate(retriever: Retriever, samples: list[Sample], methods: tuple[str, ...] | None = None,
             skipped: list[str] | None = None, plots_dir=None,
             progress: Callable[[str], None] | None = None) -> EvaluationReport:
    """Score each method over the same samples; BM25 is always included as the baseline.

    By default every offline method, plus the LLM query forms when the retriever has an LLM.
    """
    methods = methods or (METHODS + (LLM_METHODS if retriever.llm is not None else ()))
    methods = tuple(dict.fromkeys([*methods, BASELINE]))
    scores = []
    for method in methods:
        retriever.warm_up(method)

        def search(sample: Sample, method=method) -> list[str]:
            results = retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope, k=40,
                                         method=method, exclude_callers=source_scripts(sample))
            return [r.namespace for r in results]
        started = time.perf_counter()
        scores.append(score_method(method, samples, search))
        if progress:
            progress(f"{method}: top@5 {scores[-1].top_k(5):.3f} over {len(samples)} samples "
                     f"({len(samples) / (time.perf_counter() - started):.0f} queries/s)")
    report = EvaluationReport(scores=scores, samples=list(samples), skipped=list(skipped or []),
                              pruning=pruning_stats(retriever, samples),
                              unavailable=[m for m in LLM_METHODS if m not in methods])
    if DEFAULT_METHOD in methods and len(methods) > 2:
        report.lines_sweep = lines_sweep(retriever, samples)
    if plots_dir is not None:
        report.plots = write_plots(scores, plots_dir)
    return report


def pruning_stats(retriever: Retriever, samples: list[Sample]) -> dict[str, float]:
    """How much the scope/access rule prunes, and how often it keeps the right answer."""
    scoped = [s for s in samples if s.scope]
    if not scoped:
        return {}
    pruned, kept = [], []
    for s in scoped:
        admitted = retriever._admitted(s.scope)
        pruned.append(1 - admitted.mean())
        kept.append(any(admitted[i] for i, d in enumerate(retriever.docs) if d["namespace"] == s.target_namespace))
    return {"samples_with_scope": len(scoped), "pruned_share": float(sum(pruned) / len(pruned)),
            "recall_kept": sum(kept) / len(kept)}


def lines_sweep(retriever: Retriever, samples: list[Sample], lines: tuple[int, ...] = SWEEP_LINES) -> list[dict]:
    """The default method with the last N lines as the query, for each N (the paper found 8-10 best)."""
    default, rows = retriever.query_lines, []
    try:
        for n in lines:
            retriever.query_lines = n
            scores = score_method(DEFAULT_METHOD, samples, lambda sample: [
                r.namespace for r in retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope,
                                                        k=40, exclude_callers=source_scripts(sample))])
            rows.append({"lines": n, "top@1": round(scores.top_k(1), 3), "top@5": round(scores.top_k(5), 3),
                         "top@40": round(scores.top_k(40), 3), "mrr@40": round(scores.mrr(), 3)})
    finally:
        retriever.query_lines = default
    return rows
