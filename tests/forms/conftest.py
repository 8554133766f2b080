"""Helpers of the forms and requests tests: valid values for every field of a form."""

import io
from datetime import date

import pypdf
import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import Line
from corp.validators import inn_check_digits, luhn_check_digit, ogrnip_check_digit
from forms import service
from forms.catalogue import FORMS, all_fields

SOLE_INN = "5001122334" + inn_check_digits("5001122334")
OGRNIP = "30450011223344"
OGRNIP = OGRNIP + ogrnip_check_digit(OGRNIP)
NEW_ICCID = "897010261234567890"
NEW_ICCID = NEW_ICCID + luhn_check_digit(NEW_ICCID)

# Dates are today's: a termination or porting dated later waits for its day when approved.
SAMPLES = {
    "text": "Пример", "textarea": "Подробности\nвторая строка", "date": date.today().isoformat(),
    "inn": "7707083893", "inn12": SOLE_INN, "kpp": "770701001", "ogrn": "1027700132195",
    "ogrnip": OGRNIP, "email": "someone@example.org", "phone": "+7 495 123-45-67",
    "msisdn": "+7 916 000-00-01", "iccid": NEW_ICCID, "money": "1500.50", "integer": "10",
    "checkbox": "1",
}


def valid_fields(actor, code: str) -> dict:
    """The prefilled values, completed with valid ones where the portal knows nothing."""
    spec = FORMS[code]
    facts = service.portal_facts(actor)
    values = service.prefill(spec, facts)
    for field in all_fields(spec):
        if values.get(field.name):
            continue
        if field.type in ("choice", "billing_account"):
            values[field.name] = service.choices_for(field, facts)[0][0]
        elif field.type in ("bik", "bank_account", "corr_account"):
            continue
        else:
            values[field.name] = SAMPLES[field.type]
    return values


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def romashka_lines(app):
    """A few lines of ООО «Ромашка» (company 1): (id, msisdn)."""
    return db.session.execute(select(Line.id, Line.msisdn).where(Line.company_id == 1)
                              .order_by(Line.id).limit(3)).all()


@pytest.fixture(autouse=True)
def attachments_in_tmp(app, tmp_path):
    """Attachments go to a temporary folder, never the repository's instance folder."""
    app.config["REQUEST_ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    app.config["OPERATOR_GATEWAY_DELAY"] = 0
    return tmp_path / "attachments"
