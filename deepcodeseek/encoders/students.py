"""Build every student of one teacher, each content-addressed, from one training set.

``train_query_encoders`` is the entry point the pipeline calls: it takes the training
contexts and the held-out caller scripts (the evaluation rule decides them, not this
module), gathers the teacher's embeddings once, and builds or reuses each student. A
second call with the same teacher, data and settings loads every student and trains
nothing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deepcodeseek import atomic
from deepcodeseek.encoders.base import QUERY_MAX_TOKENS, LeftTruncatingTokenizer
from deepcodeseek.encoders.data import TrainingSet, build_training_set
from deepcodeseek.encoders.internal import StudentTrainConfig
from deepcodeseek.encoders.static_map import MapConfig
from deepcodeseek.encoders.store import BuiltStudent, StudentStore, student_key, teacher_fingerprint
from deepcodeseek.index.contexts import UsageContext

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class StudentSpec:
    """One student: its name, family and the settings that make it (part of its key)."""

    name: str
    family: str  # torch | onnx | static | static-tuned | truncated
    quantization: str | None = None  # torch/onnx: int8 | int8-channel
    mapping: str | None = None  # static: none | procrustes | mlp
    layers: int = 0  # truncated: how many of the teacher's layers
    map_config: MapConfig = MapConfig()
    train_config: StudentTrainConfig = StudentTrainConfig()
    max_tokens: int | None = QUERY_MAX_TOKENS

    def settings(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k not in ("name", "map_config", "train_config")}
        if self.mapping == "mlp":
            out["map_config"] = asdict(self.map_config)
        if self.family in ("static-tuned", "truncated"):
            out["train_config"] = asdict(self.train_config)
        return out

    @property
    def uses_data(self) -> bool:
        """Whether the training set shapes it (the static student's token weights are fitted on it, even unmapped)."""
        return self.family not in ("torch", "onnx")


DEFAULT_STUDENTS: tuple[StudentSpec, ...] = (
    StudentSpec("teacher-torch-int8", "torch", quantization="int8"),
    StudentSpec("teacher-torch-int8-channel", "torch", quantization="int8-channel"),
    StudentSpec("teacher-onnx-int8", "onnx", quantization="int8-channel"),
    # The same int8 graph reading a shorter query window (the last 46 or 30 tokens): ONNX cost
    # grows with the tokens, so the window is a compact student of its own, kept only where
    # calibration shows the default method keeps 97% with it.
    StudentSpec("teacher-onnx-int8-48", "onnx", quantization="int8-channel", max_tokens=48),
    StudentSpec("teacher-onnx-int8-32", "onnx", quantization="int8-channel", max_tokens=32),
    StudentSpec("static", "static", mapping="none"),
    StudentSpec("static-procrustes", "static", mapping="procrustes"),
    StudentSpec("static-mlp", "static", mapping="mlp"),
    StudentSpec("static-tuned", "static-tuned", mapping="mlp", train_config=StudentTrainConfig(
        epochs=3, batch_size=128, learning_rate=2e-3)),
    StudentSpec("truncated-1", "truncated", layers=1),
    StudentSpec("truncated-2", "truncated", layers=2),
    StudentSpec("truncated-3", "truncated", layers=3),
)


@dataclass
class StudentSet:
    """The built students, the training set they share and what each build cost."""

    students: dict[str, BuiltStudent]
    data: TrainingSet | None  # None where no student is shaped by it (the int8 teachers alone)
    teacher_fingerprint: str
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def trained(self) -> list[str]:
        return [n for n, s in self.students.items() if not s.reused]


def train_query_encoders(teacher_path: str, contexts: Sequence[UsageContext], held_out: set[str],
                         document_ids: Sequence[str], document_vectors: np.ndarray, root: Path,
                         extra_texts: Sequence[str] = (), specs: Sequence[StudentSpec] = DEFAULT_STUDENTS,
                         device: str = "auto", progress: Progress = None,
                         static_table: Path | None = None) -> StudentSet:
    """Build (or reuse) each student of ``teacher_path`` under ``root``.

    ``contexts``: the instance's usage contexts; those whose caller is in ``held_out``
    never reach training. ``document_ids``/``document_vectors``: the index's rows (the
    teacher's document embeddings), for the contrastive loss. ``device``: ``auto`` is
    CUDA when present, else the CPU. ``static_table``: the teacher's distilled token table
    when the index build made one already (distilled here otherwise).
    """
    from deepcodeseek.index.embedder import resolve_device

    device = resolve_device(device)
    root = Path(root)
    fingerprint = teacher_fingerprint(teacher_path)
    if not any(spec.uses_data for spec in specs):  # an export of the teacher: no texts to embed
        return build_students(teacher_path, None, root, specs, device=device, progress=progress,
                              fingerprint=fingerprint, static_table=static_table)
    data = build_training_set(teacher_path, contexts, held_out, document_ids, document_vectors, extra_texts,
                              device=device, cache_dir=root / "cache", teacher_id=fingerprint, progress=progress)
    if progress:
        progress(f"training set: {len(data)} texts ({int((data.labels >= 0).sum())} with a called document), "
                 f"{len(data.documents)} documents; device {device}")
    return build_students(teacher_path, data, root, specs, device=device, progress=progress,
                          fingerprint=fingerprint, static_table=static_table)


def build_students(teacher_path: str, data: TrainingSet | None, root: Path, specs: Sequence[StudentSpec] = DEFAULT_STUDENTS,
                   device: str = "cpu", progress: Progress = None, fingerprint: str | None = None,
                   static_table: Path | None = None) -> StudentSet:
    """Each spec's student, from ``data`` (already holding the teacher's targets; None where no spec uses it)."""
    fingerprint = fingerprint or teacher_fingerprint(teacher_path)
    store = StudentStore(root)
    builder = _Builder(teacher_path, fingerprint, data, root, device, progress, static_table)
    out, seconds = {}, {}
    try:
        for spec in specs:
            started = time.perf_counter()
            key = student_key(spec.family, fingerprint, data.digest if spec.uses_data else "", spec.settings())
            out[spec.name] = store.get_or_build(spec.name, key, lambda spec=spec, key=key: builder.build(spec, key),
                                                progress)
            seconds[spec.name] = round(time.perf_counter() - started, 1)
            if progress and not out[spec.name].reused:
                progress(f"{spec.name}: built in {seconds[spec.name]} s")
    finally:
        builder.cleanup()
    return StudentSet(out, data, fingerprint, seconds)


class _Builder:
    """Builds one student from its spec; shares the static table and the external map between specs."""

    def __init__(self, teacher_path: str, fingerprint: str, data: TrainingSet, root: Path, device: str,
                 progress: Progress, static_table: Path | None = None):
        self.teacher_path, self.fingerprint, self.data = teacher_path, fingerprint, data
        self.root, self.device, self.progress = root, device, progress
        self.static_table = static_table
        self._maps: dict = {}
        self._onnx_exports: dict = {}  # quantization -> the exported encoder (its scratch folder)

    def cleanup(self) -> None:
        """Remove the shared ONNX exports' scratch folders (each saved student holds its own copy)."""
        for encoder in self._onnx_exports.values():
            shutil.rmtree(encoder.folder, ignore_errors=True)
        self._onnx_exports.clear()

    def build(self, spec: StudentSpec, key: str):
        family = getattr(self, f"_{spec.family.replace('-', '_')}", None)
        if family is None:
            raise ValueError(f"student {spec.name}: unknown family {spec.family!r}")
        return family(spec, key)

    # -- compact ---------------------------------------------------------------------

    def _torch(self, spec: StudentSpec, key: str):
        from deepcodeseek.encoders.compact import TeacherEncoder

        return TeacherEncoder(self.teacher_path, spec.quantization, spec.name), {"trained": False}

    def _onnx(self, spec: StudentSpec, key: str):
        from deepcodeseek.encoders.compact import OnnxEncoder, onnx_int8_teacher

        exported = self._onnx_exports.get(spec.quantization)
        if exported is None:  # students that differ only in their query window share one export
            tmp = atomic.temp_dir_beside(self.root / "export")  # scratch: save() copies the files out
            exported = onnx_int8_teacher(self.teacher_path, tmp, spec.name, spec.quantization, self.progress)
            self._onnx_exports[spec.quantization] = exported
        encoder = OnnxEncoder(exported.folder, spec.name, spec.max_tokens or QUERY_MAX_TOKENS, extra=exported.extra)
        return encoder, {"trained": False, "quantization": spec.quantization}  # scratch removed by cleanup()

    # -- external --------------------------------------------------------------------

    def static_folder(self) -> Path:
        from deepcodeseek.index.static_encoder import distill

        folder = self.static_table or self.root / f"static-table-{self.fingerprint[:16]}"
        if self.progress and not folder.exists():
            self.progress("distilling the static token table from the teacher")
        return distill(self.teacher_path, folder, Path(self.teacher_path).name, device=self.device)

    def external(self, spec: StudentSpec):
        """The static student and its map (``none``, ``procrustes`` or ``mlp``), with fit losses."""
        from deepcodeseek.encoders.static_map import cosine_loss, fit_mlp_map, fit_procrustes, static_student

        cache_key = (spec.mapping, spec.max_tokens, spec.map_config if spec.mapping == "mlp" else None)
        if cache_key in self._maps:
            return self._maps[cache_key]
        saved = StudentStore(self.root).find(student_key(spec.family, self.fingerprint,
                                                         self.data.digest if spec.uses_data else "", spec.settings()))
        if saved is not None:  # the same external student, built by an earlier call
            from deepcodeseek.encoders.base import load_encoder
            from deepcodeseek.encoders.store import read_training

            self._maps[cache_key] = (load_encoder(saved), read_training(saved))
            return self._maps[cache_key]
        encoder = static_student(spec.name, self.static_folder(), self.data.texts, spec.max_tokens)
        x = encoder.embed_queries(self.data.texts)  # no map yet: the static features
        y = self.data.targets
        record = {"trained": spec.mapping != "none", "texts": len(self.data), "loss_unmapped": cosine_loss(None, x, y)}
        if spec.mapping in ("procrustes", "mlp"):
            from deepcodeseek.encoders.static_map import LinearMap

            w = fit_procrustes(x, y)
            encoder.mapping = LinearMap(w)
            record["loss_procrustes"] = cosine_loss(encoder.mapping, x, y)
            if spec.mapping == "mlp":
                encoder.mapping, history = fit_mlp_map(x, y, w, spec.map_config, self.device, progress=self.progress)
                record.update({"loss_mlp": cosine_loss(encoder.mapping, x, y), "map_history": history.train,
                               "map_seconds": history.seconds})
        self._maps[cache_key] = (encoder, record)
        return encoder, record

    def _static(self, spec: StudentSpec, key: str):
        encoder, record = self.external(spec)
        encoder.name = spec.name
        return encoder, record

    # -- internal --------------------------------------------------------------------

    def _static_tuned(self, spec: StudentSpec, key: str):
        from deepcodeseek.encoders.internal import fine_tune_static
        from deepcodeseek.encoders.static_map import StaticMappedEncoder

        external, external_record = self.external(StudentSpec(f"{spec.name}-start", "static", mapping=spec.mapping,
                                                               map_config=spec.map_config, max_tokens=spec.max_tokens))
        table, mapping, history = fine_tune_static(external.table, external.weights, external.mapping, self.data,
                                                   external.tokenizer, spec.train_config, self.device, self.progress)
        encoder = StaticMappedEncoder(spec.name, table.astype(np.float16), external.weights, external.tokenizer,
                                      mapping)
        return encoder, {"trained": True, "start": external_record, **history.record()}

    def _truncated(self, spec: StudentSpec, key: str):
        from deepcodeseek.encoders.base import TOKENIZER_FILE
        from deepcodeseek.encoders.compact import OnnxEncoder, export_onnx
        from deepcodeseek.encoders.internal import fine_tune_truncated

        tokenizer = LeftTruncatingTokenizer(Path(self.teacher_path) / TOKENIZER_FILE, spec.max_tokens)
        model, history = fine_tune_truncated(self.teacher_path, spec.layers, self.data, tokenizer, spec.train_config,
                                             self.device, self.progress)
        tmp = atomic.temp_dir_beside(self.root / "export")  # scratch: save() copies the files out
        export_onnx(model, Path(self.teacher_path) / TOKENIZER_FILE, tmp, quantize="int8-channel")
        encoder = OnnxEncoder(tmp, spec.name, spec.max_tokens or QUERY_MAX_TOKENS,
                              extra={"layers": spec.layers, "quantization": "int8-channel"})
        return encoder, {"trained": True, "layers": spec.layers, "_tmp": str(tmp), **history.record()}
