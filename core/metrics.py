"""Prometheus metrics: request latency, sign-in failures, and gauges read at scrape time.

Counters and histograms live in each process; under gunicorn (several worker processes)
``PROMETHEUS_MULTIPROC_DIR`` makes ``prometheus_client`` keep them in files that one scrape
sums over every worker. Gauges that must agree between processes (jobs by status, queue
depth, operations by type and status) are not counted in memory at all: a collector reads
them from the database and the broker when Prometheus scrapes.

Exposure is never public by default (``core.health``): ``/metrics`` answers 404 unless
``METRICS_TOKEN`` is set, and then only to ``Authorization: Bearer <METRICS_TOKEN>``;
``METRICS_PORT`` makes the gunicorn master serve them on a loopback port of their own
instead (``gunicorn.conf.py``).
"""

import os
from collections.abc import Callable, Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from core.extensions import db

REQUEST_LATENCY = Histogram(
    "vm_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint, method and status.",
    ("endpoint", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SIGNIN_FAILURES = Counter(
    "vm_signin_failures_total", "Refused sign-in attempts (wrong password, unknown e-mail, locked)."
)

# Callables returning metric families, registered by the packages that own the data
# (operations registers jobs and operations): core never imports them.
_scrape_sources: list[Callable[[], Iterable[GaugeMetricFamily]]] = []


def add_scrape_source(source: Callable[[], Iterable[GaugeMetricFamily]]) -> None:
    """Register a function read at scrape time (inside an app context)."""
    if source not in _scrape_sources:
        _scrape_sources.append(source)


class _ScrapeTimeCollector:
    """Yields what the registered sources read now; a failing source is skipped, not fatal."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with self.app.app_context():
            for source in list(_scrape_sources):
                try:
                    families = list(source())
                except Exception:  # a scrape must not fail because one source did
                    self.app.logger.exception("metrics source %s failed", source.__name__)
                    db.session.rollback()
                    continue
                yield from families


def registry_for(app) -> CollectorRegistry:
    """The registry one scrape reads: every process's counters plus the scrape-time gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(_ScrapeTimeCollector(app))
    return registry


class _ProcessCollector:
    """This process's own counters when there is no multiprocess directory (one process)."""

    def collect(self):
        yield from REGISTRY.collect()


def render(app) -> bytes:
    """The text exposition format of everything above."""
    return generate_latest(registry_for(app))


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request."""
    REQUEST_LATENCY.labels(endpoint, method, str(status)).observe(seconds)


def signin_failed() -> None:
    """Count one refused sign-in attempt."""
    SIGNIN_FAILURES.inc()
