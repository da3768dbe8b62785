"""A LightGBM ranker's trees as one ONNX ``TreeEnsemble`` node: the same scores, in half the time.

LightGBM scores a dense matrix row by row, turning each row into a sparse vector first: for
a query's hundred candidates and a 256-round corpus ranker that was about 1.0 ms of a 6 ms
query on 2 cores, the largest single cost after the candidate signals. ONNX Runtime's tree
ensemble walks the same trees in about 0.55 ms. Thresholds and leaf values stay float64 and
the input is float64 (``ai.onnx.ml`` opset 5), so every comparison is LightGBM's own
``double(feature) <= threshold`` and the sum runs over the same trees: the scores are equal
to the bit (``tests/library/test_compiled_trees.py``; the corpus's 236 dev queries too).

Only what the rankers here use is compiled: numerical ``<=`` splits without missing values.
Anything else (categorical splits, learned missing-value directions) is not compiled and
LightGBM scores, as it does for a row with a NaN (LightGBM reads NaN as 0 there), and for a
ranker saved before this existed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

LEQ = 0  # ai.onnx.ml TreeEnsemble nodes_modes: BRANCH_LEQ
SUM = 1  # aggregate_function


class CompiledTrees:
    """An ONNX Runtime session over a booster's trees, one thread (a service runs requests side by side).

    The model is compiled once, when the ranker is trained, and saved beside it: compiling needs the
    ``onnx`` package, whose import alone took 0.8 s of a service's 5 s start; loading the saved model
    needs only ONNX Runtime.
    """

    def __init__(self, model_bytes: bytes):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.model_bytes = model_bytes
        self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"X": np.asarray(rows, dtype=np.float64)})[0][:, 0]

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.model_bytes)

    @classmethod
    def load(cls, path: Path) -> "CompiledTrees | None":
        """The saved model, or None where ONNX Runtime cannot run it (LightGBM scores then; the log names the file)."""
        try:
            return cls(Path(path).read_bytes())
        except Exception as exc:
            logging.getLogger(__name__).warning("compiled ranker %s not loaded (%s): LightGBM scores instead",
                                                path, exc)
            return None


def compile_trees(booster, num_iteration: int | None) -> CompiledTrees | None:
    """The trees ``booster.predict(num_iteration=...)`` would sum (the same argument, read the same way),
    compiled; None where a split is one this does not reproduce exactly (see the module's docstring)."""
    try:
        from onnx import TensorProto, helper
    except ImportError:
        return None
    dump = booster.dump_model(num_iteration=num_iteration)
    nodes = _Nodes()
    for tree in dump["tree_info"]:
        if not nodes.add_tree(tree["tree_structure"]):
            return None
    width = len(dump["feature_names"])
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1, aggregate_function=SUM, post_transform=0,
        tree_roots=nodes.roots, nodes_featureids=nodes.feature,
        nodes_splits=helper.make_tensor("splits", TensorProto.DOUBLE, [len(nodes.split)], nodes.split),
        nodes_modes=helper.make_tensor("modes", TensorProto.UINT8, [len(nodes.split)], [LEQ] * len(nodes.split)),
        nodes_truenodeids=nodes.true_id, nodes_trueleafs=nodes.true_leaf,
        nodes_falsenodeids=nodes.false_id, nodes_falseleafs=nodes.false_leaf,
        leaf_targetids=[0] * len(nodes.leaves),
        leaf_weights=helper.make_tensor("leaves", TensorProto.DOUBLE, [len(nodes.leaves)], nodes.leaves))
    graph = helper.make_graph([node], "ranker", [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, width])],
                              [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, [None, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)])
    try:
        return CompiledTrees(model.SerializeToString())
    except Exception:  # an ONNX Runtime without opset 5's TreeEnsemble: LightGBM scores
        return None


class _Nodes:
    """The flat arrays of a TreeEnsemble node: splits and leaves numbered separately, children by kind."""

    def __init__(self):
        self.roots: list[int] = []
        self.feature: list[int] = []
        self.split: list[float] = []
        self.true_id: list[int] = []
        self.true_leaf: list[int] = []
        self.false_id: list[int] = []
        self.false_leaf: list[int] = []
        self.leaves: list[float] = []

    def add_tree(self, root: dict) -> bool:
        if "leaf_value" in root:  # a round that found no split: a split every row passes, to that leaf
            root = {"split_feature": 0, "threshold": float("inf"), "decision_type": "<=", "missing_type": "None",
                    "left_child": root, "right_child": root}
        added = self._add(root)
        if added is None:
            return False
        self.roots.append(added[0])
        return True

    def _add(self, node: dict) -> tuple[int, bool] | None:
        """``(index, is_leaf)`` of ``node`` once added with everything below it; None if it cannot be exact."""
        if "leaf_value" in node:
            self.leaves.append(float(node["leaf_value"]))
            return len(self.leaves) - 1, True
        if node.get("decision_type") != "<=" or node.get("missing_type", "None") != "None":
            return None
        at = len(self.split)
        self.feature.append(int(node["split_feature"]))
        self.split.append(float(node["threshold"]))
        for children in (self.true_id, self.true_leaf, self.false_id, self.false_leaf):
            children.append(0)
        left, right = self._add(node["left_child"]), self._add(node["right_child"])
        if left is None or right is None:
            return None
        self.true_id[at], self.true_leaf[at] = left[0], int(left[1])
        self.false_id[at], self.false_leaf[at] = right[0], int(right[1])
        return at, False
