"""Gates on adaptation: the tuned model learned, and its version is complete before it can go live."""

import json

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from deepcodeseek.index.embedder import MODELS_DIR
from deepcodeseek.training.adapt import read_adapted_model
from deepcodeseek.training.contrastive import TRAINING_FILE
from deepcodeseek.training.warm_start import Lineage
from deepcodeseek_pipeline.assets.adaptation.assets import adapted_embedder, adapted_index
from deepcodeseek_pipeline.assets.index.checks import rows_match_documents
from deepcodeseek_pipeline.partitions import partition_of
from deepcodeseek_pipeline.resources import DeepCodeSeekHome


@asset_check(asset=adapted_embedder, description="Fine-tuning lowered the contrastive loss.")
def adaptation_loss_fell(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    paths = home.paths(partition_of(context))
    tuned = read_adapted_model(paths)
    if tuned is None:
        return AssetCheckResult(passed=True, metadata={"note": "no tuned model for this instance"})
    training = json.loads((paths.home / MODELS_DIR / tuned / TRAINING_FILE).read_text(encoding="utf-8"))
    lineage = Lineage.load(paths.home / MODELS_DIR / tuned)
    if lineage and lineage.parent:  # a few steps from a trained model: its loss starts low, nothing to compare
        return AssetCheckResult(passed=True, metadata={"note": f"warm start from {lineage.parent}",
                                                       "changed_examples": lineage.changed, "model": tuned})
    return AssetCheckResult(passed=training["last_loss"] < training["first_loss"], severity=AssetCheckSeverity.WARN,
                            metadata={"first_loss": training["first_loss"], "last_loss": training["last_loss"],
                                      "examples": training["examples"], "model": tuned})


@asset_check(asset=adapted_index, blocking=True,
             description="The adapted version has one row per namespace document before it can go live.")
def adapted_rows_match_documents(context: AssetCheckExecutionContext, home: DeepCodeSeekHome) -> AssetCheckResult:
    name = partition_of(context)
    tuned = read_adapted_model(home.paths(name))
    if tuned is None:
        return AssetCheckResult(passed=True, metadata={"note": "no tuned model: nothing staged"})
    return rows_match_documents(home, name, tuned)
