"""The foundation end to end: sign in, dashboard, tree, lines, card, API."""

from sqlalchemy import func, select

from core.extensions import db
from corp.models import Company, Line


def test_demo_has_the_promised_shape(app):
    counts = dict(
        db.session.execute(
            select(Company.name, func.count(Line.id)).join(Line).group_by(Company.name)
        ).all()
    )
    assert counts == {"ООО «Ромашка»": 1200, "АО «Вектор»": 300}


def test_admin_sees_dashboard_tree_lines_and_card(login_as):
    client = login_as("admin@romashka.example")
    assert "1200" in client.get("/dashboard").get_data(as_text=True)
    tree = client.get("/hierarchy").get_data(as_text=True)
    assert "Санкт-Петербург" in tree and "Руководство" in tree
    lines = client.get("/lines").get_data(as_text=True)
    assert "+7 916" in lines
    assert client.get("/lines/1").status_code == 200
