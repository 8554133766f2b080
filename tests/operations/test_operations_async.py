"""With an operator delay, single operations are accepted first and applied in the
background; the state is checked again when the operator gets to them."""

import pytest

from core import background
from core.extensions import db
from corp.operations import service
from corp.operations.models import Operation
from tests.operations.conftest import reload


@pytest.fixture
def queued(app, monkeypatch):
    """A delay makes operations asynchronous; the queue is captured instead of run."""
    app.config["OPERATOR_GATEWAY_DELAY"] = 0.001
    captured = []
    monkeypatch.setattr(background, "submit", lambda kind, object_id: captured.append(
        (kind, object_id)))
    return captured


def test_accepted_then_applied_in_the_background(admin_api, line_in_sales, queued):
    body = admin_api.op(line_in_sales, "block", {"kind": "loss"}, status=202).get_json()
    assert body["status"] == "pending" and queued == [("operation", body["id"])]
    assert reload(line_in_sales).status == "active"
    assert admin_api.get(f"/api/v1/operations/{body['id']}")["status"] == "pending"
    service.run_operation(body["id"])
    assert reload(line_in_sales).status == "blocked"
    assert admin_api.get(f"/api/v1/operations/{body['id']}")["status"] == "done"


def test_rules_are_checked_again_when_the_operator_runs_it(admin_api, line_in_sales, queued):
    first = admin_api.op(line_in_sales, "block", {"kind": "loss"}, status=202).get_json()
    second = admin_api.op(line_in_sales, "block", {"kind": "loss"}, status=202).get_json()
    service.run_operation(first["id"])
    service.run_operation(second["id"])
    db.session.expire_all()
    failed = db.session.get(Operation, second["id"])
    assert failed.status == "failed" and "already blocked" in failed.error
    assert db.session.get(Operation, first["id"]).status == "done"


def test_eager_runner_applies_at_once(app, admin_api, line_in_sales):
    app.config["OPERATOR_GATEWAY_DELAY"] = 0.001
    body = admin_api.op(line_in_sales, "unblock", status=409).get_json()
    assert body["code"] == "refused"
    body = admin_api.op(line_in_sales, "block", {"kind": "voluntary"}, status=202).get_json()
    assert admin_api.get(f"/api/v1/operations/{body['id']}")["status"] == "done"
    assert reload(line_in_sales).status == "blocked"
