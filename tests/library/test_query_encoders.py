"""Light query encoders: every student lands in the teacher's space, maps fit, students are reused,
the ONNX export agrees with the teacher, and selection keeps the teacher's quality.

Tiny scale: a 3-layer, 32-wide BERT with MiniLM's tokenizer is the teacher for training
tests (seconds on a CPU); the real all-MiniLM-L6-v2 only for the ONNX agreement test.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from deepcodeseek.encoders import load_encoder
from deepcodeseek.encoders.internal import StudentTrainConfig
from deepcodeseek.encoders.measure import StudentMeasurement, choice_costs, select_student, serving_with
from deepcodeseek.encoders.static_map import LinearMap, MapConfig, cosine_loss, fit_mlp_map, fit_procrustes
from deepcodeseek.encoders.students import StudentSpec, build_students, train_query_encoders
from deepcodeseek.index.contexts import UsageContext
from deepcodeseek.index.embedder import local_model_path
from deepcodeseek.retrieval.retriever import Retriever

DIM = 32
APIS = ["IncidentUtils", "CaseHelper", "AssetTracker", "RetryPolicy", "ApprovalEngine", "SlaCalculator"]


@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory) -> str:
    """A sentence-transformers folder: MiniLM's tokenizer and head, a tiny random BERT body."""
    from transformers import BertConfig, BertModel

    source = Path(local_model_path())
    folder = tmp_path_factory.mktemp("tiny-teacher")
    for item in source.iterdir():
        if item.name in ("model.safetensors", "config.json", "README.md", ".gitattributes"):
            continue
        (shutil.copytree if item.is_dir() else shutil.copyfile)(item, folder / item.name)
    import torch

    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=30522, hidden_size=DIM, num_hidden_layers=3, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "word_embedding_dimension": DIM}))
    return str(folder)


def synthetic_contexts(n: int = 48) -> list[UsageContext]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        api = APIS[i % len(APIS)]
        table = ["incident", "sc_task", "alm_asset", "change_request"][int(rng.integers(4))]
        text = (f"var gr = new GlideRecord('{table}');\ngr.addQuery('active', true);\ngr.query();\n"
                f"while (gr.next()) {{\n  var count{i} = gr.getRowCount();\n  var helper = new {api[:4]}")
        out.append(UsageContext(caller_sys_id=f"script{i % 12}", target_sys_id=f"doc{i % len(APIS)}",
                                method="run", text=text))
    return out


def tiny_specs() -> list[StudentSpec]:
    quick = StudentTrainConfig(epochs=1, batch_size=16, learning_rate=1e-3)
    small_map = MapConfig(hidden=16, epochs=3, batch_size=32)
    return [
        StudentSpec("teacher-torch-int8", "torch", quantization="int8"),
        StudentSpec("teacher-onnx-int8", "onnx", quantization="int8-channel"),
        StudentSpec("teacher-onnx-int8-32", "onnx", quantization="int8-channel", max_tokens=32),
        StudentSpec("static", "static", mapping="none"),
        StudentSpec("static-procrustes", "static", mapping="procrustes"),
        StudentSpec("static-mlp", "static", mapping="mlp", map_config=small_map),
        StudentSpec("static-tuned", "static-tuned", mapping="mlp", map_config=small_map, train_config=quick),
        StudentSpec("truncated-1", "truncated", layers=1, train_config=quick),
    ]


def document_vectors(teacher: str) -> tuple[list[str], np.ndarray]:
    from deepcodeseek.encoders.compact import TeacherEncoder

    texts = [f"{api}: helpers for {api.lower()} records" for api in APIS]
    return [f"doc{i}" for i in range(len(APIS))], TeacherEncoder(teacher).embed_queries(texts)


@pytest.fixture(scope="module")
def built(tiny_teacher, tmp_path_factory):
    ids, vectors = document_vectors(tiny_teacher)
    root = tmp_path_factory.mktemp("students")
    students = train_query_encoders(tiny_teacher, synthetic_contexts(), {"script0"}, ids, vectors, root,
                                    specs=tiny_specs(), device="cpu")
    return students, root, ids, vectors


def test_every_student_returns_unit_vectors_of_the_teachers_dimension(built):
    students, _, _, _ = built
    assert set(students.students) == {s.name for s in tiny_specs()}
    for name, student in students.students.items():
        v = student.encoder.embed_query("var gr = new GlideRecord('incident');\nvar u = new Inci")
        assert v.dtype == np.float32 and v.shape == (DIM,), name
        assert abs(float(np.linalg.norm(v)) - 1) < 1e-3, name
        batch = student.encoder.embed_queries(["gr.query();", "var x = new Case"])
        assert batch.shape == (2, DIM), name
        assert student.encoder.memory_bytes() > 0, name
        reloaded = load_encoder(student.folder)  # what serving loads
        assert np.allclose(reloaded.embed_query("gr.query();"), student.encoder.embed_query("gr.query();"), atol=1e-5)


def test_held_out_scripts_never_reach_training(built):
    students, _, _, _ = built
    held = [c.text for c in synthetic_contexts() if c.caller_sys_id == "script0"]
    assert held and not set(held) & set(students.data.texts)
    assert (students.data.labels >= 0).all()  # every context's target is an indexed document


def test_training_lowers_the_distillation_loss(built):
    students, _, _, _ = built
    mlp = students.students["static-mlp"].training
    assert mlp["loss_procrustes"] < mlp["loss_unmapped"]
    assert mlp["loss_mlp"] <= mlp["loss_procrustes"] + 1e-6
    for name in ("static-tuned", "truncated-1"):
        record = students.students[name].training
        assert record["trained"] and record["steps"] > 0 and record["last_loss"] is not None, name


def test_a_second_call_with_the_same_inputs_reuses_every_student(built, tiny_teacher, monkeypatch):
    students, root, ids, vectors = built

    def no_training(*args, **kwargs):
        raise AssertionError("a reused student must not train")

    monkeypatch.setattr("deepcodeseek.encoders.internal.fine_tune_truncated", no_training)
    monkeypatch.setattr("deepcodeseek.encoders.internal.fine_tune_static", no_training)
    monkeypatch.setattr("deepcodeseek.encoders.static_map.fit_mlp_map", no_training)
    again = build_students(tiny_teacher, students.data, root, tiny_specs(), device="cpu")
    assert again.trained == []
    assert all(s.reused for s in again.students.values())
    for name, student in again.students.items():
        assert student.folder == students.students[name].folder, name
    # Other training data or settings make a new student beside the old one.
    changed = replace(next(s for s in tiny_specs() if s.name == "static-mlp"), map_config=MapConfig(hidden=8, epochs=1, batch_size=32))
    monkeypatch.undo()
    other = build_students(tiny_teacher, students.data, root, [changed], device="cpu")
    assert other.trained == ["static-mlp"]
    assert other.students["static-mlp"].folder != students.students["static-mlp"].folder


def test_procrustes_recovers_a_planted_rotation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 16)).astype(np.float32)
    rotation, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    w = fit_procrustes(x, x @ rotation)
    assert np.allclose(w, rotation, atol=1e-4)
    assert np.allclose(w.T @ w, np.eye(16), atol=1e-4)


def test_the_mlp_map_fits_what_a_rotation_cannot():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(512, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.tanh(3 * x @ rng.normal(size=(16, 16))).astype(np.float32) ** 2
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    start = fit_procrustes(x, y)
    procrustes = cosine_loss(LinearMap(start), x, y)
    mapping, history = fit_mlp_map(x, y, start, MapConfig(hidden=64, epochs=30, batch_size=128, learning_rate=1e-2))
    assert history.train[-1] < history.train[0]
    assert cosine_loss(mapping, x, y) < 0.7 * procrustes


def test_onnx_student_agrees_with_the_teacher(tmp_path):
    from deepcodeseek.encoders.compact import OnnxEncoder, TeacherEncoder, onnx_int8_teacher

    teacher_path = local_model_path()
    teacher = TeacherEncoder(teacher_path)
    texts = ["var gr = new GlideRecord('incident');\ngr.addQuery('priority', 1);\ngr.query();\nvar util = new ",
             "\n".join(f"var step{i} = new StepRunner(ctx, {i});" for i in range(40))]  # longer than 64 tokens
    student = onnx_int8_teacher(teacher_path, tmp_path / "onnx")
    cosines = (student.embed_queries(texts) * teacher.embed_queries(texts)).sum(axis=1)
    assert cosines.min() > 0.97  # int8 per channel
    assert all(abs(float(np.linalg.norm(student.embed_query(t))) - 1) < 1e-4 for t in texts)
    assert student.memory_bytes() < 0.4 * teacher.memory_bytes()
    assert isinstance(load_encoder(student.save(tmp_path / "saved")), OnnxEncoder)
    # The tokenizer cuts as the teacher's query path does: [CLS] + the last 62 tokens + [SEP].
    from deepcodeseek.index.embedder import _load_model, query_truncation

    model = _load_model(teacher_path, "cpu")
    with query_truncation(model, 64):
        expected = model.tokenizer(texts[1], truncation=True, max_length=64)["input_ids"]
    assert student.tokenizer.model_ids(texts[1]) == list(expected)


def test_a_shorter_query_window_is_a_student_of_its_own_from_the_same_export(built):
    students, root, _, _ = built
    full, window = students.students["teacher-onnx-int8"], students.students["teacher-onnx-int8-32"]
    assert full.folder != window.folder
    assert (full.folder / "model.onnx").read_bytes() == (window.folder / "model.onnx").read_bytes()  # one export
    long_text = "\n".join(f"var step{i} = new StepRunner(ctx, {i});" for i in range(40))
    served = load_encoder(window.folder)
    assert len(served.tokenizer.model_ids(long_text)) == 32
    assert len(load_encoder(full.folder).tokenizer.model_ids(long_text)) == 64
    assert served.tokenizer.model_ids(long_text)[-5:] == load_encoder(full.folder).tokenizer.model_ids(long_text)[-5:]
    # One graph, so one cost family: their costs for the choice differ by the tokens they read.
    short = len(served.tokenizer.model_ids("gr.query();"))
    (family, tokens), (window_family, window_tokens) = (
        e.cost_basis([long_text, "gr.query();"]) for e in (load_encoder(full.folder), served))
    assert family == window_family and (tokens, window_tokens) == ((64 + short) / 2, (32 + short) / 2)
    # The shared export's scratch folder is gone once every student that reads it is saved.
    assert not [p for p in root.iterdir() if "export" in p.name]


def test_serving_a_saved_student_imports_no_torch(built, tmp_path):
    import subprocess
    import sys

    students, _, _, _ = built
    for name in ("static-mlp", "truncated-1"):
        probe = ("import sys; from deepcodeseek.encoders import load_encoder; "
                 f"v = load_encoder({str(students.students[name].folder)!r}).embed_query('gr.query();'); "
                 "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))")
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (name, result.stderr[-2000:])


def _m(name: str, cost: float, top5: float) -> StudentMeasurement:
    return StudentMeasurement(name, cost, 1000, 0.3, 0.5, top5, 0.8, cost + 2)


def test_selection_picks_the_cheapest_student_that_keeps_97_percent():
    ms = [_m("teacher", 10.0, 0.50), _m("onnx", 3.0, 0.495), _m("static", 0.2, 0.40), _m("mlp", 0.3, 0.486)]
    assert select_student(ms) == "mlp"  # 0.486 >= 0.97 * 0.50; the cheaper static student loses too much
    assert select_student(ms, keep=0.98) == "onnx"
    assert select_student([_m("teacher", 10.0, 0.5), _m("static", 0.2, 0.3)]) == "teacher"
    # Costs within timing noise (25%) of the cheapest are equal: the better top-5 of them wins.
    close = [_m("teacher", 10.0, 0.50), _m("window-32", 3.0, 0.486), _m("window-48", 3.3, 0.492), _m("full", 4.4, 0.5)]
    assert select_student(close) == "window-48"
    assert select_student(close, tolerance=0.0) == "window-32"
    # Under a tenth of a millisecond apart, costs are equal whatever their ratio: quality chooses.
    tiny = [_m("teacher", 10.0, 0.5), _m("static", 0.05, 0.49), _m("mlp", 0.14, 0.5)]
    assert select_student(tiny) == "mlp"
    assert select_student([*tiny[:2], _m("mlp", 0.2, 0.5)]) == "static"
    # On 50 samples 3% of the teacher's 42 hits is about one sample: quality cannot choose there, so
    # of the students that lose nothing the one closest to the teacher serves, whatever it gained.
    few = [replace(_m("teacher", 10.0, 0.84), samples=50, cosine_to_teacher=1.0),
           replace(_m("window-32", 2.7, 0.82), samples=50, cosine_to_teacher=0.88),
           replace(_m("static-mlp", 0.2, 0.90), samples=50, cosine_to_teacher=0.80),
           replace(_m("full", 4.8, 0.84), samples=50, cosine_to_teacher=0.99)]
    assert select_student(few) == "full"
    assert select_student([m for m in few if m.name != "full"]) == "static-mlp"  # the only one losing nothing
    many = [replace(m, samples=330) for m in few]  # 3% of 277 hits: eight samples
    assert select_student(many) == "static-mlp"  # the cheapest that keeps 97%


def test_window_variants_of_one_graph_are_ordered_by_their_tokens_not_the_clock():
    # The full window measured close to the 32-token one (noise): alone, the tolerance would call them
    # equally cheap and serve the full window; pooled over the graph, 80 tokens cost 2.5x what 32 do.
    family = dict(cost_family="onnx:/graph.onnx:1")
    ms = [_m("teacher", 10.0, 0.50), replace(_m("window-32", 3.2, 0.490), mean_tokens=32.0, **family),
          replace(_m("full", 3.6, 0.500), mean_tokens=80.0, **family), _m("static", 0.2, 0.30)]
    assert select_student([replace(m) for m in ms]) == "full"  # raw p50s: within 25% of each other
    costed = choice_costs([replace(m) for m in ms])
    assert select_student(costed) == "window-32"
    by_name = {m.name: m for m in costed}
    assert by_name["full"].choice_cost_ms / by_name["window-32"].choice_cost_ms == pytest.approx(80 / 32)
    assert by_name["full"].choice_cost_ms + by_name["window-32"].choice_cost_ms == pytest.approx(6.8)
    assert by_name["static"].choice_cost_ms == 0.2  # no family: its own p50
    # Whatever the clock says for the two, the choice is the same.
    noisy = [replace(ms[1], encode_p50_ms=4.0), replace(ms[2], encode_p50_ms=3.0)]
    assert select_student(choice_costs([ms[0], *noisy, ms[3]])) == "window-32"


def test_serving_with_plugs_a_student_into_a_retriever_and_restores_it(built):
    students, _, _, _ = built

    class FakeRetriever:  # a version's model name and the real swap, without loading a version
        model_name = "tuned-model"
        _embedder = None
        encoding_with = Retriever.encoding_with

    retriever = FakeRetriever()
    student = students.students["static-mlp"].encoder
    with serving_with(retriever, student):
        assert retriever._embedder.name == "tuned-model"
        assert np.array_equal(retriever._embedder.embed_query("gr.query();"), student.embed_query("gr.query();"))
    assert retriever._embedder is None


def test_plots_are_png(built, tmp_path):
    from deepcodeseek.encoders.plots import projection_before_after, recall_against_cost

    students, _, _, _ = built
    ms = [_m("teacher", 10.0, 0.50), _m("onnx", 3.0, 0.495), _m("static", 0.2, 0.40)]
    png = recall_against_cost(ms, tmp_path / "cost.png")
    assert png.startswith(b"\x89PNG") and (tmp_path / "cost.png").read_bytes() == png
    texts = students.data.texts[:30]
    teacher = students.data.targets[:30]
    before = students.students["static"].encoder.embed_queries(texts)
    after = students.students["static-mlp"].encoder.embed_queries(texts)
    assert projection_before_after(teacher, before, after, tmp_path / "proj.png").startswith(b"\x89PNG")
