"""Pages of the company's lines: the start page (dashboard), lines list, line card."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.extensions import db
from corp import service
from corp.billing import service as billing_service
from corp.models import LINE_STATUSES, Tariff
from corp.operations import service as operations_service
from corp.validators import format_msisdn
from roles import access
from roles.access import authenticated, public, require

bp = Blueprint("corp", __name__)


@bp.app_template_filter("msisdn")
def msisdn(value) -> str:
    """A stored 10-digit number for display in any template: +7 916 123-45-67."""
    return format_msisdn(value) if value else ""


@bp.get("/")
@public
def index():
    """The home page is the dashboard."""
    return redirect(url_for("corp.dashboard"))


@bp.get("/dashboard")
@authenticated
def dashboard():
    """Lines by status, tariff and branch within what the user may see."""
    if current_user.is_operator_staff:
        return render_template("corp/operator_home.html")
    show_charts = ("reports.chart" in current_app.view_functions
                   and bool(access.scopes(current_user, "reports.view")))
    charts = [("spend_by_branch", _("Spend by branch for the last months")),
              ("trend", _("Spend over the last 12 months")),
              ("top_lines", _("The lines that cost most last month")),
              ("idle_lines", _("Idle lines and what they cost meanwhile")),
              ("saving", _("Possible saving with tariff advice"))]
    return render_template("corp/dashboard.html", stats=service.dashboard(current_user),
                           show_charts=show_charts, charts=charts)


@bp.get("/lines")
@require("lines.view")
def lines():
    """Search, filter, sort and page through the lines in the user's scope."""
    flt = service.line_filter(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app_per_page()
    items, total = service.list_lines(current_user, flt, page=page, per_page=per_page)
    tariffs = db.session.scalars(db.select(Tariff).order_by(Tariff.name)).all()
    return render_template(
        "corp/lines.html",
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        pages=max((total + per_page - 1) // per_page, 1),
        flt=flt,
        statuses=LINE_STATUSES,
        tariffs=tariffs,
        node_labels=service.node_labels({line.node for line in items}),
    )


def current_app_per_page() -> int:
    return min(max(request.args.get("per_page", current_app.config["LINES_PER_PAGE"], type=int), 1),
               200)


@bp.get("/lines/<int:line_id>")
@require("lines.view")
def line(line_id: int):
    """The line card: status, tariff, services, account, package, history, and (with
    ``reports.view`` on the line) its call detail for a chosen period."""
    actor = current_user._get_current_object()  # the user, not the proxy, for every check
    line = service.get_line(actor, line_id)
    card = service.line_card(actor, line)
    operations = operations_service.line_card_operations(actor, line, card["permissions"])
    if operations["pool_stocked"]:
        db.session.commit()  # the request's one commit: keep the stocked free-number pool
    return render_template("corp/line.html", **card, operations=operations,
                           call_detail=billing_service.line_card_call_detail(
                               actor, line, request.args))
