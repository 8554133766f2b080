"""A small company of its own for hand-checked billing cases."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import BillingAccount, Company, Contract, Line, LineService, Service, Tariff
from corp.validators import inn_check_digits, luhn_check_digit
from hierarchy.models import Node


@pytest.fixture
def small_company(app):
    """ООО «Тест»: one account, a root and one department, two lines on «Бизнес Старт»
    (350 ₽, 300 min; 2.50 ₽ per minute beyond), activated 1 December 2025."""
    company = Company(name="ООО «Тест»", inn="770101010" + inn_check_digits("770101010"),
                      kpp="770101001", ogrn="1027700000019",
                      legal_address="г. Москва, ул. Тестовая, 1")
    db.session.add(company)
    db.session.flush()
    contract = Contract(company_id=company.id, number="КД-ТЕСТ-1", signed_on=date(2025, 1, 1))
    db.session.add(contract)
    db.session.flush()
    account = BillingAccount(company_id=company.id, contract_id=contract.id,
                             number="700000000001", balance=Decimal("1000.00"))
    db.session.add(account)
    root = Node(company_id=company.id, name=company.name, kind="root", depth=0)
    db.session.add(root)
    db.session.flush()
    root.path = f"/{root.id}/"
    dept = Node(company_id=company.id, parent_id=root.id, name="Отдел", kind="department",
                depth=1, cost_centre="CC-1")
    db.session.add(dept)
    db.session.flush()
    dept.path = f"{root.path}{dept.id}/"
    start = db.session.scalar(select(Tariff).where(Tariff.code == "biz_start"))
    lines = []
    for i, node in enumerate((root, dept)):
        iccid = f"89701999{i:010d}"
        line = Line(company_id=company.id, msisdn=f"98800000{i:02d}",
                    iccid=iccid + luhn_check_digit(iccid), tariff_id=start.id,
                    billing_account_id=account.id, node_id=node.id,
                    activated_on=date(2025, 12, 1), employee_name=f"Сотрудник {i}")
        db.session.add(line)
        lines.append(line)
    db.session.flush()
    gps = db.session.scalar(select(Service).where(Service.code == "gps"))  # 190 ₽ a month
    db.session.add(LineService(line_id=lines[1].id, service_id=gps.id,
                               connected_at=datetime(2025, 12, 1, tzinfo=UTC)))
    db.session.flush()
    return {"company": company, "account": account, "root": root, "dept": dept,
            "lines": lines, "contract": contract}


@pytest.fixture(autouse=True)
def report_settings(app, tmp_path):
    """Report jobs run inline; their files and mail go to this test's folder."""
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    app.config["REPORT_FILES_DIR"] = str(tmp_path / "reports")
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")


def pdf_text(data: bytes) -> tuple[str, int]:
    """The text of a PDF (spaces normalised) and its page count."""
    import io
    import re

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text), len(reader.pages)
