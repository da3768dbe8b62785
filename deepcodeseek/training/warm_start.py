"""Warm start: after a small change, continue from the instance's previous tuned model instead of retraining.

A full fine-tune of MiniLM on an instance's ~2,000 call sites is 11-13 minutes on two
CPU cores; a reindex after 35 changed records used to pay all of it again. When the
previous model was tuned from the same base with the same settings, and only a small
share of the examples is new or changed, the new model starts from the previous one's
weights and trains on the changed examples plus a replay sample of unchanged ones
(which keeps it from forgetting the rest of the instance): a few steps instead of an
epoch.

The result stays content-addressed: a warm-started model's name hashes its parent's
name, the full example set and the settings, so the same parent and data give the same
model, and its ``lineage.json`` says what it came from. Warm starts in a row drift from
what a full retrain would give, so after ``MAX_GENERATIONS`` of them, or once the
changes since the last full retrain add up to ``MAX_CUMULATIVE_CHANGE``, the model is
retrained from the base.

Below ``KEEP_MODEL_CHANGE`` the previous model is kept as it is (zero steps). A new model,
however few its steps, re-embeds every document and makes every stage keyed by it (the
query students, the learned ranker's dense feature) fit again: 65% of a full build for a
1% change at 2.6k namespaces, 29% at 10k even with the choice of what serves carried. A
model tuned on 93% of today's examples is what those stages need: on the corpus, two
changes of 6.8-6.9% of the examples, kept, scored higher calibration top@5 than the same
changes warm-started with every stage keyed by the model fitted again (0.670 against 0.652,
0.679 against 0.661), at a tenth of the build time (``benchmarks/carry_quality.py --arms
carried,embedder-kept``). The change is counted against the examples the model did learn,
so kept changes add up until they pass the bound and a warm start (or a full training)
catches up. The fitted stages keep their own bound on the instance's change
(``carry.KEEP_CHANGE``): past it they fit again, on the kept model.

Neither keeping nor warm-starting may break the held-out rule. A warm-started model carries
everything its ancestors learned, so a lineage records every script whose examples its models
trained on (``Lineage.scripts``). When a change moves one of them into a calibration, dev or
test group (an edit near a call site links it to a held-out near-duplicate), the model is
neither kept nor continued: it trains from its base. A lineage recorded before this rule
cannot say what it learned, and trains from its base once, unless a no-change reindex named
its scripts first (a model trained from its base on exactly that build's examples,
``adapt._name_learned_scripts``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence, Set
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from deepcodeseek.training.contrastive import FineTuneConfig
from deepcodeseek.training.examples import ContrastiveExample

LINEAGE_FILE = "lineage.json"
KEEP_MODEL_CHANGE = 0.07  # at most this share of examples new to the model: it is kept (measured up to 6.9%)
MAX_CHANGE = 0.10  # share of examples new or changed since the parent: above it, a full retrain
MAX_CUMULATIVE_CHANGE = 0.30
MAX_GENERATIONS = 4
REPLAY_PER_CHANGED = 4  # unchanged examples replayed per changed one
MIN_EXAMPLES_BATCHES = 4  # train on at least this many batches' worth of examples


def example_key(example: ContrastiveExample) -> str:
    """What makes an example the same example: its query and the document it should find.

    Hard negatives are left out: one changed document can move another example's BM25
    negative, which is not new knowledge to learn.
    """
    return hashlib.sha256(f"{example.query}\x00{example.positive}\x00{example.target}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Lineage:
    """What a tuned model was trained on and from."""

    base: str
    config: dict  # the full-training settings (FineTuneConfig) the lineage was started with
    example_keys: list[str]
    parent: str = ""  # the model it was warm-started from; empty for a full training
    generation: int = 0  # warm starts since the last full training
    cumulative_change: float = 0.0  # share of examples changed since the last full training
    changed: int = 0
    replayed: int = 0
    scripts: list[str] | None = None  # every script its models learned from (ancestors' too); None: not recorded

    @classmethod
    def load(cls, folder: Path) -> "Lineage | None":
        try:
            return cls(**json.loads((folder / LINEAGE_FILE).read_text(encoding="utf-8")))
        except (FileNotFoundError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class WarmStartPlan:
    parent: str
    parent_path: Path
    examples: list[ContrastiveExample]  # what to train on: changed plus replayed
    changed: int
    replayed: int
    change: float  # share of the new example set that is new or changed
    lineage: Lineage
    config: FineTuneConfig


def example_scripts(examples: Iterable[ContrastiveExample]) -> set[str]:
    """The scripts the examples were cut from."""
    return {e.caller for e in examples if e.caller}


def learned_held_out(lineage: Lineage, held_out: Set[str]) -> bool:
    """Whether the lineage's models may have learned from a script that is held out now (or cannot say)."""
    return lineage.scripts is None or any(s in held_out for s in lineage.scripts)


def compatible_lineage(base: str, config: FineTuneConfig, parent: str | None, models_dir: Path,
                       held_out: Set[str]) -> Lineage | None:
    """``parent``'s lineage when it was tuned from ``base`` with ``config``'s settings, from no script that
    is held out now (``held_out``); None otherwise."""
    if not parent:
        return None
    previous = Lineage.load(models_dir / parent)
    if (previous is None or previous.base != base or previous.config != asdict(config)
            or learned_held_out(previous, held_out)):
        return None
    return previous


def change_since(lineage: Lineage, examples: Sequence[ContrastiveExample]) -> float:
    """Share of ``examples`` that the lineage's model has not learned."""
    old = set(lineage.example_keys)
    return sum(example_key(e) not in old for e in examples) / max(1, len(examples))


def keeps_parent(examples: Sequence[ContrastiveExample], base: str, config: FineTuneConfig, parent: str | None,
                 models_dir: Path, held_out: Set[str]) -> float | None:
    """The change share when ``parent`` is kept as it is (compatible, and at most ``KEEP_MODEL_CHANGE`` of the
    examples new to it, within the cumulative bound); None when it must train."""
    previous = compatible_lineage(base, config, parent, models_dir, held_out)
    if previous is None or not examples:
        return None
    change = change_since(previous, examples)
    if change > KEEP_MODEL_CHANGE or previous.cumulative_change + change > MAX_CUMULATIVE_CHANGE:
        return None
    return change


def plan_warm_start(examples: Sequence[ContrastiveExample], base: str, config: FineTuneConfig,
                    parent: str | None, models_dir: Path, held_out: Set[str]) -> WarmStartPlan | None:
    """A warm start from ``parent`` when it is compatible and the change is small; None for a full training."""
    previous = compatible_lineage(base, config, parent, models_dir, held_out)
    if previous is None or not examples:
        return None
    parent_path = models_dir / parent
    old = set(previous.example_keys)
    keys = [example_key(e) for e in examples]
    changed = [e for e, k in zip(examples, keys) if k not in old]
    change = len(changed) / len(examples)
    cumulative = previous.cumulative_change + change
    if (not changed or change > MAX_CHANGE or cumulative > MAX_CUMULATIVE_CHANGE
            or previous.generation + 1 > MAX_GENERATIONS):
        return None
    unchanged = [e for e, k in zip(examples, keys) if k in old]
    wanted = max(REPLAY_PER_CHANGED * len(changed), MIN_EXAMPLES_BATCHES * config.batch_size - len(changed))
    replay = random.Random(config.seed).sample(unchanged, min(len(unchanged), wanted))
    lineage = Lineage(base=base, config=asdict(config), example_keys=sorted(set(keys)), parent=parent,
                      generation=previous.generation + 1, cumulative_change=round(cumulative, 4),
                      changed=len(changed), replayed=len(replay),
                      scripts=sorted(set(previous.scripts) | example_scripts(changed + replay)))
    # One pass over changed + replay: each changed example is seen once, as in a full epoch.
    return WarmStartPlan(parent=parent, parent_path=parent_path, examples=changed + replay, changed=len(changed),
                         replayed=len(replay), change=change, lineage=lineage, config=replace(config, epochs=1))


def warm_model_name(base: str, instance: str, parent: str, examples_digest: str, config: FineTuneConfig) -> str:
    """Content address of a warm-started model: its parent is part of what it is."""
    h = hashlib.sha256(f"{base}|{instance}|warm:{parent}|{examples_digest}|"
                       f"{json.dumps(asdict(config), sort_keys=True)}".encode()).hexdigest()
    return f"{base}-{instance}-tuned-{h[:12]}"


def full_lineage(examples: Sequence[ContrastiveExample], base: str, config: FineTuneConfig) -> Lineage:
    return Lineage(base=base, config=asdict(config), example_keys=sorted({example_key(e) for e in examples}),
                   scripts=sorted(example_scripts(examples)))
