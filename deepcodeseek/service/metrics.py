"""Prometheus metrics of the service (a registry per app, so tests can run several apps).

The serving process holds the only registry. With ``serve --processes N`` the query processes
report what they ranked and loaded in each reply (``query_process``), and :meth:`ServiceMetrics.apply`
counts it here, so no metric lives in shared files.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
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
        self.loads = Counter("deepcodeseek_index_loads", "Index versions loaded and switched to", ["instance"],
                             registry=r)
        self.load_failures = Counter("deepcodeseek_index_load_failures",
                                     "Index versions that failed to load (the previous one kept serving)",
                                     ["instance"], registry=r)
        self.served = ServedVersions()
        r.register(self.served)

    def on_load(self, instance: str, live, error) -> None:
        """Called by the instance pool after each load attempt."""
        if error is not None:
            self.load_failures.labels(instance).inc()
            return
        self.loads.labels(instance).inc()
        self.served.versions[instance] = served_entry(live)

    def apply(self, observed: list, events: list) -> None:
        """What a query process reported with a reply: queries ranked, versions loaded or failed."""
        for instance, method, seconds in observed:
            self.observe_query(instance, method, seconds)
        for event in events:
            if event[0] == "load":
                _, instance, labels, published_at = event
                self.loads.labels(instance).inc()
                self.served.versions[instance] = (labels, published_at)
            elif event[0] == "load_failure":
                self.load_failures.labels(event[1]).inc()

    def observe_query(self, instance: str, method: str, seconds: float) -> None:
        self.queries.labels(instance, method).inc()
        self.latency.labels(instance, method).observe(seconds)

    def exposition(self, ready: bool) -> bytes:
        self.served.ready = ready
        return generate_latest(self.registry)


def served_entry(live) -> tuple[dict[str, str], float]:
    """The info metric's labels for a loaded version, and its publish time."""
    m = live.manifest
    return ({"version": live.version, "model": str(m.get("model", "")), "adapted": str(bool(m.get("adapted_from"))).lower(),
             "query_encoder": live.query_encoder}, float(m.get("published_at") or 0.0))


class ServedVersions:
    """The index version each instance serves (an info metric), its age and readiness, read at scrape time."""

    def __init__(self):
        self.versions: dict[str, tuple[dict[str, str], float]] = {}  # instance -> (labels, published_at)
        self.ready = False

    def collect(self):
        info = InfoMetricFamily("deepcodeseek_index", "The index version each instance serves",
                                labels=["instance"])
        age = GaugeMetricFamily("deepcodeseek_index_age_seconds", "Seconds since the served version was published",
                                labels=["instance"])
        for instance, (labels, published) in sorted(self.versions.items()):
            info.add_metric([instance], labels)
            age.add_metric([instance], time.time() - published if published else float("nan"))
        yield info
        yield age
        yield GaugeMetricFamily("deepcodeseek_ready", "1 when every served instance has a loaded version",
                                value=1 if self.ready else 0)
