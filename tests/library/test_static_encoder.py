"""The static encoder: lookup, IDF weighting, and no padding tokens in the mean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from deepcodeseek.index.embedder import local_model_path
from deepcodeseek.index.static_encoder import META_FILE, TOKENIZER_FILE, VECTORS_FILE, StaticEncoder


def make_encoder(tmp_path: Path) -> StaticEncoder:
    folder = tmp_path / "static"
    folder.mkdir()
    shutil.copyfile(Path(local_model_path()) / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    rng = np.random.default_rng(0)
    np.save(folder / VECTORS_FILE, rng.normal(size=(30522, 8)).astype(np.float16))
    (folder / META_FILE).write_text(json.dumps({"teacher": "test", "dimension": 8}))
    return StaticEncoder(folder)


def test_encoding_is_a_normalised_weighted_mean_of_token_vectors(tmp_path):
    encoder = make_encoder(tmp_path)
    ids = encoder.token_ids("close the overdue case")
    assert 0 < len(ids) < 10  # no padding to the teacher's fixed length
    expected = encoder.vectors[ids].astype(np.float32).sum(axis=0)  # the table is kept as stored (float16)
    got = encoder.encode(["close the overdue case"])[0]
    assert np.allclose(got, expected / np.linalg.norm(expected), atol=1e-5)
    assert not encoder.encode([""]).any()


def test_idf_downweights_tokens_every_document_has(tmp_path):
    encoder = make_encoder(tmp_path)
    encoder.fit_idf(["the case utils", "the asset utils", "the retry policy"])
    the, case = encoder.token_ids("the")[0], encoder.token_ids("case")[0]
    assert encoder.idf[the] < encoder.idf[case]
