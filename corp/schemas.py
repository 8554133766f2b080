"""Marshmallow schemas of the corp API: one name per concept, as in the models."""

from marshmallow import Schema, fields

from core.validation import Id
from corp.validators import format_msisdn


class TariffRef(Schema):
    code = fields.String()
    name = fields.String()


class NodeRef(Schema):
    id = fields.Integer()
    name = fields.String()
    path = fields.String()


class BillingAccountRef(Schema):
    id = fields.Integer()
    number = fields.String()


class Employee(Schema):
    name = fields.String()
    position = fields.String()
    email = fields.String()
    personnel_number = fields.String()


class LineSchema(Schema):
    """A line as the API shows it."""

    id = fields.Integer()
    msisdn = fields.String()
    msisdn_display = fields.Function(lambda line: format_msisdn(line.msisdn))
    iccid = fields.String()
    status = fields.String()
    block_kind = fields.String(allow_none=True)
    blocked_until = fields.Date(allow_none=True)
    tariff = fields.Nested(TariffRef)
    tariff_options = fields.Dict()
    node = fields.Nested(NodeRef)
    billing_account = fields.Nested(BillingAccountRef)
    employee = fields.Function(
        lambda line: {
            "name": line.employee_name,
            "position": line.employee_position,
            "email": line.employee_email,
            "personnel_number": line.personnel_number,
        }
    )
    activated_on = fields.Date()
    version = fields.Integer()


class LinePage(Schema):
    items = fields.List(fields.Nested(LineSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class LineListArgs(Schema):
    """Query-string arguments of the lines list."""

    page = fields.Integer(load_default=1)  # bounds checked by the service (its messages)
    per_page = fields.Integer(load_default=50)
    q = fields.String(load_default="")
    node_id = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    tariff = fields.String(load_default=None, allow_none=True)
    billing_account_id = Id(load_default=None, allow_none=True)
    sort = fields.String(load_default="msisdn")
    dir = fields.String(load_default="asc")
