"""README result tables written from the evaluation reports, so figures cannot drift from what was measured.

Each instance's table lives between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``
in the README; :func:`update_readme` rewrites what is between the markers from that
instance's ``reports/evaluation.json`` and leaves every other line alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from deepcodeseek import atomic
from deepcodeseek.evaluation.runner import EvaluationOutcome, read_evaluation
from deepcodeseek.paths import instance_paths

ROW_METHODS = ("rerank_lm", "rerank_ce", "rerank_ce_distilled", "ranker", "fusion", "fusion_lexical", "fusion_semantic", "hybrid", "dense", "bm25", "votes")
SINGLE_SIGNALS = ("bm25", "votes", "dense")
# Sections of the evaluation report carried into the README as they are (titles as report.py writes them).
CARRIED_SECTIONS = ("**Neural rerankers (Table 4)**", "Light query encoders on these samples")
METRICS = ("top@1", "top@5", "top@40", "mrr@40")


class MissingEvaluation(FileNotFoundError):
    """An instance named for the README has no evaluation report yet."""


def _methods(metrics: dict[str, float], prefix: str) -> list[str]:
    present = {k[len(prefix):-len("/top@5")] for k in metrics
               if k.startswith(prefix) and k.endswith("/top@5") and ":" not in k[len(prefix):]}
    present -= {"default"}  # a copy of the default method's row
    ordered = [m for m in ROW_METHODS if m in present]
    return ordered + sorted(present - set(ordered))


def _table(metrics: dict[str, float], default: str, prefix: str = "", latency: bool = True) -> list[str]:
    methods = _methods(metrics, prefix)
    get = lambda m, k: metrics.get(f"{prefix}{m}/{k}")  # noqa: E731
    best = {k: max((get(s, k) for s in SINGLE_SIGNALS if get(s, k) is not None), default=None) for k in METRICS}
    header = ["method", *METRICS, "top@5 / bm25", "top@5 / best single", "mrr / best single"]
    header += ["p50 ms"] if latency else []
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in methods:
        top5, mrr, bm25 = get(m, "top@5"), get(m, "mrr@40"), get("bm25", "top@5")
        cells = [f"**{m}** (default)" if m == default else m]
        cells += [f"{get(m, k):.3f}" if get(m, k) is not None else "" for k in METRICS]
        cells += [f"{top5 / bm25:.2f}×" if bm25 else "", f"{top5 / best['top@5']:.2f}×" if best["top@5"] else "",
                  f"{mrr / best['mrr@40']:.2f}×" if best["mrr@40"] else ""]
        if latency:
            cells.append(f"{get(m, 'p50_ms'):.1f}" if get(m, "p50_ms") is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def instance_section(name: str, outcome: EvaluationOutcome) -> str:
    """The Markdown block for one instance: all samples, the cold-start subset, the no-usage instance."""
    m = outcome.metrics
    benchmark = re.sub(r" \((/|[A-Za-z]:\\)[^)]*\)", "", outcome.benchmark)  # no machine's paths in the README
    benchmark = f"benchmark `{Path(benchmark).name}`" if Path(benchmark).is_absolute() else benchmark
    lines = [f"*{name}*: {outcome.samples} samples, {benchmark}; index version `{outcome.version}`.", ""]
    lines += _table(m, outcome.default_method)
    if "cold_start/share" in m:
        lines += ["", f"Cold start ({m['cold_start/share']:.0%} of the samples: no call site of the target left "
                      "after hold-out, so votes and the usage prior cannot help):", ""]
        lines += _table(m, outcome.default_method, "cold_start:", latency=False)
    if any(k.startswith("no_usage:") for k in m):
        lines += ["", "Indexed with no usage-bearing scripts at all (a brand-new app: base model, no votes, "
                      "no prior, uncalibrated weights):", ""]
        lines += _table(m, "fusion", "no_usage:", latency=False)
    for title in CARRIED_SECTIONS:
        section = report_section(outcome.markdown, title)
        lines += ["", *section] if section else []
    return "\n".join(lines)


def report_section(markdown: str, title: str) -> list[str]:
    """The lines from the one starting with ``title`` through its tables: a paragraph after a
    table belongs to the section only when it ends with a colon (it introduces the next table,
    as Table 4's LM stages do). Table 4 and the students' table reach the README as measured."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(title)), None)
    if start is None:
        return []
    kept, after_table = [], False
    for line in lines[start:]:
        if after_table and line.strip() and not line.startswith("|"):
            if line.startswith("**") or not line.rstrip().endswith(":"):
                break
            after_table = False
        after_table = after_table or line.startswith("|")
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def section_for(name: str, home: str | None) -> str:
    outcome = read_evaluation(instance_paths(name, home))
    if outcome is None or not outcome.metrics:
        raise MissingEvaluation(f"instance {name!r} has no evaluation report; run 'deepcodeseek index --instance {name}'")
    return instance_section(name, outcome)


def update_readme(readme: Path, instances: list[str], home: str | None = None) -> list[str]:
    """Rewrite each instance's marked block in ``readme``; returns the names whose markers were missing."""
    text = Path(readme).read_text(encoding="utf-8")
    missing = []
    for name in instances:
        pattern = re.compile(rf"(<!-- results:{re.escape(name)} -->\n).*?(<!-- /results:{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            missing.append(name)
            continue
        block = section_for(name, home)
        text = pattern.sub(lambda match: f"{match.group(1)}{block}\n{match.group(2)}", text)
    atomic.write_text(readme, text)
    return missing
