"""The audit log is tamper-evident: editing, deleting or inserting a row breaks its chain,
and ``flask --app app audit verify`` names the first broken link."""

from sqlalchemy import func, select, text

from core import audit
from core.audit import AuditChainHead, AuditEvent, verify_chains
from core.extensions import db


def _some_events(n=3, company_id=1):
    for i in range(n):
        audit.record("test.step", company_id=company_id, object_type="thing", object_id=i,
                     before={"n": i}, after={"n": i + 1, "amount": "10.50"})
    db.session.commit()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "test.step")
                              .order_by(AuditEvent.chain_seq)).all()


def test_events_are_chained_per_company_in_order(app):
    events = _some_events(3)
    assert [e.chain_seq for e in events] == [events[0].chain_seq + i for i in range(3)]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    head = db.session.get(AuditChainHead, 1)
    assert head.seq == events[-1].chain_seq and head.last_hash == events[-1].hash
    assert verify_chains()["broken"] == []


def test_an_edited_row_is_reported_as_the_first_broken_link(app, runner):
    events = _some_events(3)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    db.session.execute(text("UPDATE audit_events SET detail = 'nothing happened' WHERE id = :id"),
                       {"id": events[1].id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN company 1: event {events[1].id}" in result.output
    assert "edited" in result.output


def test_a_deleted_row_is_reported(app, runner):
    events = _some_events(3)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    db.session.commit()
    report = verify_chains(1)
    assert report["broken"][0]["event_id"] == events[2].id
    assert "deleted or inserted" in report["broken"][0]["reason"]


def test_a_deleted_last_row_is_reported_through_the_head(app):
    events = _some_events(2)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[-1].id})
    db.session.commit()
    report = verify_chains(1)
    assert "head" in report["broken"][0]["reason"]


def test_a_row_forged_outside_the_chain_is_reported(app):
    _some_events(1)
    db.session.execute(AuditEvent.__table__.insert().values(
        company_id=1, action="auth.login", actor_email="someone@romashka.example"))
    db.session.commit()
    report = verify_chains(1)
    assert report["broken"] and "outside the chain" in report["broken"][0]["reason"]


def test_bulk_rows_of_a_job_join_the_chain(app):
    audit.insert_rows([{"company_id": 2, "action": "operation.block", "object_type": "line",
                        "object_id": str(i), "line_id": None, "before": {"status": "active"},
                        "after": {"status": "blocked"}} for i in range(5)])
    audit.record("test.after_bulk", company_id=2)
    db.session.commit()
    seqs = db.session.scalars(select(AuditEvent.chain_seq).where(AuditEvent.company_id == 2)
                              .order_by(AuditEvent.chain_seq.desc()).limit(6)).all()
    assert seqs == list(range(seqs[0], seqs[0] - 6, -1))
    assert verify_chains(2)["broken"] == []


def test_events_of_a_rolled_back_savepoint_leave_no_gap(app):
    before = db.session.scalar(select(func.max(AuditEvent.chain_seq))
                               .where(AuditEvent.company_id == 1)) or 0
    try:
        with db.session.begin_nested():
            audit.record("test.discarded", company_id=1)
            db.session.flush()
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    audit.record("test.kept", company_id=1)
    db.session.commit()
    kept = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test.kept"))
    assert kept.chain_seq == before + 1
    assert verify_chains(1)["broken"] == []
