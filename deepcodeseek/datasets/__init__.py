"""Benchmark and training datasets: de-duplication, leak-free splits, JSONL, triplets.

Pure library code (numpy and pyarrow only): the pipeline assets call these.
"""

from deepcodeseek.datasets.near_duplicates import dedupe, minhash_signatures
from deepcodeseek.datasets.samples_io import fim_variants, sample_record, write_samples_jsonl
from deepcodeseek.datasets.splits import (
    split_by,
    split_by_namespace,
    split_by_source,
    split_labels,
)
from deepcodeseek.datasets.triplets import (
    build_query,
    build_triplets,
    read_provenance,
    write_dataset,
    yes_no_pairs,
)

__all__ = [
    "build_query", "build_triplets", "dedupe", "fim_variants", "minhash_signatures",
    "read_provenance", "sample_record", "split_by", "split_by_namespace", "split_by_source", "split_labels",
    "write_dataset", "write_samples_jsonl", "yes_no_pairs",
]
