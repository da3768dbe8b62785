"""The inverted file over usage contexts: the same clusters every time, exact where every cluster
is read, and the nearest contexts of a clustered cloud found by reading a few clusters."""

from __future__ import annotations

import numpy as np
import pytest

from deepcodeseek.retrieval import context_ivf
from deepcodeseek.retrieval.context_ivf import ContextIVF, context_similarities, nearest_recall, searchable


def _cloud(n: int, centres: int = 30, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, d))
    rows = middle[rng.integers(0, centres, n)] + 0.15 * rng.normal(size=(n, d))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_every_cluster_probed_is_the_exact_product_in_context_order():
    vectors = _cloud(900)
    ivf = ContextIVF.build(vectors)
    ivf.probes = len(ivf.centroids)
    query = vectors[17]
    assert ivf.codes.dtype == np.int8 and ivf.nbytes() < vectors.nbytes / 2  # the only copy, a quarter of float32
    assert np.allclose(ivf.similarities(query), vectors @ query, atol=1e-2)  # int8 codes: within 1e-2
    assert sorted(ivf.order.tolist()) == list(range(900)) and ivf.starts[-1] == 900


def test_the_same_vectors_give_the_same_index():
    vectors = _cloud(700, seed=3)
    a, b = ContextIVF.build(vectors), ContextIVF.build(vectors)
    assert np.array_equal(a.order, b.order) and np.array_equal(a.centroids, b.centroids)


def test_a_few_probed_clusters_find_most_of_the_nearest_contexts():
    vectors = _cloud(4000, centres=60, seed=1)
    ivf = ContextIVF.build(vectors)
    assert ivf.probes < len(ivf.centroids) / 4
    rng = np.random.default_rng(2)
    recalls = []
    for i in rng.choice(len(vectors), 40, replace=False):
        recalls.append(nearest_recall(vectors @ vectors[i], ivf.similarities(vectors[i]), 20))
    assert np.mean(recalls) > 0.9
    assert np.count_nonzero(ivf.similarities(vectors[0])) < len(vectors) / 3  # most contexts were not read


def test_small_instances_keep_the_exact_product(monkeypatch):
    vectors = _cloud(300)
    assert searchable(vectors) is vectors
    assert np.array_equal(context_similarities(vectors, vectors[0]), vectors @ vectors[0])
    monkeypatch.setattr(context_ivf, "IVF_MIN_CONTEXTS", 100)
    assert isinstance(searchable(vectors), ContextIVF)


def test_the_build_writes_the_index_a_retriever_loads_and_a_subset_keeps_its_clusters(tmp_path, monkeypatch):
    """Above the crossover the index build writes the inverted file; loaded back it answers as the
    one built at load did, and restricted to kept contexts it answers as the full one does on them."""
    vectors = _cloud(1200, seed=4).astype(np.float16)
    monkeypatch.setattr(context_ivf, "IVF_MIN_CONTEXTS", 2000)
    assert not context_ivf.write_index(tmp_path, vectors) and not (tmp_path / context_ivf.IVF_FILE).exists()
    monkeypatch.setattr(context_ivf, "IVF_MIN_CONTEXTS", 1000)
    assert context_ivf.write_index(tmp_path, vectors)
    loaded = ContextIVF.load(tmp_path / context_ivf.IVF_FILE)
    built = ContextIVF.build(vectors.astype(np.float32))
    query = vectors[5].astype(np.float32)
    assert loaded.probes == built.probes and np.array_equal(loaded.similarities(query), built.similarities(query))
    keep = np.random.default_rng(5).random(1200) > 0.3
    subset = loaded.kept(keep)
    assert np.array_equal(subset.similarities(query), loaded.similarities(query)[keep])
    assert subset.starts[-1] == keep.sum() and sorted(subset.order.tolist()) == list(range(keep.sum()))
    assert loaded.kept(np.ones(1200, dtype=bool)) is loaded


def test_a_file_that_is_not_a_context_index_is_named(tmp_path):
    path = tmp_path / context_ivf.IVF_FILE
    np.savez(path, centroids=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="not a context index \\(missing order"):
        ContextIVF.load(path)
