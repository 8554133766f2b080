"""Probes, metrics, request ids and the per-request log line."""

import logging

import pytest

from tests.conftest import PASSWORD

REDIS = "redis://127.0.0.1:6379/6"


def test_healthz_answers_without_asking_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok"}


def test_readyz_names_the_broker_that_does_not_answer(make_app):
    app = make_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["broker"]
    assert response.json["checks"]["database"] == "ok"


def test_readyz_names_the_rate_limit_storage_that_does_not_answer(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["redis"]


def test_readyz_reports_a_reachable_redis(make_app):
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    app = make_app(RATELIMIT_STORAGE_URI=REDIS)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_metrics_are_not_public_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_configured_token(make_app):
    app = make_app(METRICS_TOKEN="scrape-secret-123")
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    client.get("/healthz")
    client.post("/login", data={"email": "admin@romashka.example", "password": "not-it-at-all"})
    body = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"}).text
    assert 'vm_http_request_duration_seconds_count{endpoint="health.healthz",method="GET",' \
           'status="200"}' in body
    assert "vm_signin_failures_total" in body
    failures = [line for line in body.splitlines() if line.startswith("vm_signin_failures_total")]
    assert float(failures[0].split()[-1]) >= 1
    assert 'vm_jobs{' in body or "# TYPE vm_jobs gauge" in body
    assert 'vm_job_queue_depth{what="pending_lines"}' in body
    assert 'vm_operations{' in body or "# TYPE vm_operations gauge" in body


def test_every_answer_carries_a_request_id_and_a_proxy_id_is_kept(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first and second and first != second
    given = "edge-4f2a9c1d77"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    # Something that is not a plain token is replaced, never echoed.
    odd = "<script>alert(1)</script>"
    answered = client.get("/healthz", headers={"X-Request-ID": odd}).headers["X-Request-ID"]
    assert answered != odd and len(answered) == 32


def test_one_log_line_per_request_names_user_company_endpoint_status(client, caplog):
    client.post("/login", data={"email": "admin@romashka.example", "password": PASSWORD})
    with caplog.at_level(logging.INFO, logger="vm.request"):
        # The sign-in above may already have been captured when an earlier test left
        # the logger at INFO; only the request under test counts.
        caplog.clear()
        response = client.get("/lines")
    lines = [r for r in caplog.records if r.name == "vm.request"]
    assert len(lines) == 1
    record = lines[0]
    assert record.request_id == response.headers["X-Request-ID"]
    assert record.status == 200 and record.endpoint == "corp.lines"
    assert record.user_id is not None and record.company_id == 1
    assert record.duration_ms >= 0


def test_the_json_formatter_writes_one_object_per_line():
    import io
    import json

    from core import logs

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    from pythonjsonlogger.json import JsonFormatter

    handler.setFormatter(JsonFormatter("{levelname}{name}{message}", style="{"))
    logger = logging.getLogger("vm.test.json")
    logger.addHandler(handler)
    try:
        with logs.bind_request_id("abc12345def"):
            logger.warning("job %s", 7, extra={"job_id": 7})
    finally:
        logger.removeHandler(handler)
    data = json.loads(stream.getvalue().strip())
    assert data["message"] == "job 7" and data["request_id"] == "abc12345def"
    assert data["job_id"] == 7
