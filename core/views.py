"""Pages that belong to no domain: language switch, health check."""

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from sqlalchemy import text

from core.extensions import db
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


@bp.get("/healthz")
@public
def health():
    """Liveness and database reachability, for load balancers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


@bp.get("/")
@public
def index():
    """The home page is the dashboard."""
    return redirect(url_for("corp.dashboard"))
