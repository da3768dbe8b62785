"""Evaluation of every retrieval method against BM25 and the best single signal, in one run.

Every row carries two ratios: against BM25, and against the best single signal
(``bm25``, ``votes`` or ``dense`` alone, whichever scores highest on that metric for
this instance and split). A default that loses to one of its own signals is a defect,
so the report says so in words, and an asset check warns. Samples whose target has no
call site left once their held-out group is set aside (cold start: votes and the usage
prior cannot help) are reported on their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from deepcodeseek.datasets.holdout import HoldOut, exclusions_for
from deepcodeseek.evaluation.benchmark import Sample
from deepcodeseek.evaluation.metrics import KS, MethodScores, latency_interval, score_method
from deepcodeseek.evaluation.plots import markdown_image, write_plots
from deepcodeseek.ranking.features import MAX_CANDIDATES
from deepcodeseek.retrieval.doc_columns import column, rows_by_namespace
from deepcodeseek.retrieval.retriever import DEFAULT_METHOD, LLM_METHODS, Retriever

BASELINE = "bm25"
SINGLE_SIGNALS = ("bm25", "votes", "dense")
COLD_START = "cold start (no call site of the target left after hold-out)"
SWEEP_LINES = (3, 5, 8, 10, 15, 20)


def best_single(scores: list[MethodScores], metric: Callable[[MethodScores], float]) -> tuple[str, float] | None:
    """The single signal that scores highest on ``metric``, and its value."""
    singles = [(s.method, metric(s)) for s in scores if s.method in SINGLE_SIGNALS]
    return max(singles, key=lambda x: x[1]) if singles else None


SINGLE_SIGNAL_METRICS = ("top@1", "top@5", "top@40", "mrr@40")


def single_signal_losses(metrics: dict[str, float], prefixes: tuple[str, ...] = ("", "cold_start:")) -> dict[str, str]:
    """Where the default scores below its best single signal, from a report's flat metrics.

    Keys are ``<prefix><metric>`` (the cold-start subset prefixed ``cold_start:``), values say by how much.
    """
    losses = {}
    for prefix in prefixes:
        for metric in SINGLE_SIGNAL_METRICS:
            default = metrics.get(f"{prefix}default/{metric}", metrics.get(f"{prefix}{DEFAULT_METHOD}/{metric}"))
            singles = {s: metrics[f"{prefix}{s}/{metric}"] for s in SINGLE_SIGNALS if f"{prefix}{s}/{metric}" in metrics}
            if default is None or not singles:
                continue
            best = max(singles, key=singles.get)
            if default < singles[best]:
                losses[f"{prefix}{metric}"] = f"{default:.3f} < {best} {singles[best]:.3f}"
    return losses


def _ratio(value: float, base: float | None) -> float | None:
    return round(value / base, 2) if base else None


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
    split: str = ""  # which split (or benchmark) the samples are
    cold: list[bool] = field(default_factory=list)  # per sample: no call site of its target after hold-out
    no_usage: list[MethodScores] = field(default_factory=list)  # indexed with no usage-bearing scripts at all
    no_usage_note: str = ""
    leaks: dict[str, int] = field(default_factory=dict)  # suffixes cut / prefixes naming the target, at read time
    default_method: str = DEFAULT_METHOD  # what the version serves by default (chosen on calibration)
    candidates_found: list[bool] = field(default_factory=list)  # per sample: target among the ranker's candidates
    encoders: list[dict] = field(default_factory=list)  # light query students against their teacher
    rerankers: str = ""  # the paper's Table 4 for this instance, Markdown

    @property
    def n(self) -> int:
        return len(self.samples)

    def table(self, scores: list[MethodScores] | None = None) -> pd.DataFrame:
        """One row per method: top-K, MRR, latency, and ratios against BM25 and the best single signal."""
        scores = scores or self.scores
        rows = [s.row() for s in scores]
        base = next((s for s in scores if s.method == BASELINE), None)
        best5 = best_single(scores, lambda s: s.top_k(5))
        best_mrr = best_single(scores, lambda s: s.mrr())
        for row, s in zip(rows, scores):
            if s.method == self.default_method:
                row["method"] = f"{s.method} (default)"
            row["top@5 / bm25"] = _ratio(s.top_k(5), base.top_k(5) if base else None)
            row["top@5 / best single"] = _ratio(s.top_k(5), best5[1] if best5 else None)
            row["mrr / best single"] = _ratio(s.mrr(), best_mrr[1] if best_mrr else None)
        return pd.DataFrame(rows)

    def against_single_signals(self, scores: list[MethodScores] | None = None) -> list[str]:
        """Where the default loses to one of its own signals, in words (empty when it wins everywhere)."""
        scores = scores or self.scores
        default = next((s for s in scores if s.method == self.default_method), None)
        if default is None:
            return []
        lines = []
        for label, metric in (("top@1", lambda s: s.top_k(1)), ("top@5", lambda s: s.top_k(5)),
                              ("top@40", lambda s: s.top_k(40)), ("MRR@40", lambda s: s.mrr())):
            best = best_single(scores, metric)
            if best and metric(default) < best[1]:
                lines.append(f"{self.default_method} loses to `{best[0]}` alone at {label}: "
                             f"{metric(default):.3f} against {best[1]:.3f}")
        return lines

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
        if self.cold:
            slices[COLD_START] = list(self.cold)
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
        split = f" of the {self.split}" if self.split else ""
        parts = [f"**{self.n} samples{split}**" + (f", {len(self.skipped)} skipped" if self.skipped else ""), "",
                 self.table().to_markdown(index=False), ""]
        losses = self.against_single_signals()
        parts += ([f"**Defect: the default loses to one of its own signals.** " + "; ".join(losses) + "."]
                  if losses else [f"The default ({self.default_method}) is at least as good as every single signal "
                                  f"({', '.join(SINGLE_SIGNALS)}) at top@1, top@5, top@40 and MRR@40."])
        if self.candidates_found:
            found = self.candidates_found
            cold = [f for f, c in zip(found, self.cold) if c] if self.cold else []
            parts += ["", f"Candidates' recall (the learned ranker's first stage, at most {MAX_CANDIDATES} per "
                          f"query): {sum(found) / len(found):.3f}" + (f"; on the cold-start subset "
                                                                       f"{sum(cold) / len(cold):.3f}" if cold else "")
                          + "."]
        if self.leaks:
            parts += ["", f"Leak guard at read time: {self.leaks.get('suffix_cut', 0)} suffixes cut before the line "
                          f"naming the target; {self.leaks.get('prefix_named', 0)} samples whose prefix names the "
                          "target were skipped."]
        parts += ["", "95% bootstrap intervals", "", self.intervals().to_markdown(index=False)]
        for name, keep in self.subsets().items():
            subset = [s.subset(keep) for s in self.scores]
            parts += ["", f"**{name}** ({sum(keep)} samples)", "", self.table(subset).to_markdown(index=False)]
            losses = self.against_single_signals(subset)
            if losses and name == COLD_START:
                parts += ["", "On this subset: " + "; ".join(losses) + "."]
        if self.no_usage:
            parts += ["", f"**Instance indexed with no usage-bearing scripts** ({self.no_usage_note})", "",
                      self.table(self.no_usage).to_markdown(index=False)]
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
        if self.rerankers:
            parts += ["", "**Neural rerankers (Table 4)**", "", self.rerankers]
        if self.encoders:
            parts += ["", f"Light query encoders on these samples (shares of the teacher's figures, or, where a student "
                          f"serves with a ranker trained on its own similarities, of teacher-own-ranker's: the teacher "
                          f"with the ranker trained on the teacher's; the default method is {self.default_method}; "
                          f"'serves': chosen on the calibration split)", "",
                      pd.DataFrame(self.encoders).to_markdown(index=False)]
        if self.lines_sweep:
            parts += ["", f"Query length: last N lines before the cursor ({self.default_method})", "",
                      pd.DataFrame(self.lines_sweep).to_markdown(index=False)]
        parts += self._worst_namespaces()
        for name, png in self.plots.items():
            alt = name.replace("_", " ")
            parts += ["", markdown_image(png, alt) if inline_images else f"![{alt}]({name}.png)"]
        if self.skipped:
            parts += ["", "Skipped samples:", *[f"- {s}" for s in self.skipped[:20]]]
        return "\n".join(parts)

    def _worst_namespaces(self, limit: int = 8) -> list[str]:
        default = next((s for s in self.scores if s.method == self.default_method),
                       self.scores[0] if self.scores else None)
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
        """Flat metrics: ``method/metric`` on all samples, ``cold_start:method/metric`` on the cold-start
        subset and ``no_usage:method/metric`` for the instance indexed without usage."""
        default = [s for s in self.scores if s.method == self.default_method]
        named = [*self.scores, *(MethodScores("default", d.ranks, d.latencies_ms) for d in default)]
        flat = _flat(named)
        if self.cold and any(self.cold):
            flat.update(_flat([s.subset(self.cold) for s in named], "cold_start:", latency=False))
            flat["cold_start/share"] = round(sum(self.cold) / len(self.cold), 4)
        if self.no_usage:
            flat.update(_flat(self.no_usage, "no_usage:", latency=False))
        for row in self.encoders:
            flat[f"encoder:{row['student']}/encode_p50_ms"] = float(row["encode p50 ms"])
            flat[f"encoder:{row['student']}/default_top5_kept"] = float(row["default top@5 kept"] or 0.0)
        if self.candidates_found:
            flat["candidates/recall"] = round(sum(self.candidates_found) / len(self.candidates_found), 4)
        return flat


def _flat(scores: list[MethodScores], prefix: str = "", latency: bool = True) -> dict[str, float]:
    flat = {}
    for s in scores:
        for k in KS:
            flat[f"{prefix}{s.method}/top@{k}"] = round(s.top_k(k), 4)
        flat[f"{prefix}{s.method}/mrr@40"] = round(s.mrr(), 4)
        if latency:
            flat[f"{prefix}{s.method}/p50_ms"] = round(s.latency(50), 3)
            flat[f"{prefix}{s.method}/p95_ms"] = round(s.latency(95), 3)
    return flat


def evaluate(retriever: Retriever, samples: list[Sample], methods: tuple[str, ...] | None = None,
             skipped: list[str] | None = None, plots_dir=None,
             progress: Callable[[str], None] | None = None, holdout: HoldOut | None = None,
             split: str = "", with_candidates: bool = False) -> EvaluationReport:
    """Score each method over the same samples; BM25 is always included as the baseline.

    By default every offline method, plus the LLM query forms when the retriever has an
    LLM. Each sample's held-out group (``holdout``; its own script when none is given)
    never votes for it nor counts in its prior. ``with_candidates`` also measures the
    recall of the learned ranker's candidates.
    """
    methods = methods or (retriever.available_methods() + (LLM_METHODS if retriever.llm is not None else ()))
    methods = tuple(dict.fromkeys([*methods, BASELINE]))
    scores = score_methods(retriever, samples, methods, holdout, progress)
    report = EvaluationReport(scores=scores, samples=list(samples), skipped=list(skipped or []),
                              pruning=pruning_stats(retriever, samples),
                              unavailable=[m for m in LLM_METHODS if m not in methods], split=split,
                              cold=cold_start(retriever, samples, holdout), default_method=retriever.default_method,
                              candidates_found=candidates_found(retriever, samples, holdout) if with_candidates else [])
    if retriever.default_method in methods and len(methods) > 2:
        report.lines_sweep = lines_sweep(retriever, samples, holdout=holdout)
    if plots_dir is not None:
        report.plots = write_plots(scores, plots_dir)
    return report


def score_methods(retriever: Retriever, samples: list[Sample], methods: tuple[str, ...],
                  holdout: HoldOut | None = None, progress: Callable[[str], None] | None = None) -> list[MethodScores]:
    """Only ``methods``, each over ``samples``: what a choice on calibration reads.

    ``evaluate`` also scores BM25, the cold-start and pruning facts and, with three methods or
    more, the query-lines sweep (six more passes of the default method). The ranker's A/B read
    through ``evaluate`` ran all of that for two figures: at 10,000 namespaces, most of its 13
    minutes. The methods answer sample by sample (``query_major``), sharing what each query computed."""
    from deepcodeseek.evaluation.query_major import Job, score_jobs

    methods = tuple(dict.fromkeys(methods))
    scores = score_jobs([Job(m, retriever, m) for m in methods], samples, holdout, progress)
    return [scores[m] for m in methods]


def candidates_found(retriever: Retriever, samples: list[Sample], holdout: HoldOut | None) -> list[bool]:
    """Per sample: is its target among the learned ranker's candidates? Nothing downstream recovers a miss."""
    from deepcodeseek.retrieval.query import Query

    out, namespaces = [], column(retriever.docs, "namespace")
    for sample in samples:
        inputs = retriever.ranking.inputs(Query(sample.code_before, sample.code_after or None, sample.scope),
                                          exclusions_for(sample, holdout))
        out.append(any(namespaces[i] == sample.target_namespace for i in inputs.candidates))
    return out


def cold_start(retriever: Retriever, samples: list[Sample], holdout: HoldOut | None) -> list[bool]:
    """Per sample: does its target have no call site left on the instance once its held-out group is set aside?"""
    by_namespace = rows_by_namespace(retriever.docs)
    out = []
    for sample in samples:
        remaining = retriever.usage_after(exclusions_for(sample, holdout))
        out.append(not any(remaining[i] > 0 for i in by_namespace.get(sample.target_namespace, [])))
    return out


def pruning_stats(retriever: Retriever, samples: list[Sample]) -> dict[str, float]:
    """How much the scope/access rule prunes, and how often it keeps the right answer."""
    scoped = [s for s in samples if s.scope]
    if not scoped:
        return {}
    pruned, kept, by_namespace = [], [], rows_by_namespace(retriever.docs)
    for s in scoped:
        admitted = retriever._admitted(s.scope)
        pruned.append(1 - admitted.mean())
        kept.append(any(admitted[i] for i in by_namespace.get(s.target_namespace, ())))
    return {"samples_with_scope": len(scoped), "pruned_share": float(sum(pruned) / len(pruned)),
            "recall_kept": sum(kept) / len(kept)}


def lines_sweep(retriever: Retriever, samples: list[Sample], lines: tuple[int, ...] = SWEEP_LINES,
                holdout: HoldOut | None = None) -> list[dict]:
    """The default method with the last N lines as the query, for each N (the paper found 8-10 best)."""
    default, rows = retriever.query_lines, []
    try:
        for n in lines:
            retriever.query_lines = n
            scores = score_method(retriever.default_method, samples, lambda sample: [
                r.namespace for r in retriever.retrieve(sample.code_before, sample.code_after or None, sample.scope,
                                                        k=40, exclude_callers=exclusions_for(sample, holdout))])
            rows.append({"lines": n, "top@1": round(scores.top_k(1), 3), "top@5": round(scores.top_k(5), 3),
                         "top@40": round(scores.top_k(40), 3), "mrr@40": round(scores.mrr(), 3)})
    finally:
        retriever.query_lines = default
    return rows
