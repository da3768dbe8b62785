"""Learned ranking: graph facts, the usage walk under hold-out, and LambdaRank on planted signals."""

from __future__ import annotations

import numpy as np
import pytest

from deepcodeseek.ranking.features import FEATURES
from deepcodeseek.ranking.graph import DocGraph, doc_graph_rows, graph_digest, tables_in, write_doc_graph
from deepcodeseek.ranking.ranker import LearnedRanker, RankerConfig, fit_ranker, saved_in

DOCS = [{"sys_id": s, "namespace": n, "api_name": f"global.{n}"} for s, n in
        [("a", "GlideRecord"), ("b", "IncidentUtils"), ("c", "ApprovalHelper"), ("d", "MailSender"), ("e", "TaskBase")]]


def _graph(tmp_path, callers, targets, rows=None) -> DocGraph:
    write_doc_graph(rows or [{"sys_id": "b", "extends": "e", "tables": ["incident"]},
                             {"sys_id": "c", "extends": None, "tables": ["sysapproval_approver"]}], tmp_path / "doc_graph.parquet")
    return DocGraph.load(tmp_path, DOCS, np.array(callers, dtype=object), np.array(targets))


def test_tables_and_extends_are_read_back_aligned_with_the_documents(tmp_path):
    assert tables_in("var g = new GlideRecord('incident'); var a = new GlideAggregate(\"task\");"
                     "new GlideRecord('incident')") == ["incident", "task"]
    graph = _graph(tmp_path, ["s1"], [0])
    assert graph.parent.tolist() == [-1, 4, -1, -1, -1] and graph.tables[1] == {"incident"}
    assert graph.mentioned("var gr = new GlideRecord('x'); x_app.IncidentUtils.go();").tolist() == [0, 1]


def test_the_usage_walk_follows_co_usage_and_ignores_held_out_scripts(tmp_path):
    # s1 and s2 call GlideRecord with IncidentUtils; s3 calls GlideRecord with MailSender.
    callers = ["s1", "s1", "s2", "s2", "s3", "s3"]
    targets = [0, 1, 0, 1, 0, 3]
    graph = _graph(tmp_path, callers, targets)
    seeds = graph.mentioned("new GlideRecord('incident')")
    everyone = graph.caller_mask(frozenset())
    walk = graph.personalised_pagerank(seeds, everyone)
    assert walk[1] > walk[3] > walk[2] == 0.0  # IncidentUtils co-used twice, MailSender once, ApprovalHelper never
    assert graph.co_usage(seeds, everyone)[[1, 3]].tolist() == [2.0, 1.0]
    without_s1_s2 = graph.caller_mask(frozenset({"s1", "s2"}))
    assert graph.co_usage(seeds, without_s1_s2)[1] == 0.0
    assert graph.personalised_pagerank(seeds, without_s1_s2)[1] == 0.0  # held-out scripts carry no walk
    assert not graph.personalised_pagerank(np.array([], dtype=np.int64), everyone).any()


def test_setting_scripts_aside_by_lookup_equals_isin_over_the_caller_names(tmp_path):
    """The contexts and the graph rows that a script group wrote, found by numbered lookup, are the
    ones ``np.isin`` over the callers' names finds; names the instance never saw are ignored."""
    from deepcodeseek.retrieval.callers import CallerCodes

    rng = np.random.default_rng(7)
    names = np.array([f"sys_script_include:{i}" for i in rng.integers(0, 40, size=300)], dtype=object)
    codes = CallerCodes(names)
    graph = _graph(tmp_path, list(names), [int(t) for t in rng.integers(0, 5, size=300)])
    for size in (0, 1, 5, 60):
        scripts = frozenset(f"sys_script_include:{i}" for i in rng.integers(0, 50, size=size)) | {"never seen"}
        assert codes.written_by(scripts).tolist() == np.isin(names, list(scripts)).tolist()
        assert (graph.caller_mask(scripts) == 0).tolist() == np.isin(graph.callers, list(scripts)).tolist()
    assert CallerCodes(np.array([], dtype=object)).written_by({"a"}).tolist() == []


def test_graph_digest_changes_with_the_facts():
    rows = [{"sys_id": "b", "extends": "e", "tables": ["incident"]}]
    assert graph_digest(rows) != graph_digest([{**rows[0], "tables": ["task"]}])
    assert callable(doc_graph_rows)


def _groups(n: int, rng: np.random.Generator, informative: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Query groups of 20 candidates where only feature ``informative`` says which one is relevant."""
    groups = []
    for _ in range(n):
        x = rng.normal(size=(20, len(FEATURES))).astype(np.float32)
        y = np.zeros(20)
        hit = rng.integers(20)
        y[hit] = 1.0
        x[hit, informative] += 2.5
        groups.append((x, y))
    return groups


def test_lambdarank_learns_a_planted_feature_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    informative = FEATURES.index("votes_value")
    ranker = fit_ranker(_groups(300, rng, informative), _groups(60, rng, informative),
                        RankerConfig(max_rounds=60, min_data_in_leaf=5), key="k1", recall=1.0)
    assert next(iter(ranker.summary.importances)) == "votes_value"
    assert ranker.summary.curve["validation"][-1] > 0.6
    test = _groups(50, rng, informative)
    top1 = np.mean([np.argmax(ranker.score(x)) == np.argmax(y) for x, y in test])
    oracle = np.mean([np.argmax(x[:, informative]) == np.argmax(y) for x, y in test])  # knows the planted feature
    assert top1 >= oracle - 0.1 and top1 > 0.5  # chance is 0.05
    ranker.save(tmp_path / "ranker")
    again = LearnedRanker.load(tmp_path / "ranker")
    assert saved_in(tmp_path / "ranker") and again.summary.key == "k1"
    assert np.allclose(again.score(test[0][0]), ranker.score(test[0][0]))
    assert not saved_in(tmp_path / "nowhere")


def test_a_ranker_trains_on_columns_a_caller_adds_and_names_them():
    """Benchmarks try columns the library does not compute; the training and its summary read their names."""
    rng = np.random.default_rng(1)
    names = (*FEATURES, "tried_column")

    def planted(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Groups where none of the library's columns says which candidate is relevant; the added one does."""
        groups = []
        for x, y in _groups(n, rng, 0):
            x[:, 0] = rng.normal(size=len(x))
            extra = rng.normal(size=len(x))
            extra[np.argmax(y)] += 2.5
            groups.append((np.column_stack([x, extra]).astype(np.float32), y))
        return groups

    ranker = fit_ranker(planted(200), [], RankerConfig(max_rounds=40, min_data_in_leaf=5), "wide", 1.0, feature_names=names)
    assert next(iter(ranker.summary.importances)) == "tried_column"
    assert set(ranker.summary.importances) == set(names)
    assert np.mean([np.argmax(ranker.score(x)) == np.argmax(y) for x, y in planted(40)]) > 0.5  # chance is 0.05


@pytest.mark.parametrize("queries", [0, 3])
def test_too_few_groups_still_fit_or_fail_clearly(queries):
    rng = np.random.default_rng(1)
    if queries == 0:
        with pytest.raises(Exception):
            fit_ranker([], [], RankerConfig(max_rounds=5), "k", 0.0)
    else:
        ranker = fit_ranker(_groups(queries, rng, 0), [], RankerConfig(max_rounds=5, min_data_in_leaf=1), "k", 1.0)
        assert ranker.score(np.zeros((4, len(FEATURES)), dtype=np.float32)).shape == (4,)


def test_a_learned_default_needs_its_calibration_win():
    from deepcodeseek.ranking.training import default_evidence

    fusion = {"top@5": 0.40, "mrr@40": 0.30}
    assert default_evidence({"default_method": "fusion"})[0]
    assert default_evidence({"default_method": "ranker", "ranker_calibration": {
        "ranker": {"top@5": 0.45, "mrr@40": 0.31}, "fusion": fusion}})[0]
    lost, why = default_evidence({"default_method": "ranker", "ranker_calibration": {
        "ranker": {"top@5": 0.40, "mrr@40": 0.30}, "fusion": fusion}})
    assert not lost and "0.4" in why  # a tie keeps the simpler fusion
    assert not default_evidence({"default_method": "ranker"})[0]
    served = {"rerank_ce": {"top_n": 10, "within_budget": True}}
    top = {"no rerank": {"top@5": 0.5, "top@10": 0.6}, "rerank_ce": {"top@5": 0.55, "top@10": 0.6}}
    assert default_evidence({"default_method": "rerank_ce", "rerankers": served,
                             "rerankers_calibration": {"top": top}})[0]
    over_budget = {"rerank_ce": {"top_n": 10, "within_budget": False}}
    assert not default_evidence({"default_method": "rerank_ce", "rerankers": over_budget,
                                 "rerankers_calibration": {"top": top}})[0]
    assert not default_evidence({"default_method": "rerank_ce", "rerankers": served})[0]


def test_rare_targets_also_train_as_cold_starts_with_their_callers_set_aside():
    from types import SimpleNamespace

    from deepcodeseek.evaluation.benchmark import Sample
    from deepcodeseek.ranking.training import training_groups

    seen = []

    class Stage:  # two documents: 0 called by three scripts, 1 (rare) by one other script
        retriever = SimpleNamespace(docs=[{"namespace": "Common"}, {"namespace": "Rare"}],
                                    context_callers=np.array(["s1", "s2", "s3", "s9"], dtype=object),
                                    context_targets=np.array([0, 0, 0, 1]))

        def inputs(self, query, exclude):
            seen.append(set(exclude))
            return SimpleNamespace(candidates=np.array([0, 1]), features=np.zeros((2, 3), dtype=np.float32))

    samples = [Sample("s1:0:fim", "a", "Common", source="mined:s1"), Sample("s5:0:fim", "b", "Rare", source="mined:s5")]
    train, valid, recall = training_groups(Stage(), samples, None, max_callers=1)
    assert seen == [{"s1"}, {"s5"}, {"s5", "s9"}]  # Common: 2 other callers, not rare; Rare: a copy without s9
    assert len(train) + len(valid) == 3 and recall == 1.0
    assert all(len(g) == 3 and g[2] == 1.0 for g in train + valid)  # no cap: every query weighs 1
    seen.clear()
    training_groups(Stage(), samples, None, max_callers=0)
    assert seen == [{"s1"}, {"s5"}]


def test_sampling_keeps_a_popular_targets_weight_on_fewer_queries_and_the_rest_untouched():
    """``sample_factor`` keeps at most factor x cap of a target's queries, which share the weight all of
    them had; rarer targets keep every query. The pick depends on each query alone: one more call
    site of GlideRecord moves at most one query in or out."""
    from collections import defaultdict

    from deepcodeseek.evaluation.benchmark import Sample
    from deepcodeseek.ranking.training import target_weights, training_queries

    samples = [Sample(f"s{i}:0:fim", "x", "GlideRecord") for i in range(300)] + \
        [Sample(f"r{i}:0:fim", "x", "RareUtil") for i in range(10)]
    kept, weights = training_queries(samples, cap=20, sample_factor=2)
    by_target = defaultdict(list)
    for sample, weight in zip(kept, weights):
        by_target[sample.target_namespace].append(weight)
    assert len(by_target["GlideRecord"]) == 40 and set(by_target["GlideRecord"]) == {0.5}
    assert by_target["RareUtil"] == [1.0] * 10
    for target in by_target:  # the same total weight as every query, weighted
        assert sum(by_target[target]) == pytest.approx(sum(w for s, w in zip(samples, target_weights(samples, 20))
                                                           if s.target_namespace == target))
    assert [samples.index(s) for s in kept] == sorted(samples.index(s) for s in kept)  # in the queries' order
    more, _ = training_queries(samples + [Sample("s300:0:fim", "x", "GlideRecord")], cap=20, sample_factor=2)
    assert len({s.id for s in kept} ^ {s.id for s in more}) <= 2
    assert training_queries(samples, cap=20, sample_factor=0) == (samples, target_weights(samples, 20))
    assert training_queries(samples, cap=0, sample_factor=2)[0] == samples  # nothing to share without a cap


def test_the_features_pass_computes_only_the_sampled_queries():
    from types import SimpleNamespace

    from deepcodeseek.evaluation.benchmark import Sample
    from deepcodeseek.ranking.training import training_groups_of

    seen = []

    class Stage:
        retriever = SimpleNamespace(docs=[{"namespace": "GlideRecord"}], context_callers=np.array([], dtype=object),
                                    context_targets=np.array([], dtype=int))

        def inputs(self, query, exclude):
            seen.append(query.code_before)
            return SimpleNamespace(candidates=np.array([0]), features=np.zeros((1, 3), dtype=np.float32))

    samples = [Sample(f"s{i}:0:fim", f"q{i}", "GlideRecord", source=f"mined:s{i}") for i in range(30)]
    (train, valid, recall), = training_groups_of([Stage()], samples, None, weight_cap=5, sample_factor=2)
    assert len(seen) == 10 and len(train) + len(valid) == 10 and recall == 1.0
    assert all(g[2] == 0.5 for g in train + valid)


def test_popular_targets_weigh_as_capped_and_the_weights_reach_the_model():
    """A target that many training queries share counts as ``cap`` queries, and LambdaRank follows the weights:
    300 light groups that reward one feature lose to 100 full-weight groups that reward another."""
    from deepcodeseek.evaluation.benchmark import Sample
    from deepcodeseek.ranking.training import target_weights

    samples = [Sample(f"s{i}:0:fim", "x", "GlideRecord") for i in range(100)] + [Sample("r:0:fim", "x", "RareUtil")]
    weights = target_weights(samples, cap=20)
    assert weights[:100] == [0.2] * 100 and weights[100] == 1.0
    assert target_weights(samples, cap=0) == [1.0] * 101

    rng = np.random.default_rng(3)
    heavy, light = FEATURES.index("bm25_value"), FEATURES.index("votes_value")

    def weighted(n, feature, weight):
        return [(x, y, weight) for x, y in _groups(n, rng, feature)]
    train = weighted(100, heavy, 1.0) + weighted(300, light, 0.01)
    ranker = fit_ranker(train, [], RankerConfig(max_rounds=40, min_data_in_leaf=5), "w", 1.0)
    unweighted = fit_ranker([(x, y) for x, y, _ in train], [], RankerConfig(max_rounds=40, min_data_in_leaf=5), "u", 1.0)
    x = np.zeros((20, len(FEATURES)), dtype=np.float32)
    x[0, heavy] += 2.5  # the two planted features disagree: candidate 0 by the heavy one, 1 by the light one
    x[1, light] += 2.5
    assert ranker.score(x)[0] > ranker.score(x)[1]
    assert unweighted.score(x)[1] > unweighted.score(x)[0]  # without the weights the many light groups win
    assert ranker.summary.importances["bm25_value"] > ranker.summary.importances["votes_value"]


def test_loading_a_ranker_to_serve_leaves_scikit_learn_and_onnx_out(tmp_path):
    """Serving needs only ``Booster.predict`` and ONNX Runtime: LightGBM's sklearn wrappers (and ~110 MiB)
    stay unloaded, and so does the ``onnx`` package that compiled the trees at training (0.8 s to import)."""
    import subprocess
    import sys

    rng = np.random.default_rng(5)
    fit_ranker(_groups(40, rng, 0), [], RankerConfig(max_rounds=5, min_data_in_leaf=2), "s", 1.0).save(tmp_path / "r")
    code = "\n".join([
        "import sys, numpy as np",
        "from deepcodeseek.ranking.ranker import LearnedRanker",
        f"r = LearnedRanker.load({str(tmp_path / 'r')!r})",
        "assert r.compiled is not None",
        "print(r.score(np.zeros((3, r.booster.num_feature()), dtype=np.float32)).shape,",
        "      'sklearn' in sys.modules or 'onnx' in sys.modules)",
        "import sklearn  # still importable afterwards",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split()[-2:] == ["(3,)", "False"], out.stderr[-2000:]


def test_word_overlaps_as_one_sparse_product_equal_the_set_intersections():
    from deepcodeseek.ranking.doc_facts import DocFacts, WordSets

    sets = [{"get", "record"}, set(), {"record", "count", "row"}, {"get"}]
    words = {"get", "row", "unknown"}
    assert WordSets(sets).overlaps(words).tolist() == [len(s & words) for s in sets]
    assert WordSets(sets).sizes.tolist() == [2, 0, 3, 1]
    docs = [{"scope": "x_a", "access": None, "namespace": "IncidentUtils", "methods": ["getRecord", "rowCount"]},
            {"scope": None, "access": "package_private", "namespace": "", "methods": []},
            {"scope": "global", "access": "public", "namespace": "Row", "methods": ["get", "get"]}]
    facts = DocFacts(docs)
    method_words = [[{"get", "record"}, {"row", "count"}], [], [{"get"}]]
    best = [max((len(w & words) for w in sets), default=0) for sets in method_words]
    assert facts.best_method_overlap(words).tolist() == best == [1, 0, 1]
    assert facts.names.sizes.tolist() == [2, 0, 1]
    some = np.array([2, 1, 0, 2])  # a query's candidates: any order, repeats allowed
    assert facts.best_method_overlap(words, some).tolist() == [best[i] for i in some]
    assert facts.names.overlaps(words, some).tolist() == facts.names.overlaps(words)[some].tolist()
    assert facts.access_public.tolist() == [1.0, 0.0, 1.0]
    assert (facts.scopes == None).tolist() == [False, True, False]  # noqa: E711 (elementwise)


def test_neighbour_votes_add_up_as_a_loop_over_the_nearest_contexts():
    import numpy as np

    from deepcodeseek.retrieval.signals import neighbour_votes

    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        scores = (rng.random(n) * (rng.random(n) > 0.4)).astype(np.float32)
        targets = rng.integers(0, 30, n)
        votes, voters = neighbour_votes(scores, targets, 30, neighbours=12)
        nearest = np.argpartition(-scores, min(12, n) - 1)[:min(12, n)]
        best = float(scores[nearest].max())
        expected, counted = np.zeros(30), np.zeros(30, dtype=np.int32)
        for j in nearest:
            if scores[j] > 0:
                expected[targets[j]] += scores[j] / best
                counted[targets[j]] += 1
        assert np.array_equal(votes, expected) and np.array_equal(voters, counted)
        assert votes.dtype == np.float64 and voters.dtype == np.int32


def test_a_student_rebuilt_under_the_same_name_trains_another_ranker():
    """The ranker's key names the encoder that computed its dense feature by name *and* folder:
    a student rebuilt with other settings keeps its name, and a ranker kept by name alone would
    score its dense feature with trees fitted to the old student's similarities."""
    from types import SimpleNamespace

    from deepcodeseek.ranking.training import training_key
    from deepcodeseek.retrieval.retriever import Retriever

    def identity(choice, override=None):
        fake = SimpleNamespace(manifest={"query_encoder": choice}, _query_encoder=override)
        return Retriever.query_encoder_identity.fget(fake)

    old = identity({"name": "static-mlp", "model": "query_encoders/static-mlp-aaaa"})
    new = identity({"name": "static-mlp", "model": "query_encoders/static-mlp-bbbb"})
    assert old != new and old.startswith("static-mlp@")
    assert identity(None) == identity({"name": "static-mlp", "model": "x"}, override="teacher") == "teacher"
    keys = {training_key("v1", [], _NoHoldOut(), RankerConfig(), True, e) for e in (old, new)}
    assert len(keys) == 2
    assert training_key("v1", [], _NoHoldOut(), RankerConfig(), False, old) == \
        training_key("v1", [], _NoHoldOut(), RankerConfig(), False, new)  # no dense feature: the encoder is moot


def test_the_rank_limit_is_part_of_the_rankers_key(monkeypatch):
    """Ranks beyond the limit are shared, so another limit is another feature: a ranker fitted
    under one must not be reused under the other (a rebuild once did, FEATURE_SET unchanged)."""
    from deepcodeseek.ranking import training

    before = training.training_key("v1", [], _NoHoldOut(), RankerConfig(), True, "teacher")
    monkeypatch.setattr(training, "RANK_LIMIT", training.RANK_LIMIT + 1)
    assert training.training_key("v1", [], _NoHoldOut(), RankerConfig(), True, "teacher") != before


class _NoHoldOut:
    def as_json(self) -> dict:
        return {}


def test_ranks_equal_a_full_stable_sort_to_their_limit():
    """The first ``limit`` ranks are those of a stable sort of the admitted documents (ties by
    document order, ties at the cut included), and every deeper or unadmitted document shares
    ``limit + 1``: with more positive values than the limit (the partition), with fewer (the
    sparse path: zeros in document order), and with negative values after the zeros."""
    from deepcodeseek.ranking.features import _ranks

    rng = np.random.default_rng(5)
    cases = [(50, 10, 0, 6), (300, 40, 0, 6), (30, 100, 0, 6), (300, 40, 0, 1), (80, 30, -2, 3), (60, 200, -2, 3)]
    for n, limit, low, high in cases:
        values = rng.integers(low, high, n).astype(float)  # many ties, at the cut too
        if high == 1:  # sparse: a few positive values among zeros
            values[rng.choice(n, 12, replace=False)] = rng.random(12)
        admitted = rng.random(n) < 0.8
        keyed = np.where(admitted, values, -np.inf)
        full = np.empty(n)
        full[np.argsort(-keyed, kind="stable")] = np.arange(1, n + 1)
        got = _ranks(values, admitted, limit)
        exact = admitted & (full <= limit)
        assert np.array_equal(got[exact], full[exact])
        assert np.all(got[~exact] == limit + 1)


def test_the_vectorised_stable_argsort_equals_numpys_stable_one():
    """Unique floats, heavy ties, signed zeros, NaNs and integers: the order of ``kind="stable"``."""
    from deepcodeseek.ranking.features import stable_argsort

    rng = np.random.default_rng(11)
    for trial in range(400):
        n = int(rng.integers(0, 400))
        kind = trial % 4
        if kind == 0:
            keys = -rng.random(n)
            keys[rng.integers(0, max(n, 1), n // 4)] = -0.0
            keys[rng.integers(0, max(n, 1), n // 4)] = 0.0
        elif kind == 1:
            keys = -rng.integers(0, 6, n).astype(float)
        elif kind == 2:
            keys = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 3, n)).astype(float)
        else:
            keys = rng.integers(-3, 3, n)
        assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable")), (trial, keys)


def test_the_candidate_pool_is_each_sources_prefix_and_replays_other_depths():
    """``candidate_pool`` over ``source_lists`` equals the rule written out per document: a document is
    a candidate where some source admits it, values it above zero and ranks it within that source's
    depth; candidates go best rank first (then fusion), cut at the limit. Other depths replay the same."""
    from deepcodeseek.ranking.features import SOURCE_DEPTH, _ranks, candidate_pool, source_lists

    rng = np.random.default_rng(5)
    n = 400
    for trial in range(20):
        admitted = rng.random(n) < 0.8
        in_scope = admitted & (rng.random(n) < 0.2)
        parts = {s: np.where(rng.random(n) < 0.5, rng.random(n), 0.0) for s in SOURCE_DEPTH if s != "scope"}
        parts["votes"] = np.round(parts["votes"], 1)  # ties, broken by document order
        ranks = {s: _ranks(v, admitted) for s, v in parts.items()}
        ranks["scope"] = _ranks(rng.random(n), in_scope)
        eligible = {s: admitted & (parts[s] > 0) for s in parts} | {"scope": in_scope}
        fusion = rng.random(n)
        depth = SOURCE_DEPTH if trial % 2 else {s: int(rng.integers(1, 60)) for s in SOURCE_DEPTH}
        limit = 100 if trial % 3 else 25
        candidates, sources = candidate_pool(source_lists(ranks, eligible, 60), fusion, depth, limit)

        best, count = np.full(n, np.inf), np.zeros(n)
        for source, reach in depth.items():
            hit = eligible[source] & (ranks[source] <= reach)
            count += hit
            best = np.where(hit, np.minimum(best, ranks[source]), best)
        pool = np.flatnonzero(np.isfinite(best))
        assert np.array_equal(candidates, pool[np.lexsort((-fusion[pool], best[pool]))][:limit]), trial
        assert np.array_equal(sources, count), trial


def test_a_small_change_carries_the_ranker_into_the_new_version_and_a_larger_one_fits_again(tmp_path, monkeypatch):
    """Features are computed at query time from the version's own index, so the booster fitted on the
    previous version is copied into the new one while the instance changed by at most KEEP_CHANGE since
    that fit; past it, the ranker is fitted again."""
    from types import SimpleNamespace

    from deepcodeseek.carry import SCRIPTS_NAMED, fingerprint, last_fit, record_fit
    from deepcodeseek.paths import instance_paths
    from deepcodeseek.ranking import training

    paths = instance_paths("acme", tmp_path)
    paths.root.mkdir(parents=True, exist_ok=True)

    def stage(version):
        retriever = SimpleNamespace(version=version, paths=paths, model_name="m", query_encoder_identity="teacher")
        return SimpleNamespace(retriever=retriever, version_rel=f"versions/{version}", with_dense=True, ranker=None)

    rng = np.random.default_rng(0)
    informative = FEATURES.index("votes_value")
    fitted = fit_ranker(_groups(60, rng, informative), _groups(20, rng, informative),
                        RankerConfig(max_rounds=10, min_data_in_leaf=5), key="k-v1", recall=1.0)
    first = "versions/v1/ranker-k-v1"
    paths.index.write_once(first, fitted.write)
    texts = [f"doc {i}" for i in range(99)] + [SCRIPTS_NAMED]  # no script: nothing held out can have been learned
    record_fit(paths.root, "ranker", training.ranker_compatible(stage("v1"), RankerConfig()), first, fingerprint(texts))

    edited = fingerprint(["doc 0 (edited)", *texts[1:]])  # 1% of the instance
    carried = training.train_stage_ranker(stage("v2"), [], _NoHoldOut(), RankerConfig(), now=edited)
    key = training.training_key("v2", [], _NoHoldOut(), RankerConfig(), True, "teacher")
    assert carried.summary.key == key and carried.summary.fitted_key == "k-v1"
    served = LearnedRanker.load(paths.index.local(f"versions/v2/{training.RANKER_DIR}-{key[:16]}"))
    sample = _groups(1, rng, informative)[0][0]
    assert np.allclose(served.score(sample), fitted.score(sample)) and served.summary.fitted_key == "k-v1"
    assert last_fit(paths.root, "ranker")[0].carried == 1

    monkeypatch.setattr(training, "training_groups_of",  # too few to fit: None
                        lambda stages, *a, **k: [([], [], 0.0)] * len(stages))
    moved = fingerprint([f"doc {i} (edited)" if i < 3 else t for i, t in enumerate(texts)])  # 3%
    assert training.train_stage_ranker(stage("v3"), [], _NoHoldOut(), RankerConfig(), now=moved) is None
    other = SimpleNamespace(**{**vars(stage("v4")), "with_dense": False})  # other settings: not compatible
    assert training.train_stage_ranker(other, [], _NoHoldOut(), RankerConfig(), now=edited) is None
