"""Probes and metrics for the machines around the portal (load balancer, orchestrator,
Prometheus): ``/healthz`` (the process answers), ``/readyz`` (what it depends on answers),
``/metrics`` (never public by default)."""

import hmac
from functools import lru_cache

from flask import Blueprint, Response, abort, current_app, jsonify, request
from limits.storage import storage_from_string
from sqlalchemy import text

from core import metrics
from core.extensions import db
from core.marks import public

bp = Blueprint("health", __name__)

PROBE_TIMEOUT = 2.0


@bp.get("/healthz")
@public
def healthz():
    """Liveness: the process is up and serving (no dependency is asked)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public
def readyz():
    """Readiness: the database, the shared rate-limit storage and the broker when configured.

    503 names every part that failed, so the operator knows where to look.
    """
    checks = {"database": _check_database}
    storage_uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if not storage_uri.startswith("memory://"):
        checks["redis"] = _check_rate_limit_storage
    if current_app.config.get("CELERY_BROKER_URL"):
        checks["broker"] = _check_broker
    results, failing = {}, []
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # any failure of a dependency is a "not ready"
            current_app.logger.warning("readiness: %s unreachable: %s", name, error)
            results[name] = "unreachable"
            failing.append(name)
    body = {"status": "ok" if not failing else "unavailable", "checks": results}
    if failing:
        body["failing"] = failing
    return jsonify(body), (503 if failing else 200)


def _check_database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _check_rate_limit_storage() -> None:
    storage = _rate_limit_storage(current_app.config["RATELIMIT_STORAGE_URI"])
    if not storage.check():
        raise ConnectionError("rate-limit storage did not answer")


@lru_cache(maxsize=4)
def _rate_limit_storage(uri: str):
    """The configured storage itself (not the limiter's, which is off in some set-ups)."""
    return storage_from_string(uri, socket_connect_timeout=PROBE_TIMEOUT,
                               socket_timeout=PROBE_TIMEOUT)


def _check_broker() -> None:
    # Imported only when a broker is configured: a portal without Celery never loads kombu.
    from kombu import Connection

    with Connection(current_app.config["CELERY_BROKER_URL"],
                    connect_timeout=PROBE_TIMEOUT) as connection:
        connection.ensure_connection(max_retries=0, timeout=PROBE_TIMEOUT)


@bp.get("/metrics")
@public
def prometheus_metrics():
    """Prometheus scrape endpoint: 404 unless ``METRICS_TOKEN`` is set and presented."""
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(404)
    return Response(metrics.render(current_app._get_current_object()),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")
