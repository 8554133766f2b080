"""JSON API of requests: the same service functions as the company and staff pages.

``GET /requests`` answers the caller's company (``requests.manage``) or, for operator staff,
the queue of every company; the transition is for operator staff only.
"""


from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, validate
from marshmallow import fields as ma

from core import downloads
from core.extensions import db
from corp.requests import service
from corp.requests.models import REQUEST_KINDS, REQUEST_STATUSES
from roles.access import authenticated, operator_staff
from staff.schemas import AdministratorOut, CompanyIn

blp = Blueprint("Requests", __name__, url_prefix="/api/v1",
                description="Requests to the operator (обращения): claims, applications, questions")


class CommentSchema(Schema):
    id = ma.Integer()
    text = ma.String()
    by_operator = ma.Boolean()
    author_id = ma.Integer(allow_none=True)
    created_at = ma.DateTime()


class AttachmentSchema(Schema):
    id = ma.Integer()
    filename = ma.String()
    kind = ma.String()
    size = ma.Integer()
    sha256 = ma.String()
    by_operator = ma.Boolean()
    created_at = ma.DateTime()


class RequestSchema(Schema):
    id = ma.Integer()
    company_id = ma.Integer()
    kind = ma.String()
    subject = ma.String()
    text = ma.String()
    status = ma.String()
    form_code = ma.String(allow_none=True)
    document_id = ma.Integer(allow_none=True)
    consent_action = ma.String(allow_none=True)
    action_result = ma.Dict(allow_none=True)
    operation_id = ma.Integer(allow_none=True)
    assignee_id = ma.Integer(allow_none=True)
    effective_on = ma.Date(allow_none=True, metadata={
        "description": "an approved termination or porting out dated later is carried out "
                       "on this day (the request stays in_progress until then)"})
    created_at = ma.DateTime()
    updated_at = ma.DateTime()
    closed_at = ma.DateTime(allow_none=True)


class RequestDetailSchema(RequestSchema):
    line_ids = ma.Method("_line_ids")
    comments = ma.List(ma.Nested(CommentSchema))
    attachments = ma.List(ma.Nested(AttachmentSchema))

    def _line_ids(self, obj):
        return [line.line_id for line in obj.lines]


class RequestListArgs(Schema):
    status = ma.String(validate=validate.OneOf(REQUEST_STATUSES))
    kind = ma.String(validate=validate.OneOf(REQUEST_KINDS))
    company_id = ma.Integer(metadata={"description": "operator staff only"})
    older_than_days = ma.Integer(validate=validate.Range(min=0, max=3650))


class NewRequestSchema(Schema):
    kind = ma.String(required=True, validate=validate.OneOf(REQUEST_KINDS))
    subject = ma.String(required=True)
    text = ma.String(load_default="")
    form_code = ma.String(load_default=None, allow_none=True)
    fields = ma.Dict(keys=ma.String(), load_default=dict)
    line_ids = ma.List(ma.Integer(strict=True), load_default=list)


class NewCommentSchema(Schema):
    text = ma.String(required=True)


class TransitionSchema(Schema):
    to = ma.String(required=True, validate=validate.OneOf(("in_progress", "done",
                                                                "rejected")))
    comment = ma.String(load_default="")
    credit_limit = ma.Decimal(
        load_default=None, allow_none=True, as_string=True,
        metadata={"description": "the credit limit in roubles (two decimals at most, more "
                                 "than 0, at most 10 000 000); required to approve (``done``) "
                                 "a credit settlement request, refused on other approvals",
                  "example": "150000.00"})


class CreatedSchema(Schema):
    id = ma.Integer()


class ConnectionApplicationSchema(Schema):
    fields = ma.Dict(keys=ma.String(), required=True, metadata={
        "description": "the fields of the connection form (GET /api/v1/forms lists them): the "
                       "applicant's details, lines, tariff, administrator's e-mail, signature"})


class OnboardedSchema(Schema):
    id = ma.Integer(metadata={"description": "the new company"})
    name = ma.String()
    contract = ma.String()
    billing_account = ma.String()
    request = ma.Nested(RequestSchema)
    administrator = ma.Nested(AdministratorOut)


@blp.route("/requests", methods=["GET"])
@blp.arguments(RequestListArgs, location="query")
@blp.response(200, RequestSchema(many=True))
@authenticated
def list_requests(args):
    """The caller's company's requests (``requests.manage``); operator staff: the queue."""
    return service.list_requests(current_user, **args)


@blp.route("/requests", methods=["POST"])
@blp.arguments(NewRequestSchema)
@blp.response(201, CreatedSchema)
@blp.alt_response(404, description="a line out of scope or of another company")
@blp.alt_response(422, description="field errors; nothing filed")
@authenticated
def create_request(body):
    """File a claim, a question, or an application carrying its generated form."""
    item = service.create_request(current_user, **body)
    db.session.commit()
    return {"id": item.id}


@blp.route("/requests/<int:request_id>", methods=["GET"])
@blp.response(200, RequestDetailSchema)
@blp.alt_response(404, description="unknown, another company's, or about lines out of scope")
@authenticated
def get_request(request_id):
    """One request with its comments and attachments."""
    return service.get_request(current_user, request_id)


@blp.route("/requests/<int:request_id>/comments", methods=["POST"])
@blp.arguments(NewCommentSchema)
@blp.response(201, CommentSchema)
@authenticated
def add_comment(body, request_id):
    """Comment (the company or operator staff) on an open request."""
    item = service.get_request(current_user, request_id)
    comment = service.add_comment(current_user, item, body["text"])
    db.session.commit()
    return comment


@blp.route("/requests/<int:request_id>/transition", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, RequestSchema)
@blp.alt_response(409, description="not allowed from the current status, or the action failed")
@blp.alt_response(422, description="no reason for a rejection; a missing or invalid credit "
                                   "limit when approving a credit settlement request")
@operator_staff
def transition(body, request_id):
    """Operator staff: take (in_progress), approve (done: runs a consent action) or reject.

    Approving a request for the credit settlement method sets the billing account's credit
    limit from ``credit_limit``. Approving a termination or a porting out dated later
    schedules it: the request stays ``in_progress`` with ``effective_on`` and is carried out
    on that day (a rejection before then cancels it).
    """
    item = service.get_request(current_user, request_id)
    service.transition(current_user, item, body["to"], body["comment"], body["credit_limit"])
    db.session.commit()
    return item


@blp.route("/requests/<int:request_id>/attachments", methods=["POST"])
@blp.response(201, AttachmentSchema)
@blp.alt_response(422, description="no file, too large, or not a PDF/JPEG/PNG by content")
@authenticated
def add_attachment(request_id):
    """Attach a file (multipart field ``file``): PDF, JPEG or PNG, checked by content."""
    item = service.get_request(current_user, request_id)
    attachment = service.add_attachment(current_user, item, request.files.get("file"))
    db.session.commit()
    return attachment


@blp.route("/requests/<int:request_id>/attachments/<int:attachment_id>", methods=["GET"])
@blp.response(200, description="the attached file (PDF, JPEG or PNG)")
@blp.doc(**downloads.binary_doc(*service.MIME.values()))
@authenticated
def get_attachment(request_id, attachment_id):
    """Download an attached file."""
    item = service.get_request(current_user, request_id)
    attachment = service.get_attachment(current_user, item, attachment_id)
    return downloads.file_response(
        service.attachment_bytes(attachment), service.MIME[attachment.kind],
        attachment.filename, kind="attachment", fmt=attachment.kind,
        scope=f"request {item.id}", company_id=item.company_id)


# --- Connection applications (operator staff) ---------------------------------------------


@blp.route("/connection-applications", methods=["POST"])
@blp.arguments(ConnectionApplicationSchema)
@blp.response(201, CreatedSchema)
@blp.alt_response(422, description="field errors; nothing recorded")
@operator_staff
def file_connection_application(body):
    """Operator staff record the connection application of a company that is not a customer
    yet (it cannot sign in): a request with no company, carrying the generated form."""
    item = service.file_connection_application(current_user, body["fields"])
    db.session.commit()
    return {"id": item.id}


@blp.route("/requests/<int:request_id>/onboarding", methods=["GET"])
@blp.response(200, CompanyIn)
@blp.alt_response(409, description="not an open connection application awaiting onboarding")
@operator_staff
def onboarding_prefill(request_id):
    """The onboarding values recorded in a connection application (contract number empty)."""
    return service.onboarding_prefill(current_user, service.get_request(current_user,
                                                                        request_id))


@blp.route("/requests/<int:request_id>/onboarding", methods=["POST"])
@blp.arguments(CompanyIn)
@blp.response(201, OnboardedSchema)
@blp.alt_response(409, description="not an open connection application awaiting onboarding")
@blp.alt_response(422, description="field errors (INN, KPP, OGRN, bank details, e-mail…)")
@operator_staff
def onboard(body, request_id):
    """Onboard the applicant (company, contract, billing account, global administrator with a
    temporary password); the request becomes done with a comment naming the company."""
    item = service.get_request(current_user, request_id)
    company, admin, password = service.onboard_from_request(current_user, item, body)
    db.session.commit()
    return {"id": company.id, "name": company.name, "contract": item.action_result["contract"],
            "billing_account": item.action_result["billing_account"], "request": item,
            "administrator": {"id": admin.id, "email": admin.email,
                              "temporary_password": password}}
