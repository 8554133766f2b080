"""Pages that belong to no domain: the language switch (probes are in ``core.health``)."""

from flask import Blueprint, current_app, redirect, request, session, url_for

from core.redirects import safe_next
from roles.access import public

bp = Blueprint("core", __name__)


@bp.post("/language")
@public
def set_language():
    """Switch the interface language (Russian or English) for this browser session."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    return redirect(safe_next(request.form.get("next")))


@bp.get("/")
@public
def index():
    """The home page is the dashboard."""
    return redirect(url_for("corp.dashboard"))
