"""Pages of a company's requests: the list, filing one, following one (comments, files)."""


from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from auth.models import User
from core import downloads
from core.errors import Conflict, InvalidInput, NotFound
from core.extensions import db
from corp.requests import service
from corp.requests.models import REQUEST_KINDS, REQUEST_STATUSES
from forms import service as forms_service
from forms.catalogue import get_form
from forms.views import form_page_with_errors, line_ids_from_numbers, submitted_values
from roles.access import require

bp = Blueprint("requests", __name__)
PERMISSION = service.PERMISSION


@bp.get("/requests")
@require(PERMISSION)
def index():
    """The company's requests, newest first."""
    status = request.args.get("status") or None
    try:
        items = service.list_requests(current_user, status=status)
    except InvalidInput:
        items, status = service.list_requests(current_user), None
    return render_template("requests/index.html", items=items, status=status,
                           statuses=REQUEST_STATUSES)


@bp.route("/requests/new", methods=["GET", "POST"])
@require(PERMISSION)
def new():
    """File a claim or a question, with an optional file and the numbers it is about."""
    values = {"kind": request.values.get("kind", "claim"), "subject": "", "text": "",
              "numbers": ""}
    if request.method == "GET":
        return render_template("requests/new.html", values=values, errors={},
                               kinds=("claim", "question"))
    values.update({k: request.form.get(k, "") for k in ("kind", "subject", "text", "numbers")})
    upload = request.files.get("file")
    try:
        if values["kind"] not in ("claim", "question"):
            raise InvalidInput({"kind": _("Choose a claim or a question; applications are "
                                          "sent from their form.")})
        ids = line_ids_from_numbers(current_user, values["numbers"])
        item = service.create_request(current_user, kind=values["kind"],
                                      subject=values["subject"], text=values["text"],
                                      line_ids=ids)
        if upload is not None and upload.filename:
            service.add_attachment(current_user, item, upload)
    except (InvalidInput, NotFound) as error:
        db.session.rollback()
        errors = ({k: v[0] for k, v in error.errors.items()} if isinstance(error, InvalidInput)
                  else {"numbers": str(error.message)})
        return render_template("requests/new.html", values=values, errors=errors,
                               kinds=("claim", "question")), 422
    db.session.commit()
    flash(_("Your request has been sent to the operator."), "success")
    return redirect(url_for("requests.detail", request_id=item.id))


@bp.post("/requests/forms/<code>/send")
@require(PERMISSION)
def send_application(code: str):
    """Send a filled form to the operator as an application (the form page's second button)."""
    spec = get_form(code)
    if spec is None or spec.guide:
        abort(404)
    values, numbers = submitted_values(spec)
    try:
        ids = line_ids_from_numbers(current_user, numbers) if spec.lines else []
        item = service.create_request(current_user, kind="application", subject=str(spec.title),
                                      text=request.form.get("request_text", ""),
                                      form_code=spec.code, fields=values, line_ids=ids)
    except (InvalidInput, NotFound) as error:
        db.session.rollback()
        return form_page_with_errors(spec, values, numbers, error)
    db.session.commit()
    flash(_("Your request has been sent to the operator."), "success")
    return redirect(url_for("requests.detail", request_id=item.id))


def detail_context(item) -> dict:
    """What the request page shows (company and staff pages alike)."""
    authors = {c.author_id for c in item.comments}
    names = {u.id: (u.name or u.email) for u in db.session.query(User).filter(
        User.id.in_(authors | {item.created_by or 0})).all()} if authors or item.created_by \
        else {}
    document = service.request_document(current_user, item) if item.document_id else None
    return {"item": item, "names": names, "document": document,
            "numbers": service.request_line_numbers(item), "kinds": REQUEST_KINDS}


@bp.get("/requests/<int:request_id>")
@require(PERMISSION)
def detail(request_id: int):
    """One request: its status, document, files and the conversation with the operator."""
    item = service.get_request(current_user, request_id)
    return render_template("requests/detail.html", **detail_context(item), staff=False)


@bp.post("/requests/<int:request_id>/comments")
@require(PERMISSION)
def comment(request_id: int):
    """Add a comment."""
    item = service.get_request(current_user, request_id)
    try:
        service.add_comment(current_user, item, request.form.get("text", ""))
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
    return redirect(url_for("requests.detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/attachments")
@require(PERMISSION)
def attach(request_id: int):
    """Attach a file."""
    item = service.get_request(current_user, request_id)
    try:
        service.add_attachment(current_user, item, request.files.get("file"))
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
    return redirect(url_for("requests.detail", request_id=request_id))


def send_attachment(item, attachment_id: int):
    """The file's stored bytes (shared by the company and the staff pages)."""
    attachment = service.get_attachment(current_user, item, attachment_id)
    return downloads.file_response(
        service.attachment_bytes(attachment), service.MIME[attachment.kind],
        attachment.filename, kind="attachment", fmt=attachment.kind,
        scope=f"request {item.id}", company_id=item.company_id)


def send_document(item):
    """The generated form the request carries."""
    document = service.request_document(current_user, item)
    return downloads.file_response(
        document.pdf, downloads.PDF_MIMETYPE, forms_service.download_name(document),
        kind="form_document", fmt="pdf", scope=f"request {item.id}, document {document.id}",
        company_id=item.company_id)


@bp.get("/requests/<int:request_id>/attachments/<int:attachment_id>")
@require(PERMISSION)
def attachment(request_id: int, attachment_id: int):
    """Download an attached file."""
    return send_attachment(service.get_request(current_user, request_id), attachment_id)


@bp.get("/requests/<int:request_id>/document")
@require(PERMISSION)
def document(request_id: int):
    """Download the application's form."""
    return send_document(service.get_request(current_user, request_id))

