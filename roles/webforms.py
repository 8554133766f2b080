"""WTForms of the administration pages (CSRF on every form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from roles.permissions import PERMISSIONS


class ActionForm(FlaskForm):
    """A button that changes something (disable, delete...): only the CSRF token."""


class UserForm(FlaskForm):
    """An employee's e-mail and name."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class RoleForm(FlaskForm):
    """A custom role: its name and ticked permission categories."""

    name = StringField(_l("Role name"), validators=[DataRequired(), Length(max=120)])
    permissions = SelectMultipleField(
        _l("Permission categories"),
        choices=[SelectChoice(name, label) for name, label in PERMISSIONS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class AssignmentForm(FlaskForm):
    """A role and a scope ("" = the whole company) for a user."""

    role_id = SelectField(_l("Role"), coerce=int, validators=[DataRequired()])
    node_id = SelectField(_l("Scope"), validators=[Optional()], validate_choice=False)
