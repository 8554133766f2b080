"""Fixtures of the operations tests: background work runs inline, lines in known places."""

import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import BillingAccount, Line, Tariff
from tests.factories import make_line, node_named


@pytest.fixture(autouse=True)
def english_messages(app):
    """These tests read refusal messages: show them in English (the msgids), whatever the
    Russian catalogue says."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture(autouse=True)
def eager_operations(app):
    """Jobs and delayed operations run inline in the test's transaction."""
    app.config["OPERATIONS_EXECUTOR"] = "eager"
    app.config["OPERATOR_GATEWAY_DELAY"] = 0


@pytest.fixture
def sales():
    return node_named(1, "Москва", "Продажи")


@pytest.fixture
def kazan_it():
    return node_named(1, "Казань", "ИТ")


def tariff(code):
    return db.session.scalar(select(Tariff).where(Tariff.code == code))


def advance_account(company_id=1):
    return db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == company_id, BillingAccount.settlement_method == "advance")
        .order_by(BillingAccount.id))


def credit_account(company_id=1):
    return db.session.scalar(select(BillingAccount).where(
        BillingAccount.company_id == company_id, BillingAccount.settlement_method == "credit")
        .order_by(BillingAccount.id))


@pytest.fixture
def line_in_sales(sales):
    """A fresh active line in Москва / Продажи (the sales head's scope)."""
    return make_line(1, sales, tariff=tariff("biz_max"), billing_account=advance_account())


@pytest.fixture
def line_elsewhere(kazan_it):
    """A fresh active line of Ромашка outside the sales head's scope."""
    return make_line(1, kazan_it, tariff=tariff("biz_max"), billing_account=advance_account())


@pytest.fixture
def vector_line():
    """A line of the other company."""
    return db.session.scalar(select(Line).where(Line.company_id == 2, Line.status == "active")
                             .order_by(Line.id))


@pytest.fixture
def admin_api(client, api_token):
    return Api(client, api_token("admin@romashka.example"))


@pytest.fixture
def sales_api(client, api_token):
    return Api(client, api_token("sales.head@romashka.example"))


@pytest.fixture
def accountant_api(client, api_token):
    return Api(client, api_token("accountant@romashka.example"))


@pytest.fixture
def vector_api(client, api_token):
    return Api(client, api_token("admin@vector.example"))


@pytest.fixture
def staff_api(client, api_token):
    return Api(client, api_token("staff@operator.example"))


class Api:
    """A small client of the operations API with one user's bearer token."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def op(self, line, type_name, params=None, key=None, version=None, status=None):
        # The app's error handler rolls the session back: keep the test's own data.
        db.session.commit()
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        body = {"type": type_name, "params": params or {}}
        if version is not None:
            body["version"] = version
        line_id = line if isinstance(line, int) else line.id
        response = self.client.post(f"/api/v1/lines/{line_id}/operations", json=body,
                                    headers=headers)
        if status is not None:
            assert response.status_code == status, response.get_json()
        return response

    def account_op(self, account, type_name, params=None, status=None):
        db.session.commit()
        account_id = account if isinstance(account, int) else account.id
        response = self.client.post(f"/api/v1/billing-accounts/{account_id}/operations",
                                    json={"type": type_name, "params": params or {}},
                                    headers=self.headers)
        if status is not None:
            assert response.status_code == status, response.get_json()
        return response

    def get(self, url, status=200):
        db.session.commit()
        response = self.client.get(url, headers=self.headers)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def post(self, url, json=None, status=None):
        db.session.commit()
        response = self.client.post(url, json=json or {}, headers=self.headers)
        if status is not None:
            assert response.status_code == status, response.get_json()
        return response


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
