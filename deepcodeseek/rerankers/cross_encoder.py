"""A MiniLM cross-encoder reranker with a LoRA adapter (the issue's 3a, and the CPU student of 3c).

The base is the all-MiniLM-L6-v2 encoder that ships offline; on top of it a new
one-logit classification head. Training adds a LoRA adapter (PEFT) to the attention
and feed-forward projections and trains the head in full (``modules_to_save``; a new
head left frozen would stay random). Only the adapter and the head are saved (a few
MB); loading rebuilds the base from its package.

Queries are cut from the left (the code nearest the cursor) and documents from the
right (the name and summary come first), to the budgets the model was trained with.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from deepcodeseek.rerankers.artefacts import (
    Progress,
    TrainingSummary,
    artefact_dir,
    artefact_key,
    publish_artefact,
    read_summary,
)
from deepcodeseek.rerankers.base import Reranker, RerankerError, cut_to_tokens, read_reranker_file, resolve_device
from deepcodeseek.rerankers.base import write_reranker_file
from deepcodeseek.rerankers.examples import Pair, binary_accuracy, class_weights, pairs_digest
from deepcodeseek.rerankers.loop import LoopSettings, WithLoop, train_pairs

KIND = "cross_encoder"
DEFAULT_BASE = "all-MiniLM-L6-v2"
LORA_TARGETS = ("query", "key", "value", "dense")


@dataclass(frozen=True)
class CrossEncoderConfig(WithLoop):
    max_query_tokens: int = 96
    max_document_tokens: int = 160
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    loop: LoopSettings = LoopSettings(epochs=1.0, batch_size=16, learning_rate=5e-4)
    score_batch_size: int = 32


def base_model_path(base: str = DEFAULT_BASE) -> str:
    from deepcodeseek.index.embedder import ModelNotAvailable, local_model_path

    try:
        return local_model_path(base)
    except ModelNotAvailable as exc:
        raise RerankerError(str(exc)) from exc


def _lora_model(base: str, config: CrossEncoderConfig, seed: int):
    """The base encoder with a new one-logit head and a trainable LoRA adapter."""
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(seed)  # the new head's initial weights
    model = AutoModelForSequenceClassification.from_pretrained(base_model_path(base), num_labels=1)
    lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, target_modules=list(LORA_TARGETS),
                      modules_to_save=["classifier"])
    return get_peft_model(model, lora)


class CrossEncoderReranker(Reranker):
    kind = KIND

    def __init__(self, model, tokenizer, config: CrossEncoderConfig, base: str = DEFAULT_BASE,
                 name: str = "cross-encoder", device: str = "auto"):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.config = config
        self.base = base
        self.name = name

    @classmethod
    def from_base(cls, base: str = DEFAULT_BASE, config: CrossEncoderConfig = CrossEncoderConfig(),
                  name: str = "cross-encoder", device: str = "auto") -> "CrossEncoderReranker":
        """The untrained starting point: base encoder, new head, fresh LoRA adapter."""
        from transformers import AutoTokenizer

        model = _lora_model(base, config, config.loop.seed)
        return cls(model, AutoTokenizer.from_pretrained(base_model_path(base)), config, base, name, device)

    def for_cpu(self) -> "CrossEncoderReranker":
        """The serving form on a CPU: the adapter merged into the weights and the linear layers
        int8 (dynamic quantisation), as the embedder's query path does; scores stay close to
        the float model's, and a query costs less. A copy: this reranker is unchanged."""
        import torch

        merged = copy.deepcopy(self.model).merge_and_unload() if hasattr(self.model, "merge_and_unload") \
            else copy.deepcopy(self.model)
        quantized = torch.ao.quantization.quantize_dynamic(merged.cpu().eval(), {torch.nn.Linear}, dtype=torch.qint8)
        return CrossEncoderReranker(quantized, self.tokenizer, self.config, self.base, f"{self.name} (int8)", "cpu")

    def encode(self, queries: Sequence[str], documents: Sequence[str]) -> dict:
        queries = cut_to_tokens(self.tokenizer, queries, self.config.max_query_tokens, keep="end")
        documents = cut_to_tokens(self.tokenizer, documents, self.config.max_document_tokens, keep="start")
        batch = self.tokenizer(queries, documents, padding=True, truncation="longest_first", max_length=512,
                               return_tensors="pt")
        return {k: v.to(self.device) for k, v in batch.items()}

    def logits(self, queries: Sequence[str], documents: Sequence[str]):
        return self.model(**self.encode(queries, documents)).logits[:, 0]

    def score(self, query: str, documents: Sequence[str]) -> np.ndarray:
        return self.score_pairs([query] * len(documents), documents)

    def score_pairs(self, queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        size = self.config.score_batch_size
        with torch.inference_mode():
            for i in range(0, len(documents), size):
                out.append(self.logits(queries[i:i + size], documents[i:i + size]).float().cpu().numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)

    def save(self, folder: Path | str) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        write_reranker_file(folder, KIND, {"base": self.base, "name": self.name, "config": self.config.as_dict()})
        return folder

    @classmethod
    def load(cls, folder: Path | str, device: str = "auto") -> "CrossEncoderReranker":
        from peft import PeftModel
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        stored = read_reranker_file(folder, KIND)
        config = CrossEncoderConfig.from_dict(stored["config"])
        base = AutoModelForSequenceClassification.from_pretrained(base_model_path(stored["base"]), num_labels=1)
        model = PeftModel.from_pretrained(base, str(folder))
        return cls(model, AutoTokenizer.from_pretrained(base_model_path(stored["base"])), config, stored["base"],
                   stored["name"], device)


def pair_loss(reranker: CrossEncoderReranker, batch: list[Pair], weights: dict[int, float]):
    """Binary cross-entropy on the logit, against hard (0/1) or soft labels, class-balanced."""
    import torch

    logits = reranker.logits([p.query for p in batch], [p.document for p in batch])
    labels = torch.tensor([p.label for p in batch], dtype=torch.float32, device=logits.device)
    w = torch.tensor([weights[id(p)] for p in batch], dtype=torch.float32, device=logits.device)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels, reduction="none")
    return (losses * w).sum() / w.sum()


def train_cross_encoder(pairs: Sequence[Pair], home: Path | str, config: CrossEncoderConfig = CrossEncoderConfig(),
                        base: str = DEFAULT_BASE, name: str = "cross-encoder", device: str = "auto",
                        progress: Progress = None,
                        dev_pairs: Sequence[Pair] | None = None) -> tuple[CrossEncoderReranker, TrainingSummary]:
    """Train (or reuse) a LoRA cross-encoder on ``pairs``; hard or soft labels.

    The artefact lives under ``<home>/models/rerankers/cross_encoder-<key>``, the key
    over the base, the pairs and ``config``; the same inputs load it and train nothing.
    """
    key = artefact_key(base, pairs_digest(pairs), {"kind": KIND, **config.as_dict()})
    destination = artefact_dir(home, KIND, key)
    stored = read_summary(destination)
    if stored is not None:
        if progress:
            progress(f"{name}: reusing {destination.name} (trained {stored.steps} steps)")
        return CrossEncoderReranker.load(destination, device), stored
    reranker = CrossEncoderReranker.from_base(base, config, name, device)

    def build(folder: Path) -> TrainingSummary:
        weights = dict(zip(map(id, pairs), class_weights(np.array([p.label for p in pairs]))))
        evaluate = None
        if dev_pairs:
            def evaluate() -> float:
                reranker.model.eval()
                scores = reranker.score_pairs([p.query for p in dev_pairs], [p.document for p in dev_pairs])
                reranker.model.train()
                return binary_accuracy(scores, np.array([p.label for p in dev_pairs]))
        reranker.model.train()
        result = train_pairs(reranker.model.parameters(), pairs, lambda b: pair_loss(reranker, b, weights),
                             config.loop, progress, evaluate, label=name)
        reranker.model.eval()
        reranker.save(folder)
        return TrainingSummary(kind=KIND, name=name, key=key, path=str(folder), base=base, examples=len(pairs),
                               steps=result.steps, device=reranker.device, seconds=result.seconds,
                               sequences=result.sequences, curve=result.curve, config=config.as_dict())

    summary = publish_artefact(build, destination)
    return reranker, summary


def with_loop(config: CrossEncoderConfig, **loop_changes) -> CrossEncoderConfig:
    """``config`` with some loop settings changed (epochs, learning rate...)."""
    return replace(config, loop=replace(config.loop, **loop_changes))

