"""The operator gateway: the one way an operation reaches the operator's systems.

``OperatorGateway`` is the interface; ``SimulatedOperator`` is the embedded operator that
applies changes to this database (optionally after ``OPERATOR_GATEWAY_DELAY`` seconds, so
asynchrony is visible). A real BSS/OSS adapter implements ``apply`` the same way and
answers with the same ``Applied`` record (or raises ``GatewayError``).
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from core.db import utcnow
from core.extensions import db
from core.ui import label
from corp.models import BillingAccount, Line, LineService, Service, Tariff
from corp.operations import rules
from corp.operations.models import (
    ForwardingRule,
    FreeNumber,
    LineLimit,
    PromisedPayment,
    SmsMessage,
)


class GatewayError(Exception):
    """The operator could not apply the change (the operation fails with this message)."""


@dataclass
class Applied:
    """What the operator did: state before and after, a one-line summary, extra result."""

    before: dict
    after: dict
    summary: str
    result: dict = field(default_factory=dict)
    # Billing accounts whose history also shows the change (number transfer).
    account_ids: list = field(default_factory=list)


class OperatorGateway:
    """The interface a real operator adapter implements."""

    # Types ``apply_batch`` sends as one request (the others go line by line).
    batch_types: frozenset = frozenset()
    # Whether ``apply`` may change the database and then raise ``GatewayError``: its caller
    # then needs a rollback point (a savepoint) to keep the failed operation's changes out.
    writes_before_failing: bool = True

    def apply(self, operation, target, params: dict) -> Applied:  # pragma: no cover
        raise NotImplementedError

    def apply_batch(self, type_name: str, targets, params: dict) -> list[Applied]:
        """Apply one of ``batch_types`` to many targets at once; all or nothing (raises
        ``StaleDataError`` when a target changed meanwhile, ``GatewayError`` otherwise)."""
        raise NotImplementedError  # pragma: no cover


def line_state(line: Line) -> dict:
    """The audited state of a line."""
    return {"status": line.status, "block_kind": line.block_kind,
            "blocked_until": str(line.blocked_until) if line.blocked_until else None,
            "msisdn": line.msisdn, "iccid": line.iccid, "tariff": line.tariff.code,
            "billing_account": line.billing_account.number, "version": line.version}


def account_state(account: BillingAccount) -> dict:
    """The audited state of a billing account."""
    return {"number": account.number, "settlement_method": account.settlement_method,
            "balance": str(account.balance), "credit_limit": str(account.credit_limit),
            "bill_delivery_email": account.bill_delivery_email,
            "bill_delivery_address": account.bill_delivery_address}


class SimulatedOperator(OperatorGateway):
    """The embedded operator: applies every type to the database (no commit)."""

    batch_types = frozenset({"block", "unblock"})
    # Its one ``GatewayError`` (a SIM already in use) is raised before anything changes.
    writes_before_failing = False

    def _wait(self, count: int = 1) -> None:
        delay = float(current_app.config.get("OPERATOR_GATEWAY_DELAY") or 0)
        if delay > 0:
            time.sleep(delay * count)

    def apply(self, operation, target, params: dict) -> Applied:
        self._wait()
        return getattr(self, f"_{operation.type}")(operation, target, params)

    def apply_batch(self, type_name: str, targets, params: dict) -> list[Applied]:
        """Blocks and unblocks of many lines in one executemany, each row guarded by the
        version the rules were checked against."""
        self._wait(len(targets))
        if type_name == "unblock":
            values = {"status": "active", "block_kind": None, "blocked_until": None}
            summary = _("Unblocked")
        else:
            until = params.get("until") if params["kind"] == "voluntary" else None
            values = {"status": "blocked", "block_kind": params["kind"], "blocked_until": until}
            summary = _("Blocked (%(k)s)", k=label("block", params["kind"]))
        table = Line.__table__
        now = utcnow()
        result = db.session.connection().execute(
            table.update()
            .where(table.c.id == bindparam("line_id"), table.c.version == bindparam("seen"))
            .values(**values, version=table.c.version + 1, updated_at=now),
            [{"line_id": line.id, "seen": line.version} for line in targets])
        if result.rowcount != len(targets):
            raise StaleDataError("a line changed meanwhile")
        applied = []
        for line in targets:
            before = line_state(line)
            after = {**before, **values, "version": line.version + 1,
                     "blocked_until": str(values["blocked_until"])
                     if values["blocked_until"] else None}
            applied.append(Applied(before, after, summary))
        return applied

    # --- blocks ----------------------------------------------------------------------------

    def _block(self, op, line: Line, p):
        before = line_state(line)
        if p["kind"] == "permanent":
            line.status, line.block_kind, line.blocked_until = "terminated", "permanent", None
            summary = _("Permanently blocked; the line is terminated")
        else:
            line.status, line.block_kind = "blocked", p["kind"]
            line.blocked_until = p.get("until") if p["kind"] == "voluntary" else None
            summary = _("Blocked (%(k)s)", k=label("block", p["kind"]))
            if line.blocked_until:
                summary += " " + _("until %(d)s", d=line.blocked_until)
        return Applied(before, self._after(line), summary)

    def _unblock(self, op, line: Line, p):
        before = line_state(line)
        line.status, line.block_kind, line.blocked_until = "active", None, None
        return Applied(before, self._after(line), _("Unblocked"))

    def _after(self, line: Line) -> dict:
        db.session.flush()  # the version check (StaleDataError) happens here
        db.session.refresh(line, ["tariff", "billing_account"])
        return line_state(line)

    # --- services --------------------------------------------------------------------------

    def _service_add(self, op, line: Line, p):
        service = db.session.scalar(select(Service).where(Service.code == p["service_code"]))
        before = {"services": sorted(s.service.code for s in line.services)}
        line.services.append(LineService(service_id=service.id, service=service))
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        after = {"services": sorted(s.service.code for s in line.services)}
        return Applied(before, after, _("Service connected: %(s)s", s=service.name),
                       {"monthly_fee": str(service.monthly_fee),
                        "one_off_fee": str(service.one_off_fee)})

    def _service_remove(self, op, line: Line, p):
        before = {"services": sorted(s.service.code for s in line.services)}
        name = next(s.service.name for s in line.services if s.service.code == p["service_code"])
        line.services = [s for s in line.services if s.service.code != p["service_code"]]
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        after = {"services": sorted(s.service.code for s in line.services)}
        return Applied(before, after, _("Service disconnected: %(s)s", s=name))

    # --- money ------------------------------------------------------------------------------

    def _promised_payment(self, op, line: Line, p):
        account = line.billing_account
        before = account_state(account)
        amount = p["amount"]
        account.balance = account.balance + amount
        expires = date.today() + timedelta(days=rules.PROMISED_PAYMENT_DAYS)
        db.session.add(PromisedPayment(billing_account_id=account.id, line_id=line.id,
                                       amount=amount, expires_on=expires))
        # A financial block is lifted by a payment or a promised payment.
        lifted = db.session.execute(
            update(Line).where(Line.billing_account_id == account.id, Line.status == "blocked",
                               Line.block_kind == "financial")
            .values(status="active", block_kind=None, version=Line.version + 1)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        db.session.flush()
        return Applied(before, account_state(account),
                       _("Promised payment of %(a)s ₽ until %(d)s", a=amount, d=expires),
                       {"expires_on": str(expires), "lifted_financial_blocks": lifted},
                       account_ids=[account.id])

    # --- SMS --------------------------------------------------------------------------------

    def _sms_send(self, op, line: Line, p):
        info = rules.sms_segments(p["text"])
        status = "delivered" if line.status == "active" else "undelivered"
        message = SmsMessage(company_id=line.company_id, operation_id=op.id, line_id=line.id,
                             msisdn=line.msisdn, text=p["text"], encoding=info["encoding"],
                             segments=info["segments"], status=status)
        db.session.add(message)
        db.session.flush()
        return Applied({}, {"sms_id": message.id, "delivery": status},
                       _("SMS sent (%(n)s segment(s)): %(s)s", n=info["segments"], s=status),
                       {**info, "delivery": status, "sms_id": message.id})

    # --- forwarding and limits ---------------------------------------------------------------

    def _forwarding_set(self, op, line: Line, p):
        current = rules.forwarding_rules(line.id)
        before = {c: r.target for c, r in current.items()}
        if p["condition"] == "unconditional":
            # Unconditional forwarding overrides the others: they are cleared.
            db.session.execute(delete(ForwardingRule).where(ForwardingRule.line_id == line.id))
        elif p["condition"] in current:
            db.session.delete(current[p["condition"]])
        db.session.flush()
        delay = p.get("delay_seconds")
        if p["condition"] == "no_answer" and delay is None:
            delay = rules.DEFAULT_NO_ANSWER_DELAY
        db.session.add(ForwardingRule(line_id=line.id, condition=p["condition"],
                                      target=p["target"], delay_seconds=delay))
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        after = {c: r.target for c, r in rules.forwarding_rules(line.id).items()}
        return Applied(before, after, _("Call forwarding (%(c)s) → %(t)s", c=p["condition"],
                                        t=p["target"]))

    def _forwarding_clear(self, op, line: Line, p):
        before = {c: r.target for c, r in rules.forwarding_rules(line.id).items()}
        query = delete(ForwardingRule).where(ForwardingRule.line_id == line.id)
        if p["condition"] != "all":
            query = query.where(ForwardingRule.condition == p["condition"])
        db.session.execute(query)
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        after = {c: r.target for c, r in rules.forwarding_rules(line.id).items()}
        return Applied(before, after, _("Call forwarding cleared (%(c)s)", c=p["condition"]))

    def _limit_set(self, op, line: Line, p):
        limit = db.session.get(LineLimit, (line.id, p["kind"]))
        before = {"amount": str(limit.amount), "action": limit.action} if limit else {}
        if limit is None:
            limit = LineLimit(line_id=line.id, kind=p["kind"])
            db.session.add(limit)
        limit.amount, limit.action = p["amount"], p["action"]
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        unit = "₽" if p["kind"] == "spend" else "MB"
        return Applied(before, {"amount": str(p["amount"]), "action": p["action"]},
                       _("Limit (%(k)s) %(a)s %(u)s → %(x)s", k=p["kind"], a=p["amount"], u=unit,
                         x=p["action"]))

    def _limit_clear(self, op, line: Line, p):
        limit = db.session.get(LineLimit, (line.id, p["kind"]))
        before = {"amount": str(limit.amount), "action": limit.action}
        db.session.delete(limit)
        line.updated_at = utcnow()  # touch the line so its version moves on
        db.session.flush()
        return Applied(before, {}, _("Limit (%(k)s) cleared", k=p["kind"]))

    # --- tariff ------------------------------------------------------------------------------

    def _tariff_change(self, op, line: Line, p):
        tariff = db.session.scalar(select(Tariff).where(Tariff.code == p["tariff_code"]))
        before = {**line_state(line), "services": sorted(s.service.code for s in line.services),
                  "tariff_options": line.tariff_options}
        dropped = rules.services_dropped_by(line, tariff)
        line.services = [s for s in line.services if s.service.code not in dropped]
        line.tariff_id, line.tariff = tariff.id, tariff
        line.tariff_options = {}
        after = {**self._after(line), "services": sorted(s.service.code for s in line.services),
                 "tariff_options": {}}
        summary = _("Tariff changed to %(t)s", t=tariff.name)
        if dropped:
            summary += "; " + _("disconnected: %(s)s", s=", ".join(dropped))
        return Applied(before, after, summary, {"disconnected_services": dropped})

    def _tariff_configure(self, op, line: Line, p):
        before = {"tariff_options": dict(line.tariff_options or {})}
        line.tariff_options = {**(line.tariff_options or {}), **p["options"]}
        db.session.flush()
        return Applied(before, {"tariff_options": line.tariff_options},
                       _("Tariff configured: %(o)s", o=", ".join(sorted(p["options"]))))

    # --- SIM and number ---------------------------------------------------------------------

    def _sim_replace(self, op, line: Line, p):
        before = line_state(line)
        if db.session.scalar(select(Line.id).where(Line.iccid == p["iccid"], Line.id != line.id)):
            raise GatewayError(_("The operator could not activate this SIM."))
        line.iccid = p["iccid"]
        lifted = line.status == "blocked" and line.block_kind == "loss"
        if lifted:
            line.status, line.block_kind, line.blocked_until = "active", None, None
        summary = _("SIM replaced: %(i)s", i=p["iccid"])
        if lifted:
            summary += "; " + _("loss/theft block lifted")
        return Applied(before, self._after(line), summary, {"loss_block_lifted": lifted})

    def _number_change(self, op, line: Line, p):
        before = line_state(line)
        old = line.msisdn
        free = db.session.get(FreeNumber, p["msisdn"])
        db.session.delete(free)
        line.msisdn = p["msisdn"]
        after = self._after(line)
        quarantine = db.session.get(FreeNumber, old) or FreeNumber(msisdn=old)
        quarantine.status, quarantine.quarantine_until = "quarantine", rules.quarantine_until()
        quarantine.released_by_line_id = line.id
        db.session.add(quarantine)
        db.session.flush()
        return Applied(before, after, _("Number changed: %(a)s → %(b)s", a=old, b=p["msisdn"]),
                       {"old_msisdn": old, "quarantine_until": str(quarantine.quarantine_until)})

    def _number_transfer(self, op, line: Line, p):
        before = line_state(line)
        old_account = line.billing_account
        target = rules.transfer_target(line, p)
        if target is None:
            target = BillingAccount(
                company_id=line.company_id, contract_id=old_account.contract_id,
                number=new_account_number(), settlement_method=old_account.settlement_method,
                credit_limit=old_account.credit_limit,
                bill_delivery_email=old_account.bill_delivery_email,
                bill_delivery_address=old_account.bill_delivery_address,
            )
            db.session.add(target)
            db.session.flush()
        line.billing_account_id, line.billing_account = target.id, target
        after = self._after(line)
        # As defined: the line keeps its services and tariff; money stays with the account.
        return Applied(before, after,
                       _("Moved from billing account %(a)s to %(b)s", a=old_account.number,
                         b=target.number),
                       {"from_account": old_account.number, "to_account": target.number},
                       account_ids=[old_account.id, target.id])

    # --- billing accounts -------------------------------------------------------------------

    def _bill_delivery_set(self, op, account: BillingAccount, p):
        before = account_state(account)
        account.bill_delivery_email = p.get("email")
        account.bill_delivery_address = p.get("postal_address")
        db.session.flush()
        return Applied(before, account_state(account), _("Bill delivery address set"),
                       account_ids=[account.id])

    def _settlement_method_set(self, op, account: BillingAccount, p):
        before = account_state(account)
        account.settlement_method = p["method"]
        if p["method"] == "credit":
            account.credit_limit = p["credit_limit"]  # granted by the operator (decide)
        else:
            account.credit_limit = 0
        db.session.flush()
        return Applied(before, account_state(account),
                       _("Settlement method: %(m)s", m=p["method"]), account_ids=[account.id])


def new_account_number() -> str:
    """A free 12-digit billing account number."""
    rng = random.SystemRandom()
    while True:
        number = "7" + "".join(str(rng.randrange(10)) for _ in range(11))
        if not db.session.scalar(select(BillingAccount.id).where(BillingAccount.number == number)):
            return number


_gateway: OperatorGateway | None = None


def get_gateway() -> OperatorGateway:
    """The configured gateway (``OPERATOR_GATEWAY`` may name another class later)."""
    global _gateway
    if _gateway is None:
        _gateway = SimulatedOperator()
    return _gateway
