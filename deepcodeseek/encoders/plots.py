"""Plots of the students: recall kept against encode cost (as in CodeQuest), and a 2-D
projection of teacher and student query embeddings before and after adaptation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from deepcodeseek.encoders.measure import TEACHER, StudentMeasurement


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _png(fig, path: Path | None) -> bytes:
    import io

    plt = _pyplot()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    png = buffer.getvalue()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(png)
    return png


def recall_against_cost(measurements: Sequence[StudentMeasurement], path: Path | None = None,
                        teacher: str = TEACHER, keep: float = 0.97) -> bytes:
    """Share of the teacher's top-5 (dense and default method) kept, against encode p50 (log x)."""
    plt = _pyplot()
    ref = next(m for m in measurements if m.name == teacher)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for key, marker, label in (("default_top5", "o", "default method top-5"), ("dense_top5", "s", "dense top-5")):
        base = getattr(ref, key) or 1.0
        xs = [max(m.encode_p50_ms, 1e-3) for m in measurements]
        ys = [getattr(m, key) / base for m in measurements]
        ax.scatter(xs, ys, marker=marker, s=50, label=label)
        if key == "default_top5":
            for m, x, y in zip(measurements, xs, ys):
                ax.annotate(m.name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.axhline(keep, color="grey", linestyle="--", linewidth=1, label=f"{keep:.0%} of the teacher")
    ax.set_xscale("log")
    ax.set_xlabel("query encode p50, ms (log scale)")
    ax.set_ylabel("share of the teacher's top-5")
    ax.set_title("Recall kept against encode cost")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig, path)


def project_2d(groups: Sequence[np.ndarray], method: str = "tsne", seed: int = 0) -> list[np.ndarray]:
    """One joint 2-D t-SNE of several embedding sets (so their positions compare)."""
    from sklearn.manifold import TSNE

    if method != "tsne":
        raise ValueError(f"projection {method!r}: only 'tsne' (scikit-learn) is available")
    stacked = np.concatenate([np.asarray(g, dtype=np.float32) for g in groups])
    perplexity = float(min(30, max(2, (len(stacked) - 1) // 3)))
    points = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(stacked)
    out, start = [], 0
    for g in groups:
        out.append(points[start:start + len(g)])
        start += len(g)
    return out


def projection_before_after(teacher: np.ndarray, before: np.ndarray, after: np.ndarray, path: Path | None = None,
                            labels: tuple[str, str] = ("static student, unmapped", "static student, adapted"),
                            method: str = "tsne") -> bytes:
    """Teacher and student embeddings of the same queries, one joint t-SNE per panel;
    a grey line joins each query's teacher point to its student point."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), dpi=100)
    for ax, student, label in zip(axes, (before, after), labels):
        t, s = project_2d([teacher, student], method)
        for a, b in zip(t, s):
            ax.plot([a[0], b[0]], [a[1], b[1]], color="grey", alpha=0.15, linewidth=0.6)
        ax.scatter(t[:, 0], t[:, 1], s=8, label="teacher", alpha=0.7)
        ax.scatter(s[:, 0], s[:, 1], s=8, label=label, alpha=0.7)
        cosine = float((teacher * student).sum(axis=1).mean())
        ax.set_title(f"{label} (mean cos to teacher {cosine:.2f})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=8)
    fig.suptitle(f"Query embeddings, {method.upper()} of teacher and student together")
    return _png(fig, path)
