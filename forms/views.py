"""Pages: «Обращения» → «Скачать инструкции и бланки заявлений», one form, recorded documents."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from core.errors import InvalidInput, NotFound
from core.extensions import db
from forms import service
from forms.catalogue import FORMS, get_form
from forms.pages import form_page, form_page_with_errors, send_pdf, submitted_values
from roles.access import require

bp = Blueprint("forms", __name__)
PERMISSION = service.PERMISSION


@bp.get("/requests/forms")
@require(PERMISSION)
def catalogue():
    """Every instruction and application form, with its purpose and who uses it."""
    return render_template("forms/catalogue.html", forms=list(FORMS.values()),
                           titles={code: spec.title for code, spec in FORMS.items()},
                           documents=service.list_documents(current_user, limit=20))


@bp.route("/requests/forms/<code>", methods=["GET", "POST"])
@require(PERMISSION)
def fill(code: str):
    """A form prefilled with what the portal knows; download the PDF or send it."""
    spec = get_form(code)
    if spec is None:
        abort(404)
    if request.method == "GET":
        values = service.prefill(spec, service.portal_facts(current_user))
        ids = [int(x) for x in request.args.getlist("line_id") if x.isdigit()]
        return form_page(spec, values, service.numbers_of(current_user, ids))
    values, numbers = submitted_values(spec)
    try:
        ids = service.line_ids_from_numbers(current_user, numbers) if spec.lines else []
        document = service.generate(current_user, spec.code, values, ids)
    except (InvalidInput, NotFound) as error:
        db.session.rollback()
        return form_page_with_errors(spec, values, numbers, error)
    db.session.commit()
    return send_pdf(document)


@bp.get("/requests/documents/<int:document_id>.pdf")
@require(PERMISSION)
def document_pdf(document_id: int):
    """A recorded document again, the very same bytes."""
    return send_pdf(service.get_document(current_user, document_id))

