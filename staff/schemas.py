"""Schemas of a company's onboarding, shared by the operator staff's API (``POST
/companies``) and the requests API (onboarding from a connection application): one
definition of what onboarding takes and answers."""

from marshmallow import Schema, fields


class CompanyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    inn = fields.String()
    kpp = fields.String(allow_none=True)
    ogrn = fields.String()
    active = fields.Boolean()


class AdministratorOut(Schema):
    id = fields.Integer()
    email = fields.String()
    temporary_password = fields.String(metadata={"description": "shown once"})


class CompanyCreated(Schema):
    id = fields.Integer()
    name = fields.String()
    billing_account = fields.String(metadata={"description": "opened on the contract"})
    administrator = fields.Nested(AdministratorOut)


class CompanyIn(Schema):
    name = fields.String(required=True)
    inn = fields.String(required=True)
    kpp = fields.String(load_default="")
    ogrn = fields.String(required=True)
    legal_address = fields.String(load_default="")
    postal_address = fields.String(load_default="")
    bank_name = fields.String(load_default="")
    bik = fields.String(load_default="")
    bank_account = fields.String(load_default="", metadata={
        "description": "checked against the BIK (control key)"})
    correspondent_account = fields.String(load_default="")
    contact_phone = fields.String(load_default="")
    signatory_name = fields.String(load_default="")
    signatory_position = fields.String(load_default="")
    authority_basis = fields.String(load_default="")
    contract_number = fields.String(required=True)
    admin_email = fields.String(required=True)
    admin_name = fields.String(required=True)
