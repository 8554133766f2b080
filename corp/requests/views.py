"""Pages of a company's requests: the list, filing one, following one (comments, files)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import Conflict, InvalidInput, NotFound, PageChange
from core.extensions import db
from corp.requests import service
from corp.requests.models import REQUEST_STATUSES
from corp.requests.pages import detail_context, send_attachment, send_document
from forms.catalogue import get_form
from forms.pages import form_page_with_errors, submitted_values
from forms.service import line_ids_from_numbers
from roles.access import require

bp = Blueprint("requests", __name__)
PERMISSION = service.PERMISSION
# Refusals a page shows as a message (others answer the error page: 403, 404).
REFUSALS = (InvalidInput, Conflict)


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
    with PageChange(catch=REFUSALS):
        service.add_comment(current_user, item, request.form.get("text", ""))
    return redirect(url_for("requests.detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/attachments")
@require(PERMISSION)
def attach(request_id: int):
    """Attach a file."""
    item = service.get_request(current_user, request_id)
    with PageChange(catch=REFUSALS):
        service.add_attachment(current_user, item, request.files.get("file"))
    return redirect(url_for("requests.detail", request_id=request_id))


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

