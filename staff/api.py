"""JSON API of the operator staff: the platform's security events, the companies and
onboarding a new one. Every handler calls the same service function as the page."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core import security_log
from core.extensions import db
from roles.access import operator_staff
from staff import onboarding
from staff.schemas import CompanyCreated, CompanyIn, CompanyOut

blp = Blueprint("Staff", __name__, url_prefix="/api/v1",
                description="Operator staff: companies and the platform's security events")


def _me():
    return current_user._get_current_object()


class SecurityEventsArgs(Schema):
    kind = fields.String(validate=validate.OneOf(security_log.KINDS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class SecurityEventOut(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_email = fields.String()
    company_id = fields.Integer(allow_none=True)
    ip = fields.String()
    method = fields.String()
    path = fields.String()
    status = fields.Integer(allow_none=True)
    detail = fields.String()


class SecurityEventsPage(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(SecurityEventOut))


@blp.route("/security-events", methods=["GET"])
@blp.arguments(SecurityEventsArgs, location="query")
@blp.response(200, SecurityEventsPage)
@operator_staff
def list_security_events(args):
    """The platform's security events, newest first, 50 a page (operator staff only)."""
    items, total = security_log.list_events(kind=args.get("kind"), page=args["page"])
    return {"total": total, "items": items}


@blp.route("/companies", methods=["GET"])
@blp.response(200, CompanyOut(many=True))
@operator_staff
def list_companies():
    """Every company (operator staff only)."""
    return [{"id": c.id, "name": c.name, "inn": c.inn, "kpp": c.kpp, "ogrn": c.ogrn,
             "active": c.active} for c in onboarding.list_companies(_me())]


@blp.route("/companies", methods=["POST"])
@blp.arguments(CompanyIn)
@blp.response(201, CompanyCreated)
@operator_staff
def create_company(data):
    """Onboard a company with its contract, root node and first global administrator → 201."""
    company, admin, password = onboarding.create_company(_me(), data)
    db.session.commit()
    return {"id": company.id, "name": company.name,
            "billing_account": onboarding.first_account_number(company.id),
            "administrator": {"id": admin.id, "email": admin.email,
                              "temporary_password": password}}
