"""The supervised loop both rerankers share: shuffled batches of pairs, AdamW over the
trainable (LoRA and head) parameters, linear warm-up and decay, a loss per step, and
dev accuracy now and then. Plain torch: a few hundred steps of LoRA on two CPU cores
need no trainer framework, and the loop stays the same on a GPU.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from deepcodeseek.rerankers.artefacts import Progress
from deepcodeseek.rerankers.examples import Pair


@dataclass(frozen=True)
class LoopSettings:
    epochs: float = 1.0  # may be fractional: the loop stops after that share of the last epoch
    batch_size: int = 16
    learning_rate: float = 2e-4
    warmup_share: float = 0.1
    max_steps: int | None = None
    eval_every: int = 0  # steps between dev evaluations; 0 = only at the end
    seed: int = 0


class WithLoop:
    """Mixin for a frozen reranker config with a ``loop: LoopSettings`` field: the round trip
    through the JSON file saved beside the weights."""

    def as_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict):
        return cls(**{**raw, "loop": LoopSettings(**raw.get("loop", {}))})


@dataclass
class LoopResult:
    steps: int
    sequences: int
    seconds: float
    curve: dict[str, list[list[float]]] = field(default_factory=dict)


def batches(count: int, settings: LoopSettings) -> list[list[int]]:
    """Shuffled index batches over ``settings.epochs`` epochs (a new order each epoch)."""
    rng = random.Random(settings.seed)
    out: list[list[int]] = []
    full = int(np.ceil(settings.epochs))
    for epoch in range(full):
        order = list(range(count))
        rng.shuffle(order)
        epoch_batches = [order[i:i + settings.batch_size] for i in range(0, count, settings.batch_size)]
        if epoch == full - 1 and settings.epochs < full:
            epoch_batches = epoch_batches[:max(1, int(round((settings.epochs - epoch) * len(epoch_batches))))]
        out += epoch_batches
    if settings.max_steps is not None:
        out = out[:settings.max_steps]
    return out


def train_pairs(parameters, pairs: Sequence[Pair], batch_loss: Callable[[list[Pair]], "object"],
                settings: LoopSettings, progress: Progress = None,
                evaluate: Callable[[], float] | None = None, label: str = "train") -> LoopResult:
    """Run the loop; ``batch_loss`` returns the (differentiable) mean loss of a batch,
    ``evaluate`` the dev accuracy (called every ``eval_every`` steps and at the end)."""
    import torch

    if not pairs:
        raise ValueError(f"{label}: no training pairs")
    torch.manual_seed(settings.seed)
    parameters = [p for p in parameters if p.requires_grad]
    if not parameters:
        raise ValueError(f"{label}: the model has no trainable parameter")
    plan = batches(len(pairs), settings)
    optimizer = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=0.0)
    warmup = max(1, int(settings.warmup_share * len(plan)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (len(plan) - s) / max(1, len(plan) - warmup))))
    curve: dict[str, list[list[float]]] = {"loss": []}
    started = time.perf_counter()
    sequences = 0
    for step, batch in enumerate(plan, start=1):
        loss = batch_loss([pairs[i] for i in batch])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        sequences += len(batch)
        curve["loss"].append([step, round(float(loss.detach()), 5)])
        if evaluate is not None and (step == len(plan) or (settings.eval_every and step % settings.eval_every == 0)):
            curve.setdefault("dev_accuracy", []).append([step, round(float(evaluate()), 4)])
        if progress and (step % 10 == 0 or step == len(plan)):
            recent = np.mean([v for _, v in curve["loss"][-10:]])
            rate = sequences / (time.perf_counter() - started)
            dev = f", dev accuracy {curve['dev_accuracy'][-1][1]:.3f}" if curve.get("dev_accuracy") else ""
            progress(f"{label} step {step}/{len(plan)} loss {recent:.4f}{dev} ({rate:.1f} pairs/s)")
    return LoopResult(steps=len(plan), sequences=sequences, seconds=round(time.perf_counter() - started, 2),
                      curve=curve)
