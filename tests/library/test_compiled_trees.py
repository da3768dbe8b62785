"""The compiled ranker scores exactly as LightGBM does, and LightGBM stays where compiling cannot be exact."""

from __future__ import annotations

import numpy as np
import pytest

from deepcodeseek.ranking.compiled_trees import compile_trees
from deepcodeseek.ranking.features import FEATURES
from deepcodeseek.ranking.ranker import LearnedRanker, RankerConfig, fit_ranker


def planted_groups(rng: np.random.Generator, queries: int) -> list[tuple]:
    """Query groups whose relevant row is the one with the largest first feature, plus noise features;
    some features are ties (integers), as ranks and counts are."""
    groups = []
    for _ in range(queries):
        rows = rng.random((20, len(FEATURES))).astype(np.float32)
        rows[:, 5] = rng.integers(0, 4, 20)
        relevance = np.zeros(20)
        relevance[int(np.argmax(rows[:, 0] + 0.3 * rows[:, 5]))] = 1
        groups.append((rows, relevance))
    return groups


@pytest.fixture(scope="module")
def ranker() -> LearnedRanker:
    rng = np.random.default_rng(3)
    return fit_ranker(planted_groups(rng, 120), planted_groups(rng, 30), RankerConfig(max_rounds=60), "k", 1.0)


def test_compiled_scores_equal_lightgbm_to_the_bit(ranker):
    assert ranker.compiled is not None
    rng = np.random.default_rng(9)
    rows = rng.random((500, len(FEATURES))).astype(np.float32)
    rows[:, 5] = rng.integers(0, 4, 500)
    rows[:50] = 0.0  # exactly at split values and below every threshold
    expected = ranker.booster.predict(rows, num_iteration=ranker.num_iteration, num_threads=1)
    assert np.array_equal(ranker.score(rows), expected)


def test_the_compiled_model_sums_the_same_trees_as_the_best_iteration(ranker):
    """A booster trained past its best round scores with the best round's trees, compiled or not."""
    rows = np.random.default_rng(1).random((40, len(FEATURES))).astype(np.float32)
    fewer = compile_trees(ranker.booster, 3)
    assert np.array_equal(fewer.score(rows), ranker.booster.predict(rows, num_iteration=3))
    assert not np.array_equal(fewer.score(rows), ranker.score(rows))


def test_a_saved_ranker_loads_compiled_and_nan_rows_go_to_lightgbm(ranker, tmp_path):
    ranker.save(tmp_path / "r")
    loaded = LearnedRanker.load(tmp_path / "r")
    assert loaded.compiled is not None
    rows = np.random.default_rng(2).random((30, len(FEATURES))).astype(np.float32)
    assert np.array_equal(loaded.score(rows), ranker.score(rows))
    rows[3, 0] = np.nan
    assert np.array_equal(loaded.score(rows), ranker.booster.predict(rows, num_iteration=ranker.num_iteration))


def test_a_ranker_saved_before_compiling_scores_with_lightgbm_and_compiles_when_saved_again(ranker, tmp_path):
    from deepcodeseek.ranking.ranker import COMPILED_FILE

    ranker.save(tmp_path / "old")
    (tmp_path / "old" / COMPILED_FILE).unlink()
    old = LearnedRanker.load(tmp_path / "old")
    rows = np.random.default_rng(4).random((30, len(FEATURES))).astype(np.float32)
    assert old.compiled is None and np.array_equal(old.score(rows), ranker.score(rows))
    old.save(tmp_path / "carried")  # a carried-over ranker is saved into the next version's folder
    assert LearnedRanker.load(tmp_path / "carried").compiled is not None


def test_splits_it_cannot_reproduce_exactly_leave_the_booster_uncompiled():
    class Dumped:
        def __init__(self, split: dict):
            self.split = split

        def dump_model(self, num_iteration=None):
            leaf = {"leaf_value": 0.5}
            root = {"split_feature": 0, "threshold": 0.2, "left_child": leaf, "right_child": leaf, **self.split}
            return {"feature_names": ["a", "b"], "tree_info": [{"tree_structure": root}]}

    assert compile_trees(Dumped({"decision_type": "<=", "missing_type": "None"}), None) is not None
    assert compile_trees(Dumped({"decision_type": "==", "missing_type": "None"}), None) is None  # categorical
    assert compile_trees(Dumped({"decision_type": "<=", "missing_type": "NaN"}), None) is None  # learned direction


def test_a_round_without_a_split_adds_its_one_leaf_to_every_row():
    class OneLeaf:
        def dump_model(self, num_iteration=None):
            split = {"split_feature": 1, "threshold": 0.5, "decision_type": "<=", "missing_type": "None",
                     "left_child": {"leaf_value": -1.0}, "right_child": {"leaf_value": 2.0}}
            return {"feature_names": ["a", "b"],
                    "tree_info": [{"tree_structure": {"leaf_value": 0.25}}, {"tree_structure": split}]}

    compiled = compile_trees(OneLeaf(), None)
    assert compiled.score(np.array([[0.0, 0.1], [0.0, 0.9]], dtype=np.float32)).tolist() == [-0.75, 2.25]
