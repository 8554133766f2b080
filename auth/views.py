"""Sign-in pages: login, logout, password change, the interface language of the session."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from auth import service, sessions, totp
from auth.webforms import ChangePasswordForm, LoginForm
from core.errors import InvalidInput, Unauthorized
from core.extensions import db, limiter
from core.redirects import safe_next
from roles.access import authenticated, public

bp = Blueprint("auth", __name__)


def _login_rate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only same-site relative targets: no open redirect through ?next=."""
    return safe_next(target)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def login():
    """Show the sign-in form; on success open a fresh server-side session."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except Unauthorized as error:
            flash(error.message, "danger")
            return render_template("auth/login.html", form=form), 401
        if totp.is_enabled(user):
            # The password was right; the session opens only after the code (second step).
            db.session.commit()
            session.clear()
            session["pending_2fa"] = {"uid": user.id, "at": int(time.time())}
            return redirect(url_for("account.login_code", next=request.args.get("next")))
        return finish_sign_in(user)
    return render_template("auth/login.html", form=form)


def finish_sign_in(user):
    """Open a fresh server-side session for a user who proved who they are; go on."""
    new = service.start_session(
        user, ip=request.remote_addr or "", user_agent=request.user_agent.string
    )
    db.session.flush()
    sessions.notify_new_device(user, new)
    db.session.commit()
    session.clear()  # a new session on sign-in: nothing from before survives
    session["sid"] = new.id
    session.permanent = True
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
@authenticated
def logout():
    """End the session on the server and clear the cookie."""
    service.end_session(session.get("sid"), current_user._get_current_object())
    db.session.commit()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():
    """Change the password (forced after an issued temporary one)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            form.confirm.errors.append(_("The two new passwords differ."))
        else:
            try:
                service.change_password(
                    current_user._get_current_object(),
                    form.current_password.data,
                    form.new_password.data,
                    keep_session=session.get("sid"),
                )
            except InvalidInput as error:
                for field, messages in error.errors.items():
                    getattr(form, field, form.new_password).errors.extend(messages)
            else:
                db.session.commit()
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("corp.dashboard"))
    return render_template("auth/change_password.html", form=form)


@bp.post("/language")
@public
def set_language():
    """Switch the interface language (Russian or English) for this browser session."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))
