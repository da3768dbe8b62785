"""GPU pinning for embedding, reranking and training assets, defined once.

``pool="gpu"`` limits how many such steps run at once (set the pool's limit to the GPU
count in ``dagster.yaml``); the dagster-k8s tag asks Kubernetes for a GPU node when the
k8s executor runs the step. The device itself is chosen at run time (CUDA, else CPU).
"""

GPU_POOL = "gpu"

GPU_K8S_TAGS = {
    "dagster-k8s/config": {
        "container_config": {
            "resources": {
                "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                "limits": {"memory": "16Gi", "nvidia.com/gpu": "1"},
            }
        },
        "pod_spec_config": {
            "node_selector": {"cloud.google.com/gke-accelerator": "nvidia-l4"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
    }
}


def gpu_op_tags() -> dict:
    """The op tags every GPU-pinned asset carries."""
    return GPU_K8S_TAGS
