"""PROD runs each step as a Kubernetes job, configured from the deployment file; no cluster needed to check it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from deepcodeseek_pipeline.definitions import all_assets
from deepcodeseek_pipeline.deployment import (
    DeploymentConfigError,
    apply_pool_limits,
    deployment_config,
    parse_deployment_config,
)
from deepcodeseek_pipeline.gpu import GPU_POOL, LLM_POOL

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "deploy" / "deployment.yaml"
GPU_ASSETS = {"vector_index", "training_triplets", "adapted_embedder", "adapted_index", "query_encoders", "rerankers"}
LLM_ASSETS = {"jsdoc_summaries", "benchmark_samples"}

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: dry-run, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: dry-run, user: {token: unused}}]
contexts: [{name: dry-run, context: {cluster: dry-run, user: dry-run}}]
current-context: dry-run
"""

PROBE = """
import json, sys
from deepcodeseek_pipeline.definitions import defs, all_assets
from deepcodeseek_pipeline.deployment import step_job_manifest
job = defs.resolve_job_def("index_instance")
out = {"executor": job.executor_def.name,
       "steps": {a.node_def.name: step_job_manifest(defs, a.node_def.name, kubeconfig_file=sys.argv[1])
                 for a in all_assets}}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def prod_jobs(tmp_path_factory) -> dict:
    """The PROD definitions loaded with the sample deployment file, and each step's Kubernetes Job."""
    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    kubeconfig.write_text(KUBECONFIG)
    env = {"PATH": "/usr/bin:/bin", "DEEPCODESEEK_ENV": "prod", "DEEPCODESEEK_DEPLOY_CONFIG": str(SAMPLE),
           "HOME": str(kubeconfig.parent), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(kubeconfig)], capture_output=True, text=True,
                         env=env, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_prod_definitions_load_with_the_k8s_executor(prod_jobs):
    assert prod_jobs["executor"] == "k8s_steps"
    assert set(prod_jobs["steps"]) >= GPU_ASSETS | LLM_ASSETS | {"bm25_index", "published_index"}


def test_gpu_steps_get_the_gpu_node_pool_from_the_deployment_file(prod_jobs):
    sample = deployment_config(str(SAMPLE)).pools[GPU_POOL].k8s
    for step in GPU_ASSETS:
        job = prod_jobs["steps"][step]
        pod = job["spec"]["template"]["spec"]
        resources = pod["containers"][0]["resources"]
        assert resources["requests"]["nvidia.com/gpu"] == "1" and resources["limits"]["nvidia.com/gpu"] == "1", step
        assert pod["nodeSelector"] == sample["pod_spec_config"]["node_selector"], step
        assert pod["tolerations"] == [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}], step
        assert job["namespace"] == "dagster"


def test_every_step_mounts_the_shared_state_and_cpu_steps_stay_off_gpu_nodes(prod_jobs):
    for step, job in prod_jobs["steps"].items():
        pod = job["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert {"mountPath": "/var/lib/deepcodeseek", "name": "deepcodeseek-state"} in container["volumeMounts"], step
        assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "deepcodeseek-state", step
        assert {"configMapRef": {"name": "deepcodeseek-env"}} in container["envFrom"], step
        if step not in GPU_ASSETS:
            assert "nvidia.com/gpu" not in container["resources"].get("limits", {}), step
            assert not pod.get("nodeSelector") and not pod.get("tolerations"), step
            assert container["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}, step


def test_pools_are_declared_and_local_steps_carry_no_cluster_config():
    by_name = {a.key.to_user_string(): a.node_def for a in all_assets}
    assert {n for n, node in by_name.items() if node.pool == GPU_POOL} == GPU_ASSETS
    assert {n for n, node in by_name.items() if node.pool == LLM_POOL} == LLM_ASSETS
    vector = next(a for a in all_assets if a.key == AssetKey("vector_index")).node_def
    assert "dagster-k8s/config" not in vector.tags  # no deployment file here: nothing hard-coded in its place


def test_pool_limits_are_applied_from_the_deployment_file():
    with DagsterInstance.ephemeral() as instance:
        assert apply_pool_limits(instance, deployment_config(str(SAMPLE))) == {"gpu": 2, "llm": 3}
        assert instance.event_log_storage.get_concurrency_info("gpu").slot_count == 2


@pytest.mark.parametrize("raw, message", [
    ({"pool": {}}, "unknown keys"),
    ({"pools": {"gpu": {"limits": 2}}}, "pool 'gpu' has unknown keys"),
    ({"pools": {"gpu": {"k8s": {"node_selector": {}}}}}, "pools.gpu.k8s has unknown keys"),
    ({"pools": {"gpu": {"limit": -1}}}, "pools.gpu.limit"),
])
def test_a_malformed_deployment_file_names_the_field(raw, message):
    with pytest.raises(DeploymentConfigError, match=message):
        parse_deployment_config(raw, "deploy.yaml")


def test_a_missing_deployment_file_is_named(tmp_path):
    with pytest.raises(DeploymentConfigError, match="no such file"):
        deployment_config(str(tmp_path / "absent.yaml"))
