"""Internal students: the student's own weights fine-tuned into the teacher's space.

Two students, one loss. The loss is distillation (``1 - cos`` to the teacher's query
embedding) plus, weighted, the call-site contrastive loss: a context should be closer
to the document vector of the namespace it called than to the other documents of its
batch (in-batch negatives; a batch's other contexts of the same target are masked).
The document vectors are the index's own, embedded once by the teacher, so only the
query side trains.

- :func:`fine_tune_truncated`: the teacher's first 1-3 transformer layers (token
  embeddings included), then exported to ONNX int8 (``compact.export_onnx``) to serve.
- :func:`fine_tune_static`: the static student's token table (``EmbeddingBag``, full
  fine-tuning) together with its map, served by ``static_map.StaticMappedEncoder``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from deepcodeseek.encoders.base import LeftTruncatingTokenizer
from deepcodeseek.encoders.data import TrainingSet
from deepcodeseek.encoders.static_map import LinearMap


@dataclass(frozen=True)
class StudentTrainConfig:
    epochs: int = 2
    batch_size: int = 64
    learning_rate: float = 5e-5
    contrastive_weight: float = 0.1  # next to the distillation loss (1 - cos), which starts near 0.1-0.3
    scale: float = 20.0  # inverse temperature of the contrastive cosine scores
    warmup_share: float = 0.1
    max_texts: int | None = None  # train on a seeded sample of at most this many texts (a CPU budget)
    seed: int = 0


@dataclass
class TrainHistory:
    losses: list[float] = field(default_factory=list)  # mean loss per logged block of steps
    distill: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    _window: list[tuple[float, float]] = field(default_factory=list, repr=False)

    def add(self, loss: float, distill: float, step: int, total: int, every: int = 20) -> bool:
        """Add one step's losses; every ``every`` steps (and at the last) log their means. True when it logged."""
        self._window.append((loss, distill))
        if step % every and step != total:
            return False
        self.losses.append(float(np.mean([w[0] for w in self._window])))
        self.distill.append(float(np.mean([w[1] for w in self._window])))
        self._window = []
        return True

    def record(self) -> dict:
        return {"first_loss": round(self.losses[0], 4) if self.losses else None,
                "last_loss": round(self.losses[-1], 4) if self.losses else None,
                "first_distill": round(self.distill[0], 4) if self.distill else None,
                "last_distill": round(self.distill[-1], 4) if self.distill else None,
                "steps": self.steps, "seconds": round(self.seconds, 1), "device": self.device}


def student_loss(pred, targets, labels, documents, config: StudentTrainConfig):
    """Distillation plus weighted in-batch contrastive loss; returns (total, distillation)."""
    import torch

    pred = torch.nn.functional.normalize(pred, dim=-1)
    distill = (1 - (pred * targets).sum(dim=-1)).mean()
    if config.contrastive_weight <= 0:
        return distill, distill
    known = labels >= 0
    if int(known.sum()) < 2:
        return distill, distill
    q, y = pred[known], labels[known]
    columns, own = torch.unique(y, return_inverse=True)  # one column per distinct target in the batch
    scores = config.scale * q @ documents[columns].T
    contrastive = torch.nn.functional.cross_entropy(scores, own)
    return distill + config.contrastive_weight * contrastive, distill


def _schedule(optimizer, total: int, warmup_share: float):
    import torch

    warmup = max(1, int(warmup_share * total))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))


def _batches(n: int, batch_size: int, epochs: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return [b for b in out if len(b) > 1]


def sample_texts(data: TrainingSet, limit: int | None, seed: int) -> TrainingSet:
    """At most ``limit`` rows of ``data`` (seeded), or all of it."""
    if limit is None or len(data) <= limit:
        return data
    return data.subset(np.sort(np.random.default_rng(seed).permutation(len(data))[:limit]))


def truncated_transformer(teacher_path: str, layers: int, device: str = "cpu"):
    """A copy of the teacher's transformer keeping its embeddings and first ``layers`` layers."""
    from deepcodeseek.index.embedder import _load_model

    teacher = _load_model(teacher_path, "cpu")[0].auto_model
    total = len(teacher.encoder.layer)
    if not 1 <= layers <= total:
        raise ValueError(f"layers={layers}: the teacher has {total} transformer layers")
    student = copy.deepcopy(teacher).float()
    student.encoder.layer = student.encoder.layer[:layers]
    student.config.num_hidden_layers = layers
    return student.to(device)


def fine_tune_truncated(teacher_path: str, layers: int, data: TrainingSet, tokenizer: LeftTruncatingTokenizer,
                        config: StudentTrainConfig = StudentTrainConfig(), device: str = "cpu",
                        progress: Callable[[str], None] | None = None):
    """The first ``layers`` layers of the teacher, trained on ``data``; returns (transformer, history)."""
    import torch

    torch.manual_seed(config.seed)
    started = time.perf_counter()
    data = sample_texts(data, config.max_texts, config.seed)
    model = truncated_transformer(teacher_path, layers, device)
    model.train()
    ids_all = [tokenizer.model_ids(t) for t in data.texts]
    targets = torch.from_numpy(data.targets).to(device)
    labels = torch.from_numpy(data.labels).to(device)
    documents = torch.from_numpy(data.documents).to(device)
    batches = _batches(len(data), config.batch_size, config.epochs, config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    schedule = _schedule(optimizer, len(batches), config.warmup_share)
    history = TrainHistory(device=device)
    for step, rows in enumerate(batches, start=1):
        ids, mask = _padded([ids_all[i] for i in rows], device)
        hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        rows_t = torch.from_numpy(rows).to(device)
        loss, distill = student_loss(pooled, targets[rows_t], labels[rows_t], documents, config)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if history.add(float(loss.detach()), float(distill.detach()), step, len(batches)):
            if progress:
                rate = step * config.batch_size / (time.perf_counter() - started)
                progress(f"truncated-{layers}: step {step}/{len(batches)} loss {history.losses[-1]:.4f} "
                         f"(distill {history.distill[-1]:.4f}; {rate:.0f} texts/s)")
    history.steps = len(batches)
    history.seconds = time.perf_counter() - started
    model.eval()
    return model.cpu(), history


def _padded(rows: Sequence[Sequence[int]], device: str):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return ids.to(device), mask.to(device)


def fine_tune_static(table: np.ndarray, weights: np.ndarray, mapping: LinearMap, data: TrainingSet,
                     tokenizer: LeftTruncatingTokenizer, config: StudentTrainConfig = StudentTrainConfig(),
                     device: str = "cpu", progress: Callable[[str], None] | None = None):
    """Token table and map trained together; returns (table, map, history). Token weights stay fixed."""
    import torch

    from deepcodeseek.encoders.static_map import _map_module_class

    torch.manual_seed(config.seed)
    started = time.perf_counter()
    data = sample_texts(data, config.max_texts, config.seed)
    bag = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(table.astype(np.float32)), freeze=False,
                                                mode="sum").to(device)
    hidden = mapping.hidden
    head = _map_module_class()(mapping.W.shape[0], mapping.W.shape[1], hidden, torch.from_numpy(mapping.W)).to(device)
    with torch.no_grad():  # start exactly at the external student's map
        if mapping.b is not None:
            head.linear.bias.copy_(torch.from_numpy(mapping.b))
        if hidden:
            head.up.weight.copy_(torch.from_numpy(mapping.W1.T))
            head.up.bias.copy_(torch.from_numpy(mapping.b1))
            head.down.weight.copy_(torch.from_numpy(mapping.W2.T))
            head.down.bias.copy_(torch.from_numpy(mapping.b2))
    token_weights = torch.from_numpy(np.asarray(weights, dtype=np.float32)).to(device)
    ids_all = [tokenizer.content_ids(t) for t in data.texts]
    targets = torch.from_numpy(data.targets).to(device)
    labels = torch.from_numpy(data.labels).to(device)
    documents = torch.from_numpy(data.documents).to(device)
    batches = [b for b in _batches(len(data), config.batch_size, config.epochs, config.seed)
               if all(ids_all[i] for i in b)] or _batches(len(data), config.batch_size, config.epochs, config.seed)
    optimizer = torch.optim.AdamW([{"params": bag.parameters(), "weight_decay": 0.0},
                                   {"params": head.parameters()}], lr=config.learning_rate)
    schedule = _schedule(optimizer, len(batches), config.warmup_share)
    history = TrainHistory(device=device)
    for step, rows in enumerate(batches, start=1):
        rows = np.asarray([i for i in rows if ids_all[i]])
        if len(rows) < 2:
            continue
        flat = torch.tensor([t for i in rows for t in ids_all[i]], dtype=torch.long, device=device)
        offsets = torch.tensor(np.cumsum([0] + [len(ids_all[i]) for i in rows[:-1]]), dtype=torch.long, device=device)
        x = torch.nn.functional.normalize(bag(flat, offsets, per_sample_weights=token_weights[flat]), dim=-1)
        rows_t = torch.from_numpy(rows).to(device)
        loss, distill = student_loss(head(x), targets[rows_t], labels[rows_t], documents, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if history.add(float(loss.detach()), float(distill.detach()), step, len(batches)):
            if progress:
                progress(f"static-tuned: step {step}/{len(batches)} loss {history.losses[-1]:.4f} "
                         f"(distill {history.distill[-1]:.4f})")
    history.steps = len(batches)
    history.seconds = time.perf_counter() - started
    tuned_table = bag.weight.detach().cpu().numpy().astype(np.float32)
    return tuned_table, head.cpu().to_linear_map(), history
