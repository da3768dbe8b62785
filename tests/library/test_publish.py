"""Index versions are complete before readers switch, and old readers keep working."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepcodeseek.index.publish import (IndexNotPublished, current_manifest, open_vector_table, promote, publish,
                                        version_manifest, write_vector_table)
from deepcodeseek.paths import instance_paths


def _docs(n: int, tag: str) -> list[dict]:
    return [{"sys_id": f"{tag}{i}", "namespace": f"N{i}", "api_name": f"global.N{i}", "scope": "global",
             "access": "public", "active": True, "client_callable": False, "kind": "script_include",
             "methods": json.dumps(["m"]), "usage_count": 0, "pagerank": 0.0, "text": "t", "text_hash": tag}
            for i in range(n)]


def test_no_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexNotPublished, match="deepcodeseek index --instance demo"):
        current_manifest(instance_paths("demo", tmp_path))


def test_switch_is_atomic_and_keeps_the_previous_version_readable(tmp_path):
    paths = instance_paths("demo", tmp_path)
    write_vector_table(paths, "v1", _docs(3, "a"), np.eye(3, 4, dtype=np.float32), "m", "jsdoc")
    publish(paths, "v1", {"documents": 3})
    old_reader = open_vector_table(paths, current_manifest(paths)["version"])
    write_vector_table(paths, "v2", _docs(5, "b"), np.eye(5, 4, dtype=np.float32), "m", "jsdoc")
    assert current_manifest(paths)["version"] == "v1"  # written but not yet published
    publish(paths, "v2", {"documents": 5})
    assert current_manifest(paths)["version"] == "v2"
    assert old_reader.count_rows() == 3
    table = open_vector_table(paths, "v2")
    assert table.count_rows() == 5
    assert table.schema.metadata[b"model"] == b"m" and table.schema.metadata[b"dimension"] == b"4"


def test_staging_the_live_version_again_leaves_its_readers_the_published_manifest(tmp_path):
    """A no-change reindex stages the live version stage by stage; readers of CURRENT must never see it half-way."""
    paths = instance_paths("demo", tmp_path)
    write_vector_table(paths, "v1", _docs(3, "a"), np.eye(3, 4, dtype=np.float32), "m", "jsdoc")
    publish(paths, "v1", {"documents": 3, "default_method": "ranker", "query_encoder": {"name": "student"}})
    publish(paths, "v1", {"documents": 3}, switch=False)  # the build's first stage: no later settings yet
    live = current_manifest(paths)
    assert live["default_method"] == "ranker" and live["query_encoder"] == {"name": "student"}
    assert "default_method" not in version_manifest(paths, "v1")  # the build's stages read what they staged
    publish(paths, "v1", {"documents": 3, "default_method": "fusion"}, switch=False)
    assert current_manifest(paths)["default_method"] == "ranker"
    promoted = promote(paths, "v1")  # the publish step: the staged manifest, whole, in one write
    assert current_manifest(paths) == promoted and promoted["default_method"] == "fusion"
    with pytest.raises(IndexNotPublished, match="v9 was never published"):
        promote(paths, "v9")
