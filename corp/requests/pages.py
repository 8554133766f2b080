"""Page helpers of a request, shared by the company's request pages and the operator staff's
workspace (``staff.views``): what the request page shows, its files and its document.

Below ``corp.requests.views`` (another package's pages may use these, never the views)."""

from flask_login import current_user

from auth.models import User
from core import downloads
from core.extensions import db
from corp.requests import service
from corp.requests.models import REQUEST_KINDS
from forms.pages import send_pdf


def detail_context(item) -> dict:
    """What the request page shows (company and staff pages alike)."""
    authors = {c.author_id for c in item.comments}
    names = {u.id: (u.name or u.email) for u in db.session.query(User).filter(
        User.id.in_(authors | {item.created_by or 0})).all()} if authors or item.created_by \
        else {}
    document = service.request_document(current_user, item) if item.document_id else None
    return {"item": item, "names": names, "document": document,
            "numbers": service.request_line_numbers(item), "kinds": REQUEST_KINDS}


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
    return send_pdf(document, scope=f"request {item.id}, document {document.id}",
                    company_id=item.company_id)
