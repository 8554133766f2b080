"""JSON API of the forms: the catalogue with prefilled values, and PDF generation."""


from flask import url_for
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema
from marshmallow import fields as ma

from core import downloads
from core.extensions import db
from forms import service
from roles.access import require

blp = Blueprint("Forms", __name__, url_prefix="/api/v1",
                description="Application forms: catalogue, PDF generation, recorded documents")


class FieldSchema(Schema):
    name = ma.String()
    label = ma.String()
    type = ma.String()
    required = ma.Boolean()
    prefill = ma.Raw(allow_none=True)
    choices = ma.List(ma.String(), allow_none=True)


class FormSchema(Schema):
    code = ma.String()
    title = ma.String()
    purpose = ma.String()
    audience = ma.String()
    version = ma.String()
    lines = ma.String(allow_none=True, metadata={"description": "null, optional, required"})
    consent = ma.Boolean()
    guide = ma.Boolean()
    fields = ma.List(ma.Nested(FieldSchema))


class PdfRequest(Schema):
    fields = ma.Dict(keys=ma.String(), load_default=dict)
    line_ids = ma.List(ma.Integer(strict=True), load_default=list)


def pdf_response(document):
    """The document's bytes, with where to download it again."""
    response = downloads.file_response(document.pdf, downloads.PDF_MIMETYPE,
                                       service.download_name(document), kind="form_document",
                                       fmt="pdf", scope=f"document {document.id}")
    response.headers["X-Document-Id"] = str(document.id)
    response.headers["X-Document-Number"] = document.number
    response.headers["Location"] = url_for("Forms.document_pdf", document_id=document.id)
    return response


@blp.route("/forms", methods=["GET"])
@blp.response(200, FormSchema(many=True))
@require(service.PERMISSION)
def list_forms():
    """All 22 documents with their fields and the values the portal prefills."""
    return service.catalogue(current_user)


@blp.route("/forms/<code>/pdf", methods=["POST"])
@blp.arguments(PdfRequest)
@blp.response(200, content_type="application/pdf",
              description="the PDF; X-Document-Id names the recorded document")
@blp.doc(**downloads.binary_doc(downloads.PDF_MIMETYPE))
@blp.alt_response(404, description="unknown form, or a line out of scope / of another company")
@blp.alt_response(422, description="field errors; nothing generated")
@require(service.PERMISSION)
def form_pdf(body, code):
    """Generate the filled form as PDF (recorded: it downloads again identically)."""
    document = service.generate(current_user, code, body["fields"], body["line_ids"])
    db.session.commit()
    return pdf_response(document)


@blp.route("/forms/documents/<int:document_id>", methods=["GET"])
@blp.response(200, content_type="application/pdf", description="the recorded document")
@blp.doc(**downloads.binary_doc(downloads.PDF_MIMETYPE))
@blp.alt_response(404, description="unknown, another company's, or not visible to the caller")
@require(service.PERMISSION)
def document_pdf(document_id):
    """A recorded document again: the same bytes as when it was generated."""
    return pdf_response(service.get_document(current_user, document_id))
