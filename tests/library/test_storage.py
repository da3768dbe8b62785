"""The storage abstraction behaves the same on a local folder and on S3 (moto on loopback)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepcodeseek.index.publish import current_manifest, open_vector_table, publish, write_vector_table
from deepcodeseek.paths import RemoteIndex, instance_paths
from deepcodeseek.storage import COMPLETE_MARKER, Storage, StorageError
from tests.library.test_publish import _docs
from tests.object_storage import s3_server


@pytest.fixture
def s3(monkeypatch):
    with s3_server(monkeypatch) as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path, monkeypatch) -> Storage:
    if request.param == "local":
        yield Storage(tmp_path / "root")
        return
    with s3_server(monkeypatch) as endpoint:
        yield Storage(endpoint.uri("root"), cache=tmp_path / "cache")


def _write_folder(files: dict[str, str]):
    def write(path):
        path.mkdir()
        for name, text in files.items():
            (path / name).write_text(text)
    return write


def test_parts_are_written_once_and_read_back(storage):
    assert not storage.is_complete("versions/v1/bm25")
    assert storage.write_once("versions/v1/bm25", _write_folder({"a.json": "1", "b.npy": "2"}))
    assert storage.is_complete("versions/v1/bm25")
    assert not storage.write_once("versions/v1/bm25", _write_folder({"a.json": "changed"}))  # immutable
    local = storage.local("versions/v1/bm25")
    assert (local / "a.json").read_text() == "1" and (local / "b.npy").read_text() == "2"
    storage.write_once("versions/v1/contexts.parquet", lambda p: p.write_bytes(b"pq"))
    assert storage.local("versions/v1/contexts.parquet").read_bytes() == b"pq"
    storage.write_once("versions/v2/bm25", _write_folder({"a.json": "3"}))
    assert storage.children("versions") == ["v1", "v2"]
    assert storage.newest_mtime("versions/v2") > 0
    storage.remove("versions/v1")
    assert storage.children("versions") == ["v2"] and not storage.is_complete("versions/v1/bm25")


def test_replacing_an_object_is_all_or_nothing(storage):
    with pytest.raises(FileNotFoundError):
        storage.read_text("CURRENT.json")
    storage.write_text("CURRENT.json", json.dumps({"version": "v1"}))
    storage.write_text("CURRENT.json", json.dumps({"version": "v2"}))
    assert json.loads(storage.read_text("CURRENT.json")) == {"version": "v2"}


def test_a_folder_upload_cut_off_half_way_reads_as_absent_and_is_redone(s3, tmp_path, monkeypatch):
    storage = Storage(s3.uri("root"), cache=tmp_path / "cache")
    real_put, calls = Storage._put_file, []

    def failing_put(self, path, rel):
        calls.append(rel)
        if len(calls) == 2:
            raise StorageError("connection reset")  # the pod died after the first file
        real_put(self, path, rel)

    monkeypatch.setattr(Storage, "_put_file", failing_put)
    with pytest.raises(StorageError):
        storage.write_once("versions/v1/bm25", _write_folder({"a": "1", "b": "2", "c": "3"}))
    assert storage.exists("versions/v1/bm25/a")  # one object landed...
    assert not storage.is_complete("versions/v1/bm25")  # ...but without its marker the part does not exist
    assert not storage.local("versions/v1/bm25").exists()
    monkeypatch.setattr(Storage, "_put_file", real_put)
    assert storage.write_once("versions/v1/bm25", _write_folder({"a": "1", "b": "2", "c": "3"}))
    assert storage.exists(f"versions/v1/bm25/{COMPLETE_MARKER}")
    assert sorted(p.name for p in storage.local("versions/v1/bm25").iterdir()) == ["a", "b", "c"]


def test_versions_and_pointer_on_s3_with_lancedb(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPCODESEEK_INDEX_URI", s3.uri("prod"))
    paths = instance_paths("demo", tmp_path)
    assert paths.index.uri() == f"s3://{s3.bucket}/prod/instances/demo/index"
    with pytest.raises(RemoteIndex):
        paths.version_dir("v1")  # no local path stands in for a remote index
    write_vector_table(paths, "v1", _docs(3, "a"), np.eye(3, 4, dtype=np.float32), "m", "jsdoc")
    publish(paths, "v1", {"documents": 3})
    old_reader = open_vector_table(paths, current_manifest(paths)["version"])
    write_vector_table(paths, "v2", _docs(5, "b"), np.eye(5, 4, dtype=np.float32), "m", "jsdoc")
    assert current_manifest(paths)["version"] == "v1"
    publish(paths, "v2", {"documents": 5})
    assert current_manifest(paths)["version"] == "v2"
    assert old_reader.count_rows() == 3 and open_vector_table(paths, "v2").count_rows() == 5
    for n in (3, 4, 5):  # older versions are pruned, the newest few kept
        write_vector_table(paths, f"v{n}", _docs(2, f"c{n}"), np.eye(2, 4, dtype=np.float32), "m", "jsdoc")
        publish(paths, f"v{n}", {"documents": 2})
    assert paths.index.children("versions") == ["v3", "v4", "v5"]


def test_a_non_s3_index_uri_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPCODESEEK_INDEX_URI", "/some/folder")
    with pytest.raises(ValueError, match="DEEPCODESEEK_INDEX_URI"):
        instance_paths("demo", tmp_path)
