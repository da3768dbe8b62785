"""Deployment configuration: what the cluster looks like, read from a YAML file, never from code.

``$DEEPCODESEEK_DEPLOY_CONFIG`` names the file (``deploy/deployment.yaml`` is the
sample; the Helm chart mounts the real one from a ConfigMap). It is read once, when the
definitions load, and holds:

- ``executor``: the ``k8s_job_executor`` config every step gets in PROD (namespace, the
  shared-state volume and its mount, env from ConfigMaps and Secrets, default
  resources, ``max_concurrent`` pods per run);
- ``pools``: per pool (``gpu``, ``llm``), its limit across all runs and the
  ``dagster-k8s/config`` of steps in it (GPU resource requests, node selector,
  tolerations for the GPU node pool).

Without the file (LOCAL, CI) steps carry no Kubernetes config at all; the pools still
exist, with the limits the instance sets (``dagster.yaml``'s default, or
``python -m deepcodeseek_pipeline.deployment apply-pool-limits``).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from deepcodeseek_pipeline.environment import Environment

DEPLOY_CONFIG_ENV = "DEEPCODESEEK_DEPLOY_CONFIG"
K8S_CONFIG_TAG = "dagster-k8s/config"
_K8S_KEYS = {"container_config", "pod_spec_config", "pod_template_spec_metadata", "job_spec_config",
             "job_metadata", "job_config", "merge_behavior"}


class DeploymentConfigError(ValueError):
    """The deployment file is missing or malformed; the message names the file and the field."""


@dataclass(frozen=True)
class PoolConfig:
    name: str
    limit: int | None = None  # steps of this pool in progress across all runs
    k8s: dict = field(default_factory=dict)  # dagster-k8s/config for steps of this pool


@dataclass(frozen=True)
class DeploymentConfig:
    source: str = ""  # the file it came from; empty: no deployment file (LOCAL, CI)
    executor: dict = field(default_factory=dict)
    pools: dict[str, PoolConfig] = field(default_factory=dict)

    def op_tags(self, pool: str) -> dict:
        """The op tags of a step in ``pool``: its Kubernetes config, when the deployment gives one."""
        config = self.pools.get(pool)
        return {K8S_CONFIG_TAG: config.k8s} if config and config.k8s else {}


def parse_deployment_config(raw: dict, source: str) -> DeploymentConfig:
    """Validate the file's shape early, so a typo fails at load with the file and field named."""
    if not isinstance(raw, dict):
        raise DeploymentConfigError(f"{source}: expected a mapping with 'executor' and 'pools'")
    unknown = set(raw) - {"executor", "pools"}
    if unknown:
        raise DeploymentConfigError(f"{source}: unknown keys {sorted(unknown)} (known: executor, pools)")
    pools = {}
    for name, entry in (raw.get("pools") or {}).items():
        entry = entry or {}
        bad = set(entry) - {"limit", "k8s"}
        if bad:
            raise DeploymentConfigError(f"{source}: pool {name!r} has unknown keys {sorted(bad)} (known: limit, k8s)")
        k8s = entry.get("k8s") or {}
        bad = set(k8s) - _K8S_KEYS
        if bad:
            raise DeploymentConfigError(f"{source}: pools.{name}.k8s has unknown keys {sorted(bad)} "
                                        f"(known: {', '.join(sorted(_K8S_KEYS))})")
        limit = entry.get("limit")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise DeploymentConfigError(f"{source}: pools.{name}.limit must be a whole number >= 0, got {limit!r}")
        pools[name] = PoolConfig(name=name, limit=limit, k8s=k8s)
    executor = raw.get("executor") or {}
    if not isinstance(executor, dict):
        raise DeploymentConfigError(f"{source}: 'executor' must be a mapping (k8s_job_executor config)")
    return DeploymentConfig(source=source, executor=executor, pools=pools)


@lru_cache(maxsize=8)
def _load(path: str) -> DeploymentConfig:
    if not path:
        return DeploymentConfig()
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeploymentConfigError(f"{DEPLOY_CONFIG_ENV}={path}: no such file") from None
    except yaml.YAMLError as exc:
        raise DeploymentConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_deployment_config(raw or {}, str(file))


def deployment_config(path: str | None = None) -> DeploymentConfig:
    """The deployment file named by ``path`` or ``$DEEPCODESEEK_DEPLOY_CONFIG``; empty when neither is set."""
    return _load(path if path is not None else os.environ.get(DEPLOY_CONFIG_ENV, ""))


def executor_for(env: Environment, config: DeploymentConfig | None = None):
    """PROD runs each step as a Kubernetes job (dagster-k8s); elsewhere Dagster's default executor.

    dagster-k8s is the ``k8s`` extra: it is imported only when PROD asks for it.
    """
    if env != Environment.PROD:
        return None
    config = config or deployment_config()
    try:
        from dagster_k8s import k8s_job_executor
    except ImportError as exc:
        raise DeploymentConfigError("DEEPCODESEEK_ENV=prod runs steps as Kubernetes jobs: "
                                    "install the k8s extra (pip install 'deepcodeseek[k8s]')") from exc
    return k8s_job_executor.configured(config.executor, name="k8s_steps")


def apply_pool_limits(instance, config: DeploymentConfig | None = None) -> dict[str, int]:
    """Set each configured pool's limit on the Dagster instance (what ``dagster instance concurrency set`` does)."""
    config = config or deployment_config()
    applied = {}
    for pool in config.pools.values():
        if pool.limit is not None:
            instance.event_log_storage.set_concurrency_slots(pool.name, pool.limit)
            applied[pool.name] = pool.limit
    return applied


def step_job_manifest(defs, op_name: str, job_name: str = "index_instance", image: str = "deepcodeseek:dry-run",
                      kubeconfig_file: str | None = None, dagster_home: str = "/opt/dagster/dagster_home") -> dict:
    """The Kubernetes Job that PROD would create for one step, resolved by dagster-k8s itself, without a cluster.

    The job's configured executor is created (``kubeconfig_file``: a config to load
    instead of the in-cluster one; nothing is contacted), its container context merged
    with the step's ``dagster-k8s/config`` tag as ``K8sStepHandler`` merges them, and
    ``construct_dagster_k8s_job`` builds the Job. For a dry run: what pod a step gets.
    """
    from dagster import DagsterInstance
    from dagster._config import process_config
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.executor.init import InitExecutorContext
    from dagster_k8s import K8sRunLauncher
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import construct_dagster_k8s_job, get_user_defined_k8s_config

    job = defs.resolve_job_def(job_name)
    executor_def = job.executor_def
    mapped = executor_def.apply_config_mapping({})
    if not mapped.success:
        raise DeploymentConfigError(f"executor config: {mapped.errors}")
    processed = process_config(executor_def.config_field.config_type, mapped.value)
    if not processed.success:
        raise DeploymentConfigError(f"executor config: {processed.errors}")
    local = {"load_incluster_config": False, "kubeconfig_file": kubeconfig_file} if kubeconfig_file else {}
    config = {**processed.value["config"], **local}
    with DagsterInstance.ephemeral() as instance:
        executor = executor_def.executor_creation_fn(InitExecutorContext(
            job=InMemoryJob(job), executor_def=executor_def, executor_config=config, instance=instance))
    handler = executor._step_handler  # the K8sStepHandler the executor launches steps with
    node = job.graph.node_named(op_name).definition
    context = handler._executor_container_context.merge(
        K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(node.tags)))
    launcher = K8sRunLauncher(service_account_name="dagster", instance_config_map="dagster-instance",
                              dagster_home=dagster_home, load_incluster_config=not kubeconfig_file,
                              kubeconfig_file=kubeconfig_file)
    manifest = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(image, launcher), args=["dagster", "api", "execute_step"],
        job_name=f"dagster-step-{op_name}", pod_name=f"dagster-step-{op_name}", component="step_worker",
        user_defined_k8s_config=context.run_k8s_config, labels={"dagster/op": op_name})
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(manifest) | {"namespace": context.namespace}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deepcodeseek_pipeline.deployment")
    parser.add_argument("command", choices=["apply-pool-limits", "show", "step-pod"])
    parser.add_argument("--config", default=None, help=f"deployment YAML (default ${DEPLOY_CONFIG_ENV})")
    parser.add_argument("--step", default="vector_index", help="step-pod: the step whose Kubernetes Job to print")
    parser.add_argument("--kubeconfig", default=None, help="step-pod: a kubeconfig to load (nothing is contacted)")
    args = parser.parse_args(argv)
    config = deployment_config(args.config)
    if args.command == "step-pod":
        from deepcodeseek_pipeline.definitions import defs

        print(yaml.safe_dump(step_job_manifest(defs, args.step, kubeconfig_file=args.kubeconfig), sort_keys=False))
        return
    if args.command == "show":
        print(yaml.safe_dump({"source": config.source, "executor": config.executor,
                              "pools": {p.name: {"limit": p.limit, "k8s": p.k8s} for p in config.pools.values()}}))
        return
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        for pool, limit in apply_pool_limits(instance, config).items():
            print(f"pool {pool}: limit {limit}")


if __name__ == "__main__":
    main()
