"""A gateway failure fails the operation and keeps none of the gateway's changes, whether the
gateway may write before failing (a savepoint guards it) or fails before any change."""

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.extensions import db
from corp.operations.gateway import GatewayError, SimulatedOperator
from corp.operations.models import LineLimit, Operation
from tests.operations.conftest import reload


def _limit(line):
    db.session.expire_all()
    return db.session.get(LineLimit, (line.id, "spend"))


@pytest.mark.parametrize("writes_first", [True, False])
def test_a_failed_gateway_call_fails_the_operation_and_changes_nothing(
        admin_api, line_in_sales, monkeypatch, writes_first):
    def failing_limit_set(self, op, line, p):
        if writes_first:  # a change, then the failure: the savepoint takes the change back
            db.session.add(LineLimit(line_id=line.id, kind="spend", amount=p["amount"],
                                     action=p["action"]))
            line.employee_name = "changed by a failed call"
            db.session.flush()
        raise GatewayError("the operator is unavailable")

    monkeypatch.setattr(SimulatedOperator, "writes_before_failing", writes_first)
    monkeypatch.setattr(SimulatedOperator, "_limit_set", failing_limit_set)
    name, version = line_in_sales.employee_name, line_in_sales.version
    body = admin_api.op(line_in_sales, "limit_set",
                        {"kind": "spend", "amount": "1500", "action": "notify"},
                        status=202).get_json()
    assert body["status"] == "failed" and body["error"] == "the operator is unavailable"
    assert body["started_at"] and body["finished_at"]
    operation = db.session.get(Operation, body["id"])
    assert (operation.status, operation.error) == ("failed", "the operator is unavailable")
    line = reload(line_in_sales)
    assert (line.employee_name, line.version) == (name, version)
    assert _limit(line) is None
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "operation.limit_set", AuditEvent.line_id == line.id)) is None
