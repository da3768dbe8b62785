"""GRPO for the yes/no LM reranker (the paper's second stage), with TRL's ``GRPOTrainer``.

It starts from the SFT checkpoint: the SFT LoRA adapter, loaded trainable, is what
GRPO goes on training (no new adapter, and with ``beta=0`` no reference model). Each
prompt is one (query, document) pair; the trainer samples ``num_generations``
completions of one token each, and the reward is +1 when that first token is the
right answer ("yes" for a relevant document, "no" for another) and -1 otherwise (any
other token is wrong too). Group-normalised advantages then push up the answer that
was right more often than the group's mean.

The extended-SFT comparison (:func:`extended_sft`) continues SFT from the same
checkpoint for as many sequence passes as GRPO spent, so the two differ in the
objective, not in compute.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from deepcodeseek.rerankers.artefacts import (
    Progress,
    TrainingSummary,
    artefact_dir,
    artefact_key,
    publish_artefact,
    read_summary,
)
from deepcodeseek.rerankers.examples import Pair, pairs_digest
from deepcodeseek.rerankers.lm_reranker import KIND, YesNoLMReranker, dev_accuracy, train_lm_sft, with_loop


@dataclass(frozen=True)
class GRPOSettings:
    num_generations: int = 8  # completions per prompt (the paper's group size)
    prompts_per_step: int = 1
    max_steps: int = 40
    learning_rate: float = 2e-5
    temperature: float = 1.0
    beta: float = 0.0  # KL to a reference model: 0 loads none (TRL's default)
    epsilon: float = 0.2
    eval_every: int = 0
    seed: int = 0

    @property
    def sequences(self) -> int:
        """Sequence passes (forward and backward) GRPO spends: the budget extended SFT matches."""
        return self.max_steps * self.prompts_per_step * self.num_generations


def first_token_reward(answers: Sequence[str], labels: Sequence[float]) -> list[float]:
    """+1 when the first generated token says the right answer, -1 otherwise."""
    rewards = []
    for answer, label in zip(answers, labels):
        said = (answer or "").strip().lower()
        right = "yes" if float(label) >= 0.5 else "no"
        rewards.append(1.0 if said.startswith(right) and said[len(right):len(right) + 1] in ("", " ", ".", "\n")
                       else -1.0)
    return rewards


def _reward_function(tokenizer):
    def yes_no_reward(prompts, completions, completion_ids=None, label=None, **_):
        if completion_ids is not None:  # judge the first token itself, as the score does
            answers = [tokenizer.decode(ids[:1]) if len(ids) else "" for ids in completion_ids]
        else:
            answers = list(completions)
        return first_token_reward(answers, label)

    yes_no_reward.__name__ = "first_token_yes_no"
    return yes_no_reward


def _curve_callback(curve: dict, progress: Progress, total: int, started: float):
    from transformers import TrainerCallback

    class CurveCallback(TrainerCallback):
        """Loss and mean reward per step into the summary's curve, and progress lines."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            step = int(state.global_step)
            for series, name in (("loss", "loss"), ("reward", "reward"), ("reward_std", "reward_std")):
                if name in logs:
                    curve.setdefault(series, []).append([step, round(float(logs[name]), 5)])
            if progress and "reward" in logs and (step % 5 == 0 or step == total):
                progress(f"grpo step {step}/{total} reward {float(logs['reward']):+.3f} "
                         f"loss {float(logs.get('loss', float('nan'))):.4f} ({time.perf_counter() - started:.0f} s)")

    return CurveCallback()


def train_lm_grpo(pairs: Sequence[Pair], home: Path | str, sft: TrainingSummary,
                  settings: GRPOSettings = GRPOSettings(), name: str = "lm-sft-grpo", device: str = "auto",
                  progress: Progress = None,
                  dev_pairs: Sequence[Pair] | None = None) -> tuple[YesNoLMReranker, TrainingSummary]:
    """GRPO from the SFT checkpoint ``sft`` on ``pairs`` (reused when trained before)."""
    key = artefact_key(sft.base, pairs_digest(pairs), {"kind": KIND, "stage": "grpo", **asdict(settings)}, sft.key)
    destination = artefact_dir(home, KIND, key)
    stored = read_summary(destination)
    if stored is not None:
        if progress:
            progress(f"{name}: reusing {destination.name} (trained {stored.steps} steps)")
        return YesNoLMReranker.load(destination, device, home), stored
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    reranker = YesNoLMReranker.load(sft.path, device, home, trainable=True)
    reranker.name = name
    examples = list(pairs)
    repeats = math.ceil(settings.max_steps * settings.prompts_per_step / max(1, len(examples)))
    dataset = Dataset.from_dict({
        "prompt": [reranker.prompt_text(p.query, p.document) for p in examples] * repeats,
        "label": [p.label for p in examples] * repeats})
    on_cpu = reranker.device == "cpu"

    def build(folder: Path) -> TrainingSummary:
        curve: dict = {}
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="grpo-") as scratch:
            args = GRPOConfig(
                output_dir=scratch, report_to=[], save_strategy="no", logging_steps=1, disable_tqdm=True,
                max_steps=settings.max_steps, learning_rate=settings.learning_rate, seed=settings.seed,
                per_device_train_batch_size=settings.prompts_per_step * settings.num_generations,
                gradient_accumulation_steps=1, num_generations=settings.num_generations,
                max_completion_length=1, temperature=settings.temperature, top_p=1.0, top_k=0,
                beta=settings.beta, epsilon=settings.epsilon, shuffle_dataset=True,
                bf16=not on_cpu and _bf16_ok(), fp16=False, use_cpu=on_cpu, gradient_checkpointing=False,
                dataloader_num_workers=0, remove_unused_columns=False, lr_scheduler_type="constant",
                warmup_steps=0)
            trainer = GRPOTrainer(model=reranker.model, reward_funcs=[_reward_function(reranker.tokenizer)],
                                  args=args, train_dataset=dataset, processing_class=reranker.tokenizer,
                                  callbacks=[_curve_callback(curve, progress, settings.max_steps, started)])
            trainer.train()
        reranker.model = trainer.model.to(reranker.device).eval()
        if dev_pairs:
            curve["dev_accuracy"] = [[settings.max_steps, round(dev_accuracy(reranker, dev_pairs), 4)]]
            reranker.model.eval()
        reranker.save(folder)
        return TrainingSummary(kind=KIND, name=name, key=key, path=str(folder), base=sft.base,
                               examples=len(examples), steps=settings.max_steps, device=reranker.device,
                               seconds=round(time.perf_counter() - started, 2), sequences=settings.sequences,
                               curve=curve, config={"stage": "grpo", **asdict(settings)}, parent=sft.key)

    return reranker, publish_artefact(build, destination)


def _bf16_ok() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def extended_sft(pairs: Sequence[Pair], home: Path | str, sft: TrainingSummary, sequences: int,
                 name: str = "lm-sft-extended", device: str = "auto", progress: Progress = None,
                 dev_pairs: Sequence[Pair] | None = None) -> tuple[YesNoLMReranker, TrainingSummary]:
    """SFT continued from ``sft`` for ``sequences`` more sequence passes (GRPO's compute)."""
    from deepcodeseek.rerankers.lm_reranker import LMRerankerConfig

    config = LMRerankerConfig.from_dict({k: v for k, v in sft.config.items() if k != "stage"})
    steps = max(1, math.ceil(sequences / config.loop.batch_size))
    epochs = steps * config.loop.batch_size / max(1, len(pairs)) + 1
    config = with_loop(config, max_steps=steps, epochs=math.ceil(epochs), seed=config.loop.seed + 1,
                       warmup_share=0.0)
    return train_lm_sft(pairs, home, config, name, device, progress, dev_pairs, start_from=sft)
