"""Two writers on one line: one wins, the other is told the line changed meanwhile;
a retried request with the same Idempotency-Key runs once."""

from sqlalchemy import func, select, update

from core.extensions import db
from corp.models import Line
from corp.operations.models import Operation
from tests.operations.conftest import reload


def test_stale_version_loses_with_409(admin_api, sales_api, line_in_sales):
    seen = reload(line_in_sales).version
    admin_api.op(line_in_sales, "block", {"kind": "voluntary"}, version=seen, status=202)
    response = sales_api.op(line_in_sales, "service_add", {"service_code": "voicemail"},
                            version=seen)
    assert response.status_code == 409
    assert response.get_json()["code"] == "changed_meanwhile"
    assert "reload" in response.get_json()["message"]
    # The loser changed nothing; with the fresh version it goes through.
    fresh = reload(line_in_sales)
    assert fresh.status == "blocked" and not fresh.services
    sales_api.op(line_in_sales, "service_add", {"service_code": "voicemail"},
                 version=fresh.version, status=202)


def test_a_write_racing_inside_the_request_loses_cleanly(app, admin_api, line_in_sales,
                                                         monkeypatch):
    """Another process bumps the row between our read and our write: StaleDataError → 409."""
    from corp.operations import gateway

    real = gateway.SimulatedOperator._block

    def racing(self, op, line, params):
        db.session.execute(update(Line).where(Line.id == line.id)
                           .values(version=Line.version + 1, employee_name="someone else")
                           .execution_options(synchronize_session=False))
        return real(self, op, line, params)

    monkeypatch.setattr(gateway.SimulatedOperator, "_block", racing)
    response = admin_api.op(line_in_sales, "block", {"kind": "loss"})
    assert response.status_code == 409
    assert response.get_json()["code"] == "changed_meanwhile"
    assert reload(line_in_sales).status == "active"
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.line_id == line_in_sales.id)) == 0


def test_idempotency_key_runs_once(admin_api, line_in_sales):
    first = admin_api.op(line_in_sales, "sms_send", {"text": "one"}, key="k-123",
                         status=202).get_json()
    second = admin_api.op(line_in_sales, "sms_send", {"text": "one"}, key="k-123",
                          status=202).get_json()
    assert first["id"] == second["id"]
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.line_id == line_in_sales.id)) == 1
    third = admin_api.op(line_in_sales, "sms_send", {"text": "one"}, key="k-124",
                         status=202).get_json()
    assert third["id"] != first["id"]


def test_idempotency_keys_are_per_company(admin_api, vector_api, line_in_sales, vector_line):
    mine = admin_api.op(line_in_sales, "sms_send", {"text": "a"}, key="same", status=202)
    theirs = vector_api.op(vector_line, "sms_send", {"text": "a"}, key="same", status=202)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
