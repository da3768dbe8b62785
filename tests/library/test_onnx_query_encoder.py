"""The int8 ONNX query encoder: same tokens and (nearly) the same vectors as the model, without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from deepcodeseek.index.embedder import (
    DEFAULT_MODEL,
    QUERY_MAX_TOKENS,
    SentenceTransformerEmbedder,
    _load_model,
    local_model_path,
    query_embedder,
    query_truncation,
)
from deepcodeseek.index.onnx_query_encoder import (
    META_FILE,
    OnnxQueryEmbedder,
    UnsupportedModel,
    export_int8_onnx,
    onnx_encoder_dir,
    read_pooling,
)

QUERIES = [
    "var gr = new GlideRecord('incident');\ngr.addQuery('active', true);\ngr.query();",
    "var r = new sn_ws.RESTMessageV2();\nr.setEndpoint(url);",
    "// notify the caller that the case was resolved\nif (current.state.changesTo('resolved')) {",
    "\n".join(f"var v{i} = current.getValue('u_field_{i}'); // line {i} of a long prefix" for i in range(40)),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    home = tmp_path_factory.mktemp("onnx-home")
    folder = export_int8_onnx(local_model_path(DEFAULT_MODEL), onnx_encoder_dir(home, DEFAULT_MODEL), DEFAULT_MODEL)
    return home, folder


def test_export_writes_model_tokenizer_and_meta_once(exported):
    home, folder = exported
    meta = json.loads((folder / META_FILE).read_text())
    assert meta["pooling"] == "mean" and meta["normalize"] is True and meta["model"] == DEFAULT_MODEL
    stamp = (folder / META_FILE).stat().st_mtime_ns
    assert export_int8_onnx(local_model_path(DEFAULT_MODEL), folder, DEFAULT_MODEL) == folder
    assert (folder / META_FILE).stat().st_mtime_ns == stamp  # content-addressed by model: never rewritten
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_tokens_match_the_models_left_truncation(exported):
    _, folder = exported
    encoder = OnnxQueryEmbedder(DEFAULT_MODEL, folder)
    model = SentenceTransformerEmbedder(DEFAULT_MODEL, device="cpu").model
    with query_truncation(model, QUERY_MAX_TOKENS):
        for text in QUERIES:
            expected = model.tokenizer(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
            assert encoder.tokenizer.encode(text).ids == expected
    assert len(encoder.tokenizer.encode(QUERIES[-1]).ids) == QUERY_MAX_TOKENS


def test_vectors_are_close_to_the_float_model(exported):
    _, folder = exported
    encoder = OnnxQueryEmbedder(DEFAULT_MODEL, folder)
    reference = SentenceTransformerEmbedder(DEFAULT_MODEL, device="cpu")
    for text in QUERIES:
        v = encoder.embed_query(text)
        assert v.dtype == np.float32 and v.shape == (384,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
        assert float(v @ reference.embed_query(text)) > 0.97
    docs = np.stack([reference.embed_query(t) for t in QUERIES])
    sims = encoder.similarities(docs, encoder.embed_query(QUERIES[1]))
    assert int(np.argmax(sims)) == 1


def test_query_embedder_prefers_the_export_and_needs_no_torch(exported):
    home, _ = exported
    assert isinstance(query_embedder(DEFAULT_MODEL, home=home), OnnxQueryEmbedder)
    code = ("import sys; from deepcodeseek.index.embedder import query_embedder;"
            f"e = query_embedder({DEFAULT_MODEL!r}, home={str(home)!r}); e.embed_query('gr.query();');"
            "print(type(e).__name__, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["OnnxQueryEmbedder", "False", "False"]


def test_without_an_export_queries_are_int8_with_no_float_copy(tmp_path):
    cached = _load_model.cache_info().currsize
    embedder = query_embedder(DEFAULT_MODEL, device="cpu", home=tmp_path)
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.query_only
    vector = embedder.embed_query(QUERIES[0])
    assert vector.shape == (384,)
    assert embedder._model is None  # the float model was never kept
    assert _load_model.cache_info().currsize == cached  # nor cached for the process
    import torch

    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in embedder.query_model.modules())


def test_models_the_exporter_cannot_reproduce_are_named(tmp_path):
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]))
    with pytest.raises(UnsupportedModel, match="Dense"):
        read_pooling(tmp_path)
    with pytest.raises(UnsupportedModel, match="modules.json"):
        read_pooling(tmp_path / "missing")
