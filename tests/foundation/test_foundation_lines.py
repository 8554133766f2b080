"""The lines list, line card, tree and dashboard, pages and API, with tenant isolation."""

import pytest
from sqlalchemy import select

from core.extensions import db
from corp.models import Line

ADMIN = "admin@romashka.example"
VECTOR = "admin@vector.example"


def vector_line_id():
    return db.session.scalar(select(Line.id).where(Line.company_id == 2).limit(1))


def test_api_lines_list_shape_and_paging(client, api_token):
    response = client.get("/api/v1/lines?per_page=10&page=2", headers=api_token(ADMIN))
    body = response.json
    assert response.status_code == 200
    assert body["total"] == 1200 and body["page"] == 2 and body["per_page"] == 10
    item = body["items"][0]
    assert {"id", "msisdn", "iccid", "status", "tariff", "node", "billing_account",
            "employee"} <= set(item)
    assert set(item["tariff"]) >= {"code", "name"}
    number = item["billing_account"]["number"]
    assert number.isdigit() and len(number) == 12


def test_search_by_number_in_any_notation(client, api_token):
    headers = api_token(ADMIN)
    for q in ["+7 (916) 100-00-07", "8 916 100 00 07", "9161000007"]:
        body = client.get("/api/v1/lines", query_string={"q": q}, headers=headers).json
        assert [i["msisdn"] for i in body["items"]] == ["9161000007"], q


def test_search_by_employee_name_is_case_insensitive_in_cyrillic(client, api_token):
    headers = api_token(ADMIN)
    name = db.session.scalar(select(Line.employee_name).where(Line.company_id == 1).limit(1))
    upper = client.get("/api/v1/lines", query_string={"q": name.upper()}, headers=headers).json
    lower = client.get("/api/v1/lines", query_string={"q": name.lower()}, headers=headers).json
    assert upper["total"] == lower["total"] >= 1


def test_filter_by_subtree_status_and_sort(client, api_token):
    headers = api_token(ADMIN)
    tree = client.get("/api/v1/hierarchy", headers=headers).json
    moscow = next(n for n in tree[0]["children"] if n["name"] == "Москва")
    body = client.get("/api/v1/lines", query_string={"node_id": moscow["id"], "per_page": 500},
                      headers=headers).json
    assert body["total"] == moscow["line_count"]
    assert all(i["node"]["path"].startswith(f"/{tree[0]['id']}/{moscow['id']}/")
               for i in body["items"])
    blocked = client.get("/api/v1/lines", query_string={"status": "blocked"}, headers=headers).json
    assert blocked["total"] > 0 and all(i["status"] == "blocked" for i in blocked["items"])
    desc = client.get("/api/v1/lines", query_string={"sort": "msisdn", "dir": "desc"},
                      headers=headers).json["items"]
    assert [i["msisdn"] for i in desc] == sorted((i["msisdn"] for i in desc), reverse=True)


@pytest.mark.parametrize("query, field", [
    ({"status": "bogus"}, "status"),
    ({"page": 0}, "page"),
    ({"per_page": 100000}, "page"),
    ({"sort": "password_hash"}, "sort"),
    ({"q": "x" * 300}, "q"),
])
def test_bad_list_parameters_are_a_clear_422(client, api_token, query, field):
    response = client.get("/api/v1/lines", query_string=query, headers=api_token(ADMIN))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_bad_list_parameters_on_the_page_are_not_a_500(login_as):
    client = login_as(ADMIN)
    assert client.get("/lines?status=bogus").status_code == 422
    assert client.get("/lines?node_id=abc").status_code == 200


def test_tree_counts_include_descendants(client, api_token):
    tree = client.get("/api/v1/hierarchy", headers=api_token(ADMIN)).json
    root = tree[0]
    assert root["line_count"] == 1200
    assert sum(c["line_count"] for c in root["children"]) == 1200
    for branch in root["children"]:
        assert branch["line_count"] == sum(d["line_count"] for d in branch["children"])


def test_other_companys_line_is_404_on_page_and_api(login_as, client, api_token):
    line_id = vector_line_id()
    assert client.get(f"/api/v1/lines/{line_id}", headers=api_token(ADMIN)).status_code == 404
    login_as(ADMIN)
    assert client.get(f"/lines/{line_id}").status_code == 404


def test_other_companys_node_is_404_as_a_filter(client, api_token):
    vector_tree = client.get("/api/v1/hierarchy", headers=api_token(VECTOR)).json
    response = client.get("/api/v1/lines", query_string={"node_id": vector_tree[0]["id"]},
                          headers=api_token(ADMIN))
    assert response.status_code == 404


def test_companies_never_see_each_others_lines_in_lists_and_counts(client, api_token):
    romashka = client.get("/api/v1/lines?per_page=500", headers=api_token(ADMIN)).json
    vector = client.get("/api/v1/lines?per_page=500", headers=api_token(VECTOR)).json
    assert romashka["total"] == 1200 and vector["total"] == 300
    assert all(i["msisdn"].startswith("9161") for i in romashka["items"])
    assert all(i["msisdn"].startswith("9262") for i in vector["items"])
    search = client.get("/api/v1/lines", query_string={"q": "9262000001"},
                        headers=api_token(ADMIN)).json
    assert search["total"] == 0


def test_scoped_user_sees_only_their_department(client, api_token):
    body = client.get("/api/v1/lines?per_page=500",
                      headers=api_token("sales.head@romashka.example")).json
    assert 0 < body["total"] < 1200
    assert {i["node"]["name"] for i in body["items"]} == {"Продажи"}
    other = db.session.scalar(select(Line).where(Line.company_id == 1).where(
        Line.node.has(name="ИТ")).limit(1))
    response = client.get(f"/api/v1/lines/{other.id}",
                          headers=api_token("sales.head@romashka.example"))
    assert response.status_code == 404


def test_line_card_shows_what_a_consumer_cabinet_shows(login_as):
    client = login_as(ADMIN)
    line = db.session.scalar(select(Line).where(Line.msisdn == "9161000007"))
    page = client.get(f"/lines/{line.id}").get_data(as_text=True)
    assert "+7 916 100-00-07" in page
    assert line.tariff.name in page
    assert line.billing_account.number in page
    assert line.employee_name in page
    assert 'data-testid="remaining-minutes"' in page


def test_dashboard_counts(login_as):
    page = login_as(ADMIN).get("/dashboard").get_data(as_text=True)
    assert "Москва" in page and "Казань" in page


def test_operator_staff_see_no_company_lines(login_as, client):
    login_as("staff@operator.example")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/lines").status_code == 403
    assert client.get("/lines/1").status_code == 403


def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    assert "/api/v1/lines" in paths and "/api/v1/hierarchy" in paths


def test_language_switch_to_english_and_back(client, login_as):
    login_as(ADMIN)
    client.post("/language", data={"locale": "en", "next": "/lines"})
    assert 'lang="en"' in client.get("/lines").get_data(as_text=True)
    client.post("/language", data={"locale": "ru", "next": "/lines"})
    assert 'lang="ru"' in client.get("/lines").get_data(as_text=True)


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_line_card_links_administrators_to_who_may_act_on_the_line(login_as, client):
    line = db.session.scalar(select(Line).where(Line.msisdn == "9161000007"))
    login_as(ADMIN)
    page = client.get(f"/lines/{line.id}").get_data(as_text=True)
    assert f"/admin/access/lines/{line.id}" in page
    assert client.get(f"/admin/access/lines/{line.id}").status_code == 200
    client.post("/logout")
    login_as("accountant@romashka.example")
    assert "/admin/access/lines/" not in client.get(f"/lines/{line.id}").get_data(as_text=True)
