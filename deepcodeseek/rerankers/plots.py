"""Training curves as PNG bytes (a Dagster asset embeds them as base64 Markdown)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from deepcodeseek.rerankers.artefacts import TrainingSummary

SERIES = ("loss", "reward", "dev_accuracy")


def training_curves_png(summaries: Sequence[TrainingSummary] | Mapping[str, TrainingSummary],
                        series: Sequence[str] = SERIES) -> bytes:
    """One panel per series that any summary has (loss, reward, dev accuracy), one line per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    named = dict(summaries) if isinstance(summaries, Mapping) else {s.name: s for s in summaries}
    present = [s for s in series if any(summary.curve.get(s) for summary in named.values())]
    if not present:
        raise ValueError("no training curve to plot: the summaries have no loss, reward or dev accuracy")
    fig, axes = plt.subplots(1, len(present), figsize=(5 * len(present), 3.5), dpi=100, squeeze=False)
    for ax, s in zip(axes[0], present):
        for name, summary in named.items():
            points = summary.curve.get(s) or []
            if points:
                steps, values = zip(*points)
                ax.plot(steps, values, marker="o" if len(points) < 3 else None, label=name)
        ax.set_xlabel("step")
        ax.set_title(s.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
