"""How many processes compute the ranker's training features, and what a container allows."""

from __future__ import annotations

from deepcodeseek.ranking import feature_workers
from deepcodeseek.ranking.feature_workers import cpu_quota, usable_cores, worker_count


def test_few_queries_stay_in_one_process_and_many_use_one_process_per_core(monkeypatch):
    monkeypatch.setattr(feature_workers, "usable_cores", lambda: 6)
    few = feature_workers.PARALLEL_MIN_QUERIES - 1
    assert worker_count(0, few) == 1 and worker_count(4, few) == 1
    assert worker_count(0, 20_000) == 6  # one per usable core
    assert worker_count(3, 20_000) == 3  # as configured
    assert worker_count(64, 20_000) == feature_workers.MAX_WORKERS
    assert worker_count(1, 20_000) == 1
    monkeypatch.setattr(feature_workers, "PARALLEL_MIN_QUERIES", 10)
    assert worker_count(0, 2 * feature_workers.BLOCK_QUERIES) == 2  # never more processes than blocks


def test_a_cgroup_cpu_limit_caps_the_cores(tmp_path):
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(v2) is None
    (v2 / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(v2) == 1.5
    assert usable_cores(v2) == 1  # 1.5 CPUs: one process, not two
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(v1) is None
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    assert cpu_quota(v1) == 3.0
    assert cpu_quota(tmp_path / "absent") is None
    assert usable_cores(tmp_path / "absent") >= 1
