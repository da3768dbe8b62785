"""Which cheaper students get a ranker of their own, and which pair serves instead of the first choice."""

from __future__ import annotations

from dataclasses import replace

from deepcodeseek.encoders.measure import StudentMeasurement, keeps_teacher
from deepcodeseek.ranking import pairing as pairing_module
from deepcodeseek.ranking.pairing import PAIR_ABOVE_MS, Pair, choose_pair, pairing_candidates
from deepcodeseek.ranking.training import ranker_beats_fusion


def _m(name: str, cost: float, top5: float, samples: int = 330, cosine: float = 0.8) -> StudentMeasurement:
    return StudentMeasurement(name, cost, 1000, 0.3, 0.5, top5, 0.8, cost + 2, samples=samples,
                              cosine_to_teacher=cosine)


# Stop 24's scale2600 build, through the ranker trained with the int8 teacher (calibration top@5).
THROUGH_TEACHER_RANKER = [_m("teacher", 13.0, 0.63, cosine=1.0), _m("teacher-onnx-int8", 5.0, 0.627, cosine=0.99),
                          _m("teacher-onnx-int8-48", 3.8, 0.612, cosine=0.94),
                          _m("teacher-onnx-int8-32", 2.6, 0.586, cosine=0.88), _m("static", 0.05, 0.483, cosine=0.3),
                          _m("static-procrustes", 0.07, 0.542, cosine=0.76), _m("static-mlp", 0.15, 0.577),
                          _m("static-tuned", 0.15, 0.551, cosine=0.78)]
STATIC = ["static-mlp", "static-tuned", "static-procrustes", "static"]


def test_every_student_at_half_the_served_cost_or_less_is_a_candidate_best_through_the_first_ranker_first():
    # int8-32 costs 68% of int8-48: not cheap enough to pay for a ranker of its own.
    assert [m.name for m in pairing_candidates(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48")] == STATIC
    assert [m.name for m in pairing_candidates(THROUGH_TEACHER_RANKER, "teacher")][:2] == ["teacher-onnx-int8",
                                                                                             "teacher-onnx-int8-48"]
    assert len(pairing_candidates(THROUGH_TEACHER_RANKER, "teacher")) == pairing_module.MAX_PAIRS


def test_no_pairs_where_the_served_encoder_is_within_the_encode_target_or_nothing_is_cheaper():
    mlp = next(m for m in THROUGH_TEACHER_RANKER if m.name == "static-mlp")
    assert mlp.encode_p50_ms <= PAIR_ABOVE_MS and pairing_candidates(THROUGH_TEACHER_RANKER, "static-mlp") == []
    only_int8 = [_m("teacher", 13.0, 0.63), _m("teacher-onnx-int8", 5.0, 0.627)]
    assert pairing_candidates(only_int8, "teacher-onnx-int8") == []
    assert pairing_candidates(THROUGH_TEACHER_RANKER, "unknown") == []


def _pair(student: str, ranker: float, fusion: float = 0.45, mrr: float = 0.5) -> Pair:
    figures = {"ranker": {"top@1": 0.3, "top@5": ranker, "mrr@40": mrr},
               "fusion": {"top@1": 0.2, "top@5": fusion, "mrr@40": 0.4}}
    return Pair(student, f"ranker-{student}", figures, round(ranker / 0.63, 4), ranker_beats_fusion(figures))


def test_the_cheapest_pair_that_keeps_97_percent_of_the_teacher_serves():
    # scale2600, each static student with its own ranker: procrustes keeps 103%, mlp 94%.
    pairs = [_pair("static-mlp", 0.609), _pair("static-procrustes", 0.667), _pair("static", 0.52)]
    chosen, why = choose_pair(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48", pairs)
    assert chosen == "static-procrustes" and "top@5 0.667 against the teacher's 0.6300" in why
    # Within timing noise of each other (25%), the better top-5 of the qualifying pairs wins.
    assert choose_pair(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48",
                       [_pair("static-procrustes", 0.62), _pair("static", 0.63)])[0] == "static"
    # 0.02 ms apart, the static students cost the same: the better top-5 wins, not the clock.
    assert choose_pair(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48",
                       [_pair("static", 0.664), _pair("static-procrustes", 0.667)])[0] == "static-procrustes"
    # None keeps 97% (0.611): the first choice stands, and the best attempt is named.
    chosen, why = choose_pair(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48", [_pair("static-mlp", 0.609)])
    assert chosen is None and why == "no pair keeps the teacher's top@5 (best: static-mlp, 96.7%)"


def test_a_pair_whose_ranker_loses_to_its_own_fusion_cannot_serve():
    losing = _pair("static-procrustes", 0.667, fusion=0.667, mrr=0.3)
    assert not losing.beats_fusion
    assert choose_pair(THROUGH_TEACHER_RANKER, "teacher-onnx-int8-48", [losing])[0] is None


def test_on_a_split_too_small_to_resolve_3_percent_the_most_faithful_lossless_encoder_serves():
    few = [replace(m, samples=50, default_top5=0.86 if m.name in ("teacher", "teacher-onnx-int8-48") else m.default_top5)
           for m in THROUGH_TEACHER_RANKER]
    teacher = few[0]  # 3% of 43 hits: 1.3 samples
    assert not keeps_teacher(0.84, teacher) and keeps_teacher(0.86, teacher)
    assert keeps_teacher(0.84, replace(teacher, samples=330))  # on 330 samples one hit less is within 97%
    # A lossless static pair does not displace a lossless first choice closer to the teacher.
    chosen, why = choose_pair(few, "teacher-onnx-int8-48", [_pair("static-procrustes", 0.88)])
    assert chosen is None and "on 50 calibration samples a gain cannot be told from noise" in why
    assert "(teacher-onnx-int8-48, cosine 0.940)" in why
    assert choose_pair(few, "teacher-onnx-int8-48", [_pair("static-procrustes", 0.84)])[0] is None
    assert choose_pair(few, "teacher", [_pair("static-procrustes", 0.88)])[0] == "static-procrustes"
