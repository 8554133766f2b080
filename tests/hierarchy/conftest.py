"""Fixtures of the hierarchy tests: demo nodes by name, scoped managers and viewers."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from corp.models import Line
from hierarchy.models import Node
from tests.factories import make_user, node_named

ROMASHKA = 1


@pytest.fixture(autouse=True)
def english_messages(app):
    """These tests read refusal messages: show them in English (the msgids), whatever the
    Russian catalogue says."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def nodes(app):
    """Demo nodes of Ромашка by short name."""
    return {
        "root": node_named(ROMASHKA),
        "moscow": node_named(ROMASHKA, "Москва"),
        "msk_sales": node_named(ROMASHKA, "Москва", "Продажи"),
        "msk_it": node_named(ROMASHKA, "Москва", "ИТ"),
        "msk_board": node_named(ROMASHKA, "Москва", "Руководство"),
        "spb": node_named(ROMASHKA, "Санкт-Петербург"),
        "kazan": node_named(ROMASHKA, "Казань"),
        "kzn_it": node_named(ROMASHKA, "Казань", "ИТ"),
    }


@pytest.fixture
def moscow_manager(nodes):
    """An administrator (hierarchy.manage included) on the Москва subtree only."""
    return make_user(ROMASHKA, role="administrator", node=nodes["moscow"])


def lines_under(node) -> int:
    """Lines placed on the node or any descendant."""
    db.session.expire_all()
    path = db.session.scalar(select(Node.path).where(Node.id == node.id))
    return db.session.scalar(
        select(func.count()).select_from(Line).join(Node, Node.id == Line.node_id)
        .where(Node.path.startswith(path))
    )


def line_ids_on(node, limit=None) -> list[int]:
    query = select(Line.id).where(Line.node_id == node.id).order_by(Line.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))
