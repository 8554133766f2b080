"""Pages of one's own account: recovery, the sign-in code, two-factor set-up, re-authentication,
e-mail change and own sessions. Each calls the same service function as its API twin."""

import time

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from auth import proof, reauth, recovery, sessions, totp
from auth.account_api import _per_address, _per_source, recovery_address_key
from auth.account_webforms import (
    CodeForm,
    CompanySecurityForm,
    DisableTotpForm,
    EmailChangeForm,
    ForgotPasswordForm,
    ReauthForm,
    ResetPasswordForm,
    SignInCodeForm,
)
from auth.models import User
from auth.views import _safe_next, finish_sign_in
from core.audit import flush_refusals
from core.errors import Conflict, DomainError, InvalidInput, PermissionDenied, is_api_request
from core.extensions import db, limiter
from core.ui import NavItem, add_nav_item
from roles.access import PUBLIC_ENDPOINTS, authenticated, is_global_admin, public

bp = Blueprint("account", __name__)

# How long the password step of a two-step sign-in waits for its code.
PENDING_SIGN_IN_SECONDS = 300


def _me():
    return current_user._get_current_object()


def _put_errors(form, error: InvalidInput, default_field: str) -> None:
    for name, messages in error.errors.items():
        field = getattr(form, name, None) or getattr(form, default_field)
        field.errors = list(field.errors) + [str(m) for m in messages]


def _refused_on_form(form, error: DomainError, field_name: str,
                     other_field: str | None = None) -> None:
    """A refusal shown on the form: the change rolls back, the refusals audited meanwhile are
    kept, an ``InvalidInput``'s messages go beside their own fields where the form has them
    (else beside ``field_name``), any other refusal's beside ``other_field`` (or the same)."""
    db.session.rollback()
    flush_refusals()
    if isinstance(error, InvalidInput):
        _put_errors(form, error, field_name)
    else:
        field = getattr(form, other_field or field_name)
        field.errors = list(field.errors) + [str(error.message)]


def _change_on_field(form, field_name: str, change) -> bool:
    """Run ``change()`` and commit; a refusal (bad input or a conflict) is shown beside
    ``field_name`` (see ``_refused_on_form``)."""
    try:
        change()
    except (InvalidInput, Conflict) as error:
        _refused_on_form(form, error, field_name)
        return False
    db.session.commit()
    return True


# --- recovery ---------------------------------------------------------------------------------


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(_per_source, methods=["POST"])
@limiter.limit(_per_address, key_func=recovery_address_key, methods=["POST"])
@public
def forgot_password():
    """Ask for a recovery code by e-mail (the same answer whether the address is known)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.request_recovery(form.email.data)
        except InvalidInput as error:
            db.session.rollback()
            _put_errors(form, error, "email")
        else:
            db.session.commit()
            flash(_("If an account uses this address, a code is on its way to it."), "info")
            return redirect(url_for("account.reset_password", email=form.email.data.strip()))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/login/reset", methods=["GET", "POST"])
@limiter.limit(_per_source, methods=["POST"])
@public
def reset_password():
    """Enter the code from the e-mail and a new password; then signed in."""
    form = ResetPasswordForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            form.confirm.errors = list(form.confirm.errors) + [_("The two new passwords differ.")]
        else:
            try:
                user = recovery.confirm_recovery(form.email.data, form.code.data,
                                                 form.new_password.data)
            except InvalidInput as error:
                _refused_on_form(form, error, "code")
            else:
                db.session.commit()
                flash(_("Your password has been changed; every other session has ended."),
                      "success")
                if totp.is_enabled(user):
                    session.clear()
                    session["pending_2fa"] = {"uid": user.id, "at": int(time.time())}
                    return redirect(url_for("account.login_code"))
                return finish_sign_in(user)
    return render_template("auth/reset_password.html", form=form)


# --- second step of signing in ----------------------------------------------------------------


def _pending_user() -> User | None:
    pending = session.get("pending_2fa") or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SIGN_IN_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    return user if user is not None and user.active else None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login_code():
    """The code from the authenticator app (or a recovery code) after the password."""
    user = _pending_user()
    if user is None:
        session.pop("pending_2fa", None)
        flash(_("Sign in again: the sign-in waited too long for its code."), "warning")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            totp.check_second_factor(user, form.otp.data, form.recovery_code.data)
        except DomainError as error:
            _refused_on_form(form, error, "otp")
            return render_template("auth/login_code.html", form=form), 401
        session.pop("pending_2fa", None)
        return finish_sign_in(user)
    return render_template("auth/login_code.html", form=form)


# --- the account page -------------------------------------------------------------------------


@bp.get("/account")
@authenticated
def security():
    """One's own account: e-mail, two-factor sign-in, sessions, the company's rule."""
    me = _me()
    policy_form = None
    if me.company_id is not None and is_global_admin(me):
        policy_form = CompanySecurityForm(
            require_admin_2fa=totp.company_requires_admin_2fa(me.company_id))
    return render_template(
        "auth/account.html",
        totp_enabled=totp.is_enabled(me),
        recovery_left=totp.remaining_recovery_codes(me),
        pending_email=recovery.pending_email_change(me),
        enrolment_required=totp.enrolment_required(me),
        policy_form=policy_form,
        disable_form=DisableTotpForm(),
    )


@bp.post("/account/company-security")
@authenticated
def company_security():
    """The global administrator requires two-factor sign-in for administrators, or not."""
    form = CompanySecurityForm()
    if form.validate_on_submit():
        totp.set_company_requirement(_me(), bool(form.require_admin_2fa.data))
        db.session.commit()
        flash(_("The company's sign-in rule has been saved."), "success")
    return redirect(url_for("account.security"))


# --- two-factor sign-in -----------------------------------------------------------------------


def qr_svg(data: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (no script, no external request)."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=4, border=2, dark="#000", light="#fff",
                        title=str(_("QR code for the authenticator app")))
    # segno writes the markup itself; the URI is encoded as modules, the title is ours.
    return Markup(svg)  # noqa: S704  # nosec B704


@bp.route("/account/two-factor", methods=["GET", "POST"])
@authenticated
def totp_setup():
    """Set up two-factor sign-in: start (new secret, QR code), then confirm with a code."""
    me = _me()
    form = CodeForm()
    if request.method == "POST" and request.form.get("action") == "start":
        try:
            totp.begin_enrolment(me)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "warning")
            return redirect(url_for("account.security"))
        db.session.commit()
        return redirect(url_for("account.totp_setup"))
    if request.method == "POST" and form.validate_on_submit():
        try:
            codes = totp.confirm_enrolment(me, form.code.data)
        except InvalidInput as error:
            db.session.rollback()
            _put_errors(form, error, "code")
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "warning")
            return redirect(url_for("account.security"))
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    if totp.is_enabled(me):
        return redirect(url_for("account.security"))
    secret = totp.pending_secret(me)
    uri = totp.provisioning_uri(me, secret) if secret else None
    return render_template(
        "auth/totp_setup.html", form=form, secret=secret,
        qr=qr_svg(uri) if uri else None,
        enrolment_required=totp.enrolment_required(me),
    )


@bp.post("/account/two-factor/disable")
@authenticated
def totp_disable():
    """Turn two-factor sign-in off with the password and a current code."""
    form = DisableTotpForm()
    if form.validate_on_submit():
        try:
            totp.disable(_me(), form.password.data, form.code.data)
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            flush_refusals()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "success")
    else:
        flash(_("Enter your password and a code."), "danger")
    return redirect(url_for("account.security"))


# --- re-authentication ------------------------------------------------------------------------


@bp.route("/account/confirm", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@authenticated
def reauthenticate():
    """Password (and code) again; then back to the page of the sensitive change."""
    me = _me()
    form = ReauthForm()
    if form.validate_on_submit():
        try:
            proof.reauthenticate(me, form.password.data, form.otp.data)
        except DomainError as error:
            _refused_on_form(form, error, "password", other_field="otp")
        else:
            db.session.commit()
            flash(_("Thank you. You can go on now."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/reauth.html", form=form, totp_enabled=totp.is_enabled(me))


# --- e-mail change ----------------------------------------------------------------------------


@bp.route("/account/email", methods=["GET", "POST"])
@authenticated
def email_change():
    """Change one's e-mail: a code goes to the new address, the change waits for it."""
    me = _me()
    form = EmailChangeForm(prefix="new")
    code_form = CodeForm(prefix="confirm")
    if request.method == "POST" and request.form.get("step") == "request":
        if form.validate_on_submit() and _change_on_field(
                form, "new_email", lambda: recovery.request_email_change(me, form.new_email.data)):
            flash(_("A code has been sent to the new address."), "info")
            return redirect(url_for("account.email_change"))
    elif (request.form.get("step") == "confirm" and code_form.validate_on_submit()
          and _change_on_field(code_form, "code",
                               lambda: recovery.confirm_email_change(me, code_form.code.data))):
        flash(_("Your e-mail address has been changed."), "success")
        return redirect(url_for("account.security"))
    return render_template("auth/email_change.html", form=form, code_form=code_form,
                           pending_email=recovery.pending_email_change(me))


# --- own sessions -----------------------------------------------------------------------------


@bp.get("/account/sessions")
@authenticated
def sessions_page():
    """The user's own browser sessions and API tokens."""
    return render_template("auth/sessions.html", rows=sessions.list_own_sessions(_me()))


@bp.post("/account/sessions/<string:session_id>/end")
@authenticated
def end_session(session_id: str):
    """End one of one's own sessions (another user's id: 404)."""
    sessions.end_own_session(_me(), session_id)
    db.session.commit()
    flash(_("The session has ended."), "success")
    return redirect(url_for("account.sessions_page"))


@bp.post("/account/sessions/end-others")
@authenticated
def end_other_sessions():
    """End every session and token but this one."""
    ended = sessions.end_other_sessions(_me())
    db.session.commit()
    flash(_("Other sessions ended: %(count)d.", count=ended), "success")
    return redirect(url_for("account.sessions_page"))


# --- hooks: re-authentication asked for, enrolment required ------------------------------------


@bp.app_errorhandler(reauth.ReauthRequired)
def ask_to_reauthenticate(error):
    """API: 401 ``reauth_required``. Pages: the password form, then back where the user was."""
    db.session.rollback()
    flush_refusals()
    if is_api_request():
        return jsonify(error.to_dict()), error.status
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        referrer = request.referrer or ""
        host = request.host_url
        back = "/" + referrer[len(host):] if referrer.startswith(host) else None
    flash(error.message, "warning")
    return redirect(url_for("account.reauthenticate", next=_safe_next(back)))


# Where a user who must set up two-factor sign-in may still go.
ENROLMENT_ENDPOINTS = frozenset({
    "account.totp_setup", "account.reauthenticate", "account.security", "auth.logout",
    "auth.change_password", "auth.set_language",
    "Account.start_totp", "Account.confirm_totp", "Account.reauthenticate", "Auth.me",
    "Auth.create_token",
})


@bp.before_app_request
def lead_to_enrolment():
    """Administrators of a company that requires 2FA set it up before anything else."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint in ENROLMENT_ENDPOINTS:
        return None
    if not current_user.is_authenticated or current_user.must_change_password:
        return None
    if not totp.enrolment_required(current_user):
        return None
    if is_api_request():
        raise PermissionDenied(
            _("Your company requires two-factor sign-in for administrators: set it up first "
              "(POST /api/v1/me/totp)."),
            code="totp_enrolment_required",
        )
    flash(_("Your company requires two-factor sign-in for administrators: set it up to go on."),
          "warning")
    return redirect(url_for("account.totp_setup"))


def register_nav() -> None:
    add_nav_item(NavItem("account.security", _l("My account")))


register_nav()
