"""Nothing that must agree between processes lives in one process's memory: with
``RATELIMIT_STORAGE_URI`` on Redis, sign-in throttling counts across every web process."""

import uuid

import pytest
import redis

REDIS = "redis://127.0.0.1:6379/6"


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")


def test_sign_in_throttling_is_shared_between_two_web_processes(make_app):
    prefix = f"vm-test-{uuid.uuid4().hex[:8]}"
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS,
                "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": "3 per minute"}
    # Two apps stand for two gunicorn workers: each has its own memory, one Redis.
    first = make_app(**settings).test_client()
    second = make_app(**settings).test_client()
    try:
        body = {"email": "nobody@example.com", "password": "wrong-password-1"}
        for _ in range(3):
            assert first.post("/api/v1/auth/token", json=body).status_code == 401
        # The fourth attempt goes to the other process, which has never seen this client.
        assert second.post("/api/v1/auth/token", json=body).status_code == 429
    finally:
        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
