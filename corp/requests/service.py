"""Requests to the operator: filing, reading within scope, comments, attachments, workflow.

A company user with ``requests.manage`` files a claim, a question or an application (which
carries a generated form). A request about lines needs every line in the user's scope, and a
company user sees only the requests whose lines all lie in their scope. Operator staff see
every company's requests and move them: submitted → in_progress → done / rejected.
Applications that need the operator's consent (porting out, termination, re-registration,
the credit settlement method) change nothing until staff approve them; approval runs them.
"""

import hashlib
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, not_, select

from auth.models import User
from core import audit
from core.db import utcnow
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.extensions import db
from core.uploads import read_attachment
from corp.models import (
    HOLDER_FIELDS,
    BillingAccount,
    Company,
    Contract,
    HolderChange,
    Line,
    LineEvent,
)
from corp.operations import service as operations_service
from corp.requests.models import (
    OPEN_STATUSES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    TRANSITIONS,
    Request,
    RequestAttachment,
    RequestComment,
    RequestLine,
)
from corp.service import current_holder
from forms import service as forms_service
from forms.catalogue import get_form
from forms.models import GeneratedDocument
from hierarchy.models import Node
from roles import access
from staff import onboarding

PERMISSION = "requests.manage"
SUBJECT_MAX = 200
TEXT_MAX = 4000
# The new holder's postal address and bank are their own (empty stays empty); these were
# not asked before the form's version 2026.2, so such an application keeps the earlier ones.
KEPT_IF_EMPTY = frozenset({"legal_address", "signatory_name", "signatory_position",
                           "authority_basis"})
NULLABLE_HOLDER_FIELDS = frozenset({"kpp", "bik", "bank_account", "correspondent_account"})
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


def _is_staff(actor) -> bool:
    return bool(getattr(actor, "is_operator_staff", False))


def _require_company_user(actor) -> None:
    if _is_staff(actor) or not access.scopes(actor, PERMISSION):
        raise PermissionDenied(_("You do not have the permission for this."))


# --- Reading ---------------------------------------------------------------------------------


def visible_requests(actor):
    """A SELECT of the requests the actor may see: staff all; a company user their company's
    requests whose every line lies in their ``lines.view`` scope."""
    if _is_staff(actor):
        return select(Request)
    _require_company_user(actor)
    query = select(Request).where(Request.company_id == actor.company_id)
    if not access.has_company_scope(actor, "lines.view"):
        outside = (select(RequestLine.request_id)
                   .join(Line, Line.id == RequestLine.line_id)
                   .join(Node, Node.id == Line.node_id)
                   .where(RequestLine.request_id == Request.id,
                          not_(access.scope_filter(actor, "lines.view", Node.path))))
        query = query.where(~exists(outside))
    return query


def get_request(actor, request_id: int) -> Request:
    """One request the actor may see, else 404 (another company's, out of scope, unknown)."""
    found = db.session.scalar(visible_requests(actor).where(Request.id == request_id))
    if found is None:
        raise NotFound()
    return found


def list_requests(actor, *, status=None, kind=None, company_id=None, older_than_days=None,
                  limit=200) -> list[Request]:
    """Newest first (staff: oldest open first), filtered; within what the actor may see."""
    if status and status not in REQUEST_STATUSES:
        raise InvalidInput({"status": _("Unknown status.")})
    if kind and kind not in REQUEST_KINDS:
        raise InvalidInput({"kind": _("Unknown kind.")})
    query = visible_requests(actor)
    if status:
        query = query.where(Request.status == status)
    if kind:
        query = query.where(Request.kind == kind)
    if company_id and _is_staff(actor):
        query = query.where(Request.company_id == company_id)
    if older_than_days:
        query = query.where(Request.created_at <= utcnow() - timedelta(days=older_than_days))
    order = Request.created_at.asc() if _is_staff(actor) else Request.id.desc()
    return db.session.scalars(query.order_by(order, Request.id).limit(limit)).all()


def request_line_numbers(item: Request) -> list[str]:
    """The numbers a request is about."""
    return db.session.scalars(select(Line.msisdn).join(
        RequestLine, RequestLine.line_id == Line.id).where(RequestLine.request_id == item.id)
        .order_by(Line.msisdn)).all()


# --- Filing ------------------------------------------------------------------------------


def _text(value, name: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput({name: _("Value must be text.")})
    value = value.strip().replace("\r\n", "\n")
    if required and not value:
        raise InvalidInput({name: _("This field is required.")})
    if len(value) > limit or "\x00" in value:
        raise InvalidInput({name: _("At most %(n)d characters.", n=limit)})
    return value


def consent_params(code: str, fields: dict, lines: list[dict], facts: dict) -> dict:
    """What a consent application will do when approved (kept with the request)."""
    if code == "port_out":
        return {"line_ids": [line["id"] for line in lines],
                "recipient_operator": fields["recipient_operator"],
                "porting_date": fields["porting_date"]}
    if code == "termination":
        return {"contract_number": facts["contract_number"],
                "termination_date": fields["termination_date"]}
    if code == "contract_reregistration":
        return {"contract_number": facts["contract_number"],
                "new_holder": {k.removeprefix("new_holder_"): value
                               for k, value in fields.items() if k.startswith("new_holder_")},
                "transfer_date": fields["transfer_date"]}
    return {}


def create_request(actor, *, kind, subject, text="", form_code=None, fields=None,
                   line_ids=None, operation=None) -> Request:
    """File a request; an application generates and carries its form (flushes).

    ``operation``: the credit settlement operation that files its own application (its
    permission was checked by the operation).
    """
    if operation is None:
        _require_company_user(actor)
    errors = {}
    if kind not in REQUEST_KINDS:
        errors["kind"] = _("Choose a claim, an application or a question.")
    try:
        subject = _text(subject, "subject", SUBJECT_MAX, True)
    except InvalidInput as error:
        errors.update({k: v[0] for k, v in error.errors.items()})
    try:
        text = _text(text, "text", TEXT_MAX, kind != "application")
    except InvalidInput as error:
        errors.update({k: v[0] for k, v in error.errors.items()})
    spec = None
    if kind == "application":
        spec = get_form(form_code) if isinstance(form_code, str) else None
        if spec is None or spec.guide:
            errors["form_code"] = _("Choose the application form.")
    elif form_code:
        errors["form_code"] = _("Only an application carries a form.")
    if errors:
        raise InvalidInput(errors)
    document = None
    if spec is not None:
        document = forms_service.generate(actor, spec.code, fields or {}, line_ids)
        ids = document.data["line_ids"]
        lines = document.data["lines"]
    else:
        ids = forms_service.check_line_ids(line_ids, "optional")
        lines = forms_service.load_lines(actor, ids)
    item = Request(company_id=actor.company_id, created_by=actor.id, kind=kind,
                   subject=subject, text=text, status="submitted",
                   form_code=spec.code if spec else None,
                   document_id=document.id if document else None)
    if spec is not None and spec.consent_action:
        item.consent_action = spec.consent_action
        item.action_params = consent_params(spec.code, document.data["fields"], lines,
                                            forms_service.portal_facts(actor))
    if operation is not None:
        item.consent_action = "settlement_credit"
        item.operation_id = operation.id
        item.action_params = {"operation_id": operation.id}
    item.lines = [RequestLine(line_id=line_id) for line_id in ids]
    db.session.add(item)
    db.session.flush()
    audit.record("request.created", actor=actor, object_type="request", object_id=item.id,
                 detail=f"{kind}: {subject}"[:500])
    db.session.flush()
    return item


def file_credit_settlement_request(operation, actor, target, **_kwargs) -> None:
    """Receiver: a credit settlement request waits for the operator → file its application."""
    fields = forms_service.prefill(get_form("credit_settlement"),
                                   forms_service.portal_facts(actor))
    fields["billing_account"] = target.number
    subject = f"{get_form('credit_settlement').title}: {target.number}"
    create_request(actor, kind="application", subject=subject,
                   form_code="credit_settlement", fields=fields, operation=operation)


def operation_decided(operation, staff, approved, reason="", **_kwargs) -> None:
    """Receiver: a credit operation decided elsewhere closes its request the same way."""
    item = db.session.scalar(select(Request).where(Request.operation_id == operation.id,
                                                   Request.status.in_(OPEN_STATUSES)))
    if item is None:
        return
    done = approved and operation.status == "done"
    comment = reason if done else (reason or operation.error or "")
    _close(item, staff, "done" if done else "rejected", comment)


# --- Comments and attachments ------------------------------------------------------------


def add_comment(actor, item: Request, text) -> RequestComment:
    """A comment from the company or from operator staff, while the request is open."""
    text = _text(text, "text", TEXT_MAX, True)
    if item.status not in OPEN_STATUSES:
        raise Conflict(_("The request is closed."))
    comment = RequestComment(request_id=item.id, author_id=actor.id,
                             by_operator=_is_staff(actor), text=text)
    db.session.add(comment)
    item.updated_at = utcnow()
    audit.record("request.commented", actor=actor, company_id=item.company_id,
                 object_type="request", object_id=item.id)
    db.session.flush()
    return comment


def attachments_dir() -> Path:
    """Where attachments live: under the instance folder, never in the web root."""
    configured = current_app.config.get("REQUEST_ATTACHMENTS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def _safe_filename(name: str, kind: str) -> str:
    name = unicodedata.normalize("NFC", Path(str(name or "")).name)
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "", name).strip()[:150] or "file"
    extension = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}[kind]
    if not name.lower().endswith((extension, ".jpeg") if kind == "jpeg" else extension):
        name += extension
    return name


def add_attachment(actor, item: Request, file_storage) -> RequestAttachment:
    """Attach a PDF/JPEG/PNG (checked by content and size) while the request is open."""
    if item.status not in OPEN_STATUSES:
        raise Conflict(_("The request is closed."))
    kind, data = read_attachment(
        file_storage, allowed=("pdf", "jpeg", "png"),
        max_bytes=int(current_app.config["REQUEST_ATTACHMENT_MAX_BYTES"]), field="file")
    digest = hashlib.sha256(data).hexdigest()
    path = attachments_dir() / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    attachment = RequestAttachment(
        request_id=item.id, uploaded_by=actor.id, by_operator=_is_staff(actor),
        filename=_safe_filename(getattr(file_storage, "filename", ""), kind), kind=kind,
        size=len(data), sha256=digest)
    db.session.add(attachment)
    item.updated_at = utcnow()
    audit.record("request.attachment_added", actor=actor, company_id=item.company_id,
                 object_type="request", object_id=item.id, detail=attachment.filename)
    db.session.flush()
    return attachment


def get_attachment(actor, item: Request, attachment_id: int) -> RequestAttachment:
    """An attachment of a request the actor may see (else 404)."""
    found = db.session.scalar(select(RequestAttachment).where(
        RequestAttachment.id == attachment_id, RequestAttachment.request_id == item.id))
    if found is None:
        raise NotFound()
    return found


def attachment_bytes(attachment: RequestAttachment) -> bytes:
    """The stored bytes, checked against the recorded digest."""
    path = attachments_dir() / attachment.sha256[:2] / attachment.sha256
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store.")) from None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise NotFound(_("The file is missing from the store."))
    return data


def request_document(actor, item: Request):
    """The generated form a request carries (staff too may download it)."""
    if not item.document_id:
        raise NotFound()
    return db.session.get(GeneratedDocument, item.document_id)


# --- The operator's workflow -------------------------------------------------------------


def _close(item: Request, staff, status: str, comment: str = "") -> None:
    item.status = status
    if status == "rejected":
        item.effective_on = None  # a scheduled action is cancelled
    item.updated_at = item.closed_at = utcnow()
    if comment:
        db.session.add(RequestComment(request_id=item.id, author_id=staff.id,
                                      by_operator=True, text=comment[:TEXT_MAX]))
    audit.record(f"request.{status}", actor=staff, company_id=item.company_id,
                 object_type="request", object_id=item.id, detail=comment[:500])


# Consent actions the company dates in its application, and the field holding the date.
DATED_ACTIONS = {"number_port_out": "porting_date", "contract_termination": "termination_date"}


def requested_date(item: Request) -> date | None:
    """The day the company asked a dated consent action for (``None``: not dated)."""
    key = DATED_ACTIONS.get(item.consent_action or "")
    value = (item.action_params or {}).get(key) if key else None
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _schedule(item: Request, staff, due: date, comment: str = "") -> None:
    """Approved for a later day: the request stays in progress and the daily due run
    (``carry_out_due``) carries the action out on ``due``; a rejection before then cancels."""
    item.status, item.assignee_id, item.effective_on = "in_progress", staff.id, due
    item.updated_at = utcnow()
    if comment:
        add_comment(staff, item, comment)
    audit.record("request.scheduled", actor=staff, company_id=item.company_id,
                 object_type="request", object_id=item.id,
                 after={"effective_on": due.isoformat()}, detail=comment[:500])
    db.session.flush()


def carry_out_due(today: date | None = None) -> dict:
    """Carry out the approved dated actions whose day has come, each on its own: one that
    cannot run (the lines are gone meanwhile) stays in progress for the operator, with the
    reason in the audit, and is not retried every day."""
    today = today or date.today()
    counts = {"requests_carried_out": 0, "requests_failed": 0}
    due = db.session.scalars(select(Request).where(
        Request.status == "in_progress", Request.effective_on <= today)
        .order_by(Request.effective_on, Request.id)).all()
    for item in due:
        staff = db.session.get(User, item.assignee_id)
        try:
            with db.session.begin_nested():
                _close(item, staff, "done")
                item.action_result = run_consent_action(staff, item)
        except Conflict as error:  # the operator's refusals included
            item.effective_on = None  # back to the operator's hands
            audit.record("request.carry_out_failed", actor=staff, company_id=item.company_id,
                         object_type="request", object_id=item.id, outcome="refused",
                         detail=str(error)[:500])
            counts["requests_failed"] += 1
            continue
        counts["requests_carried_out"] += 1
    db.session.flush()
    return counts


def requested_credit_limit(item: Request) -> str:
    """The credit limit the company asked for in its application form (may be empty)."""
    if item.consent_action != "settlement_credit" or not item.document_id:
        return ""
    document = db.session.get(GeneratedDocument, item.document_id)
    return ((document.data or {}).get("fields") or {}).get("credit_limit") or ""


def transition(staff, item: Request, to: str, comment="", credit_limit=None) -> Request:
    """Operator staff take, approve (runs a consent action) or reject a request (flushes).

    Approving a credit settlement request needs the credit limit the operator grants
    (``credit_limit``); nothing else takes one.
    """
    if not _is_staff(staff):
        raise PermissionDenied(_("Only operator staff may do this."))
    comment = _text(comment, "comment", TEXT_MAX, False)
    if to not in REQUEST_STATUSES:
        raise InvalidInput({"to": _("Unknown status.")})
    if to not in TRANSITIONS[item.status]:
        raise Conflict(_("A request that is %(s)s cannot become %(t)s.",
                         s=item.status, t=to), code="bad_transition")
    if to == "rejected" and not comment:
        raise InvalidInput({"comment": _("Say why the request is rejected.")})
    if credit_limit in ("", None):
        credit_limit = None
    # Approving the credit settlement method: the operation's decision requires and checks
    # the limit (``operations.service.decide``, the one rule for every way of approving).
    approving_credit = to == "done" and item.consent_action == "settlement_credit"
    if credit_limit is not None and not approving_credit and to != "rejected":
        raise InvalidInput({"credit_limit": _(
            "A credit limit is set only when approving the credit settlement method.")})
    if to == "in_progress":
        item.status, item.assignee_id, item.updated_at = "in_progress", staff.id, utcnow()
        if comment:
            add_comment(staff, item, comment)
        audit.record("request.in_progress", actor=staff, company_id=item.company_id,
                     object_type="request", object_id=item.id)
        db.session.flush()
        return item
    due = requested_date(item) if to == "done" else None
    if due is not None and due > date.today():
        _schedule(item, staff, due, comment)
        return item
    if item.consent_action:
        _close(item, staff, to, comment)  # first: the operation's own signal finds it closed
        if to == "done":
            item.action_result = run_consent_action(
                staff, item, credit_limit=credit_limit if approving_credit else None)
        elif item.operation_id:
            operations_service.decide(staff, item.operation_id, False, comment)
    else:
        _close(item, staff, to, comment)
    db.session.flush()
    return item


def run_consent_action(staff, item: Request, credit_limit: Decimal | None = None) -> dict:
    """What an approved consent application does (raises Conflict if it cannot run)."""
    params = item.action_params or {}
    action = item.consent_action
    if action == "settlement_credit":
        operation = operations_service.decide(staff, item.operation_id, True,
                                              credit_limit=credit_limit)
        if operation.status != "done":
            raise Conflict(_("The operator could not apply it: %(e)s", e=operation.error))
        account = db.session.get(BillingAccount, operation.billing_account_id)
        return {"operation_id": operation.id, "status": operation.status,
                "billing_account": account.number, "credit_limit": str(account.credit_limit)}
    if action == "number_port_out":
        return _port_out(staff, item, params)
    contract = db.session.scalar(select(Contract).where(
        Contract.company_id == item.company_id,
        Contract.number == params.get("contract_number")))
    if contract is None or contract.status != "active":
        raise Conflict(_("The contract is not active."))
    if action == "contract_termination":
        return _terminate(staff, item, contract, params)
    if action == "contract_reregistration":
        return _reregister(staff, item, contract, params)
    raise Conflict(_("Unknown action."))  # pragma: no cover - actions come from the catalogue


def _port_out(staff, item: Request, params: dict) -> dict:
    """The listed numbers leave for the recipient operator: each line is closed through the
    gateway (history, audit, fees up to today) and marked ported out."""
    ids = params.get("line_ids") or []
    lines = db.session.scalars(select(Line).where(
        Line.company_id == item.company_id, Line.id.in_(ids),
        Line.status != "terminated").order_by(Line.id)).all()
    if not lines:
        raise Conflict(_("None of the numbers is still served by the operator."))
    recipient = str(params.get("recipient_operator", ""))
    summary = _("Number ported to %(o)s", o=recipient)
    for line in lines:
        operations_service.close_line_for_operator(staff, line, summary, item.id)
        db.session.add(LineEvent(line_id=line.id, kind="port_out", summary=summary[:300]))
        audit.record("line.ported_out", actor=staff, company_id=item.company_id,
                     object_type="line", object_id=line.id, line_id=line.id,
                     after={"status": "terminated", "recipient_operator": recipient,
                            "porting_date": params.get("porting_date")},
                     detail=f"request {item.id}")
    return {"ported": len(lines), "numbers": [line.msisdn for line in lines],
            "recipient_operator": recipient}


def _terminate(staff, item: Request, contract: Contract, params: dict) -> dict:
    """The contract ends: every line on its billing accounts is closed through the gateway
    (billed up to today), its accounts stop (advance accounts return to advance with no
    credit), the contract is terminated."""
    lines = db.session.scalars(
        select(Line).join(BillingAccount, BillingAccount.id == Line.billing_account_id)
        .where(BillingAccount.contract_id == contract.id, Line.status != "terminated")
        .order_by(Line.id)).all()
    summary = _("Contract %(n)s terminated", n=contract.number)
    for line in lines:
        operations_service.close_line_for_operator(staff, line, summary, item.id)
    accounts = db.session.scalars(select(BillingAccount).where(
        BillingAccount.contract_id == contract.id).order_by(BillingAccount.id)).all()
    balances = {}
    for account in accounts:
        balances[account.number] = str(account.balance)
        if account.settlement_method == "credit" or account.credit_limit:
            before = {"settlement_method": account.settlement_method,
                      "credit_limit": str(account.credit_limit)}
            account.settlement_method, account.credit_limit = "advance", Decimal("0")
            audit.record("billing_account.closed", actor=staff, company_id=item.company_id,
                         object_type="billing_account", object_id=str(account.id),
                         before=before, after={"settlement_method": "advance",
                                               "credit_limit": "0"},
                         detail=f"request {item.id}: contract terminated")
    contract.status = "terminated"
    audit.record("contract.terminated", actor=staff, company_id=item.company_id,
                 object_type="contract", object_id=contract.id,
                 before={"status": "active"}, after={"status": "terminated",
                                                     "termination_date":
                                                     params.get("termination_date")},
                 detail=f"request {item.id}: {len(lines)} lines terminated")
    db.session.flush()
    return {"contract": contract.number, "lines_terminated": len(lines),
            "final_balances": balances}


def _new_holder(params: dict) -> dict:
    """The new holder's details from the request (older requests carried fewer of them)."""
    given = {key.removeprefix("new_holder_"): value
             for key, value in (params.get("new_holder") or {}).items()}
    return {name: str(given.get(name) or "") for name in HOLDER_FIELDS}


def _reregister(staff, item: Request, contract: Contract, params: dict) -> dict:
    """The contract passes to the new legal entity: the company's legal details become the
    new holder's (documents from the transfer date on carry them); the earlier details stay
    in the contract's history record and the audit."""
    company = db.session.get(Company, item.company_id)
    new = _new_holder(params)
    if not new["name"] or not new["inn"] or not new["ogrn"]:
        raise Conflict(_("The application lacks the new holder's details."))
    if db.session.scalar(select(Company.id).where(Company.inn == new["inn"],
                                                  Company.id != company.id)):
        raise Conflict(_("Another customer of the operator has the new holder's INN; "
                         "the contract cannot pass to it here."))
    before = current_holder(company)
    after = {name: new[name] or (before[name] if name in KEPT_IF_EMPTY else "")
             for name in HOLDER_FIELDS}
    try:
        effective = date.fromisoformat(str(params.get("transfer_date")))
    except ValueError:
        effective = date.today()
    for name in HOLDER_FIELDS:
        value = after[name]
        setattr(company, name, value or (None if name in NULLABLE_HOLDER_FIELDS else ""))
    root = db.session.scalar(select(Node).where(Node.company_id == company.id,
                                                Node.kind == "root"))
    if root is not None and root.name == before["name"]:  # the tree's top bears the name
        root.name = after["name"][:120]
    change = HolderChange(company_id=company.id, contract_id=contract.id,
                          effective_on=effective, before=before, after=after,
                          request_id=item.id, decided_by=staff.id)
    db.session.add(change)
    audit.record("contract.reregistered", actor=staff, company_id=item.company_id,
                 object_type="contract", object_id=contract.id, before=before,
                 after={**after, "effective_on": effective.isoformat()},
                 detail=f"request {item.id}")
    db.session.flush()
    return {"contract": contract.number, "new_holder": after,
            "effective_on": effective.isoformat(), "holder_change_id": change.id}


# --- Connection applications: a company that is not a customer yet -----------------------

CONNECTION_FORM = "connection"
# The onboarding form's fields and the connection application's fields they come from.
ONBOARDING_PREFILL = {
    "name": "company_name", "inn": "inn", "kpp": "kpp", "ogrn": "ogrn",
    "legal_address": "legal_address", "postal_address": "postal_address",
    "bank_name": "bank_name", "bik": "bik", "bank_account": "bank_account",
    "correspondent_account": "correspondent_account", "contact_phone": "contact_phone",
    "signatory_name": "signatory_name", "signatory_position": "signatory_position",
    "authority_basis": "authority_basis", "admin_name": "contact_name",
}


def file_connection_application(staff, fields, upload=None) -> Request:
    """Operator staff record a connection application a prospective customer handed in
    (signed on paper or scanned): the form is validated and generated like any other, the
    request has no company until it is onboarded; the scan may be attached (flushes)."""
    if not _is_staff(staff):
        raise PermissionDenied(_("Only operator staff may do this."))
    document = forms_service.generate_for_applicant(staff, CONNECTION_FORM, fields)
    values = document.data["fields"]
    subject = f"{get_form(CONNECTION_FORM).title}: {values['company_name']}"[:SUBJECT_MAX]
    item = Request(company_id=None, created_by=staff.id, kind="application",
                   subject=subject, text="", status="submitted", form_code=CONNECTION_FORM,
                   document_id=document.id)
    db.session.add(item)
    db.session.flush()
    audit.record("request.created", actor=staff, object_type="request", object_id=item.id,
                 detail=f"connection application: {values['company_name']}, "
                        f"INN {values['inn']}"[:500])
    if upload is not None and getattr(upload, "filename", ""):
        add_attachment(staff, item, upload)
    db.session.flush()
    return item


def _connection_request(staff, item: Request) -> dict:
    """The recorded fields of an open connection application awaiting onboarding."""
    if not _is_staff(staff):
        raise PermissionDenied(_("Only operator staff may do this."))
    if item.form_code != CONNECTION_FORM or item.company_id is not None \
            or not item.document_id:
        raise Conflict(_("Only a connection application of a company that is not a "
                         "customer yet can be onboarded."), code="not_a_connection_application")
    if item.status not in OPEN_STATUSES:
        raise Conflict(_("The request is closed."))
    document = db.session.get(GeneratedDocument, item.document_id)
    return dict((document.data or {}).get("fields") or {})


def onboarding_prefill(staff, item: Request) -> dict:
    """The onboarding form's values from the connection application (the contract number
    is the operator's to give)."""
    fields = _connection_request(staff, item)
    values = {target: str(fields.get(source) or "")
              for target, source in ONBOARDING_PREFILL.items()}
    values["admin_email"] = str(fields.get("admin_email") or fields.get("contact_email") or "")
    values["contract_number"] = ""
    return values


def onboard_from_request(staff, item: Request, data: dict):
    """Onboard the company of a connection application (company, contract, billing account,
    global administrator with an issued password) and close the request as done with a
    comment naming the new company. Returns (company, administrator, password)."""
    _connection_request(staff, item)
    company, admin, password = onboarding.create_company(staff, data)
    account = onboarding.first_account_number(company.id)
    contract = db.session.scalar(select(Contract.number).where(
        Contract.company_id == company.id))
    item.assignee_id = item.assignee_id or staff.id
    item.action_result = {"company_id": company.id, "company_name": company.name,
                          "contract": contract, "billing_account": account,
                          "administrator_id": admin.id}
    comment = _("Company onboarded: %(name)s (INN %(inn)s, company no. %(id)s); contract "
                "%(contract)s, billing account %(account)s; global administrator %(email)s.",
                name=company.name, inn=company.inn, id=company.id, contract=contract,
                account=account, email=admin.email)
    _close(item, staff, "done", comment)
    db.session.flush()
    return company, admin, password


def companies_with_requests() -> list[tuple[int, str]]:
    """(id, name) of companies, for the staff queue's filter."""
    return db.session.execute(select(Company.id, Company.name).order_by(Company.name)).all()

