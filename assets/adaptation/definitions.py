"""The adaptation domain: triplets, the tuned embedder and its staged version."""

from dagster import Definitions

from deepcodeseek_pipeline.assets.adaptation.assets import (
    adapted_embedder,
    adapted_index,
    query_encoders,
    training_triplets,
)
from deepcodeseek_pipeline.assets.adaptation.checks import adaptation_loss_fell, adapted_rows_match_documents

defs = Definitions(assets=[training_triplets, adapted_embedder, adapted_index, query_encoders],
                   asset_checks=[adaptation_loss_fell, adapted_rows_match_documents])
