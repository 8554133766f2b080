"""WTForms of one's own account: recovery, codes, two-factor set-up, e-mail change."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional


class ForgotPasswordForm(FlaskForm):
    """The address to send a recovery code to."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    """The code from the e-mail and the new password, typed twice."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    code = StringField(_l("Code from the e-mail"), validators=[DataRequired(), Length(max=20)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                                 Length(max=1024)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired()])


class SignInCodeForm(FlaskForm):
    """The second step of signing in: the authenticator's code or a recovery code."""

    otp = StringField(_l("Code from the authenticator app"), validators=[Optional(),
                                                                         Length(max=20)])
    recovery_code = StringField(_l("Or a recovery code"), validators=[Optional(),
                                                                      Length(max=20)])


class CodeForm(FlaskForm):
    """One code (two-factor set-up, e-mail change)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])


class DisableTotpForm(FlaskForm):
    """Password and a current code to turn two-factor sign-in off."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    code = StringField(_l("Code from the authenticator app or a recovery code"),
                       validators=[DataRequired(), Length(max=20)])


class ReauthForm(FlaskForm):
    """Password (and code) again before a sensitive change."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    otp = StringField(_l("Code from the authenticator app"), validators=[Optional(),
                                                                         Length(max=20)])


class EmailChangeForm(FlaskForm):
    """The new e-mail address (a code goes to it)."""

    new_email = EmailField(_l("New e-mail address"), validators=[DataRequired(),
                                                                  Length(max=254)])


class CompanySecurityForm(FlaskForm):
    """The company's sign-in rules."""

    require_admin_2fa = BooleanField(_l("Require two-factor sign-in for administrators"))
