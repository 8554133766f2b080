"""The lines API page is answered from one column query; it must say exactly what the
documented schema says for the same lines (filters, search, sort, scope, past the end)."""

import json

import pytest
from sqlalchemy import select

from auth.models import User
from core.extensions import db
from corp import service
from corp.schemas import LinePage
from tests.factories import node_named

CASES = [
    {},
    {"sort": "tariff", "descending": True},
    {"sort": "employee"},
    {"sort": "node", "status": "blocked"},
    {"q": "ов"},
    {"q": "+7 916"},
    {"tariff_code": "biz_max"},
]


def _filter(**overrides):
    values = {"q": "", "node_id": None, "status": None, "tariff_code": None,
              "billing_account_id": None, "sort": "msisdn", "descending": False}
    values.update(overrides)
    return service.LineFilter(**values)


def _user(email):
    return db.session.scalar(select(User).where(User.email == email))


def _both(actor, flt, page, per_page):
    items, total = service.list_lines(actor, flt, page=page, per_page=per_page)
    expected = LinePage().dump({"items": items, "total": total, "page": page,
                                "per_page": per_page})
    rows, fast_total = service.list_line_rows(actor, flt, page=page, per_page=per_page)
    got = {"items": rows, "total": fast_total, "page": page, "per_page": per_page}
    return json.loads(json.dumps(expected)), json.loads(json.dumps(got))


@pytest.mark.parametrize("case", CASES)
def test_the_fast_page_equals_the_schema_dump(app, case):
    expected, got = _both(_user("admin@romashka.example"), _filter(**case), 2, 25)
    assert got == expected
    assert expected["total"] > 0 or case.get("q") == "+7 916"


def test_scoped_user_subtree_and_a_page_past_the_end(app):
    head = _user("sales.head@romashka.example")
    expected, got = _both(head, _filter(), 1, 50)
    assert got == expected and 0 < got["total"] < 1200
    expected, got = _both(head, _filter(), 999, 50)
    assert got == expected and got["items"] == [] and got["total"] > 0
    admin = _user("admin@romashka.example")
    kazan = node_named(1, "Казань")
    expected, got = _both(admin, _filter(node_id=kazan.id), 1, 40)
    assert got == expected and got["total"] > 0


def test_the_api_answers_the_fast_page(client, api_token):
    answer = client.get("/api/v1/lines?per_page=5&sort=msisdn",
                        headers=api_token("admin@romashka.example"))
    assert answer.status_code == 200
    body = answer.json
    assert len(body["items"]) == 5 and body["total"] >= 1200 and body["per_page"] == 5
    first = body["items"][0]
    assert set(first) == set(LinePage().fields["items"].inner.schema.fields)
