"""WTForms of the operator staff's pages (CSRF on every form)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Length


class CompanyForm(FlaskForm):
    """A new company with its contract and first global administrator."""

    name = StringField(_l("Company name"), validators=[Length(max=200)])
    inn = StringField(_l("INN"), validators=[Length(max=20)])
    kpp = StringField(_l("KPP"), validators=[Length(max=20)])
    ogrn = StringField(_l("OGRN / OGRNIP"), validators=[Length(max=20)])
    legal_address = StringField(_l("Legal address"), validators=[Length(max=300)])
    contract_number = StringField(_l("Contract number"), validators=[Length(max=40)])
    admin_email = EmailField(_l("Administrator's e-mail"), validators=[Length(max=254)])
    admin_name = StringField(_l("Administrator's name"), validators=[Length(max=200)])
