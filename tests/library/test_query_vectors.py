"""Train queries' vectors are kept by text between builds: only new queries are encoded, with the same result."""

from __future__ import annotations

import numpy as np

from deepcodeseek.datasets.query_vectors import cache_file, query_vectors


class CountingEmbedder:
    name = "toy"
    quantized_queries = False

    def __init__(self):
        self.encoded = []

    def embed_query(self, text: str) -> np.ndarray:
        self.encoded.append(text)
        rng = np.random.default_rng(abs(hash(text)) % 2**32)
        return rng.normal(size=4).astype(np.float32)


def test_only_new_queries_are_encoded_and_vectors_read_back_exactly(tmp_path):
    embedder = CountingEmbedder()
    first = query_vectors(tmp_path, embedder, ["a", "b", "c"])
    assert embedder.encoded == ["a", "b", "c"]
    again = query_vectors(tmp_path, CountingEmbedder(), ["a", "b", "c"])
    assert all(np.array_equal(first[t], again[t]) for t in "abc")
    later = CountingEmbedder()
    changed = query_vectors(tmp_path, later, ["a", "c", "d"])
    assert later.encoded == ["d"] and np.array_equal(changed["a"], first["a"])
    with np.load(cache_file(tmp_path, later)) as data:  # the file holds the current texts only
        assert len(data["keys"]) == 3


def test_an_unreadable_cache_is_encoded_again(tmp_path):
    path = cache_file(tmp_path, CountingEmbedder())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    embedder = CountingEmbedder()
    assert set(query_vectors(tmp_path, embedder, ["x"])) == {"x"} and embedder.encoded == ["x"]
