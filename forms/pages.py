"""Page helpers of the forms package, shared by its pages and the request pages that send a
filled form: the form page (again with errors), the posted values, a document's PDF.

Below ``forms.views`` (a web module of another package may use these, never the views)."""


from flask import render_template, request
from flask_login import current_user

from core import downloads
from core.errors import NotFound
from forms import service
from forms.catalogue import all_fields


def form_page(spec, values, numbers="", errors=None, status=200):
    """The form page with the given values, typed numbers and field messages."""
    facts = service.portal_facts(current_user)
    choices = {f.name: service.choices_for(f, facts) for f in all_fields(spec)
               if f.type in ("choice", "billing_account")}
    return render_template("forms/form.html", spec=spec, fields=all_fields(spec), values=values,
                           choices=choices, numbers=numbers, errors=errors or {}), status


def submitted_values(spec) -> tuple[dict, str]:
    """The posted field values and the typed numbers of a form."""
    return ({f.name: request.form.get(f.name, "") for f in all_fields(spec)},
            request.form.get("numbers", ""))


def form_page_with_errors(spec, values, numbers, error):
    """The form again (422) with each message beside its field."""
    if isinstance(error, NotFound):
        return form_page(spec, values, numbers, {"numbers": str(error.message)}, 422)
    return form_page(spec, values, numbers, {k: v[0] for k, v in error.errors.items()}, 422)


def send_pdf(document, scope: str = "", company_id: int | None = None):
    """A generated document's stored PDF, as a recorded download (``company_id``: whose
    audit log when operator staff download it)."""
    return downloads.file_response(document.pdf, downloads.PDF_MIMETYPE,
                                   service.download_name(document), kind="form_document",
                                   fmt="pdf", scope=scope or f"document {document.id}",
                                   company_id=company_id)
