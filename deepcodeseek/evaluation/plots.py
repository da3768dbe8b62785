"""Plots for evaluation reports, as PNG files and as Markdown the Dagster UI renders."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402

from deepcodeseek.evaluation.metrics import KS, MethodScores  # noqa: E402


def accuracy_at_k(scores: list[MethodScores]) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for s in scores:
        ax.plot(KS, [s.top_k(k) for k in KS], marker="o", label=s.method,
                linestyle="--" if s.method == "bm25" else "-")
    ax.set_xscale("log")
    ax.set_xticks(KS, [str(k) for k in KS])
    ax.set_ylim(0, 1)
    ax.set_xlabel("K")
    ax.set_ylabel("top-K accuracy")
    ax.set_title("Accuracy against K (BM25 dashed)")
    ax.grid(alpha=0.3)
    ax.legend()
    return _png(fig)


def latency_vs_accuracy(scores: list[MethodScores]) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for s in scores:
        ax.scatter(s.latency(50), s.top_k(5), s=60)
        ax.annotate(s.method, (s.latency(50), s.top_k(5)), textcoords="offset points", xytext=(6, 4))
    ax.set_xscale("log")
    ax.set_xlabel("p50 latency, ms (log)")
    ax.set_ylabel("top-5 accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("Latency against accuracy")
    ax.grid(alpha=0.3)
    return _png(fig)


def feature_importance(importances: dict[str, float], title: str, limit: int = 20) -> bytes:
    """Horizontal bars of a learned ranker's features by total gain: what it relies on."""
    top = list(importances.items())[:limit][::-1]
    fig, ax = plt.subplots(figsize=(6, max(3, 0.28 * len(top))), dpi=100)
    ax.barh([k for k, _ in top], [v for _, v in top], color="#4c72b0")
    ax.set_xlabel("total gain")
    ax.set_title(title)
    return _png(fig)


def training_curves(curves: dict[str, list[float]], ylabel: str, title: str, xlabel: str = "step") -> bytes:
    """One line per curve (loss, reward, NDCG) against the training step or round."""
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _png(fig)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def write_plots(scores: list[MethodScores], folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    plots = {"accuracy_at_k": accuracy_at_k(scores), "latency_vs_accuracy": latency_vs_accuracy(scores)}
    for name, png in plots.items():
        (folder / f"{name}.png").write_bytes(png)
    return plots
