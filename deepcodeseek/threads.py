"""How many threads the numerical libraries use inside one query."""

from __future__ import annotations


def one_thread_per_query() -> None:
    """Numerical libraries run each query on one thread: where queries run side by side (the service's
    query processes, the ranker's feature workers), one per core, a threaded BLAS or ONNX Runtime inside
    each of them only oversubscribes the cores."""
    from threadpoolctl import threadpool_limits

    from deepcodeseek.index.onnx_query_encoder import set_threads_per_query

    threadpool_limits(limits=1, user_api="blas")
    set_threads_per_query(1)
