"""Pages of the hierarchy: the tree with totals (the home of line management), the node
editor, placing lines, the employee of a line, the billing view, import and export."""

import os
import re
import time
import uuid

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from auth.models import User
from core.errors import Conflict, InvalidInput, NotFound, PageChange
from core.extensions import db
from core.i18n import translations
from core.ui import NODE_KIND_LABELS, NavItem, add_nav_item, money_formatter
from core.uploads import read_bytes
from core.validation import parse_int
from corp import service as corp_service
from corp.models import LINE_STATUSES
from hierarchy import editing, service, transfer
from hierarchy.api import export_response
from roles import access
from roles.access import require

bp = Blueprint("hierarchy", __name__)

LINES_PER_NODE = 50


def _int(value):
    return parse_int(value)  # out of the column's range reads as no number at all


def _attempt(action, success: str, back: str):
    """Run a change: commit and flash success, or show the refusal; back to ``back``."""
    with PageChange(success=success, catch=(InvalidInput, Conflict)):
        action()
    return redirect(back)


def _targets():
    """Nodes the user may place things on (for "move to…" selects), in tree order."""
    return [n for n in service.flat_tree(service.tree(current_user)) if n["manageable"]]


# A tree bigger than this renders a few levels and loads deeper ones when opened.
FULL_TREE_NODES = 300
LEVELS_AT_ONCE = 2


def _tree_context(roots) -> dict:
    """What the tree templates need besides the nodes: labels, money and line-count texts,
    editability."""
    flat = service.flat_tree(roots)
    money = money_formatter()
    catalogue = translations()  # the request's catalogue, looked up once for every node
    for item in flat:
        item["spend_text"] = money(item["spend"])
        count = item["line_count"]
        item["lines_text"] = (catalogue.ngettext("%(num)d line", "%(num)d lines", count)
                              % {"num": count}).replace(" ", "\u00a0")
    return {
        "flat": flat,
        "can_manage": bool(service.managed_paths(current_user)),
        "kind_labels": {k: str(v) for k, v in NODE_KIND_LABELS.items()},
        "big": len(flat) > FULL_TREE_NODES,
    }


@bp.get("/hierarchy")
@require("lines.view")
def tree():
    """The custom tree with totals per node, descendants included."""
    roots = service.tree(current_user)
    context = _tree_context(roots)
    top = min((n["depth"] for n in roots), default=0)
    return render_template(
        "hierarchy/tree.html", roots=roots, kinds=editing.EDITABLE_KINDS,
        targets=[n for n in context["flat"] if n["manageable"]],
        upto=top + LEVELS_AT_ONCE if context["big"] else 10_000, **context)


@bp.get("/hierarchy/nodes/<int:node_id>/children")
@require("lines.view")
def node_children(node_id: int):
    """The sub-nodes of a node with their totals (a fragment the big tree loads on opening)."""
    roots = service.tree(current_user)
    context = _tree_context(roots)
    node = next((n for n in context["flat"] if n["id"] == node_id), None)
    if node is None:
        raise NotFound()
    return render_template("hierarchy/_children.html", children=node["children"],
                           upto=node["depth"] + LEVELS_AT_ONCE if context["big"] else 10_000,
                           **context)


@bp.get("/hierarchy/nodes/<int:node_id>/lines")
@require("lines.view")
def node_lines(node_id: int):
    """The lines placed on a node (a fragment the tree loads when a node is expanded)."""
    node = service.get_node(current_user, node_id)
    page = max(request.args.get("page", 1, type=int), 1)
    items, total = service.node_lines(current_user, node, page, LINES_PER_NODE)
    return render_template("hierarchy/_node_lines.html", node=node, items=items, total=total,
                           page=page, per_page=LINES_PER_NODE)


@bp.get("/hierarchy/nodes/<int:node_id>")
@require("lines.view")
def node(node_id: int):
    """A node: its totals, editor, sub-nodes and lines (with a selection to move)."""
    node = service.get_node(current_user, node_id)
    page = max(request.args.get("page", 1, type=int), 1)
    items, total = service.node_lines(current_user, node, page, LINES_PER_NODE)
    flat = service.flat_tree(service.tree(current_user))
    me = next((n for n in flat if n["id"] == node.id), None)
    targets = [n for n in flat if n["manageable"]]
    users = db.session.scalars(select(User).where(User.company_id == current_user.company_id,
                                                  User.active.is_(True)).order_by(User.name))
    return render_template(
        "hierarchy/node.html", node=node, totals=me, items=items, total=total, page=page,
        pages=max((total + LINES_PER_NODE - 1) // LINES_PER_NODE, 1),
        breadcrumbs=corp_service.node_breadcrumbs(node),
        openable={n["id"] for n in flat if n["openable"]},
        children=me["children"] if me else [],
        manageable=access.can(current_user, editing.MANAGE, node.path),
        move_targets=[n for n in targets if not n["path"].startswith(node.path)],
        line_targets=targets, kinds=editing.EDITABLE_KINDS, users=users.all(),
    )


@bp.post("/hierarchy/nodes")
@require("hierarchy.manage")
def create_node():
    """Create a node from the tree page's form."""
    form = request.form
    created = {}

    def action():
        created["node"] = editing.create_node(
            current_user, name=form.get("name", ""), parent_id=_int(form.get("parent_id")),
            kind=form.get("kind", "department"), cost_centre=form.get("cost_centre") or None)

    return _attempt(action, _("Node created."), url_for("hierarchy.tree"))


@bp.post("/hierarchy/nodes/<int:node_id>/edit")
@require("hierarchy.manage")
def edit_node(node_id: int):
    """Rename a node, change its kind, cost centre or responsible person."""
    node = editing.manageable_node(current_user, node_id)
    form = request.form
    changes = {"name": form.get("name", ""), "cost_centre": form.get("cost_centre") or None,
               "responsible_user_id": _int(form.get("responsible_user_id"))}
    if node.parent_id is not None:
        changes["kind"] = form.get("kind", "")
    return _attempt(lambda: editing.update_node(current_user, node, changes), _("Saved."),
                    url_for("hierarchy.node", node_id=node_id))


@bp.post("/hierarchy/nodes/<int:node_id>/move")
@require("hierarchy.manage")
def move_node(node_id: int):
    """Move a node under another (the accessible alternative to drag and drop)."""
    node = editing.manageable_node(current_user, node_id)
    parent_id = _int(request.form.get("parent_id"))
    return _attempt(lambda: editing.update_node(current_user, node, {"parent_id": parent_id}),
                    _("Node moved."), url_for("hierarchy.node", node_id=node_id))


@bp.post("/hierarchy/nodes/<int:node_id>/delete")
@require("hierarchy.manage")
def delete_node(node_id: int):
    """Delete a node, moving its lines and sub-nodes where the user says."""
    node = editing.manageable_node(current_user, node_id)
    move_to = _int(request.form.get("move_to"))
    try:
        editing.delete_node(current_user, node, move_to)
        db.session.commit()
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("hierarchy.node", node_id=node_id))
    flash(_("Node deleted."), "success")
    return redirect(url_for("hierarchy.tree"))


@bp.post("/hierarchy/lines/move")
@require("hierarchy.manage")
def move_lines():
    """Move the selected lines (checkboxes) to a node."""
    ids = [i for i in (_int(x) for x in request.form.getlist("line_id")) if i is not None]
    node_id = _int(request.form.get("node_id"))
    back = request.form.get("back") or url_for("hierarchy.tree")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("hierarchy.tree")
    if not ids:
        flash(_("Select the lines to move."), "warning")
        return redirect(back)
    return _attempt(lambda: editing.move_lines(current_user, ids, node_id),
                    _("%(n)s lines moved.", n=len(ids)), back)


@bp.route("/hierarchy/place-lines", methods=["GET", "POST"])
@require("hierarchy.manage")
def place_lines():
    """Move every line matching the lines-list filter to a node."""
    args = request.form if request.method == "POST" else request.args
    flt = corp_service.line_filter(args)
    if request.method == "POST":
        moved = {}

        def action():
            moved["n"] = editing.move_filtered_lines(current_user, flt,
                                                     _int(request.form.get("target_id")))

        response = _attempt(action, _("Lines moved."), url_for("hierarchy.tree"))
        return response
    matching = db.session.scalar(
        select(db.func.count()).select_from(
            corp_service.filtered_lines(current_user, flt, editing.MANAGE).subquery()))
    return render_template("hierarchy/place_lines.html", flt=flt, matching=matching,
                           targets=_targets(), statuses=LINE_STATUSES)


@bp.route("/lines/<int:line_id>/employee", methods=["GET", "POST"])
@require("hierarchy.manage")
def edit_employee(line_id: int):
    """The employee of a line: name, position, e-mail, personnel number."""
    line = corp_service.get_line(current_user, line_id, editing.MANAGE)
    errors = {}
    if request.method == "POST":
        fields = {k: request.form.get(k, "") for k in editing.EMPLOYEE_LIMITS}
        try:
            editing.update_employee(current_user, line, fields)
            db.session.commit()
            flash(_("Employee saved."), "success")
            return redirect(url_for("corp.line", line_id=line.id))
        except InvalidInput as error:
            db.session.rollback()
            line = corp_service.get_line(current_user, line_id, editing.MANAGE)
            errors = error.errors
            values = fields
    else:
        values = {"name": line.employee_name, "position": line.employee_position,
                  "email": line.employee_email, "personnel_number": line.personnel_number}
    return render_template("hierarchy/employee.html", line=line, values=values, errors=errors,
                           labels={"name": _("Name"), "position": _("Position"),
                                   "email": _("E-mail"),
                                   "personnel_number": _("Personnel number")})


@bp.get("/hierarchy/billing")
@require("lines.view")
def billing():
    """The billing structure beside the tree: contract → billing accounts → lines."""
    return render_template("hierarchy/billing.html", view=service.billing_view(current_user))


@bp.get("/hierarchy/billing/accounts/<int:account_id>")
@require("lines.view")
def billing_account(account_id: int):
    """The lines of one billing account within the user's scope."""
    page = max(request.args.get("page", 1, type=int), 1)
    account, items, total = service.account_lines(current_user, account_id, page,
                                                  LINES_PER_NODE)
    return render_template("hierarchy/billing_account.html", account=account, items=items,
                           total=total, page=page,
                           pages=max((total + LINES_PER_NODE - 1) // LINES_PER_NODE, 1))


@bp.get("/hierarchy/export")
@require("lines.view")
def export():
    """Download the tree with line placements (``?format=csv|xlsx``)."""
    return export_response(request.args.get("format", "csv"))


def _upload_dir() -> str:
    """Where previewed uploads wait to be applied; those older than a day are dropped."""
    path = os.path.join(current_app.instance_path, "hierarchy-imports")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.getmtime(full) < time.time() - 86400:
            os.remove(full)
    return path


_TOKEN = re.compile(r"[0-9a-f]{32}")


@bp.route("/hierarchy/import", methods=["GET", "POST"])
@require("hierarchy.manage")
def import_():
    """Upload a spreadsheet: the preview of what it changes and its row errors."""
    if request.method == "GET":
        return render_template("hierarchy/import.html", preview=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "warning")
        return redirect(url_for("hierarchy.import_"))
    try:
        data = read_bytes(upload, transfer.MAX_UPLOAD_BYTES)
        preview = transfer.import_file(current_user, data, upload.filename, dry_run=True)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("hierarchy.import_"))
    db.session.rollback()
    token = None
    if not preview["error_count"] and preview["changes"]:
        token = uuid.uuid4().hex
        suffix = ".xlsx" if data[:2] == b"PK" else ".csv"
        with open(os.path.join(_upload_dir(), f"{current_user.id}-{token}{suffix}"), "wb") as f:
            f.write(data)
        token = token + suffix
    return render_template("hierarchy/import.html", preview=preview, token=token,
                           filename=upload.filename)


@bp.post("/hierarchy/import/apply")
@require("hierarchy.manage")
def import_apply():
    """Apply a previewed upload, all or nothing (it is planned again against today's tree)."""
    token = request.form.get("token", "")
    stem, _dot, suffix = token.partition(".")
    if not _TOKEN.fullmatch(stem) or suffix not in ("csv", "xlsx"):
        raise InvalidInput({"token": _("Upload the file again.")})
    path = os.path.join(_upload_dir(), f"{current_user.id}-{stem}.{suffix}")
    if not os.path.exists(path):
        flash(_("Upload the file again."), "warning")
        return redirect(url_for("hierarchy.import_"))
    with open(path, "rb") as f:
        data = f.read()
    try:
        preview = transfer.import_file(current_user, data, f"upload.{suffix}", dry_run=False)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("hierarchy.import_"))
    if not preview["applied"]:
        db.session.rollback()
        return render_template("hierarchy/import.html", preview=preview, token=None,
                               filename="")
    db.session.commit()
    os.remove(path)
    flash(_("Import applied: %(n)s changes.", n=preview["changes"]), "success")
    return redirect(url_for("hierarchy.tree"))




def _register_nav() -> None:
    add_nav_item(NavItem("hierarchy.billing", _l("Billing structure"), "lines.view"))


_register_nav()
