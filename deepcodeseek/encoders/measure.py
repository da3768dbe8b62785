"""How good and how cheap each student is, measured through the serving path.

Quality comes from ``evaluation.report.evaluate`` on a :class:`Retriever` whose query
encoder is the student (so a sample's own script never votes for it, as in every
report); cost is the student's encode p50 over real query texts on this machine and
the bytes it keeps loaded. Each figure is also a share of the teacher's, measured in
the same run, and :func:`select_student` picks the cheapest student that keeps the
teacher's default-method top-5.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np

from deepcodeseek.encoders.base import QueryEncoder
from deepcodeseek.encoders.serving import ServingAdapter

KEEP_SHARE = 0.97  # a student must keep this share of the teacher's default-method top-5
# Encode costs within this share of the cheapest qualifying student's count as equal: timings on
# a shared 2-core machine move by about 20% between runs, and a choice that flipped with them
# would retrain the ranker (its key names the encoder) on a reindex that changed nothing.
COST_TOLERANCE = 0.25
# And encode costs within this many milliseconds of each other count as equal: below it a difference is
# noise beside a whole default query (10-20 ms), so quality should choose. On scale2600, the static students
# (0.05-0.15 ms) all kept the teacher's top-5 with rankers of their own; 25% of 0.05 ms would have chosen
# the raw static vectors (top@5 0.664) over the Procrustes map (0.667, MRR 0.514 against 0.493; rankers at
# 400 rounds) by 0.02 ms.
COST_FLOOR_MS = 0.1
# The 3% a student may lose must be worth at least this many of the teacher's top-5 hits on the
# samples measured. On fewer, one sample decides: on the bundled sample's 50 calibration samples a
# 32-token window lost one hit (2.4%) and then 0.79 -> 0.73 of dev's top-5, and a static student
# that gained three there lost to BM25 on dev. So there quality cannot choose, and the student
# most faithful to the teacher (cosine) that loses nothing serves.
MIN_TOLERATED_HITS = 3.0
TEACHER = "teacher"


def query_texts(samples: Sequence, lines_before: int | None = None) -> list[str]:
    """The texts the serving path embeds for these samples (``Query.text``)."""
    from deepcodeseek.retrieval.query import QUERY_LINES_BEFORE, Query

    n = lines_before or QUERY_LINES_BEFORE
    return [Query(s.code_before, s.code_after or None, s.scope).text(lines_before=n) for s in samples]


def encode_p50_ms(encoder: QueryEncoder, texts: Sequence[str], warmup: int = 10, rounds: int = 1) -> float:
    """Median milliseconds of one ``embed_query`` over ``texts`` (after ``warmup`` calls), on this machine."""
    if not texts:
        raise ValueError("encode_p50_ms: no texts to time")
    for text in list(texts)[:warmup]:
        encoder.embed_query(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            encoder.embed_query(text)
            timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50))


@contextmanager
def serving_with(retriever, encoder: QueryEncoder) -> Iterator:
    """The retriever answering with ``encoder`` for its queries; the previous embedder comes back after."""
    with retriever.encoding_with(ServingAdapter(encoder, retriever.model_name)):
        yield retriever


@dataclass
class StudentMeasurement:
    name: str
    encode_p50_ms: float
    memory_bytes: int
    dense_top5: float
    dense_top40: float
    default_top5: float
    default_top40: float
    default_p50_ms: float  # the whole default query, student included
    cosine_to_teacher: float | None = None  # mean, on the measured query texts
    bm25_top5: float | None = None  # the baseline, from the same run
    bm25_top40: float | None = None
    samples: int = 0  # how many samples the figures are shares of
    # What the choice compares (see ``choice_costs``): the measured p50, except within a family of
    # encoders that run one graph with different windows, whose costs scale with their tokens.
    choice_cost_ms: float | None = None
    cost_family: str | None = None
    mean_tokens: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def measure_student(retriever, encoder: QueryEncoder, samples: Sequence, texts: Sequence[str] | None = None,
                    teacher_vectors: np.ndarray | None = None, default_method: str = "fusion",
                    progress: Callable[[str], None] | None = None, holdout=None) -> StudentMeasurement:
    """Encode cost, memory and retrieval quality of one student on ``samples``."""
    return _measured(retriever, [encoder], samples, texts, teacher_vectors, default_method, progress, holdout)[0]


def measure_students(retriever, encoders: Sequence[QueryEncoder], samples: Sequence, teacher: QueryEncoder,
                     progress: Callable[[str], None] | None = None, holdout=None,
                     default_method: str = "fusion") -> list[StudentMeasurement]:
    """The teacher first (named ``teacher``), then each student, on the same samples and texts.

    ``holdout``: the instance's held-out rule, so each sample's group never votes for it.
    """
    texts = query_texts(samples)
    out = _measured(retriever, [teacher, *encoders], samples, texts, teacher.embed_queries(texts), default_method,
                    progress, holdout)
    out[0].name = TEACHER
    return choice_costs(out)


def _measured(retriever, encoders: Sequence[QueryEncoder], samples: Sequence, texts: Sequence[str] | None,
              teacher_vectors: np.ndarray | None, default_method: str, progress: Callable[[str], None] | None,
              holdout) -> list[StudentMeasurement]:
    """Each encoder's measurement. Every encoder's dense and default-method rankings come from one pass
    over the samples (``evaluation.query_major``): what no encoder changes (BM25, votes, the graph) is
    computed once per sample, and BM25, the baseline, is scored once for all of them."""
    from deepcodeseek.evaluation.query_major import Job, score_jobs

    samples, texts = list(samples), list(texts) if texts is not None else query_texts(samples)
    methods = tuple(dict.fromkeys(("dense", default_method)))
    jobs = [Job("bm25", retriever, "bm25")]
    for k, encoder in enumerate(encoders):
        adapter = ServingAdapter(encoder, retriever.model_name)
        jobs += [Job(f"{k}:{m}", retriever, m, adapter) for m in methods]
    scores = score_jobs(jobs, samples, holdout)
    out = []
    for k, encoder in enumerate(encoders):
        cost = encode_p50_ms(encoder, texts)
        cosine = None
        if teacher_vectors is not None:
            cosine = float((encoder.embed_queries(texts) * teacher_vectors).sum(axis=1).mean())
        d, f, bm25 = scores[f"{k}:dense"], scores[f"{k}:{default_method}"], scores["bm25"]
        family, tokens = encoder.cost_basis(texts) if hasattr(encoder, "cost_basis") else (None, None)
        m = StudentMeasurement(encoder.name, cost, int(encoder.memory_bytes()), d.top_k(5), d.top_k(40), f.top_k(5),
                               f.top_k(40), f.latency(50), cosine, bm25.top_k(5), bm25.top_k(40), len(samples),
                               cost_family=family, mean_tokens=tokens)
        if progress:
            progress(f"{encoder.name}: encode {cost:.2f} ms, dense top@5 {m.dense_top5:.3f}, "
                     f"{default_method} top@5 {m.default_top5:.3f} (p50 {m.default_p50_ms:.1f} ms)")
        out.append(m)
    return out


def choice_costs(measurements: list[StudentMeasurement]) -> list[StudentMeasurement]:
    """Set each measurement's ``choice_cost_ms``: its own p50, or, for encoders that share one
    graph (``cost_family``), the family's pooled milliseconds per token times its own tokens.

    Two windows over one int8 graph differ in cost by their tokens alone, but their measured
    p50s are 20-30% noisy on a shared 2-core machine: the full window and the 32-token one
    fell within the tolerance of each other in one build and outside it in the next, so two
    builds of one index version served different encoders. Pooled over the family, the
    milliseconds stay measured and the ratios between its members are fixed by the texts.
    """
    families: dict[str, list[StudentMeasurement]] = {}
    for m in measurements:
        m.choice_cost_ms = m.encode_p50_ms
        if m.cost_family and m.mean_tokens:
            families.setdefault(m.cost_family, []).append(m)
    for members in families.values():
        if len(members) < 2:
            continue
        per_token = sum(m.encode_p50_ms for m in members) / sum(m.mean_tokens for m in members)
        for m in members:
            m.choice_cost_ms = per_token * m.mean_tokens
    return measurements


def choice_cost(m: StudentMeasurement) -> float:
    """What the choice compares: the family-scaled cost where there is one, else the measured p50."""
    return m.choice_cost_ms if m.choice_cost_ms is not None else m.encode_p50_ms


def shares(measurements: Sequence[StudentMeasurement], teacher: str = TEACHER) -> list[dict]:
    """Rows for a table: each figure and its share of the teacher's (the teacher's shares are 1)."""
    ref = next(m for m in measurements if m.name == teacher)
    rows = []
    for m in measurements:
        row = {"student": m.name, "encode p50 ms": round(m.encode_p50_ms, 3),
               "choice cost ms": round(choice_cost(m), 3),
               "memory MiB": round(m.memory_bytes / 2**20, 1),
               "cos to teacher": None if m.cosine_to_teacher is None else round(m.cosine_to_teacher, 3)}
        for key in ("dense_top5", "dense_top40", "default_top5", "default_top40"):
            value, base = getattr(m, key), getattr(ref, key)
            label = key.replace("_top", " top@")
            row[label] = round(value, 3)
            row[f"{label} kept"] = round(value / base, 3) if base else None
        row["default query p50 ms"] = round(m.default_p50_ms, 2)
        rows.append(row)
    return rows


def too_few_to_tolerate(ref: StudentMeasurement, keep: float = KEEP_SHARE) -> bool:
    """Whether the teacher's ``1 - keep`` share of hits is under ``MIN_TOLERATED_HITS`` samples: then
    the samples cannot tell a small loss from noise, and only a student that loses nothing qualifies."""
    return bool(ref.samples) and (1 - keep) * ref.default_top5 * ref.samples < MIN_TOLERATED_HITS


def keeps_teacher(top5: float, ref: StudentMeasurement, keep: float = KEEP_SHARE) -> bool:
    """Whether a default-method top-5 of ``top5`` keeps enough of the teacher's (``ref``) on its samples:
    ``keep`` of it, or all of it where the samples are too few to tolerate a loss."""
    floor = ref.default_top5 if too_few_to_tolerate(ref, keep) else keep * ref.default_top5
    return top5 >= floor - 1e-12


def select_student(measurements: Sequence[StudentMeasurement], teacher: str = TEACHER,
                   keep: float = KEEP_SHARE, tolerance: float = COST_TOLERANCE) -> str:
    """The cheapest student (by ``choice_cost_ms``: encode p50, window families scaled by tokens) whose default-method top-5 is at least ``keep``
    of the teacher's on the samples measured; the teacher when none is.

    Students whose cost is within ``tolerance`` (or ``COST_FLOOR_MS``) of the cheapest such student are equally
    cheap: of those, the best default top-5 wins (then the smaller, then the name), so the
    choice follows quality, which is deterministic, and not timing noise. Where the share
    ``1 - keep`` of the teacher's hits is fewer than ``MIN_TOLERATED_HITS`` samples, the
    samples cannot tell a loss or a gain from noise: of the students that keep all of the
    teacher's top-5 there, the one closest to the teacher (mean cosine) serves (measurements
    without a sample count are taken as large enough).
    """
    ref = next((m for m in measurements if m.name == teacher), None)
    if ref is None:
        raise ValueError(f"select_student: no measurement named {teacher!r} to compare with")
    good = [m for m in measurements if m.name != teacher and keeps_teacher(m.default_top5, ref, keep)]
    if too_few_to_tolerate(ref, keep):
        return max(good, key=lambda m: (m.cosine_to_teacher or 0.0, -choice_cost(m))).name if good else teacher
    if not good:
        return teacher
    cheapest = min(choice_cost(m) for m in good)
    tied = [m for m in good if choice_cost(m) <= max(cheapest * (1 + tolerance), cheapest + COST_FLOOR_MS)]
    return min(tied, key=lambda m: (-m.default_top5, m.memory_bytes, m.name)).name
