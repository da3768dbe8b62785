"""Adapt the embedder to one instance: gather its examples, fine-tune, name the result.

The tuned model is content-addressed: its name carries a hash of the base model, the
training examples and the settings, so an unchanged instance reuses it (a no-change
reindex trains nothing) and any change makes a new model, a new index version, and
never overwrites the one readers are using. After a small change the new model is
warm-started from the previous one (``warm_start``): its name then hashes the parent too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq

from deepcodeseek import atomic
from deepcodeseek.documents import load_documents
from deepcodeseek.evaluation.benchmark_build import datasets_dir, read_holdout_of
from deepcodeseek.index.build import build_bm25_index, build_vector_index, current_version
from deepcodeseek.index.contexts import load_usage_contexts
from deepcodeseek.index.embedder import MODELS_DIR, SentenceTransformerEmbedder, local_model_path
from deepcodeseek.paths import InstancePaths
from deepcodeseek.store.duckdb_store import InstanceStore
from deepcodeseek.training.calibration import Calibration, stage_calibrated_index
from deepcodeseek.training.contrastive import TRAINING_FILE, FineTuneConfig, FineTuneSummary, fine_tune
from deepcodeseek.training.examples import (
    PER_TARGET,
    ContrastiveExample,
    examples_digest,
    from_triplets,
    from_usage_contexts,
)
from deepcodeseek.training.warm_start import (
    KEEP_MODEL_CHANGE,
    LINEAGE_FILE,
    Lineage,
    example_key,
    example_scripts,
    full_lineage,
    keeps_parent,
    learned_held_out,
    plan_warm_start,
    warm_model_name,
)

TRIPLETS_FILE = "triplets.parquet"
ADAPTED_MODEL_FILE = "adapted_model.json"  # in the instance folder: the tuned model the next index step embeds with


@dataclass
class AdaptationSummary:
    model: str
    base: str
    examples: int
    from_usage: int
    from_triplets: int
    held_out_scripts: int
    training: FineTuneSummary
    warm_start_from: str = ""  # the previous tuned model this one continued from; empty: trained from the base
    changed_examples: int = 0  # warm start: new or changed examples trained on
    replayed_examples: int = 0  # warm start: unchanged examples replayed with them
    kept_at_change: float | None = None  # the previous model kept as it is: the share of examples new to it

    def as_metadata(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "training" and v is not None}
        out.update({f"training/{k}": v for k, v in asdict(self.training).items() if k != "config"})
        out["training/config"] = json.dumps(self.training.config, sort_keys=True)
        return out


def gather_examples(store: InstanceStore, paths: InstancePaths,
                    per_target: int = PER_TARGET) -> tuple[list[ContrastiveExample], frozenset[str]]:
    """The instance's training examples and the scripts held out of them (calibration, dev, test groups)."""
    held_out = read_holdout_of(paths).held_out()
    triplets_path = datasets_dir(paths) / TRIPLETS_FILE
    triplets = pq.read_table(triplets_path) if triplets_path.exists() else None
    documents = load_documents(store)
    examples = from_triplets(triplets) + from_usage_contexts(load_usage_contexts(store), documents, held_out, per_target)
    return examples, held_out


def tuned_model_name(base: str, instance: str, examples: list[ContrastiveExample], config: FineTuneConfig) -> str:
    h = hashlib.sha256(f"{base}|{instance}|{examples_digest(examples)}|{json.dumps(asdict(config), sort_keys=True)}"
                       .encode()).hexdigest()
    return f"{base}-{instance}-tuned-{h[:12]}"


def adapt_embedder(store: InstanceStore, paths: InstancePaths, base: SentenceTransformerEmbedder,
                   config: FineTuneConfig = FineTuneConfig(),
                   progress: Callable[[str], None] | None = None) -> AdaptationSummary | None:
    """Fine-tune ``base`` on the instance's call sites (reused when nothing changed).

    None when the instance has no call site to learn from: its base version stays published.
    """
    examples, held_out = gather_examples(store, paths)
    if not examples:
        clear_adapted_model(paths)
        return None
    models = Path(paths.home) / MODELS_DIR
    previous = read_adapted_model(paths)
    name = tuned_model_name(base.name, paths.instance, examples, config)
    plan, kept = None, None
    if not (models / name / TRAINING_FILE).exists() and previous and _trained_on(models / previous, examples,
                                                                                  base.name, config, held_out):
        name = previous  # the previous model (warm-started or not) already learned exactly these examples
    elif not (models / name / TRAINING_FILE).exists():
        kept = keeps_parent(examples, base.name, config, previous, models, held_out)
        if kept is not None:
            name = previous  # a tiny change: the previous model serves on, and nothing keyed by it refits
            if progress:
                progress(f"kept {previous}: {kept:.1%} of the examples are new to it (at most {KEEP_MODEL_CHANGE:.0%})")
        else:
            plan = plan_warm_start(examples, base.name, config, previous, models, held_out)
    if plan is None and (models / name / TRAINING_FILE).exists():
        _name_learned_scripts(models / name, examples)
    if plan is not None:
        name = warm_model_name(base.name, paths.instance, plan.parent, examples_digest(examples), config)
        if progress:
            progress(f"warm start from {plan.parent}: {plan.changed} new or changed examples "
                     f"({plan.change:.1%}) plus {plan.replayed} replayed")
        summary = fine_tune(str(plan.parent_path), base.name, plan.examples, models / name, plan.config,
                            device=base.device, progress=progress,
                            extra_files={LINEAGE_FILE: _lineage_json(plan.lineage)})
    else:
        summary = fine_tune(local_model_path(base.name, paths.home), base.name, examples, models / name, config,
                            device=base.device, progress=progress,
                            extra_files={LINEAGE_FILE: _lineage_json(full_lineage(examples, base.name, config))})
    atomic.write_json(paths.root / ADAPTED_MODEL_FILE, {"model": name, "base": base.name}, indent=2)
    lineage = Lineage.load(models / name)
    return AdaptationSummary(
        model=name, base=base.name, examples=len(examples),
        from_usage=sum(e.origin == "usage" for e in examples),
        from_triplets=sum(e.origin == "triplet" for e in examples),
        held_out_scripts=len(held_out), training=summary,
        warm_start_from=lineage.parent if lineage else "",
        changed_examples=lineage.changed if lineage else 0, replayed_examples=lineage.replayed if lineage else 0,
        kept_at_change=round(kept, 4) if kept is not None else None)


def _trained_on(model_dir: Path, examples: list[ContrastiveExample], base: str, config: FineTuneConfig,
                held_out: frozenset[str]) -> bool:
    """The model learned exactly these examples (a warm start that caught up), and, with its ancestors, from no
    script held out now. A lineage that does not name its scripts passes: with the examples unchanged, so
    are the splits, and a no-change reindex serves on what the last build served."""
    lineage = Lineage.load(model_dir)
    return (lineage is not None and lineage.base == base and lineage.config == asdict(config)
            and lineage.example_keys == sorted({example_key(e) for e in examples})
            and (lineage.scripts is None or not learned_held_out(lineage, held_out)))


def _name_learned_scripts(model_dir: Path, examples: list[ContrastiveExample]) -> None:
    """A lineage recorded before it named its scripts, of a model trained from its base on exactly these
    examples, learned from exactly their scripts: name them, so the next small change may keep the model.
    A warm-started model's ancestors learned from examples no longer known: it is left as it is."""
    lineage = Lineage.load(model_dir)
    if (lineage is not None and lineage.scripts is None and not lineage.parent
            and lineage.example_keys == sorted({example_key(e) for e in examples})):
        atomic.write_text(model_dir / LINEAGE_FILE,
                          _lineage_json(replace(lineage, scripts=sorted(example_scripts(examples)))))


def _lineage_json(lineage: Lineage) -> str:
    return json.dumps(asdict(lineage))


@dataclass
class AdaptedIndexSummary:
    version: str
    base_version: str
    model: str
    embedded: int
    reused: int
    seconds: float
    calibration: Calibration


def stage_adapted_index(store: InstanceStore, paths: InstancePaths, tuned_model: str, base_model: str,
                        device: str = "auto", progress: Callable[[str], None] | None = None) -> AdaptedIndexSummary:
    """Embed the documents with the tuned model into a version of their own and stage it, with the
    fusion calibrated on the calibration split.

    Readers are not moved: the build's publish step switches them once, to this version
    when it was staged for the current documents. The base version stays on disk (the
    evaluation compares the two).
    """
    tuned = SentenceTransformerEmbedder(tuned_model, device=device, home=paths.home)
    vectors = build_vector_index(store, paths, tuned, progress=progress)
    build_bm25_index(store, paths, tuned.name)
    base_version = current_version(store, base_model)[0]
    _, calibration = stage_calibrated_index(store, paths, tuned.name, {"model": base_model, "version": base_version},
                                            progress)
    return AdaptedIndexSummary(version=vectors.version, base_version=base_version, model=tuned.name,
                               embedded=vectors.embedded, reused=vectors.reused, seconds=round(vectors.seconds, 1),
                               calibration=calibration)


def clear_adapted_model(paths: InstancePaths) -> None:
    """Forget the instance's tuned model (adaptation off, or nothing to learn): the base version goes live."""
    (paths.root / ADAPTED_MODEL_FILE).unlink(missing_ok=True)


def read_adapted_model(paths: InstancePaths) -> str | None:
    """The instance's latest tuned model, if one was trained and is still on disk."""
    try:
        name = json.loads((paths.root / ADAPTED_MODEL_FILE).read_text(encoding="utf-8"))["model"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return None
    return name if (Path(paths.home) / MODELS_DIR / name).is_dir() else None
