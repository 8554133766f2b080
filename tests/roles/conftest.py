"""Fixtures of the roles tests."""

import pytest


@pytest.fixture(autouse=True)
def fresh_enforcers():
    """Each test's rolled-back transaction reuses policy version numbers: start and end with
    no cached enforcer, so that no test sees another test's policies."""
    from roles.access import enforcer_cache

    enforcer_cache().invalidate()
    yield
    enforcer_cache().invalidate()
