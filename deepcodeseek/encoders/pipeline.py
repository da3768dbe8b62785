"""Light query encoders as a stage of the build: train the students of the version this build
publishes, and choose on the calibration split which one serves its queries.

The choice follows CodeQuest's rule as the issue states it: the cheapest student (by
measured encode cost) that keeps at least 97% of the teacher's default-method top-5
on the calibration split; the teacher otherwise. On a CPU only the students that
train in minutes are built (the compact ONNX teacher, the static students with and
without a fine-tuned table, on a capped sample of contexts); a GPU, or ``full=True``,
builds every family.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deepcodeseek.carry import Carry, compatible_digest, instance_fingerprint, remembered_or_carried
from deepcodeseek.datasets.splits import group_position
from deepcodeseek.encoders.students import DEFAULT_STUDENTS, train_query_encoders
from deepcodeseek.measured import folder_digest, inputs_key
from deepcodeseek.served_choice import carried_choice, choice_compatible

QUERY_ENCODERS_DIR = "query_encoders"  # under <home>/models
# The internal static student (its token table fine-tuned with the map) trains in about 15 s on the
# corpus's CPU sample, so a CPU build measures all three of CodeQuest's kinds; the truncated teachers
# (minutes per epoch on 2 cores, and undertrained at a CPU budget) wait for a GPU.
CPU_STUDENTS = ("teacher-onnx-int8", "teacher-onnx-int8-48", "teacher-onnx-int8-32", "static", "static-procrustes",
                "static-mlp", "static-tuned")
CPU_MAX_CONTEXTS = 2500  # each also cut to its last 3 and 6 lines: about 7,000 texts for the teacher to embed


@dataclass
class EncoderChoice:
    chosen: str  # a student's name, or "teacher"
    students: dict[str, str] = field(default_factory=dict)  # name -> folder under <home>/models
    calibration: list[dict] = field(default_factory=list)  # shares of the teacher, per student
    trained: list[str] = field(default_factory=list)
    texts: int = 0
    seconds: float = 0.0
    note: str = ""
    how: str = "measured"  # or "read back" (same inputs), or "carried" (a small change: deepcodeseek.carry)
    # The last choice served on over a warm start (``deepcodeseek.served_choice``): only its student trained.
    carried_choice: dict | None = None

    @property
    def reused(self) -> bool:
        """This build trained nothing: the measurement was read back or carried over."""
        return self.how != "measured"

    def as_manifest(self) -> dict:
        folder = self.students.get(self.chosen)
        recorded = {k: v for k, v in asdict(self).items()
                    if k != "how" and not (k == "carried_choice" and v is None)}  # manifests read as before it
        return {"query_encoder": {"name": self.chosen, "model": folder} if folder else None,
                "query_encoders": recorded}


def _sample(contexts: list, limit: int) -> list:
    """At most ``limit`` contexts, chosen by a stable hash (the same instance picks the same ones)."""
    if len(contexts) <= limit:
        return contexts
    keyed = sorted(contexts, key=lambda c: group_position(f"encoder:{c.caller_sys_id}:{c.target_sys_id}:{c.text}"))
    return keyed[:limit]


def stage_query_encoder(store, paths, base_model: str, tuned_model: str | None, device: str = "auto",
                        enabled: bool = True, full: bool = False,
                        progress: Callable[[str], None] | None = None) -> EncoderChoice:
    """Build (or reuse) the students of this build's version, choose one on calibration, restage the version.
    Over a warm start the last choice may serve on (``deepcodeseek.served_choice``): then only its student is built."""
    from deepcodeseek.encoders.compact import TeacherEncoder
    from deepcodeseek.encoders.instance import index_inputs
    from deepcodeseek.encoders.measure import (StudentMeasurement, choice_costs, measure_students, select_student,
                                               shares)
    from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, datasets_dir, read_holdout_of, read_split
    from deepcodeseek.index.embedder import resolve_device
    from deepcodeseek.index.release import build_version, restage
    from deepcodeseek.index.static_encoder import static_encoder_dir
    from deepcodeseek.retrieval.retriever import Retriever

    manifest, _ = build_version(store, paths, base_model, tuned_model)
    restage(paths, manifest, {"query_encoder": None})  # calibrate with the teacher as served
    retriever = Retriever(paths.instance, str(paths.home), version=manifest["version"])
    samples = read_split(paths, CALIBRATION_SPLIT, retriever.docs.namespaces())
    if not enabled or not samples:
        choice = EncoderChoice("teacher", note="disabled" if not enabled else "no calibration samples: the teacher")
        restage(paths, manifest, choice.as_manifest())
        return choice
    device = resolve_device(device)
    every = full or device == "cuda"
    specs = DEFAULT_STUDENTS if every else tuple(s for s in DEFAULT_STUDENTS if s.name in CPU_STUDENTS)
    key = inputs_key(manifest, "query_encoders", [s.name for s in specs], CPU_MAX_CONTEXTS,
                     folder_digest(datasets_dir(paths)))

    def build(chosen_specs) -> tuple[dict, float]:
        """Train (or find) ``chosen_specs``' students of this version's teacher."""
        started = time.perf_counter()
        inputs = index_inputs(retriever)
        holdout = read_holdout_of(paths)
        contexts = inputs.contexts if every else _sample(inputs.contexts, CPU_MAX_CONTEXTS)
        root = Path(paths.home) / "models" / QUERY_ENCODERS_DIR
        built = train_query_encoders(inputs.teacher_path, contexts, set(holdout.held_out()), inputs.document_ids,
                                     inputs.document_vectors, root, specs=chosen_specs, device=device,
                                     progress=progress, static_table=static_encoder_dir(paths.home, retriever.model_name))
        return {"built": built, "teacher_path": inputs.teacher_path, "holdout": holdout,
                "students": {n: f"{QUERY_ENCODERS_DIR}/{s.folder.name}" for n, s in built.students.items()},
                "trained": built.trained, "texts": len(built.data) if built.data is not None else 0}, started

    def measure() -> dict:
        served = carried_choice(paths.root, choice_compatible(paths.home, base_model, tuned_model), now,
                                [s.name for s in specs])
        if served is not None:
            return _serve_carried(served, specs, build, progress)
        result, started = build(specs)
        teacher = TeacherEncoder(result["teacher_path"], None, "teacher")
        measured = measure_students(retriever, [s.encoder for s in result["built"].students.values()], samples,
                                    teacher, holdout=result["holdout"], progress=progress)
        return {"measured": [m.as_dict() for m in measured], "students": result["students"],
                "trained": result["trained"], "texts": result["texts"],
                "seconds": round(time.perf_counter() - started, 1)}

    now = instance_fingerprint(store, paths.root)
    carry = Carry(compatible_digest("query_encoders", manifest["model"], [s.name for s in specs], CPU_MAX_CONTEXTS),
                  now)
    stored, how = remembered_or_carried(paths.root, "query_encoders", key, measure, carry,
                                        usable=lambda r: _students_exist(paths, r))
    measured = choice_costs([StudentMeasurement(**m) for m in stored["measured"]])  # the rule applies anew to kept figures
    served = stored.get("carried_choice")
    choice = EncoderChoice(
        chosen=served["serves"] if served else select_student(measured), students=stored["students"],
        calibration=shares(measured), trained=stored["trained"], texts=stored["texts"], seconds=stored["seconds"],
        how="choice carried" if served and how == "measured" else how, carried_choice=served,
        note=("every student family" if every else f"CPU: {', '.join(CPU_STUDENTS)} on at most "
                                                   f"{CPU_MAX_CONTEXTS} contexts (the others need a GPU or full=True)")
        + (f"; the choice of version {served['from_version']} serves on ({served['change']:.2%} of the instance "
           f"changed since it was measured, with a model of the same lineage): only {served['serves']} was "
           "trained, its figures are that version's" if served else ""))
    restage(paths, manifest, choice.as_manifest())
    if progress:
        progress(f"query encoder: {choice.chosen}{_HOW.get(how, '')} "
                 f"(calibration: {[(r['student'], r['default top@5 kept']) for r in choice.calibration]})")
    return choice


_HOW = {"read back": " (measured before on the same inputs)",
        "carried": " (carried over a small change: the students of the same teacher)",
        "choice carried": " (the last choice, over a warm start: only its student trained)"}


def _serve_carried(served, specs, build, progress: Callable[[str], None] | None) -> dict:
    """The stage's result where the last choice serves on (``deepcodeseek.served_choice``): only the
    served student is trained from this version's teacher (none where the teacher serves), and the
    figures shown are those the choice was measured with."""
    chosen = [s for s in specs if s.name == served.encoder]
    if progress:
        progress(f"query encoders: {served.encoder} serves on, as chosen for version {served.version} "
                 f"({served.change:.2%} of the instance changed since); training only it")
    result, started = build(chosen) if chosen else ({"students": {}, "trained": [], "texts": 0}, time.perf_counter())
    return {"measured": served.measured, "students": result["students"], "trained": result["trained"],
            "texts": result["texts"], "seconds": round(time.perf_counter() - started, 1),
            "carried_choice": {"serves": served.encoder, "paired": served.paired, "from_version": served.version,
                               "change": served.change}}


def _students_exist(paths, choice: dict) -> bool:
    """Every student a stored choice names is still in the home's models folder."""
    return all((Path(paths.home) / "models" / folder).exists() for folder in (choice.get("students") or {}).values())


def rechoose_for_default(paths, manifest: dict, retriever, method: str,
                         progress: Callable[[str], None] | None = None,
                         carry_with: tuple[str, object] | None = None) -> tuple[dict, list]:
    """Choose the query encoder again, measured through ``method`` (the version's default), and restage.

    The students are chosen before the ranker exists, so that first choice measures
    them through the fusion. Once the learned ranker is the default, the share of the
    teacher that counts is the ranker's: the dense similarity is one of its features,
    so a student may keep more of the ranker's top-5 than of the fusion's, or less.
    ``retriever`` is the staged version with its ranker loaded; the returned manifest
    is the restaged one, with the measurements (teacher first; empty when nothing was measured). ``carry_with`` (what the default depends on, and the instance's
    fingerprint) lets a small change carry the last measurement over (``deepcodeseek.carry``).
    """
    from deepcodeseek.encoders.base import load_encoder
    from deepcodeseek.encoders.compact import TeacherEncoder
    from deepcodeseek.encoders.measure import (StudentMeasurement, choice_costs, measure_students, select_student,
                                               shares)
    from deepcodeseek.evaluation.benchmark_build import CALIBRATION_SPLIT, datasets_dir, read_holdout_of, read_split
    from deepcodeseek.index.embedder import local_model_path
    from deepcodeseek.index.model_store import fetch_model
    from deepcodeseek.index.release import restage

    first = manifest.get("query_encoders") or {}
    students = first.get("students") or {}
    samples = read_split(paths, CALIBRATION_SPLIT, retriever.docs.namespaces())
    if not students or not samples or first.get("chosen") is None:
        return manifest, []
    key = inputs_key(manifest, "query_encoders_through_default", method, folder_digest(datasets_dir(paths)))

    def measure() -> dict:
        started = time.perf_counter()
        encoders = [load_encoder(fetch_model(paths.home, folder) or Path(paths.home) / "models" / folder)
                    for folder in students.values()]
        teacher = TeacherEncoder(local_model_path(retriever.model_name, retriever.paths.home), None, "teacher")
        measured = measure_students(retriever, encoders, samples, teacher, holdout=read_holdout_of(paths),
                                    progress=progress, default_method=method)
        return {"measured": [m.as_dict() for m in measured], "seconds": round(time.perf_counter() - started, 1)}

    carry = None
    if carry_with is not None and carry_with[1] is not None:
        carry = Carry(compatible_digest("query_encoders_through_default", manifest["model"], method, students,
                                        carry_with[0]), carry_with[1])
    stored = remembered_or_carried(paths.root, "query_encoders_through_default", key, measure, carry)[0]
    measured = choice_costs([StudentMeasurement(**m) for m in stored["measured"]])
    choice = EncoderChoice(
        chosen=select_student(measured), students=students, calibration=shares(measured),
        trained=first.get("trained", []), texts=first.get("texts", 0),
        seconds=round(first.get("seconds", 0.0) + stored["seconds"], 1),
        note=f"{first.get('note', '')}; chosen through {method}, the version's default "
             f"(through fusion: {first['chosen']})".lstrip("; "))
    if progress:
        progress(f"query encoder through {method}: {choice.chosen} "
                 f"(calibration: {[(r['student'], r['default top@5 kept']) for r in choice.calibration]})")
    return restage(paths, manifest, choice.as_manifest()), measured
