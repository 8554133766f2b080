"""Domain errors raised by services, and the handlers that turn them into answers.

Services raise these whatever called them (a page, the API, a background job); the
handlers answer JSON under ``/api/`` and an HTML error page elsewhere.
"""

from flask import flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from core import security_log
from core.audit import flush_refusals
from core.extensions import db


class DomainError(Exception):
    """A refusal with an HTTP status, a stable machine code and a human message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None, *, errors: dict | None = None, code=None):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.errors = errors or {}
        if code:
            self.code = code

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message), "status": self.status}
        if self.errors:
            body["errors"] = {k: [str(m) for m in v] for k, v in self.errors.items()}
        return body


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class PermissionDenied(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class TooManyAttempts(DomainError):
    status, code = 429, "too_many_attempts"


class InvalidInput(DomainError):
    """Bad input: ``errors`` maps field names to messages; nothing was changed."""

    status, code = 422, "invalid"

    def __init__(self, errors: dict | str, message: str | None = None):
        if isinstance(errors, str):
            errors = {"_schema": [errors]}
        errors = {k: v if isinstance(v, list) else [v] for k, v in errors.items()}
        first = next(iter(errors.values()))[0] if errors else None
        super().__init__(message or str(first or _("Invalid input.")), errors=errors)


class PageChange:
    """One change made from a page, in one place: ``with PageChange(form) as change: …``.

    Success commits the request's transaction once (and flashes ``success``). A refusal rolls
    back, keeps the refusals audited meanwhile, and answers the way a page does: the messages
    of ``InvalidInput`` beside the form's fields (a flash for fields the form lacks), any other
    refusal as a flash. Errors of the classes in ``error_pages`` go to the error handler
    instead (an unknown, other company's or out-of-scope object stays a 404 page). The API's
    answers come from ``register_errorhandlers`` below, for the same errors.
    """

    def __init__(self, form=None, *, success: str | None = None, fields: dict | None = None,
                 catch: tuple = (DomainError,)):
        self.form, self.success, self.fields = form, success, fields or {}
        self.catch = catch
        self.ok = False
        self.error: DomainError | None = None

    def __enter__(self) -> "PageChange":
        return self

    def __exit__(self, exc_type, error, _traceback) -> bool:
        if error is None:
            db.session.commit()
            self.ok = True
            if self.success:
                flash(self.success, "success")
            return False
        if not isinstance(error, self.catch) or isinstance(error, (NotFound, Unauthorized)):
            # An unknown object stays a 404 page; "sign in again" (re-authentication) goes to
            # its handler, which leads to the password form and back.
            return False
        db.session.rollback()
        flush_refusals()
        self.error = error
        show_refusal(error, self.form, self.fields)
        return True


def show_refusal(error: DomainError, form=None, fields: dict | None = None) -> None:
    """A refusal on a page: field messages on the form's fields, the rest as a flash."""
    if isinstance(error, InvalidInput) and form is not None:
        for field, messages in error.errors.items():
            target = getattr(form, (fields or {}).get(field, field), None)
            if target is None:
                flash(" ".join(str(m) for m in messages), "danger")
            else:
                target.errors = list(target.errors or []) + [str(m) for m in messages]
        return
    message = str(error.message)
    details = [f"{k}: {'; '.join(map(str, v))}" for k, v in error.errors.items()
               if k != "_schema" and str(v[0]) != message]
    flash(" ".join([message, *details]), "danger")


def is_api_request() -> bool:
    """Whether the request is for the JSON API (answers are JSON, not pages)."""
    return request.path.startswith("/api/")


def _allow(error: HTTPException) -> dict:
    """A 405 names the methods the URL does allow (RFC 9110 asks for ``Allow``)."""
    methods = getattr(error, "valid_methods", None)
    return {"Allow": ", ".join(sorted(methods))} if methods else {}


def _record_security_event(error: DomainError) -> None:
    """Every refusal answered 403/404 reaches the platform's security log: probing another
    company's ids, out-of-scope objects and staff-only routes leave a trace."""
    if error.status == 404:
        kind = "refused.not_found"
    elif error.status == 403:
        kind = "refused.staff_only" if error.code == "staff_only" else "refused.forbidden"
    else:
        return
    security_log.record(kind, actor=current_user, status=error.status,
                        detail=str(error.message))


def register_errorhandlers(app):
    """Answer domain and HTTP errors as JSON for the API and as a page for people."""

    @app.after_request
    def write_security_events(response):
        # Events of a request that did not end in a domain error (e.g. downloads).
        security_log.flush()
        return response

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        flush_refusals()
        _record_security_event(error)
        security_log.flush()
        if is_api_request():
            return jsonify(error.to_dict()), error.status
        return (
            render_template("error.html", status=error.status, message=error.message),
            error.status,
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.response is not None:
            return error.response
        if is_api_request():
            body = {"code": error.name.lower().replace(" ", "_"), "status": error.code,
                    "message": error.description}
            # flask-smorest/webargs put field errors in error.data["messages"].
            data = getattr(error, "data", None) or {}
            messages = data.get("messages")
            if messages:
                errors = messages.get("json", messages)
                # Always field → messages, as documented: a body that is no JSON at all
                # ("Invalid JSON body.") belongs to the whole request, "_schema".
                body["errors"] = errors if isinstance(errors, dict) else {"_schema": errors}
            return jsonify(body), error.code, _allow(error)
        return (
            render_template("error.html", status=error.code, message=error.description),
            error.code,
            _allow(error),
        )
