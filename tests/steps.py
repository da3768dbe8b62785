"""Asset selections that tests share."""

# The stages that train or measure on top of a published index. Their own tests run them on the
# bundled sample (tests/test_pipeline.py, tests/test_rerankers_stage.py, ...); a test about sync,
# the CLI or publishing leaves them out, and its build takes about a third of the time.
BEYOND_THE_INDEX = ("training_triplets", "adapted_embedder", "adapted_index", "query_encoders", "learned_ranker",
                    "rerankers", "evaluation_report")
