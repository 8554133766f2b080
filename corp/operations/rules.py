"""What each operation type needs (permission, target, parameters) and its business rules.

``validate_params`` turns bad parameters into ``InvalidInput`` (422, field errors);
``check`` refuses an operation the line's or account's state does not allow with an
explained ``Refused`` (409), before anything is changed. Rules are pure reads, so the
bulk dry run calls exactly the same code as the real run.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.ui import label
from core.validation import clean_email
from corp import validators
from corp.models import BillingAccount, Line, Service, Tariff
from corp.operations.models import ForwardingRule, FreeNumber, LineLimit, Operation, PromisedPayment
from corp.operations.schemas import PARAMS_SCHEMAS

# Business caps (the operator's published conditions).
PROMISED_PAYMENT_MAX = Decimal("3000")
PROMISED_PAYMENT_BALANCE_THRESHOLD = Decimal("1000")
PROMISED_PAYMENT_DAYS = 3
SMS_MAX_SEGMENTS = 5
DEFAULT_NO_ANSWER_DELAY = 20
QUARANTINE_DAYS = 180
CREDIT_LIMIT_MAX = Decimal("10000000")


class Refused(Conflict):
    """A business rule refuses the operation in the target's current state."""

    code = "refused"


class ChangedMeanwhile(Conflict):
    """Somebody changed the line or account since the user loaded it."""

    code = "changed_meanwhile"

    def __init__(self, message=None):
        super().__init__(message or _("The line was changed meanwhile: reload and try again."))


@dataclass(frozen=True)
class OperationType:
    """One type of the contract: who may run it on what, and whether a job may run it on many
    lines (``in_jobs``)."""

    name: str
    label: object
    permission: str
    target: str  # "line" | "account"
    in_jobs: bool = True


TYPES: dict[str, OperationType] = {t.name: t for t in (
    OperationType("block", _l("Block"), "lines.block", "line"),
    OperationType("unblock", _l("Unblock"), "lines.block", "line"),
    OperationType("service_add", _l("Connect a service"), "lines.services", "line"),
    OperationType("service_remove", _l("Disconnect a service"), "lines.services", "line"),
    OperationType("promised_payment", _l("Promised payment"), "lines.promised_payment", "line"),
    OperationType("sms_send", _l("Send SMS"), "lines.sms", "line"),
    OperationType("forwarding_set", _l("Set call forwarding"), "lines.forwarding", "line"),
    OperationType("forwarding_clear", _l("Clear call forwarding"), "lines.forwarding", "line"),
    OperationType("limit_set", _l("Set a limit"), "lines.limits", "line"),
    OperationType("limit_clear", _l("Clear a limit"), "lines.limits", "line"),
    OperationType("tariff_change", _l("Change the tariff"), "lines.tariff_change", "line"),
    OperationType("tariff_configure", _l("Configure the tariff"), "lines.tariff_configure", "line",
                  in_jobs=False),
    OperationType("sim_replace", _l("Replace the SIM"), "lines.sim_replace", "line", in_jobs=False),
    OperationType("number_change", _l("Change the number"), "lines.number_change", "line",
                  in_jobs=False),
    OperationType("number_transfer", _l("Move to another billing account"),
                  "lines.number_transfer", "line"),
    OperationType("bill_delivery_set", _l("Bill delivery address"), "accounts.bill_delivery",
                  "account", in_jobs=False),
    OperationType("settlement_method_set", _l("Settlement method"),
                  "accounts.settlement_method", "account", in_jobs=False),
)}

JOB_TYPES = [t for t in TYPES.values() if t.in_jobs]


def operation_type(name, target: str | None = None) -> OperationType:
    """The type named ``name`` (422 for an unknown one or the wrong target)."""
    spec = TYPES.get(name) if isinstance(name, str) else None
    if spec is None or (target and spec.target != target):
        raise InvalidInput({"type": _("Unknown operation type %(t)s.", t=repr(name))})
    return spec


def validate_params(type_name: str, params) -> dict:
    """The parameters loaded by the type's schema, or ``InvalidInput`` with field errors."""
    if not isinstance(params, dict):
        raise InvalidInput({"params": _("Parameters must be an object.")})
    try:
        return PARAMS_SCHEMAS[type_name]().load(params)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {
            "params": error.messages}
        raise InvalidInput(_flatten(messages)) from None


def _flatten(messages: dict, prefix="") -> dict:
    flat = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def to_json(params: dict) -> dict:
    """Loaded parameters as JSON-storable values (decimals and dates as strings)."""
    out = {}
    for key, value in params.items():
        if isinstance(value, Decimal | date):
            value = str(value)
        out[key] = value
    return out


# --- SMS ------------------------------------------------------------------------------------

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> dict:
    """Encoding, length in units and segment count of an SMS text (GSM-7 or UCS-2)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return {"encoding": encoding, "length": units, "segments": segments,
            "per_segment": single if segments == 1 else multi}


# --- Free numbers ---------------------------------------------------------------------------

FREE_POOL_START = 9580000000
FREE_POOL_SIZE = 200
FREE_POOL_LOW = 20  # fewer free numbers than this: the pool is stocked again


def ensure_free_pool() -> bool:
    """Keep the operator's simulated pool of free numbers stocked; True if it added numbers
    (the caller commits them, or every later view would stock the pool again)."""
    free = db.session.scalar(
        select(db.func.count()).select_from(FreeNumber).where(FreeNumber.status == "free"))
    if free >= FREE_POOL_LOW:
        return False
    known = set(db.session.scalars(select(FreeNumber.msisdn)))
    used = set(db.session.scalars(select(Line.msisdn).where(Line.msisdn.like("958%"))))
    rows, candidate = [], FREE_POOL_START
    while len(rows) < FREE_POOL_SIZE:
        number = str(candidate)
        candidate += 7
        if number not in known and number not in used:
            rows.append({"msisdn": number, "status": "free"})
    # Two requests stocking the pool at once must not collide: the second adds nothing.
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if postgresql else sqlite_insert
    db.session.execute(insert(FreeNumber).values(rows).on_conflict_do_nothing())
    return True


def offered_numbers(line: Line, limit: int = 10) -> list[str]:
    """Free numbers offered to a line for ``number_change`` (stable for the line)."""
    return offer_numbers(line, limit)[0]


def offer_numbers(line: Line, limit: int = 10) -> tuple[list[str], bool]:
    """``offered_numbers`` and whether the pool was stocked on the way (then the caller
    commits it, or every later view would stock the pool again)."""
    numbers = _free_numbers()
    # The list itself tells whether the pool runs low: no separate count.
    stocked = len(numbers) < FREE_POOL_LOW and ensure_free_pool()
    if stocked:
        numbers = _free_numbers()
    if not numbers:
        return [], stocked
    start = line.id % len(numbers)
    rotated = numbers[start:] + numbers[:start]
    return rotated[:limit], stocked


def _free_numbers() -> list[str]:
    return db.session.scalars(
        select(FreeNumber.msisdn).where(FreeNumber.status == "free").order_by(FreeNumber.msisdn)
    ).all()


# --- Checks ---------------------------------------------------------------------------------


def _not_terminated(line: Line) -> None:
    if line.status == "terminated":
        raise Refused(_("The line is terminated (permanently blocked): nothing can be changed."))


def _service(code: str) -> Service:
    service = db.session.scalar(select(Service).where(Service.code == code, Service.active))
    if service is None:
        raise InvalidInput({"service_code": _("No such service in the catalogue: %(c)s.", c=code)})
    return service


def check_block(line: Line, p: dict) -> str:
    _not_terminated(line)
    kind = p["kind"]
    if p.get("until") is not None:
        if kind != "voluntary":
            raise InvalidInput({"until": _("Only a voluntary block has an end date.")})
        if p["until"] <= date.today():
            raise InvalidInput({"until": _("The end date must be in the future.")})
    if kind == "permanent":
        confirm = p.get("confirm") or ""
        try:
            typed = validators.normalize_msisdn(confirm)
        except validators.ValidationError:
            typed = None
        if typed != line.msisdn:
            raise InvalidInput({"confirm": _(
                "A permanent block is irreversible: type the line's number to confirm.")})
        return _("terminate the line (permanent block)")
    if line.status == "blocked":
        if line.block_kind == kind:
            raise Refused(_("The line is already blocked (%(k)s).", k=label("block", kind)))
        if line.block_kind == "financial":
            raise Refused(_("The line has a financial block: it is lifted by a payment or a "
                            "promised payment."))
        if kind == "voluntary":
            raise Refused(_("The line is already blocked (%(k)s).",
                            k=label("block", line.block_kind)))
    until = f" → {p['until']}" if p.get("until") else ""
    return _("block (%(k)s)", k=label("block", kind)) + until


def check_unblock(line: Line, p: dict) -> str:
    _not_terminated(line)
    if line.status != "blocked":
        raise Refused(_("The line is not blocked."))
    if line.block_kind == "financial":
        raise Refused(_("A financial block set by the operator is lifted only by a payment or a "
                        "promised payment."))
    return _("unblock")


def check_service_add(line: Line, p: dict) -> str:
    _not_terminated(line)
    service = _service(p["service_code"])
    connected = {ls.service.code for ls in line.services}
    if service.code in connected:
        raise Refused(_("The service is already connected."))
    if service.tariff_codes and line.tariff.code not in service.tariff_codes:
        raise Refused(_("The service is not available on the tariff %(t)s.", t=line.tariff.name))
    clash = sorted(
        c.service.name for c in line.services
        if c.service.code in (service.incompatible_with or [])
        or service.code in (c.service.incompatible_with or [])
    )
    if clash:
        raise Refused(_("The service is incompatible with %(s)s: disconnect it first.",
                        s=", ".join(clash)))
    return _("connect %(s)s (%(m)s ₽/month, %(o)s ₽ once)", s=service.name,
             m=service.monthly_fee, o=service.one_off_fee)


def check_service_remove(line: Line, p: dict) -> str:
    _not_terminated(line)
    service = _service(p["service_code"])
    if service.code not in {ls.service.code for ls in line.services}:
        raise Refused(_("The service is not connected."))
    return _("disconnect %(s)s", s=service.name)


def check_promised_payment(line: Line, p: dict) -> str:
    _not_terminated(line)
    account = line.billing_account
    if account.settlement_method != "advance":
        raise Refused(_("A promised payment is only for advance-settled accounts."))
    if p["amount"] > PROMISED_PAYMENT_MAX:
        raise InvalidInput({"amount": _("At most %(m)s ₽.", m=PROMISED_PAYMENT_MAX)})
    if account.balance >= PROMISED_PAYMENT_BALANCE_THRESHOLD:
        raise Refused(_("The balance is not low (%(b)s ₽): a promised payment is available "
                        "below %(t)s ₽.", b=account.balance, t=PROMISED_PAYMENT_BALANCE_THRESHOLD))
    active = db.session.scalar(select(PromisedPayment.id).where(
        PromisedPayment.billing_account_id == account.id, PromisedPayment.status == "active"))
    if active:
        raise Refused(_("The account already has an active promised payment."))
    return _("credit %(a)s ₽ for %(d)s days", a=p["amount"], d=PROMISED_PAYMENT_DAYS)


def check_sms_send(line: Line, p: dict) -> str:
    _not_terminated(line)
    info = sms_segments(p["text"])
    if info["segments"] > SMS_MAX_SEGMENTS:
        raise InvalidInput({"text": _(
            "The text takes %(n)s segments (%(e)s); at most %(m)s.", n=info["segments"],
            e=info["encoding"], m=SMS_MAX_SEGMENTS)})
    return _("send an SMS (%(n)s segment(s), %(e)s)", n=info["segments"], e=info["encoding"])


def forwarding_rules(line_id: int) -> dict[str, ForwardingRule]:
    """The line's forwarding rules by condition."""
    return {r.condition: r for r in db.session.scalars(
        select(ForwardingRule).where(ForwardingRule.line_id == line_id))}


def check_forwarding_set(line: Line, p: dict) -> str:
    _not_terminated(line)
    if p["target"] == line.msisdn:
        raise InvalidInput({"target": _("A line cannot forward calls to itself.")})
    rules = forwarding_rules(line.id)
    if p["condition"] != "unconditional" and "unconditional" in rules:
        raise Refused(_("Unconditional forwarding is set and overrides the others: clear it "
                        "first."))
    return _("forward (%(c)s) to %(t)s", c=label("forwarding", p["condition"]),
             t=validators.format_msisdn(p["target"]))


def check_forwarding_clear(line: Line, p: dict) -> str:
    _not_terminated(line)
    rules = forwarding_rules(line.id)
    if not rules or (p["condition"] != "all" and p["condition"] not in rules):
        raise Refused(_("No such call forwarding is set."))
    return _("clear forwarding (%(c)s)", c=label("forwarding", p["condition"]))


def check_limit_set(line: Line, p: dict) -> str:
    _not_terminated(line)
    return _("limit %(k)s %(a)s → %(x)s", k=label("limit_kind", p["kind"]), a=p["amount"],
             x=label("limit_action", p["action"]))


def check_limit_clear(line: Line, p: dict) -> str:
    _not_terminated(line)
    if db.session.get(LineLimit, (line.id, p["kind"])) is None:
        raise Refused(_("No %(k)s limit is set.", k=label("limit_kind", p["kind"])))
    return _("clear the %(k)s limit", k=label("limit_kind", p["kind"]))


def _tariff(code: str) -> Tariff:
    tariff = db.session.scalar(select(Tariff).where(Tariff.code == code, Tariff.active))
    if tariff is None:
        raise InvalidInput({"tariff_code": _("No such tariff in the catalogue: %(c)s.", c=code)})
    return tariff


def services_dropped_by(line: Line, tariff: Tariff) -> list[str]:
    """Connected services not available on ``tariff`` (disconnected by the change)."""
    return sorted(ls.service.code for ls in line.services
                  if ls.service.tariff_codes and tariff.code not in ls.service.tariff_codes)


def check_tariff_change(line: Line, p: dict) -> str:
    _not_terminated(line)
    tariff = _tariff(p["tariff_code"])
    if tariff.id == line.tariff_id:
        raise Refused(_("The line is already on this tariff."))
    dropped = services_dropped_by(line, tariff)
    text = _("tariff %(a)s → %(b)s", a=line.tariff.name, b=tariff.name)
    if p["effective"] == "next_period":
        text += " " + _("from %(d)s", d=next_period_start())
    if dropped:
        text += "; " + _("disconnects: %(s)s", s=", ".join(dropped))
    return text


def next_period_start(today: date | None = None) -> date:
    """The first day of the next billing period (month)."""
    today = today or date.today()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def clean_tariff_options(tariff: Tariff, options: dict) -> dict:
    """Options checked against the tariff's definitions (422 per bad option)."""
    definitions = tariff.options or {}
    errors, clean = {}, {}
    for name, value in options.items():
        spec = definitions.get(name)
        key = f"options.{name}"
        if spec is None:
            errors[key] = _("The tariff has no option %(o)s.", o=name)
        elif spec["type"] == "msisdn_list":
            items = value if isinstance(value, list) else None
            if items is None:
                errors[key] = _("A list of numbers is expected.")
                continue
            if len(items) > spec["max"]:
                errors[key] = _("At most %(n)s numbers.", n=spec["max"])
                continue
            try:
                numbers = [validators.normalize_msisdn(v) for v in items]
            except validators.ValidationError as error:
                errors[key] = _(error.message)
                continue
            if len(set(numbers)) != len(numbers):
                errors[key] = _("A number is listed twice.")
                continue
            clean[name] = numbers
        elif spec["type"] == "choice":
            try:
                chosen = int(value)
            except (TypeError, ValueError):
                chosen = None
            if chosen not in spec["values"]:
                errors[key] = _("Choose one of: %(v)s.", v=", ".join(map(str, spec["values"])))
                continue
            clean[name] = chosen
    if errors:
        raise InvalidInput(errors)
    return clean


def check_tariff_configure(line: Line, p: dict) -> str:
    _not_terminated(line)
    if not line.tariff.options:
        raise Refused(_("The tariff %(t)s has nothing to configure.", t=line.tariff.name))
    p["options"] = clean_tariff_options(line.tariff, p["options"])
    if not p["options"]:
        raise InvalidInput({"options": _("Give at least one option.")})
    return _("configure %(o)s", o=", ".join(sorted(p["options"])))


def check_sim_replace(line: Line, p: dict) -> str:
    _not_terminated(line)
    if p["iccid"] == line.iccid:
        raise InvalidInput({"iccid": _("This SIM is already the line's SIM.")})
    # Only the company's own SIMs are named: another company's answers like an unknown one
    # (the operator then refuses to activate it, as it would any SIM not in its stock).
    if db.session.scalar(select(Line.id).where(Line.iccid == p["iccid"],
                                               Line.company_id == line.company_id)):
        raise InvalidInput({"iccid": _("This SIM is already used by another line.")})
    return _("new SIM %(i)s", i=p["iccid"])


def check_number_change(line: Line, p: dict) -> str:
    _not_terminated(line)
    if p["msisdn"] not in offered_numbers(line, limit=FREE_POOL_SIZE):
        raise InvalidInput({"msisdn": _("Choose one of the offered free numbers.")})
    return _("new number %(n)s", n=validators.format_msisdn(p["msisdn"]))


def transfer_target(line: Line, p: dict) -> BillingAccount | None:
    """The existing account a transfer goes to (None: a new account will be opened)."""
    if p.get("new_account"):
        return None
    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.number == p["billing_account_number"],
        BillingAccount.company_id == line.company_id))
    if account is None or account.contract_id != line.billing_account.contract_id:
        raise InvalidInput({"billing_account_number": _(
            "No such billing account in the line's contract.")})
    return account


def check_number_transfer(line: Line, p: dict) -> str:
    _not_terminated(line)
    target = transfer_target(line, p)
    if target is None:
        return _("move to a new billing account")
    if target.id == line.billing_account_id:
        raise Refused(_("The line is already on this billing account."))
    return _("move to billing account %(n)s", n=target.number)


def clean_emails(text: str | None) -> str | None:
    """Comma- or space-separated e-mails, each validated; normalised to "a, b"."""
    if not (text or "").strip():
        return None
    parts = [x for x in text.replace(";", ",").replace(" ", ",").split(",") if x]
    if len(parts) > 5:
        raise InvalidInput({"email": _("At most five e-mail addresses.")})
    clean = []
    for part in parts:
        address = clean_email(part)
        if address is None:
            raise InvalidInput({"email": _("Not a valid e-mail address: %(e)s", e=part)})
        clean.append(address)
    return ", ".join(clean)


def check_bill_delivery_set(account: BillingAccount, p: dict) -> str:
    p["email"] = clean_emails(p.get("email"))
    address = (p.get("postal_address") or "").strip() or None
    if address is not None and len(address) < 10:
        raise InvalidInput({"postal_address": _("The postal address is too short.")})
    p["postal_address"] = address
    if (p["email"], address) == (account.bill_delivery_email, account.bill_delivery_address):
        raise Refused(_("The bill delivery address is already this."))
    return _("bill delivery: %(e)s %(a)s", e=p["email"] or "", a=address or "")


def check_settlement_method_set(account: BillingAccount, p: dict) -> str:
    if account.settlement_method == p["method"]:
        raise Refused(_("The account is already settled this way."))
    if p["method"] == "advance" and account.balance < 0:
        raise Refused(_("Pay the debt (%(b)s ₽) before moving to advance settlement.",
                        b=account.balance))
    waiting = db.session.scalar(select(Operation.id).where(
        Operation.billing_account_id == account.id, Operation.type == "settlement_method_set",
        Operation.status == "awaiting_operator"))
    if waiting:
        raise Refused(_("A settlement method change is already waiting for the operator."))
    if p["method"] == "credit":
        return _("credit settlement (needs the operator's approval)")
    return _("advance settlement")


CHECKS = {name: globals()[f"check_{name}"] for name in TYPES}


def check(type_name: str, target, params: dict) -> str:
    """Run the type's business rules on the target; returns what will change, or raises."""
    return CHECKS[type_name](target, params)


def quarantine_until(today: date | None = None) -> date:
    """Until when a released number stays out of the pool."""
    return (today or date.today()) + timedelta(days=QUARANTINE_DAYS)


def parse_credit_limit(value) -> Decimal:
    """A credit limit in roubles and kopecks: positive, at most two decimals, capped."""
    message = _("Enter the credit limit in roubles, e.g. 150000.00 (more than 0, at most "
                "%(max)s).", max=f"{CREDIT_LIMIT_MAX:,}".replace(",", " "))
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidInput({"credit_limit": message})
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", "")
                         .replace(",", "."))
    except InvalidOperation:
        raise InvalidInput({"credit_limit": message}) from None
    if not amount.is_finite() or not 0 < amount <= CREDIT_LIMIT_MAX \
            or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput({"credit_limit": message})
    return amount.quantize(Decimal("0.01"))
