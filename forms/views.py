"""Pages: «Обращения» → «Скачать инструкции и бланки заявлений», one form, recorded documents."""


from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from core import downloads
from core.errors import InvalidInput, NotFound
from core.extensions import db
from corp import validators
from corp.models import Line
from corp.service import scoped_lines
from forms import service
from forms.catalogue import FORMS, all_fields, get_form
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


def line_ids_from_numbers(actor, text: str) -> list[int]:
    """Numbers typed one per line (any common notation) → ids of lines in the actor's scope."""
    wanted, errors = [], []
    for raw in text.replace(",", "\n").splitlines():
        if not raw.strip():
            continue
        try:
            wanted.append(validators.normalize_msisdn(raw))
        except validators.ValidationError:
            errors.append(raw.strip()[:30])
    if errors:
        raise InvalidInput({"numbers": _("Not a mobile number: %(n)s", n=", ".join(errors))})
    if len(wanted) > service.MAX_LINES:
        raise InvalidInput({"numbers": _("At most %(n)d lines.", n=service.MAX_LINES)})
    wanted = list(dict.fromkeys(wanted))
    found = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        found.update(db.session.execute(scoped_lines(actor).where(Line.msisdn.in_(chunk))
                                        .with_only_columns(Line.msisdn, Line.id)).all())
    missing = [validators.format_msisdn(m) for m in wanted if m not in found]
    if missing:
        raise InvalidInput({"numbers": _("Not among your lines: %(n)s",
                                         n=", ".join(missing[:10]))})
    return [found[m] for m in wanted]


def _numbers_of(actor, ids) -> str:
    if not ids:
        return ""
    rows = db.session.scalars(scoped_lines(actor).where(Line.id.in_(ids[:service.MAX_LINES]))
                              .with_only_columns(Line.msisdn)).all()
    return "\n".join(validators.format_msisdn(m) for m in rows)


def _form_page(spec, values, numbers="", errors=None, status=200):
    facts = service.portal_facts(current_user)
    choices = {f.name: service.choices_for(f, facts) for f in all_fields(spec)
               if f.type in ("choice", "billing_account")}
    return render_template("forms/form.html", spec=spec, fields=all_fields(spec), values=values,
                           choices=choices, numbers=numbers, errors=errors or {}), status


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
        return _form_page(spec, values, _numbers_of(current_user, ids))
    values, numbers = submitted_values(spec)
    try:
        ids = line_ids_from_numbers(current_user, numbers) if spec.lines else []
        document = service.generate(current_user, spec.code, values, ids)
    except (InvalidInput, NotFound) as error:
        db.session.rollback()
        return form_page_with_errors(spec, values, numbers, error)
    db.session.commit()
    return _send(document)


def submitted_values(spec) -> tuple[dict, str]:
    """The posted field values and the typed numbers of a form."""
    return ({f.name: request.form.get(f.name, "") for f in all_fields(spec)},
            request.form.get("numbers", ""))


def form_page_with_errors(spec, values, numbers, error):
    """The form again (422) with each message beside its field."""
    if isinstance(error, NotFound):
        return _form_page(spec, values, numbers, {"numbers": str(error.message)}, 422)
    return _form_page(spec, values, numbers, {k: v[0] for k, v in error.errors.items()}, 422)


def _send(document):
    return downloads.file_response(document.pdf, downloads.PDF_MIMETYPE,
                                   service.download_name(document), kind="form_document",
                                   fmt="pdf", scope=f"document {document.id}")


@bp.get("/requests/documents/<int:document_id>.pdf")
@require(PERMISSION)
def document_pdf(document_id: int):
    """A recorded document again, the very same bytes."""
    return _send(service.get_document(current_user, document_id))

