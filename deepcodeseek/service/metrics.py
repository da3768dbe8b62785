"""Prometheus metrics of one service process (a registry of its own, so tests can run several apps)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, disable_created_metrics, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Retrieval takes 1-20 ms on 2 cores; the tail is what a load test and an alert look at.
disable_created_metrics()  # the *_created series double the exposition and nobody graphs them

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25,
                   0.5, 1.0, 2.5)


class ServiceMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("deepcodeseek_requests", "HTTP requests by route and status code",
                                ["route", "status"], registry=r)
        self.queries = Counter("deepcodeseek_queries", "Queries answered, by instance and method (a batch counts each)",
                               ["instance", "method"], registry=r)
        self.errors = Counter("deepcodeseek_errors", "Requests refused or failed, by route and error code",
                              ["route", "code"], registry=r)
        self.latency = Histogram("deepcodeseek_retrieve_latency_seconds", "Time to rank one query",
                                 ["instance", "method"], buckets=LATENCY_BUCKETS, registry=r)
        self.index = Info("deepcodeseek_index", "The index version each instance serves", ["instance"], registry=r)
        self.loads = Counter("deepcodeseek_index_loads", "Index versions loaded and switched to", ["instance"],
                             registry=r)
        self.load_failures = Counter("deepcodeseek_index_load_failures",
                                     "Index versions that failed to load (the previous one kept serving)",
                                     ["instance"], registry=r)
        self.age = Gauge("deepcodeseek_index_age_seconds", "Seconds since the served version was published",
                         ["instance"], registry=r)
        self.ready = Gauge("deepcodeseek_ready", "1 when every served instance has a loaded version", registry=r)
        self._published: dict[str, float] = {}

    def on_load(self, instance: str, live, error) -> None:
        """Called by the instance pool after each load attempt."""
        if error is not None:
            self.load_failures.labels(instance).inc()
            return
        self.loads.labels(instance).inc()
        m = live.manifest
        self.index.labels(instance).info({"version": live.version, "model": str(m.get("model", "")),
                                          "adapted": str(bool(m.get("adapted_from"))).lower(),
                                          "query_encoder": live.query_encoder})
        self._published[instance] = float(m.get("published_at") or 0.0)
        self.age.labels(instance).set_function(lambda name=instance: time.time() - self._published[name]
                                               if self._published.get(name) else float("nan"))

    def observe_query(self, instance: str, method: str, seconds: float) -> None:
        self.queries.labels(instance, method).inc()
        self.latency.labels(instance, method).observe(seconds)

    def exposition(self, ready: bool) -> bytes:
        self.ready.set(1 if ready else 0)
        return generate_latest(self.registry)
