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
    postal_address = StringField(_l("Postal address"), validators=[Length(max=300)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=200)])
    bik = StringField(_l("BIK"), validators=[Length(max=20)])
    bank_account = StringField(_l("Settlement account"), validators=[Length(max=30)])
    correspondent_account = StringField(_l("Correspondent account"),
                                        validators=[Length(max=30)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=30)])
    signatory_name = StringField(_l("Signatory (full name)"), validators=[Length(max=200)])
    signatory_position = StringField(_l("Signatory's position"),
                                     validators=[Length(max=200)])
    authority_basis = StringField(_l("Acting on the basis of"), validators=[Length(max=200)])
    contract_number = StringField(_l("Contract number"), validators=[Length(max=40)])
    admin_email = EmailField(_l("Administrator's e-mail"), validators=[Length(max=254)])
    admin_name = StringField(_l("Administrator's name"), validators=[Length(max=200)])
