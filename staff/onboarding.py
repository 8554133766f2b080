"""Operator staff onboard a company: its details, contract, root node and first global
administrator. Operator staff are members of no company and see no company's data."""

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from auth.reauth import require_recent_auth
from core import audit
from core.errors import InvalidInput, PermissionDenied
from core.extensions import db
from corp import validators as v
from corp.models import BillingAccount, Company, Contract
from corp.operations.gateway import new_account_number
from hierarchy.models import Node
from roles import access
from roles.service import assign_predefined, ensure_predefined_roles
from roles.users import _clean_user_fields, new_company_user, user_snapshot

FIELDS = ("name", "inn", "kpp", "ogrn", "legal_address", "postal_address", "bank_name", "bik",
          "bank_account", "correspondent_account", "contact_phone", "signatory_name",
          "signatory_position", "authority_basis", "contract_number", "admin_email",
          "admin_name")


def list_companies(staff) -> list[Company]:
    """Every company of the platform (operator staff only)."""
    _check_staff(staff)
    return db.session.scalars(select(Company).order_by(Company.name)).all()


def _check_staff(staff) -> None:
    if not getattr(staff, "is_operator_staff", False):
        raise PermissionDenied(_("Only operator staff may do this."))


def _validated(data: dict) -> dict:
    """Company details checked field by field; every problem reported at once (422)."""
    errors, out = {}, {}

    def text(field, limit, required=True):
        value = " ".join(str(data.get(field) or "").split())
        if required and not value:
            errors[field] = _("This field is required.")
        elif len(value) > limit:
            errors[field] = _("Too long (%(n)d characters at most).", n=limit)
        out[field] = value

    def check(field, fn, *args):
        try:
            out[field] = fn(data.get(field), *args)
        except v.ValidationError as error:
            errors[field] = _(error.message)

    text("name", 200)
    text("legal_address", 300, required=False)
    text("postal_address", 300, required=False)
    text("bank_name", 200, required=False)
    text("signatory_name", 200, required=False)
    text("signatory_position", 200, required=False)
    text("authority_basis", 200, required=False)
    text("contract_number", 40)
    _bank(data, out, errors)
    phone = re.sub(r"[^0-9]", "", str(data.get("contact_phone") or ""))
    if phone and len(phone) not in (10, 11):
        errors["contact_phone"] = _("Enter a Russian phone number, e.g. +7 495 123-45-67.")
    out["contact_phone"] = phone[-10:]
    check("inn", v.validate_inn)
    inn = out.get("inn", "")
    if len(inn) == 12:  # a sole proprietor: OGRNIP, no KPP
        check("ogrn", v.validate_ogrnip)
        if str(data.get("kpp") or "").strip():
            errors["kpp"] = _("A sole proprietor has no KPP; leave it empty.")
        out["kpp"] = None
    else:
        check("ogrn", v.validate_ogrn)
        check("kpp", v.validate_kpp)
    if inn and db.session.scalar(select(Company.id).where(Company.inn == inn)):
        errors["inn"] = _("A company with this INN is already registered.")
    number = out.get("contract_number")
    if number and db.session.scalar(select(Contract.id).where(Contract.number == number)):
        errors["contract_number"] = _("A contract with this number exists already.")
    try:
        admin = _clean_user_fields(data.get("admin_email") or "", data.get("admin_name") or "")
        out["admin_email"], out["admin_name"] = admin["email"], admin["name"]
    except InvalidInput as error:
        errors.update({f"admin_{k}": m for k, m in error.errors.items()})
    if errors:
        raise InvalidInput(errors)
    return out


def _bank(data: dict, out: dict, errors: dict) -> None:
    """Optional bank details: the BIK, the settlement account checked against it (the
    control key), the correspondent account."""
    values = {k: re.sub(r"\s", "", str(data.get(k) or "")) for k in
              ("bik", "bank_account", "correspondent_account")}
    out.update({key: value or None for key, value in values.items()})
    if values["bik"]:
        try:
            out["bik"] = v.validate_bik(values["bik"])
        except v.ValidationError as error:
            errors["bik"] = _(error.message)
    if values["bank_account"]:
        if not values["bik"] or "bik" in errors:
            errors["bank_account"] = _("Enter a valid BIK to check the account against.")
        else:
            try:
                out["bank_account"] = v.validate_bank_account(values["bank_account"],
                                                              out["bik"])
            except v.ValidationError as error:
                errors["bank_account"] = _(error.message)
    if values["correspondent_account"]:
        try:
            v.validate_correspondent_account(values["correspondent_account"])
        except v.ValidationError as error:
            errors["correspondent_account"] = _(error.message)


def create_company(staff, data: dict, today: date | None = None):
    """Create the company, its contract with a billing account (advance settlement), its
    root node, and its first global administrator.

    Returns (company, administrator, temporary password); the password is shown once.
    """
    _check_staff(staff)
    values = _validated(data)
    require_recent_auth(staff, "company.create")  # it creates a global administrator
    company = Company(name=values["name"], inn=values["inn"], kpp=values["kpp"],
                      ogrn=values["ogrn"], legal_address=values["legal_address"],
                      postal_address=values["postal_address"], bank_name=values["bank_name"],
                      bik=values["bik"], bank_account=values["bank_account"],
                      correspondent_account=values["correspondent_account"],
                      contact_name=values["admin_name"], contact_email=values["admin_email"],
                      contact_phone=values["contact_phone"],
                      signatory_name=values["signatory_name"],
                      signatory_position=values["signatory_position"],
                      authority_basis=values["authority_basis"],
                      policy_version=1, active=True)
    db.session.add(company)
    db.session.flush()
    contract = Contract(company_id=company.id, number=values["contract_number"],
                        signed_on=today or date.today())
    root = Node(company_id=company.id, name=company.name, kind="root", depth=0)
    db.session.add_all([contract, root])
    db.session.flush()
    account = BillingAccount(company_id=company.id, contract_id=contract.id,
                             number=new_account_number(), settlement_method="advance")
    db.session.add(account)
    db.session.flush()
    root.path = f"/{root.id}/"
    ensure_predefined_roles()
    admin, password = new_company_user(company.id, values["admin_email"], values["admin_name"])
    assign_predefined(admin, "global_admin")
    audit.record("company.created", actor=staff, company_id=company.id, object_type="company",
                 object_id=company.id,
                 after={**{k: values[k] for k in ("name", "inn", "kpp", "ogrn",
                                                   "contract_number")},
                        "billing_account": account.number})
    audit.record("user.created", actor=staff, company_id=company.id, object_type="user",
                 object_id=admin.id, after={**user_snapshot(admin), "role": "global_admin"})
    access.bump_policy_version(company.id)
    return company, admin, password


def first_account_number(company_id: int) -> str:
    """The billing account opened at onboarding (the company's first)."""
    return db.session.scalar(select(BillingAccount.number).where(
        BillingAccount.company_id == company_id).order_by(BillingAccount.id)) or ""
