"""Pools of scarce steps, defined once: GPU steps (embedding, triplets, training) and LLM steps.

``pool=`` limits how many such steps run at once across all runs (the limit is the
instance's: the GPU count for ``gpu``, the API's rate budget for ``llm``; see
``deepcodeseek_pipeline.deployment``). Where a GPU step runs (resource requests, node
selector, tolerations) comes from the deployment file, not from code; without one
(LOCAL, CI) the steps carry no Kubernetes config. The device itself is chosen at run
time (CUDA, else CPU).
"""

from deepcodeseek_pipeline.deployment import deployment_config

GPU_POOL = "gpu"
LLM_POOL = "llm"
POOLS = (GPU_POOL, LLM_POOL)


def gpu_op_tags() -> dict:
    """The op tags every GPU-pinned asset carries (its ``dagster-k8s/config`` from the deployment file)."""
    return deployment_config().op_tags(GPU_POOL)


def llm_op_tags() -> dict:
    """The op tags of steps that call the LLM (none unless the deployment gives the pool a pod config)."""
    return deployment_config().op_tags(LLM_POOL)
