"""Submitting, running, listing and deciding operations on lines and billing accounts.

Every change goes: type and parameters (422) → target in scope (404) and the type's
permission (403) → version check (409) → business rules (409 ``refused``) → an
``Operation`` record → the operator gateway → history (``LineEvent``) and audit.
The caller commits; ``dispatch`` then hands pending operations to the background runner.
"""

import hashlib
import uuid
from contextlib import nullcontext
from datetime import date

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from auth.models import User
from auth.reauth import require_recent_auth
from core import audit, background
from core.db import utcnow
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from corp.models import BillingAccount, Line, LineEvent, Service, Tariff
from corp.operations import rules, signals
from corp.operations.gateway import GatewayError, get_gateway
from corp.operations.models import (
    OPERATION_STATUSES,
    ForwardingRule,
    LineLimit,
    Operation,
    PromisedPayment,
)
from corp.operations.rules import ChangedMeanwhile, Refused
from corp.service import get_line
from hierarchy.models import Node
from roles import access
from roles.permissions import COMPANY_SCOPE


def get_account(actor, account_id: int, permission: str) -> BillingAccount:
    """A billing account of the actor's company (else 404) with ``permission`` company-wide
    (else 403, audited): accounts are company-level objects."""
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.id == account_id, BillingAccount.company_id == actor.company_id))
    if account is None:
        raise NotFound()
    access.check_object(actor, permission, COMPANY_SCOPE, action="access.denied",
                        object_type="billing_account", object_id=str(account.id))
    return account


def _scoped_key(actor, target_kind: str, key: str | None) -> str | None:
    """The stored form of a client's ``Idempotency-Key``: scoped to the requester and the
    endpoint, so one user's key never finds another user's operation."""
    if not key:
        return None
    if len(key) > 100:
        raise InvalidInput({"Idempotency-Key": _("At most 100 characters.")})
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"u{actor.id}:{target_kind}:{digest}"


def _existing(actor, stored_key: str | None) -> Operation | None:
    if not stored_key:
        return None
    return db.session.scalar(select(Operation).where(
        Operation.company_id == actor.company_id, Operation.requested_by == actor.id,
        Operation.idempotency_key == stored_key))


def _replay(found: Operation, spec, target, params) -> Operation:
    """The earlier operation of a retried request; the same key with another request is a
    422 (never silently another result)."""
    target_id = found.line_id if spec.target == "line" else found.billing_account_id
    same = found.type == spec.name and target_id == target.id
    if same:
        try:
            same = found.params == rules.to_json(rules.validate_params(spec.name, params))
        except InvalidInput:
            same = False
    if not same:
        raise InvalidInput({"Idempotency-Key": _(
            "This Idempotency-Key was already used for a different request.")})
    return found


def submit_line_operation(actor, line_id: int, type_name, params, *, version=None,
                          idempotency_key=None) -> Operation:
    """Accept (and, without a gateway delay, apply) an operation on a line."""
    key = _scoped_key(actor, "line", idempotency_key)
    spec = rules.operation_type(type_name, "line")
    line = get_line(actor, line_id, spec.permission)  # access first, then the key
    found = _existing(actor, key)
    if found is not None:
        return _replay(found, spec, line, params)
    return _submit(actor, spec, line, params, version, key)


def submit_account_operation(actor, account_id: int, type_name, params, *, version=None,
                             idempotency_key=None) -> Operation:
    """Accept (and apply, or queue for the operator) an operation on a billing account."""
    key = _scoped_key(actor, "account", idempotency_key)
    spec = rules.operation_type(type_name, "account")
    account = get_account(actor, account_id, spec.permission)
    found = _existing(actor, key)
    if found is not None:
        return _replay(found, spec, account, params)
    if spec.name == "settlement_method_set":
        require_recent_auth(actor, spec.name)  # a password (and code) in the last minutes
    return _submit(actor, spec, account, params, version, key)


def _submit(actor, spec, target, params, version, idempotency_key) -> Operation:
    loaded = rules.validate_params(spec.name, params)
    if version is not None and version != target.version:
        raise ChangedMeanwhile()
    rules.check(spec.name, target, loaded)
    operation = Operation(
        company_id=actor.company_id, type=spec.name, params=rules.to_json(loaded),
        requested_by=actor.id, idempotency_key=idempotency_key or None, status="pending",
        line_id=target.id if spec.target == "line" else None,
        billing_account_id=target.id if spec.target == "account" else None,
    )
    scheduled = spec.name == "tariff_change" and loaded["effective"] == "next_period"
    for_operator = spec.name == "settlement_method_set" and loaded["method"] == "credit"
    applied_now = not scheduled and not for_operator and not _runs_in_background()
    if applied_now:
        # Stored as started: one INSERT, not an INSERT and an UPDATE to in_progress.
        operation.created_at = operation.started_at = utcnow()
        operation.status = "in_progress"
    if idempotency_key:
        try:
            with db.session.begin_nested():
                db.session.add(operation)
        except IntegrityError:
            # A concurrent request with the same key won the race: answer with its operation.
            found = _existing(actor, idempotency_key)
            if found is None:
                raise
            return _replay(found, spec, target, params)
    else:
        # Without a key there is no race to lose: no rollback point is needed.
        db.session.add(operation)
        db.session.flush()
    if scheduled:
        operation.scheduled_for = rules.next_period_start()
        operation.result = {"scheduled_for": str(operation.scheduled_for)}
        _history(operation, target, _("Tariff change scheduled for %(d)s",
                                      d=operation.scheduled_for), actor, {}, {})
    elif for_operator:
        operation.status = "awaiting_operator"
        _history(operation, target, _("Credit settlement requested: waits for the operator"),
                 actor, {}, {"method": "credit"})
    elif applied_now:
        # Any other error ends this request's whole transaction (the handler rolls it back):
        # only a gateway that writes before failing needs a rollback point of its own.
        _apply(operation, actor, target, loaded, started=True,
               savepoint=get_gateway().writes_before_failing)
    db.session.flush()
    if operation.status == "awaiting_operator":
        signals.awaiting_operator.send(operation, actor=actor, target=target)
    return operation


def _runs_in_background() -> bool:
    return float(current_app.config.get("OPERATOR_GATEWAY_DELAY") or 0) > 0


def _apply(operation: Operation, actor, target, params: dict, *, started=False,
           savepoint=True) -> None:
    """Send the operation through the gateway and record the outcome (no commit);
    ``started``: the operation is already marked in progress; ``savepoint``: the gateway's
    changes get a rollback point of their own (a failed operation keeps none of them)."""
    if not started:
        operation.status, operation.started_at = "in_progress", utcnow()
    try:
        with db.session.begin_nested() if savepoint else nullcontext():
            applied = get_gateway().apply(operation, target, params)
    except StaleDataError:
        raise ChangedMeanwhile() from None
    except GatewayError as error:
        operation.status, operation.error, operation.finished_at = "failed", str(error), utcnow()
        return
    operation.before, operation.after = applied.before, applied.after
    operation.result = {**(operation.result or {}), **applied.result, "summary": applied.summary}
    operation.status, operation.finished_at = "done", utcnow()
    _history(operation, target, applied.summary, actor, applied.before, applied.after,
             applied.account_ids)


def _history(operation, target, summary, actor, before, after, account_ids=()):
    """The line card's history entry and the audit record (before/after) of a change."""
    is_line = isinstance(target, Line)
    if is_line:
        db.session.add(LineEvent(line_id=target.id, kind=operation.type,
                                 summary=str(summary)[:300]))
    audit.record(
        f"operation.{operation.type}", actor=actor, company_id=operation.company_id,
        object_type="line" if is_line else "billing_account", object_id=str(target.id),
        line_id=target.id if is_line else None, before=before, after=after,
        detail=f"operation {operation.id}: {summary}" if operation.id else str(summary),
    )
    for account_id in account_ids:
        if is_line:
            audit.record(f"operation.{operation.type}", actor=actor,
                         company_id=operation.company_id, object_type="billing_account",
                         object_id=str(account_id), line_id=target.id,
                         detail=f"operation {operation.id}: {summary}")


def _target(operation: Operation):
    if operation.line_id:
        return db.session.get(Line, operation.line_id)
    return db.session.get(BillingAccount, operation.billing_account_id)


def _actor(user_id):
    return db.session.get(User, user_id) if user_id else None


def author_may_still_act(operation: Operation, target) -> bool:
    """Whether the operation's author may still do it now (active, permission on the
    target): work that runs later asks again, as bulk jobs do per chunk."""
    author = _actor(operation.requested_by)
    if author is None or not author.active or author.company_id != operation.company_id:
        return False
    if has_app_context():
        g.pop("policy_versions", None)  # the company's current policy, not a cached one
    permission = rules.operation_type(operation.type, "line" if operation.line_id
                                      else "account").permission
    if operation.line_id:
        path = db.session.scalar(select(Node.path).where(Node.id == target.node_id))
        return access.can(author, permission, path or COMPANY_SCOPE)
    return access.can(author, permission, COMPANY_SCOPE)


@background.job_kind("operation")
def run_operation(operation_id: int) -> None:
    """Background: apply a pending operation in its own transactions (commits)."""
    operation = db.session.get(Operation, operation_id)
    if operation is None or operation.status != "pending":
        return
    operation.status, operation.started_at = "in_progress", utcnow()
    db.session.commit()
    actor = _actor(operation.requested_by)
    target = _target(operation)
    try:
        params = rules.validate_params(operation.type, operation.params)
        rules.check(operation.type, target, params)
        _apply(operation, actor, target, params)
    except (Refused, InvalidInput, ChangedMeanwhile) as error:
        db.session.rollback()
        operation = db.session.get(Operation, operation_id)
        operation.status, operation.error = "failed", str(error.message)[:500]
        operation.finished_at = utcnow()
    db.session.commit()


def dispatch(operation: Operation) -> bool:
    """After the commit: hand a pending, unscheduled operation to the background runner
    (whether it was). Reads ``status``, ``scheduled_for``, ``job_id`` and ``id`` only: the
    API passes these values as taken before the commit, so the commit's expiry costs no
    reload."""
    if operation.status != "pending" or operation.scheduled_for or operation.job_id:
        return False
    background.submit("operation", operation.id)
    return True


# --- Reading --------------------------------------------------------------------------------


def line_card_operations(actor, line: Line, permissions: set[str] | None = None) -> dict:
    """What the line card's operation sections show for ``line`` (plain lists and objects;
    the card view passes it to the template). ``permissions``: the actor's permissions at
    the line (``access.permissions_at``), if the caller has them already. Only what the card
    shows this actor is loaded: a section hidden for want of its permission (all of them on
    a terminated line) gets an empty value."""
    if permissions is None:
        permissions = access.permissions_at(actor, line.node.path)
    shown = permissions if line.status != "terminated" else frozenset()
    account = line.billing_account
    card = {
        "key": uuid.uuid4().hex,  # the forms' idempotency key
        "connected": [], "available": [], "tariffs": [], "forwarding": {}, "limits": {},
        "free_numbers": [], "accounts": [], "promised": None,
        "account": account,
        "account_perms": {p for p in ("accounts.bill_delivery", "accounts.settlement_method")
                          if access.can(actor, p, COMPANY_SCOPE)},
        "recent": list_operations(actor, line_id=line.id, limit=5),
        "max_promised": rules.PROMISED_PAYMENT_MAX,
        "types": rules.TYPES,
        "pool_stocked": False,
    }
    # The lists below are read-only rows of the columns the sections show.
    if "lines.services" in shown:
        connected = {ls.service.code for ls in line.services}
        services = db.session.execute(
            select(Service.code, Service.name, Service.monthly_fee, Service.one_off_fee,
                   Service.tariff_codes).where(Service.active).order_by(Service.name)).all()
        card["connected"] = [s for s in services if s.code in connected]
        card["available"] = [s for s in services if s.code not in connected
                             and (not s.tariff_codes or line.tariff.code in s.tariff_codes)]
    if "lines.tariff_change" in shown:
        card["tariffs"] = db.session.execute(
            select(Tariff.id, Tariff.code, Tariff.name, Tariff.monthly_fee)
            .where(Tariff.active).order_by(Tariff.monthly_fee)).all()
    if "lines.forwarding" in shown:
        card["forwarding"] = {r.condition: r for r in db.session.execute(
            select(ForwardingRule.condition, ForwardingRule.target, ForwardingRule.delay_seconds)
            .where(ForwardingRule.line_id == line.id))}
    if "lines.limits" in shown:
        card["limits"] = {lim.kind: lim for lim in db.session.execute(
            select(LineLimit.kind, LineLimit.amount, LineLimit.action)
            .where(LineLimit.line_id == line.id))}
    if "lines.number_change" in shown:
        # The simulated operator's free-number pool, stocked when it runs low: the card's
        # view commits it, so a page view does not roll the stock back and stock it again.
        card["free_numbers"], card["pool_stocked"] = rules.offer_numbers(line)
    transfer = "lines.number_transfer" in shown
    if transfer or ("lines.promised_payment" in shown and account.settlement_method == "advance"):
        card["accounts"], card["promised"] = _card_accounts(account, transfer)
    return card


def _card_accounts(account: BillingAccount, others: bool):
    """The contract's other billing accounts (if ``others``; by number) and the account's
    active promised payment, in one query."""
    rows = db.session.execute(
        select(BillingAccount, PromisedPayment)
        .outerjoin(PromisedPayment, and_(PromisedPayment.billing_account_id == BillingAccount.id,
                                         PromisedPayment.billing_account_id == account.id,
                                         PromisedPayment.status == "active"))
        .where(BillingAccount.contract_id == account.contract_id if others
               else BillingAccount.id == account.id)
        .order_by(BillingAccount.number, PromisedPayment.id)
    ).all()
    return ([a for a, _p in rows if a.id != account.id],
            next((p for _a, p in rows if p is not None), None))


def _visible(actor):
    """Operations of the actor's company the actor may see: lines in view scope; account
    operations with a company-wide view or requested by the actor."""
    account_ok = (Operation.requested_by == actor.id)
    if access.can(actor, "lines.view", COMPANY_SCOPE):
        account_ok = Operation.billing_account_id.isnot(None)
    return (
        select(Operation)
        .outerjoin(Line, Line.id == Operation.line_id)
        .outerjoin(Node, Node.id == Line.node_id)
        .where(Operation.company_id == actor.company_id,
               or_(and_(Operation.line_id.isnot(None),
                        access.scope_filter(actor, "lines.view", Node.path)),
                   and_(Operation.line_id.is_(None), account_ok)))
    )


def get_operation(actor, operation_id: int) -> Operation:
    """One operation the actor may see (else 404); operator staff see those awaiting them."""
    if getattr(actor, "is_operator_staff", False):
        # Staff see what waits for their decision and what they decided, nothing else.
        operation = db.session.scalar(select(Operation).where(
            Operation.id == operation_id,
            or_(Operation.status == "awaiting_operator", Operation.decided_by == actor.id)))
        if operation is None:
            raise NotFound()
        return operation
    operation = db.session.scalar(_visible(actor).where(Operation.id == operation_id))
    if operation is None:
        raise NotFound()
    return operation


def list_operations(actor, *, line_id=None, billing_account_id=None, status=None,
                    type_name=None, job_id=None, limit=50) -> list[Operation]:
    """Newest first, filtered, within what the actor may see."""
    if status and status not in OPERATION_STATUSES:
        raise InvalidInput({"status": _("Unknown status %(s)s.", s=status)})
    if type_name and type_name not in rules.TYPES:
        raise InvalidInput({"type": _("Unknown operation type %(t)s.", t=repr(type_name))})
    query = _visible(actor)
    for column, value in ((Operation.line_id, line_id), (Operation.status, status),
                          (Operation.type, type_name), (Operation.job_id, job_id),
                          (Operation.billing_account_id, billing_account_id)):
        if value:
            query = query.where(column == value)
    return db.session.scalars(query.order_by(Operation.id.desc()).limit(limit)).all()


# --- The operator's approval queue ----------------------------------------------------------


def awaiting_operator() -> list[Operation]:
    """Operations every company is waiting on the operator for (operator staff only)."""
    return db.session.scalars(select(Operation).where(Operation.status == "awaiting_operator")
                              .order_by(Operation.created_at)).all()


def decide(staff, operation_id: int, approve: bool, reason: str = "", credit_limit=None):
    """Operator staff approve (apply) or reject an operation awaiting the operator."""
    if not getattr(staff, "is_operator_staff", False):
        raise PermissionDenied(_("Only operator staff may do this."))
    operation = get_operation(staff, operation_id)  # only what is queued for / decided by them
    if operation.status != "awaiting_operator":
        raise Refused(_("The operation is not waiting for the operator (it is %(s)s).",
                        s=operation.status))
    operation.decided_by = staff.id
    target = _target(operation)
    if not approve:
        operation.status, operation.finished_at = "failed", utcnow()
        operation.error = _("Rejected by the operator") + (f": {reason}" if reason else "")
        _history(operation, target, operation.error, staff, {}, {"rejected": reason})
        db.session.flush()
        signals.operator_decided.send(operation, staff=staff, approved=False, reason=reason)
        return operation
    params = rules.validate_params(operation.type, operation.params)
    if operation.type == "settlement_method_set" and params.get("method") == "credit":
        # The operator grants the credit: never a default the staff member did not choose.
        if credit_limit is None:
            raise InvalidInput({"credit_limit": _(
                "Set the credit limit to approve the credit settlement method.")})
        params["credit_limit"] = rules.parse_credit_limit(credit_limit)
    elif credit_limit is not None:
        raise InvalidInput({"credit_limit": _(
            "A credit limit is set only when approving the credit settlement method.")})
    _apply(operation, staff, target, params)
    db.session.flush()
    signals.operator_decided.send(operation, staff=staff, approved=True, reason=reason)
    return operation


def close_line_for_operator(staff, line: Line, reason: str, request_id: int | None = None):
    """The operator closes a line on an approved application (contract termination, number
    porting out): a permanent block through the gateway, recorded as a done operation, so
    the line's history, the audit and the month's fees (up to that day) see it. Raises
    ``Refused`` if the gateway fails."""
    if not getattr(staff, "is_operator_staff", False):
        raise PermissionDenied(_("Only operator staff may do this."))
    params = {"kind": "permanent", "until": None, "confirm": line.msisdn}
    operation = Operation(company_id=line.company_id, type="block", status="pending",
                          params={"kind": "permanent", "confirm": line.msisdn},
                          line_id=line.id, decided_by=staff.id,
                          result={"reason": reason[:300], "request_id": request_id})
    db.session.add(operation)
    db.session.flush()
    _apply(operation, staff, line, params)
    if operation.status != "done":
        raise Refused(_("The operator could not close the line %(n)s: %(e)s",
                        n=line.msisdn, e=operation.error))
    return operation


# --- Due work: scheduled changes, ends of voluntary blocks, expiring promised payments ------


def run_due(today: date | None = None) -> dict:
    """Apply what is due by ``today`` (run daily: ``flask --app app operations run-due``)."""
    today = today or date.today()
    counts = {"scheduled": 0, "unblocked": 0, "expired_promised_payments": 0}
    for operation in db.session.scalars(select(Operation).where(
            Operation.status == "pending", Operation.scheduled_for <= today)).all():
        target = _target(operation)
        try:
            if not author_may_still_act(operation, target):
                raise Refused(_("The author of this change may no longer make it."))
            params = rules.validate_params(operation.type, operation.params)
            rules.check(operation.type, target, params)
            _apply(operation, _actor(operation.requested_by), target, params)
        except (Refused, InvalidInput) as error:
            operation.status, operation.error = "failed", str(error.message)[:500]
            operation.finished_at = utcnow()
        counts["scheduled"] += 1
    for line in db.session.scalars(select(Line).where(
            Line.status == "blocked", Line.block_kind == "voluntary",
            Line.blocked_until <= today)).all():
        operation = Operation(company_id=line.company_id, type="unblock", params={},
                              line_id=line.id, result={"reason": "end date reached"})
        db.session.add(operation)
        db.session.flush()
        _apply(operation, None, line, {})
        counts["unblocked"] += 1
    for promised in db.session.scalars(select(PromisedPayment).where(
            PromisedPayment.status == "active", PromisedPayment.expires_on <= today)).all():
        account = db.session.get(BillingAccount, promised.billing_account_id)
        before = {"balance": str(account.balance)}
        account.balance = account.balance - promised.amount
        promised.status = "expired"
        audit.record("operation.promised_payment_expired", company_id=account.company_id,
                     object_type="billing_account", object_id=str(account.id), before=before,
                     after={"balance": str(account.balance)})
        counts["expired_promised_payments"] += 1
    db.session.flush()
    return counts
