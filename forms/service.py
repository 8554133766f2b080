"""Forms: what the portal knows (prefill), validation, PDF generation and the document record.

A document is generated only from valid data; the record keeps the validated values, the
printed line snapshot, the form version and the PDF bytes, so a second download is the
same file. Application forms are Russian legal documents: they are always printed in
Russian, whatever the language of the page that asked for them.
"""

import hashlib
import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select

from core import audit
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.pdf import render_pdf
from core.ui import NAV
from corp import validators as v
from corp.models import BillingAccount, Company, Contract, Line, Tariff
from corp.service import holder_details, last_holder_change, scoped_lines
from forms.catalogue import (
    COMPANY_FIELDS,
    FORMS,
    LINE_COLUMN_LABELS,
    SIGNATURE_FIELDS,
    YES_NO,
    FormSpec,
    all_fields,
    get_form,
)
from forms.models import GeneratedDocument
from hierarchy.models import Node
from roles import access
from roles.permissions import PERMISSIONS, PREDEFINED_ROLES

PERMISSION = "requests.manage"
MAX_LINES = 5000
TEXT_MAX = 300
TEXTAREA_MAX = 4000
DEFAULT_POSITION = _l("General director")
DEFAULT_AUTHORITY = _l("the Charter")


# --- What the portal knows ---------------------------------------------------------------


def operator_details() -> dict:
    """The operator's name and details, from settings (never from code)."""
    config = current_app.config
    return {key.lower(): str(config.get(f"OPERATOR_{key}") or "")
            for key in ("NAME", "INN", "KPP", "OGRN", "ADDRESS", "PHONE", "EMAIL", "WEBSITE")}


def portal_facts(actor) -> dict:
    """Plain values the forms are prefilled from: company, bank, contract, accounts, people."""
    company = db.session.get(Company, actor.company_id) if actor.company_id else None
    if company is None:
        raise NotFound()
    contract = db.session.scalar(select(Contract).where(Contract.company_id == company.id)
                                 .order_by(Contract.id))
    accounts = db.session.scalars(select(BillingAccount.number).where(
        BillingAccount.company_id == company.id).order_by(BillingAccount.number)).all()
    tariff = db.session.scalar(select(Tariff.code).where(Tariff.active.is_(True))
                               .order_by(Tariff.id))
    # The holder's details in force today: after a re-registration the new legal entity's
    # (or, until its transfer date, still the earlier one's).
    holder = holder_details(company, date.today())
    remembered_query = select(GeneratedDocument.data).where(
        GeneratedDocument.company_id == company.id)
    change = last_holder_change(company.id)
    if change is not None:  # what was typed for the earlier holder is not remembered
        remembered_query = remembered_query.where(
            GeneratedDocument.created_at > change.created_at)
    last = db.session.scalar(remembered_query.order_by(GeneratedDocument.id.desc()))
    remembered = (last or {}).get("fields", {})
    city = re.match(r"г\.\s*([^,]+)", holder["legal_address"] or "")
    bank = ", ".join(x for x in (
        holder["bank_name"], holder["bik"] and f"БИК {holder['bik']}",
        holder["bank_account"] and f"р/с {holder['bank_account']}") if x)
    return {
        "company_name": holder["name"], "inn": holder["inn"], "kpp": holder["kpp"],
        "ogrn": holder["ogrn"], "legal_address": holder["legal_address"],
        "postal_address": holder["postal_address"], "bank_name": holder["bank_name"],
        "bik": holder["bik"], "bank_account": holder["bank_account"],
        "correspondent_account": holder["correspondent_account"],
        "contract_number": contract.number if contract else "",
        "contract_date": contract.signed_on.isoformat() if contract else "",
        "contact_name": company.contact_name, "contact_phone": company.contact_phone,
        "contact_email": company.contact_email,
        "signatory_name": remembered.get("signatory_name") or holder["signatory_name"]
        or company.contact_name,
        "signatory_position": remembered.get("signatory_position")
        or holder["signatory_position"] or str(DEFAULT_POSITION),
        "authority_basis": remembered.get("authority_basis") or holder["authority_basis"]
        or str(DEFAULT_AUTHORITY),
        "place": remembered.get("place") or (city.group(1).strip() if city else ""),
        "today": date.today().isoformat(),
        "billing_accounts": ", ".join(accounts),
        "first_billing_account": accounts[0] if accounts else "",
        "billing_account_numbers": list(accounts),
        "default_tariff": tariff or "",
        "bank_details": bank,
    }


def prefill(spec: FormSpec, facts: dict) -> dict:
    """The form's fields filled with what the portal knows."""
    return {f.name: facts.get(f.prefill, "") if f.prefill else "" for f in all_fields(spec)}


def choices_for(field, facts: dict | None = None) -> list[tuple[str, str]]:
    """The (value, label) choices of a field; tariffs and accounts come from the database."""
    if field.type == "billing_account":
        numbers = (facts or {}).get("billing_account_numbers") or []
        return [(n, n) for n in numbers]
    if field.type == "choice" and not field.choices:
        return [(code, name) for code, name in db.session.execute(
            select(Tariff.code, Tariff.name).where(Tariff.active.is_(True)).order_by(Tariff.id))]
    return [(value, str(label)) for value, label in field.choices]


def catalogue(actor) -> list[dict]:
    """Every form with its fields and the values the portal prefills (the API's answer)."""
    facts = portal_facts(actor)
    out = []
    for spec in FORMS.values():
        values = prefill(spec, facts)
        out.append({
            "code": spec.code, "title": str(spec.title), "purpose": str(spec.purpose),
            "audience": str(spec.audience), "version": spec.version, "lines": spec.lines,
            "consent": bool(spec.consent_action), "guide": spec.guide,
            "fields": [{"name": f.name, "label": str(f.label), "type": f.type,
                        "required": f.required, "prefill": values[f.name] or None,
                        "choices": [c for c, _label in choices_for(f, facts)]
                        if f.type in ("choice", "billing_account") else None}
                       for f in all_fields(spec)],
        })
    return out


# --- Validation --------------------------------------------------------------------------

_TRUE = {"1", "on", "true", "yes", "y", "да"}
_PHONE = re.compile(r"\+?[0-9\s()\-.]{5,25}")


def parse_date(text: str) -> date:
    """ISO (2026-12-01) or Russian (01.12.2026) dates."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _clean_one(field, raw, cleaned: dict, facts: dict):
    """The normalised value of one field (a string), or raise ValueError with a message."""
    if field.type == "checkbox":
        value = "yes" if str(raw).strip().lower() in _TRUE or raw is True else ""
        if field.required and not value:
            raise ValueError(_("Tick this box to confirm."))
        return value
    if raw is None:
        raw = ""
    if not isinstance(raw, str | int | float | Decimal):
        raise ValueError(_("Value must be text."))
    text = str(raw).strip()
    if not text:
        if field.required:
            raise ValueError(_("This field is required."))
        return ""
    if "\x00" in text:
        raise ValueError(_("Value must be text."))
    kind = field.type
    try:
        if kind == "text":
            if len(text) > TEXT_MAX:
                raise ValueError(_("At most %(n)d characters.", n=TEXT_MAX))
            return text
        if kind == "textarea":
            if len(text) > TEXTAREA_MAX:
                raise ValueError(_("At most %(n)d characters.", n=TEXTAREA_MAX))
            return text.replace("\r\n", "\n")
        if kind == "date":
            try:
                value = parse_date(text)
            except ValueError:
                raise ValueError(_("Enter a date as DD.MM.YYYY.")) from None
            if not date(1990, 1, 1) <= value <= date(2100, 12, 31):
                raise ValueError(_("The date is out of range."))
            return value.isoformat()
        if kind == "inn":
            return v.validate_inn(text)
        if kind == "inn12":
            value = v.validate_inn(text)
            if len(value) != 12:
                raise ValueError(_("A sole proprietor's INN has 12 digits."))
            return value
        if kind == "kpp":
            return v.validate_kpp(text)
        if kind == "ogrn":
            return v.validate_ogrn(text)
        if kind == "ogrnip":
            return v.validate_ogrnip(text)
        if kind == "bik":
            return v.validate_bik(text)
        if kind == "bank_account":  # checked against the BIK of its pair (new_holder_bik…)
            bik = cleaned.get(field.name.replace("bank_account", "bik"))
            if not bik:
                raise ValueError(_("Enter a valid BIK to check the account against."))
            return v.validate_bank_account(text, bik)
        if kind == "corr_account":
            return v.validate_correspondent_account(text)
        if kind == "email":
            try:
                return validate_email(text, check_deliverability=False).normalized
            except EmailNotValidError:
                raise ValueError(_("Enter a valid e-mail address.")) from None
        if kind == "phone":
            digits = re.sub(r"[^0-9]", "", text)
            if not _PHONE.fullmatch(text) or len(digits) not in (10, 11):
                raise ValueError(_("Enter a Russian phone number, e.g. +7 495 123-45-67."))
            return digits[-10:]
        if kind == "msisdn":
            return v.normalize_msisdn(text)
        if kind == "iccid":
            return v.validate_iccid(text)
        if kind in ("choice", "billing_account"):
            if text not in {value for value, _label in choices_for(field, facts)}:
                raise ValueError(_("Choose one of the offered values."))
            return text
        if kind == "money":
            try:
                amount = Decimal(text.replace(" ", "").replace(",", "."))
            except InvalidOperation:
                raise ValueError(_("Enter an amount in roubles, e.g. 1500.00.")) from None
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e11") \
                    or amount != amount.quantize(Decimal("0.01")):
                raise ValueError(_("Enter an amount in roubles, e.g. 1500.00."))
            return str(amount.quantize(Decimal("0.01")))
        if kind == "integer":
            if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= 100000:
                raise ValueError(_("Enter a whole number from 1 to 100000."))
            return str(int(text))
    except v.ValidationError as error:
        raise ValueError(_(error.message)) from None
    raise ValueError(_("Unknown field type."))  # pragma: no cover - catalogue is checked


def validate_fields(spec: FormSpec, raw: dict, facts: dict) -> dict:
    """Every field of the form normalised, or InvalidInput with a message per bad field."""
    if not isinstance(raw, dict):
        raise InvalidInput({"fields": _("Send the fields as an object.")})
    known = {f.name for f in all_fields(spec)}
    errors = {name: _("Unknown field.") for name in raw if name not in known}
    cleaned: dict[str, str] = {}
    for field in all_fields(spec):
        try:
            cleaned[field.name] = _clean_one(field, raw.get(field.name), cleaned, facts)
        except ValueError as error:
            errors[field.name] = str(error)
    for start, end in (("period_from", "period_to"), ("current_date", "new_date")):
        if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end] \
                and end not in errors:
            errors[end] = _("The end must not be before the start.")
    if errors:
        raise InvalidInput(errors)
    return cleaned


def check_line_ids(line_ids, mode: str | None) -> list[int]:
    """A list of distinct line ids, as the form needs them (``mode``: None/optional/required)."""
    if line_ids in (None, ""):
        line_ids = []
    if not isinstance(line_ids, list | tuple) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in line_ids):
        raise InvalidInput({"line_ids": _("Send line ids as a list of numbers.")})
    ids = list(dict.fromkeys(line_ids))
    if mode is None and ids:
        raise InvalidInput({"line_ids": _("This form lists no lines.")})
    if mode == "required" and not ids:
        raise InvalidInput({"line_ids": _("Choose at least one line.")})
    if len(ids) > MAX_LINES:
        raise InvalidInput({"line_ids": _("At most %(n)d lines.", n=MAX_LINES)})
    return ids


def load_lines(actor, line_ids: list[int]) -> list[dict]:
    """The listed lines as printed (plain values), all in the actor's scope, else 404."""
    if not line_ids:
        return []
    rows = []
    for start in range(0, len(line_ids), 500):
        chunk = line_ids[start:start + 500]
        query = (scoped_lines(actor, "lines.view")
                 .join(Tariff, Tariff.id == Line.tariff_id)
                 .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
                 .where(Line.id.in_(chunk))
                 .with_only_columns(Line.id, Line.msisdn, Line.iccid, Line.employee_name,
                                    Line.employee_position, Line.personnel_number, Node.name,
                                    Tariff.name, BillingAccount.number))
        rows.extend(db.session.execute(query).all())
    if len(rows) != len(line_ids):
        raise NotFound(_("Some of the chosen lines were not found."))
    order = {line_id: index for index, line_id in enumerate(line_ids)}
    rows.sort(key=lambda r: order[r[0]])
    return [{"id": r[0], "msisdn": r[1], "iccid": r[2], "employee_name": r[3],
             "employee_position": r[4], "personnel_number": r[5], "node": r[6],
             "tariff": r[7], "billing_account": r[8]} for r in rows]


# --- Printing ----------------------------------------------------------------------------


def line_ids_from_numbers(actor, text: str) -> list[int]:
    """Numbers typed one per line (any common notation) → ids of lines in the actor's scope."""
    wanted, errors = [], []
    for raw in text.replace(",", "\n").splitlines():
        if not raw.strip():
            continue
        try:
            wanted.append(v.normalize_msisdn(raw))
        except v.ValidationError:
            errors.append(raw.strip()[:30])
    if errors:
        raise InvalidInput({"numbers": _("Not a mobile number: %(n)s", n=", ".join(errors))})
    if len(wanted) > MAX_LINES:
        raise InvalidInput({"numbers": _("At most %(n)d lines.", n=MAX_LINES)})
    wanted = list(dict.fromkeys(wanted))
    found = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(db.session.execute(scoped_lines(actor).where(Line.msisdn.in_(chunk))
                                        .with_only_columns(Line.msisdn, Line.id)).all())
    missing = [v.format_msisdn(m) for m in wanted if m not in found]
    if missing:
        raise InvalidInput({"numbers": _("Not among your lines: %(n)s",
                                         n=", ".join(missing[:10]))})
    return [found[m] for m in wanted]


def numbers_of(actor, ids) -> str:
    """The numbers of the given lines in the actor's scope, one per line (a form's prefill)."""
    if not ids:
        return ""
    rows = db.session.scalars(scoped_lines(actor).where(Line.id.in_(ids[:MAX_LINES]))
                              .with_only_columns(Line.msisdn)).all()
    return "\n".join(v.format_msisdn(m) for m in rows)


def display_value(field, value: str, facts: dict) -> str:
    """How a validated value is printed (dates as DD.MM.YYYY, labels for codes, ...)."""
    if value == "":
        return "—" if field.type != "checkbox" else str(dict(YES_NO)["no"])
    if field.type == "date":
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    if field.type == "checkbox":
        return str(dict(YES_NO)["yes"])
    if field.type == "choice":
        return dict(choices_for(field, facts)).get(value, value)
    if field.type in ("msisdn", "phone"):
        return f"+7 {value[:3]} {value[3:6]}-{value[6:8]}-{value[8:]}"
    if field.type == "money":
        whole, _dot, cents = value.partition(".")
        return f"{int(whole):,}".replace(",", " ") + f",{cents} ₽"
    return value


def _line_cell(column: str, line: dict) -> str:
    if column == "msisdn":
        return v.format_msisdn(line["msisdn"])
    return str(line.get(column) or "")


def document_context(spec: FormSpec, fields: dict, lines: list[dict], facts: dict,
                     number: str) -> dict:
    """Plain values for the PDF template (evaluated in Russian by the caller)."""
    counter = 0
    sections = []
    own = spec.fields
    for title, group in ((_("Applicant"), COMPANY_FIELDS if spec.company_block else ()),
                         (_("Application"), own)):
        rows = []
        for field in group:
            counter += 1
            rows.append({"n": counter, "label": str(field.label),
                         "value": display_value(field, fields[field.name], facts)})
        if rows:
            sections.append({"title": title, "rows": rows})
    signature = {f.name: display_value(f, fields[f.name], facts) for f in SIGNATURE_FIELDS}
    table = None
    if spec.lines:
        table = {"columns": [str(LINE_COLUMN_LABELS[c]) for c in spec.line_columns],
                 "rows": [[_line_cell(c, line) for c in spec.line_columns] for line in lines]}
    return {
        "form": {"code": spec.code, "title": str(spec.title), "purpose": str(spec.purpose),
                 "version": spec.version},
        "number": number,
        "operator": operator_details(),
        "company_name": fields.get("company_name") or facts["company_name"],
        "inn": fields.get("inn") or facts["inn"],
        "sections": sections,
        "lines": table,
        "signature": signature,
    }


def guide_context(facts: dict, number: str) -> dict:
    """The Global administrator's guide, generated from this portal's own catalogues."""
    spec = FORMS["admin_guide"]
    return {
        "form": {"code": spec.code, "title": str(spec.title), "purpose": str(spec.purpose),
                 "version": spec.version},
        "number": number,
        "operator": operator_details(),
        "company_name": facts["company_name"],
        "inn": facts["inn"],
        "contract_number": facts["contract_number"],
        "menu": [str(item.label) for item in NAV if not item.operator_staff],
        "permissions": [{"code": code, "label": str(label)}
                        for code, label in PERMISSIONS.items()],
        "roles": [{"name": str(name), "description": str(description),
                   "permissions": [str(PERMISSIONS[p]) for p in PERMISSIONS if p in perms]}
                  for name, description, perms in PREDEFINED_ROLES.values()],
        "forms": [{"title": str(f.title), "purpose": str(f.purpose)}
                  for f in FORMS.values() if not f.guide],
    }


def header_for(context: dict, created: date) -> dict:
    """The running header: the operator's details left, the document number right."""
    operator = context["operator"]
    left = "\n".join(x for x in (
        operator["name"],
        " · ".join(x for x in (operator["inn"] and f"ИНН {operator['inn']}",
                               operator["kpp"] and f"КПП {operator['kpp']}",
                               operator["ogrn"] and f"ОГРН {operator['ogrn']}") if x),
        operator["address"],
        " · ".join(x for x in (operator["phone"], operator["email"], operator["website"]) if x),
    ) if x)
    right = f"№ {context['number']}\n{created.strftime('%d.%m.%Y')}"
    return {"left": left, "right": right}


# --- Generation and the record -----------------------------------------------------------


def generate(actor, code: str, raw_fields, line_ids=None) -> GeneratedDocument:
    """Validate, record and render one document (flushes; the caller commits)."""
    spec = get_form(code)
    if spec is None:
        raise NotFound(_("No such form."))
    facts = portal_facts(actor)
    ids = check_line_ids(line_ids, spec.lines)
    fields = {} if spec.guide else validate_fields(spec, raw_fields or {}, facts)
    lines = load_lines(actor, ids)
    return _record_and_render(actor, actor.company_id, spec, facts, fields, ids, lines)


def applicant_facts() -> dict:
    """What the portal knows of an applicant who is not a customer yet: nothing of theirs
    (the operator's catalogue only: tariffs, today)."""
    facts = {key: "" for key in (
        "company_name", "inn", "kpp", "ogrn", "legal_address", "postal_address", "bank_name",
        "bik", "bank_account", "correspondent_account", "contract_number", "contract_date",
        "contact_name", "contact_phone", "contact_email", "signatory_name",
        "signatory_position", "authority_basis", "place", "billing_accounts",
        "first_billing_account", "bank_details")}
    tariff = db.session.scalar(select(Tariff.code).where(Tariff.active.is_(True))
                               .order_by(Tariff.id))
    facts.update({"today": date.today().isoformat(), "billing_account_numbers": [],
                  "default_tariff": tariff or "",
                  "signatory_position": str(DEFAULT_POSITION),
                  "authority_basis": str(DEFAULT_AUTHORITY)})
    return facts


def generate_for_applicant(staff, code: str, raw_fields) -> GeneratedDocument:
    """Operator staff record a form an applicant who is not a customer yet handed in (the
    connection application): validated like any form, recorded with no company."""
    spec = get_form(code)
    if spec is None or spec.guide or spec.lines:
        raise NotFound(_("No such form."))
    facts = applicant_facts()
    fields = validate_fields(spec, raw_fields or {}, facts)
    return _record_and_render(staff, None, spec, facts, fields, [], [])


def _record_and_render(actor, company_id, spec, facts, fields, ids, lines):
    document = GeneratedDocument(
        company_id=company_id, created_by=actor.id, form_code=spec.code,
        form_version=spec.version, number=f"tmp-{uuid.uuid4().hex}",  # the real number needs the id
        data={"fields": fields, "line_ids": ids, "lines": lines}, line_count=len(lines),
    )
    db.session.add(document)
    db.session.flush()
    document.number = f"{company_id or 0:04d}-{document.id:06d}"
    created = date.today()
    with force_locale("ru"):
        if spec.guide:
            context = guide_context(facts, document.number)
            template = "forms/pdf/guide.html"
        else:
            context = document_context(spec, fields, lines, facts, document.number)
            template = "forms/pdf/form.html"
        context["created"] = created.strftime("%d.%m.%Y")
        pdf = render_pdf(template, context, title=str(spec.title),
                         author=context["company_name"], header=header_for(context, created))
    document.pdf = pdf
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.size = len(pdf)
    audit.record("form.generated", actor=actor, object_type="generated_document",
                 object_id=str(document.id),
                 detail=f"{spec.code} v{spec.version} № {document.number}, {len(lines)} lines")
    db.session.flush()
    return document


def _visible_documents(actor):
    if actor.company_id is None:  # operator staff reach documents through requests only
        return select(GeneratedDocument).where(false())
    query = select(GeneratedDocument).where(GeneratedDocument.company_id == actor.company_id)
    if not access.has_company_scope(actor, PERMISSION):
        query = query.where(GeneratedDocument.created_by == actor.id)
    return query


def get_document(actor, document_id: int) -> GeneratedDocument:
    """A recorded document of the actor's company the actor may see (else 404)."""
    document = db.session.scalar(_visible_documents(actor).where(
        GeneratedDocument.id == document_id))
    if document is None:
        raise NotFound()
    line_ids = (document.data or {}).get("line_ids") or []
    if line_ids and not access.has_company_scope(actor, "lines.view"):
        load_lines(actor, line_ids)  # 404 unless every listed line is in the actor's scope
    return document


def list_documents(actor, limit: int = 50) -> list[GeneratedDocument]:
    """The company's latest documents (the actor's own without a company-wide role)."""
    return db.session.scalars(_visible_documents(actor).order_by(
        GeneratedDocument.id.desc()).limit(limit)).all()


def download_name(document: GeneratedDocument) -> str:
    """The file name a recorded document is downloaded under."""
    return f"{document.form_code}-{document.number}.pdf"

