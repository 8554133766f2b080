"""Builders of test data beside the demo: users with roles, nodes, lines."""

import itertools
from datetime import date

from sqlalchemy import select

from auth.models import User
from auth.passwords import hash_password
from core.extensions import db
from corp.models import BillingAccount, Line, Tariff
from corp.validators import luhn_check_digit
from hierarchy.models import Node

PASSWORD = "Demo-pass-2026"
_seq = itertools.count(1)
_HASH = None


def _password_hash():
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_user(company_id, *, role=None, node=None, email=None, **fields) -> User:
    """A company user, optionally holding a predefined role on a node (or company-wide)."""
    from roles.service import assign_predefined

    n = next(_seq)
    user = User(
        email=email or f"user{n}@test.example",
        name=fields.pop("name", f"Test User {n}"),
        password_hash=_password_hash(),
        company_id=company_id,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    if role:
        assign_predefined(user, role, node=node)
    return user


def node_named(company_id, *names) -> Node:
    """The node reached from the root by the given names, e.g. ("Москва", "Продажи")."""
    node = db.session.scalar(
        select(Node).where(Node.company_id == company_id, Node.parent_id.is_(None))
    )
    for name in names:
        node = db.session.scalar(select(Node).where(Node.parent_id == node.id, Node.name == name))
    return node


def make_line(company_id, node, **fields) -> Line:
    """A line of the company on the node, with a unique valid MSISDN and ICCID."""
    n = next(_seq)
    account = fields.pop("billing_account", None) or db.session.scalar(
        select(BillingAccount).where(BillingAccount.company_id == company_id)
    )
    tariff = fields.pop("tariff", None) or db.session.scalar(select(Tariff))
    iccid18 = f"8970199{n:011d}"
    line = Line(
        company_id=company_id,
        msisdn=fields.pop("msisdn", f"99{n:08d}"),
        iccid=iccid18 + luhn_check_digit(iccid18),
        tariff_id=tariff.id,
        billing_account_id=account.id,
        node_id=node.id,
        activated_on=date(2024, 1, 1),
        **fields,
    )
    db.session.add(line)
    db.session.flush()
    return line
