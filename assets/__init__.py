"""Software-defined assets by domain: sources, enrichment, index, adaptation, evaluation.

Installed as ``deepcodeseek_pipeline.assets`` (the folder stays ``assets/`` in the repository).
Each domain keeps its assets, checks and resources together and exposes ``defs``; the
root ``deepcodeseek_pipeline.definitions`` merges them.
"""
