"""Parameters of every operation type (a contract) and the API's operation, job and
catalogue shapes. The same schemas validate input and document the OpenAPI."""

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.validation import DB_INT_MAX, Id, IdList
from corp import validators

# The most ids (or numbers) one request may name: a bulk job's own limit.
MAX_IDS = 20_000

# Upper bounds that keep absurd input out; business caps live in ``rules``.
MAX_AMOUNT = 10_000_000


class Msisdn(fields.String):
    """A Russian mobile number in any common notation, loaded as 10 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validators.normalize_msisdn(text)
        except validators.ValidationError as error:
            raise ValidationError(_(error.message)) from error


class Iccid(fields.String):
    """A SIM serial: 19–20 digits with a Luhn check digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validators.validate_iccid(text)
        except validators.ValidationError as error:
            raise ValidationError(_(error.message)) from error


class Strict(Schema):
    """Unknown fields are refused (a typo must not silently do nothing)."""

    class Meta:
        ordered = True


class BlockParams(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["voluntary", "loss", "permanent"]))
    until = fields.Date(load_default=None, allow_none=True,
                        metadata={"description": "voluntary blocks only: auto-unblock date"})
    confirm = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "the line's number, required for permanent"})


class UnblockParams(Strict):
    pass


class ServiceAddParams(Strict):
    service_code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class ServiceRemoveParams(ServiceAddParams):
    pass


class PromisedPaymentParams(Strict):
    amount = fields.Decimal(required=True, places=2, as_string=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT))


class SmsSendParams(Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


FORWARDING_CONDITIONS = ["unconditional", "busy", "no_answer", "unreachable"]


class ForwardingSetParams(Strict):
    condition = fields.String(required=True, validate=validate.OneOf(FORWARDING_CONDITIONS))
    target = Msisdn(required=True)
    delay_seconds = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=5, max=30),
                                   metadata={"description": "no_answer only, 5–30 s (default 20)"})

    @validates_schema
    def _delay_only_for_no_answer(self, data, **_kwargs):
        if data.get("delay_seconds") is not None and data.get("condition") != "no_answer":
            raise ValidationError(_("A delay applies to the “no answer” condition only."),
                                  "delay_seconds")


class ForwardingClearParams(Strict):
    condition = fields.String(required=True,
                              validate=validate.OneOf([*FORWARDING_CONDITIONS, "all"]))


LIMIT_ACTIONS = {"spend": ["notify", "block_outgoing"], "data": ["notify", "block_data"]}


class LimitSetParams(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["spend", "data"]))
    amount = fields.Decimal(required=True, places=2, as_string=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT),
                            metadata={"description": "RUB for spend, MB for data"})
    action = fields.String(required=True,
                           validate=validate.OneOf(["notify", "block_outgoing", "block_data"]))

    @validates_schema
    def _action_fits_kind(self, data, **_kwargs):
        kind, action = data.get("kind"), data.get("action")
        if kind and action and action not in LIMIT_ACTIONS[kind]:
            raise ValidationError(
                _("A %(kind)s limit can only: %(actions)s.", kind=kind,
                  actions=", ".join(LIMIT_ACTIONS[kind])), "action")


class LimitClearParams(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["spend", "data"]))


class TariffChangeParams(Strict):
    tariff_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    effective = fields.String(load_default="now", validate=validate.OneOf(["now", "next_period"]))


class TariffConfigureParams(Strict):
    options = fields.Dict(keys=fields.String(), required=True,
                          metadata={"description": "option name → value, per the tariff's "
                                    "option definitions (see /catalogue/tariffs)"})


class SimReplaceParams(Strict):
    iccid = Iccid(required=True)


class NumberChangeParams(Strict):
    msisdn = Msisdn(required=True, metadata={"description": "one of /lines/<id>/free-numbers"})


class NumberTransferParams(Strict):
    billing_account_number = fields.String(load_default=None, allow_none=True)
    new_account = fields.Boolean(load_default=False)

    @validates_schema
    def _one_target(self, data, **_kwargs):
        number, new = data.get("billing_account_number"), data.get("new_account")
        if bool(number) == bool(new):
            raise ValidationError(
                _("Give either an existing billing account number or new_account: true."),
                "billing_account_number")
        if number:
            try:
                validators.validate_billing_account_number(number)
            except validators.ValidationError as error:
                raise ValidationError(_(error.message), "billing_account_number") from error


class BillDeliverySetParams(Strict):
    email = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "one or more e-mails, comma-separated"})
    postal_address = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(max=300))

    @validates_schema
    def _something(self, data, **_kwargs):
        if not (data.get("email") or "").strip() and not (data.get("postal_address") or "").strip():
            raise ValidationError(_("Give an e-mail, a postal address, or both."), "email")


class SettlementMethodSetParams(Strict):
    method = fields.String(required=True, validate=validate.OneOf(["advance", "credit"]))


# type name → parameters schema (the contract of the issue).
PARAMS_SCHEMAS: dict[str, type[Schema]] = {
    "block": BlockParams,
    "unblock": UnblockParams,
    "service_add": ServiceAddParams,
    "service_remove": ServiceRemoveParams,
    "promised_payment": PromisedPaymentParams,
    "sms_send": SmsSendParams,
    "forwarding_set": ForwardingSetParams,
    "forwarding_clear": ForwardingClearParams,
    "limit_set": LimitSetParams,
    "limit_clear": LimitClearParams,
    "tariff_change": TariffChangeParams,
    "tariff_configure": TariffConfigureParams,
    "sim_replace": SimReplaceParams,
    "number_change": NumberChangeParams,
    "number_transfer": NumberTransferParams,
    "bill_delivery_set": BillDeliverySetParams,
    "settlement_method_set": SettlementMethodSetParams,
}


def component_name(type_name: str) -> str:
    """The OpenAPI component name of a type's parameters, e.g. ``BlockParams``."""
    return "".join(part.capitalize() for part in type_name.split("_")) + "Params"


def _params_field(types):
    return fields.Dict(
        load_default=dict,
        metadata={"description": "parameters of the type",
                  "oneOf": [{"$ref": f"#/components/schemas/{component_name(t)}"}
                            for t in types]},
    )


LINE_TYPES = [t for t in PARAMS_SCHEMAS if t not in ("bill_delivery_set", "settlement_method_set")]
ACCOUNT_TYPES = ["bill_delivery_set", "settlement_method_set"]


class LineOperationRequest(Schema):
    type = fields.String(required=True, validate=validate.OneOf(LINE_TYPES))
    params = _params_field(LINE_TYPES)
    version = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=0, max=DB_INT_MAX),
                             metadata={"description": "the line's version you saw: a newer one "
                                       "answers 409 (changed meanwhile, reload)"})


class AccountOperationRequest(Schema):
    type = fields.String(required=True, validate=validate.OneOf(ACCOUNT_TYPES))
    params = _params_field(ACCOUNT_TYPES)
    version = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=0, max=DB_INT_MAX))


class OperationSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    status = fields.String()
    params = fields.Dict()
    line_id = fields.Integer(allow_none=True)
    billing_account_id = fields.Integer(allow_none=True)
    job_id = fields.Integer(allow_none=True)
    requested_by = fields.Integer(allow_none=True)
    scheduled_for = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class OperationListArgs(Schema):
    line_id = Id(load_default=None, allow_none=True)
    billing_account_id = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    type = fields.String(load_default=None, allow_none=True)
    job_id = Id(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class OperationPage(Schema):
    items = fields.List(fields.Nested(OperationSchema))


class LineFilterSchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    node_id = Id(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True)
    tariff = fields.String(load_default=None, allow_none=True)
    billing_account_id = Id(load_default=None, allow_none=True)


class JobRequest(Schema):
    """A job: one type on the selected lines; a dry run (the preview) unless ``dry_run`` is
    false."""

    type = fields.String(required=True, validate=validate.OneOf(LINE_TYPES))
    params = _params_field(LINE_TYPES)
    line_ids = IdList(MAX_IDS, load_default=None, allow_none=True)
    node_id = Id(load_default=None, allow_none=True)
    filter = fields.Nested(LineFilterSchema, load_default=None, allow_none=True)
    msisdns = fields.List(fields.String(validate=validate.Length(max=40)), load_default=None,
                          allow_none=True, validate=validate.Length(max=MAX_IDS),
                          metadata={"description": "numbers in any notation (as an upload)"})
    dry_run = fields.Boolean(load_default=True)


class PreviewItem(Schema):
    line_id = fields.Integer(allow_none=True)
    msisdn = fields.String()
    outcome = fields.String(metadata={"description": "change | refused"})
    reason = fields.String(allow_none=True)
    change = fields.String(allow_none=True)


class PreviewSchema(Schema):
    type = fields.String()
    params = fields.Dict()
    total = fields.Integer()
    will_change = fields.Integer()
    refused = fields.Integer()
    items = fields.List(fields.Nested(PreviewItem))


class JobSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    params = fields.Dict()
    status = fields.String()
    progress = fields.Dict()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    results_url = fields.String()
    results_xlsx_url = fields.String()
    # Report jobs (corp.reports): the file, while it is kept.
    download_url = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)


class DecisionSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=300))
    credit_limit = fields.Decimal(load_default=None, allow_none=True, as_string=True,
                                  validate=validate.Range(min=0, max=MAX_AMOUNT))


class BillingAccountSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    contract = fields.Function(lambda a: a["contract"] if isinstance(a, dict)
                               else a.contract.number)
    settlement_method = fields.String()
    balance = fields.Decimal(as_string=True)
    credit_limit = fields.Decimal(as_string=True)
    bill_delivery_email = fields.String(allow_none=True)
    bill_delivery_address = fields.String(allow_none=True)
    version = fields.Integer()


class TariffSchema(Schema):
    code = fields.String()
    name = fields.String()
    monthly_fee = fields.Decimal(as_string=True)
    included_minutes = fields.Integer()
    included_sms = fields.Integer()
    included_mb = fields.Integer()
    options = fields.Dict()


class ServiceSchema(Schema):
    code = fields.String()
    name = fields.String()
    category = fields.String()
    monthly_fee = fields.Decimal(as_string=True)
    one_off_fee = fields.Decimal(as_string=True)
    incompatible_with = fields.List(fields.String())
    tariff_codes = fields.List(fields.String())
