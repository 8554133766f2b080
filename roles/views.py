"""Administration pages: users, roles, assignments, access explained, audit log; and the
operator staff's company onboarding. Views parse input, call a service, render."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core import downloads, security_log
from core.errors import InvalidInput, PageChange
from core.extensions import db
from core.ui import NavItem, add_nav_item
from corp.lines import scoped_lines
from corp.models import Line
from corp.validators import ValidationError, normalize_msisdn
from roles import audit_log, explain, onboarding, service
from roles import users as user_service
from roles.access import operator_staff, require
from roles.permissions import COMPANY_SCOPE, PERMISSIONS
from roles.webforms import ActionForm, AssignmentForm, CompanyForm, RoleForm, UserForm

bp = Blueprint("roles", __name__)

add_nav_item(NavItem("roles.users", _l("Administration"), "users.manage"))
add_nav_item(NavItem("roles.audit", _l("Audit log"), "audit.view"))
add_nav_item(NavItem("roles.companies", _l("Companies"), operator_staff=True))
add_nav_item(NavItem("roles.security_events", _l("Security events"), operator_staff=True))


def _me():
    return current_user._get_current_object()


# --- users ---------------------------------------------------------------------------------


@bp.get("/admin")
@require("users.manage")
def index():
    """Administration starts with the users."""
    return redirect(url_for("roles.users"))


@bp.get("/admin/users")
@require("users.manage")
def users():
    """The users the signed-in manager manages."""
    q = request.args.get("q", "")[:100]
    return render_template("roles/users.html", users=user_service.list_users(_me(), q), q=q,
                           global_admins=user_service.global_admin_ids(_me().company_id))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("users.manage")
def user_new():
    """Create an employee; the temporary password is shown once, on the answer page."""
    form = UserForm()
    if form.validate_on_submit():
        with PageChange(form) as change:
            user, password = user_service.create_user(_me(), form.email.data, form.name.data)
        if change.ok:
            return render_template("roles/user_created.html", user=user, password=password)
    return render_template("roles/user_new.html", form=form)


def _user_page(user_id: int, form=None, assign_form=None):
    user = user_service.get_user(_me(), user_id)
    form = form or UserForm(obj=user, formdata=None)
    assign_form = assign_form or AssignmentForm(formdata=None)
    _assignment_choices(assign_form)
    names = service.node_names(user.company_id)
    return render_template(
        "roles/user.html", user=user, form=form, assign_form=assign_form,
        action_form=ActionForm(),
        assignments=[service.assignment_dict(a, names) for a in service.assignments_of(user)],
        is_global_admin=user_service.is_global_admin(user),
    )


def _assignment_choices(form) -> None:
    roles = service.list_roles(_me())
    form.role_id.choices = [SelectChoice(r["id"], r["name"]) for r in roles]
    choices = []
    if COMPANY_SCOPE in user_service.manage_scopes(_me()):
        choices.append(SelectChoice("", _("Whole company")))
    choices += [SelectChoice(str(n["id"]), "\u00a0\u00a0" * n["depth"] + n["name"])
                for n in user_service.assignable_nodes(_me())]
    form.node_id.choices = choices


@bp.get("/admin/users/<int:user_id>")
@require("users.manage")
def user(user_id: int):
    """An employee: details, activity, role assignments."""
    return _user_page(user_id)


@bp.post("/admin/users/<int:user_id>")
@require("users.manage")
def user_edit(user_id: int):
    """Change an employee's e-mail and name."""
    form = UserForm()
    if form.validate_on_submit():
        with PageChange(form) as change:
            user_service.update_user(_me(), user_id, email=form.email.data, name=form.name.data)
        if change.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("roles.user", user_id=user_id))
    return _user_page(user_id, form=form), 422


@bp.post("/admin/users/<int:user_id>/active")
@require("users.manage")
def user_active(user_id: int):
    """Disable (ends sessions and tokens at once) or re-enable an employee."""
    if ActionForm().validate_on_submit():
        active = request.form.get("active") == "1"
        with PageChange() as change:
            user_service.update_user(_me(), user_id, active=active)
        if change.ok:
            flash(_("The user is enabled.") if active else _("The user is disabled: their "
                  "sessions and API tokens have ended."), "success")
    return redirect(url_for("roles.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/assignments")
@require("users.manage")
def assignment_add(user_id: int):
    """Give the employee a role on a scope."""
    user_service.get_user(_me(), user_id)  # unknown / other company / out of scope: 404 first
    form = AssignmentForm()
    _assignment_choices(form)
    if form.validate_on_submit():
        raw = form.node_id.data or ""
        with PageChange() as change:
            if raw and not raw.isdigit():
                raise InvalidInput({"node_id": _("Choose a scope from the list.")})
            user_service.grant(_me(), user_id, form.role_id.data, int(raw) if raw else None)
        if change.ok:
            flash(_("The role is assigned."), "success")
    else:
        flash(_("Choose a role and a scope."), "danger")
    return redirect(url_for("roles.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/assignments/<int:assignment_id>/delete")
@require("users.manage")
def assignment_delete(user_id: int, assignment_id: int):
    """Take a role assignment away."""
    if ActionForm().validate_on_submit():
        with PageChange() as change:
            user_service.revoke(_me(), user_id, assignment_id)
        if change.ok:
            flash(_("The assignment is removed."), "success")
    return redirect(url_for("roles.user", user_id=user_id))


# --- roles ---------------------------------------------------------------------------------


@bp.get("/admin/roles")
@require("users.manage")
def roles():
    """Predefined roles (read-only) and the company's own."""
    return render_template("roles/roles.html", roles=service.list_roles(_me()),
                           permissions=PERMISSIONS)


@bp.route("/admin/roles/new", methods=["GET", "POST"])
@require("users.manage")
def role_new():
    """A custom role made by ticking permission categories."""
    form = RoleForm()
    if form.validate_on_submit():
        with PageChange(form) as change:
            role = service.create_role(_me(), form.name.data, form.permissions.data or [])
        if change.ok:
            flash(_("The role is created."), "success")
            return redirect(url_for("roles.role", role_id=role.id))
    return render_template("roles/role_form.html", form=form, role=None)


@bp.route("/admin/roles/<int:role_id>", methods=["GET", "POST"])
@require("users.manage")
def role(role_id: int):
    """A role's ticked categories; a custom role can be edited here."""
    role = service.get_role(_me(), role_id)
    data = service.role_dict(role)
    form = RoleForm(formdata=None, data={"name": data["name"],
                                         "permissions": data["permissions"]})
    if request.method == "POST":
        form = RoleForm()
        if form.validate_on_submit():
            with PageChange(form) as change:
                service.update_role(_me(), role_id, name=form.name.data,
                                    permissions=form.permissions.data or [])
            if change.ok:
                flash(_("Saved."), "success")
                return redirect(url_for("roles.role", role_id=role_id))
            elif not isinstance(change.error, InvalidInput):
                return redirect(url_for("roles.role", role_id=role_id))
    return render_template("roles/role_form.html", form=form, role=data,
                           action_form=ActionForm(), permissions=PERMISSIONS)


@bp.post("/admin/roles/<int:role_id>/delete")
@require("users.manage")
def role_delete(role_id: int):
    """Delete a custom role nobody holds (a clear refusal otherwise)."""
    if ActionForm().validate_on_submit():
        with PageChange(success=_("The role is deleted.")) as change:
            service.delete_role(_me(), role_id)
        if not change.ok:
            return redirect(url_for("roles.role", role_id=role_id))
    return redirect(url_for("roles.roles"))


# --- access explained ------------------------------------------------------------------------


@bp.get("/admin/access")
@require("users.manage")
def access_home():
    """Pick a user or a line to see its access explained."""
    return render_template("roles/access_home.html", users=user_service.list_users(_me()),
                           number=request.args.get("number", "")[:40])


@bp.get("/admin/access/lines")
@require("users.manage")
def access_line_lookup():
    """Find a line by its number, then explain it."""

    text = request.args.get("number", "")[:40]
    try:
        msisdn = normalize_msisdn(text)
    except ValidationError as error:
        flash(_(error.message), "danger")
        return redirect(url_for("roles.access_home", number=text))
    line_id = db.session.scalar(scoped_lines(_me()).where(Line.msisdn == msisdn)
                                .with_only_columns(Line.id))
    if line_id is None:
        flash(_("No line with this number in your part of the company."), "warning")
        return redirect(url_for("roles.access_home", number=text))
    return redirect(url_for("roles.access_line", line_id=line_id))


@bp.get("/admin/access/users/<int:user_id>")
@require("users.manage")
def access_user(user_id: int):
    """What a user may do, and where."""
    return render_template("roles/access_user.html", **explain.explain_user(_me(), user_id))


@bp.get("/admin/access/lines/<int:line_id>")
@require("users.manage")
def access_line(line_id: int):
    """Who may do what on a line, and through which role and assignment."""
    return render_template("roles/access_line.html", **explain.explain_line(_me(), line_id))


# --- audit log -----------------------------------------------------------------------------


@bp.get("/admin/audit")
@require("audit.view")
def audit():
    """The audit log with filters by user, action, line and period."""
    flt = audit_log.AuditFilter.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    try:
        items, total = audit_log.list_events(_me(), flt, page=page, per_page=50)
        status = 200
    except InvalidInput as error:
        flash(str(error.message), "danger")
        items, total, status = [], 0, 422
    return render_template("roles/audit.html", items=items, total=total, flt=flt, page=page,
                           pages=max((total + 49) // 50, 1),
                           actions=audit_log.actions(_me())), status


@bp.get("/admin/audit.csv")
@require("audit.view")
def audit_csv():
    """The filtered audit log as a CSV file."""
    flt = audit_log.AuditFilter.from_args(request.args)
    security_log.record("download.audit", actor=_me(), status=200,
                        detail=request.query_string.decode("utf-8", "replace"))
    return downloads.csv_response("audit.csv", audit_log.CSV_COLUMNS,
                                  audit_log.export_rows(_me(), flt), kind="audit",
                                  scope=request.query_string.decode("utf-8", "replace")[:200])


# --- operator staff: the platform's security events ----------------------------------------


@bp.get("/operator/security-events")
@operator_staff
def security_events():
    """Refusals, sign-in locks and sensitive downloads of the whole platform."""
    kind = request.args.get("kind") or None
    if kind not in security_log.KINDS:
        kind = None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events, total = security_log.list_events(kind=kind, page=page)
    return render_template("roles/security_events.html", events=events, total=total,
                           kind=kind, page=page, kinds=security_log.KINDS)


# --- operator staff: companies -------------------------------------------------------------


@bp.get("/operator/companies")
@operator_staff
def companies():
    """Every company of the platform."""
    return render_template("roles/companies.html",
                           companies=onboarding.list_companies(_me()))


@bp.route("/operator/companies/new", methods=["GET", "POST"])
@operator_staff
def company_new():
    """Onboard a company with its contract, root node and first global administrator."""
    form = CompanyForm()
    if form.validate_on_submit():
        with PageChange(form, catch=(InvalidInput,)) as change:
            company, admin, password = onboarding.create_company(_me(), form.data)
        if change.ok:
            return render_template("roles/company_created.html", company=company, user=admin,
                                   password=password)
        return render_template("roles/company_new.html", form=form), 422
    return render_template("roles/company_new.html", form=form)
