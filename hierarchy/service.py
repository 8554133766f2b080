"""Reading the tree: nodes in the actor's scope, totals per node including descendants, the
lines hanging on a node, and the billing structure beside the tree."""

import time
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from core.errors import NotFound
from core.extensions import db
from corp.lines import current_period, scoped_lines
from corp.models import BillingAccount, Contract, Line, LineMonthlyUsage, Tariff
from hierarchy.models import Node
from roles import access
from roles.permissions import COMPANY_SCOPE, within_scopes

MANAGE = "hierarchy.manage"


def get_node(actor, node_id: int, permission: str = "lines.view") -> Node:
    """A node of the actor's company inside the actor's scope for ``permission``, else 404."""
    node = db.session.scalar(
        select(Node).where(
            Node.id == node_id,
            Node.company_id == actor.company_id,
            access.scope_filter(actor, permission, Node.path),
        )
    )
    if node is None:
        raise NotFound()
    return node


def visible_nodes(actor, permission: str = "lines.view") -> list:
    """Every node the actor may see (in scope, plus their ancestors for context), as light
    rows (id, parent_id, name, kind, cost_centre, path, depth), shallowest first."""
    columns = (Node.id, Node.parent_id, Node.name, Node.kind, Node.cost_centre, Node.path,
               Node.depth)
    in_scope = db.session.execute(
        select(*columns).where(
            Node.company_id == actor.company_id,
            access.scope_filter(actor, permission, Node.path),
        )
    ).all()
    known = {n.id for n in in_scope}
    missing = {int(x) for n in in_scope for x in n.path.strip("/").split("/")[:-1]} - known
    ancestors = (
        db.session.execute(select(*columns).where(Node.id.in_(missing))).all() if missing else []
    )
    return sorted([*ancestors, *in_scope], key=lambda n: (n.depth, n.id))


def line_counts(actor, permission: str = "lines.view") -> dict[int, dict[str, int]]:
    """Lines per node (own lines only), by status, counted in SQL within the actor's scope."""
    query = (
        select(Line.node_id, Line.status, func.count())
        .where(Line.company_id == actor.company_id)
        .group_by(Line.node_id, Line.status)
    )
    if not access.has_company_scope(actor, permission):
        # Only a partial scope needs the node paths; the whole company reads the covering
        # (company_id, node_id, status) index alone.
        query = query.join(Node, Node.id == Line.node_id).where(
            access.scope_filter(actor, permission, Node.path)
        )
    rows = db.session.execute(query).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for node_id, status, count in rows:
        counts[node_id][status] += count
    return counts


# Per-node totals of big companies are kept for a short while per process: the spend of
# 100,000 lines is the one costly aggregate. An entry is used only while the company's latest
# line change (``max(lines.updated_at)``, an index lookup) is the one it was computed at, so
# placements and status changes show at once; this month's spend may lag by the TTL.
TOTALS_CACHE: dict = {}
TOTALS_CACHE_TTL = 30.0
TOTALS_CACHE_MIN_LINES = 5_000


_STAMPED = aliased(Line)  # never correlated with the lines of an enclosing query


def _last_line_change(company_id: int):
    """The company's latest line change: what kept totals are checked against."""
    return select(func.max(_STAMPED.updated_at)).where(_STAMPED.company_id == company_id)


def company_node_totals(company_id: int, period: str) -> dict[int, tuple]:
    """Per node of the company, its own lines: (count, blocked, spend in ``period``),
    aggregated in SQL: one statement, which also reads the latest line change the totals
    are kept under (from the same snapshot, so they never claim a later change)."""
    bind = db.session.get_bind()
    key = (str(getattr(bind, "engine", bind).url), company_id, period)
    cached = TOTALS_CACHE.get(key)
    if (cached and cached[1] > time.monotonic()
            and db.session.scalar(_last_line_change(company_id)) == cached[0]):
        return cached[2]
    # A line has at most one usage row per period: the outer join leaves the counts as they
    # are and adds the spend.
    rows = db.session.execute(
        select(Line.node_id, func.count(),
               func.sum(case((Line.status == "blocked", 1), else_=0)),
               func.sum(LineMonthlyUsage.amount),
               _last_line_change(company_id).scalar_subquery())
        .outerjoin(LineMonthlyUsage, and_(LineMonthlyUsage.line_id == Line.id,
                                          LineMonthlyUsage.period == period))
        .where(Line.company_id == company_id)
        .group_by(Line.node_id)
    ).all()
    totals = {node_id: (n, blocked or 0, Decimal(amount or 0))
              for node_id, n, blocked, amount, _stamp in rows}
    if sum(n for n, _b, _s in totals.values()) >= TOTALS_CACHE_MIN_LINES:
        stamp = rows[0][4] if rows else None
        TOTALS_CACHE[key] = (stamp, time.monotonic() + TOTALS_CACHE_TTL, totals)
    return totals


def own_totals(actor, period: str, permission: str = "lines.view") -> dict[int, tuple]:
    """Per node in the actor's scope, its own lines: (count, blocked, spend in ``period``).

    Scopes are whole subtrees, so a node's own lines are either all in scope or none: the
    company's per-node totals restricted to the nodes in scope are the scoped totals.
    """
    totals = company_node_totals(actor.company_id, period)
    paths = access.scopes(actor, permission)
    if COMPANY_SCOPE in paths:
        return totals
    in_scope = db.session.scalars(select(Node.id).where(
        Node.company_id == actor.company_id, access.scope_filter(actor, permission, Node.path)))
    return {node_id: totals[node_id] for node_id in in_scope if node_id in totals}


def managed_paths(actor) -> list[str]:
    """Scopes on which the actor may change the tree (for marking editable nodes)."""
    return access.scopes(actor, MANAGE)


def tree(actor, permission: str = "lines.view") -> list[dict]:
    """The visible tree as nested dicts with totals (lines, blocked, spend this month) that
    include descendants; ``manageable`` says whether the actor may edit the node,
    ``openable`` whether it is in scope (ancestors shown for context are not)."""

    nodes = visible_nodes(actor, permission)
    own = own_totals(actor, current_period(), permission)
    manage = managed_paths(actor)
    view = access.scopes(actor, permission)
    by_id = {}
    roots = []
    for node in nodes:
        n, blocked, spend = own.get(node.id, (0, 0, Decimal(0)))
        item = {
            "id": node.id,
            "name": node.name,
            "kind": node.kind,
            "cost_centre": node.cost_centre,
            "path": node.path,
            "depth": node.depth,
            "parent_id": node.parent_id,
            "line_count": 0,
            "blocked_count": 0,
            "spend": Decimal(0),
            "own_line_count": n,
            "own_blocked": blocked,
            "own_spend": spend,
            "manageable": within_scopes(node.path, manage),
            "openable": within_scopes(node.path, view),
            "children": [],
        }
        by_id[node.id] = item
        parent = by_id.get(node.parent_id)
        (parent["children"] if parent else roots).append(item)
    # Totals roll up from the deepest nodes: one pass in reverse depth order.
    for node in reversed(nodes):
        item = by_id[node.id]
        item["line_count"] += item["own_line_count"]
        item["blocked_count"] += item["own_blocked"]
        item["spend"] += item["own_spend"]
        parent = by_id.get(node.parent_id)
        if parent:
            parent["line_count"] += item["line_count"]
            parent["blocked_count"] += item["blocked_count"]
            parent["spend"] += item["spend"]
    for item in by_id.values():
        item["children"].sort(key=lambda c: c["name"])
    return roots


def flat_tree(roots: list[dict]) -> list[dict]:
    """The nested tree in display order (for "move to…" selects)."""
    out = []

    def walk(items):
        for item in items:
            out.append(item)
            walk(item["children"])

    walk(roots)
    return out


def _with_spend(query, period):
    return query.add_columns(func.coalesce(LineMonthlyUsage.amount, 0)).outerjoin(
        LineMonthlyUsage,
        and_(LineMonthlyUsage.line_id == Line.id, LineMonthlyUsage.period == period),
    )


def node_lines(actor, node: Node, page: int = 1, per_page: int = 50):
    """One page of the lines placed directly on a node (in the actor's scope), with this
    month's spend, and their total count."""

    page = max(page, 1)
    base = scoped_lines(actor).where(Line.node_id == node.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(
        _with_spend(base, current_period()).order_by(Line.msisdn)
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return [(line, amount) for line, amount in rows], total


def billing_view(actor) -> dict:
    """Contract → billing accounts → number of lines the actor may see.

    A company-wide viewer sees every account with its balance; a scoped user sees only the
    accounts billing lines in their scope, with the count of those lines and no balance.
    """

    company_wide = COMPANY_SCOPE in access.scopes(actor, "lines.view")
    visible = scoped_lines(actor).subquery()
    counts = dict(db.session.execute(
        select(visible.c.billing_account_id, func.count()).group_by(visible.c.billing_account_id)
    ).all())
    accounts = db.session.scalars(
        select(BillingAccount).where(BillingAccount.company_id == actor.company_id)
        .order_by(BillingAccount.number)
    ).all()
    contracts = {c.id: c for c in db.session.scalars(
        select(Contract).where(Contract.company_id == actor.company_id).order_by(Contract.number))}
    out = {cid: {"contract": c, "accounts": []} for cid, c in contracts.items()}
    for account in accounts:
        if not company_wide and not counts.get(account.id):
            continue
        out[account.contract_id]["accounts"].append({
            "account": account, "line_count": counts.get(account.id, 0),
            "show_money": company_wide,
        })
    return {"company_wide": company_wide,
            "contracts": [v for v in out.values() if v["accounts"] or company_wide]}


def account_lines(actor, account_id: int, page: int = 1, per_page: int = 50):
    """One page of a billing account's lines within the actor's scope (404 if none visible
    and the actor is not company-wide)."""

    account = db.session.scalar(select(BillingAccount).where(
        BillingAccount.id == account_id, BillingAccount.company_id == actor.company_id))
    if account is None:
        raise NotFound()
    base = scoped_lines(actor).where(Line.billing_account_id == account.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    if not total and COMPANY_SCOPE not in access.scopes(actor, "lines.view"):
        raise NotFound()
    page = max(page, 1)
    rows = db.session.execute(
        _with_spend(base.join(Tariff, Tariff.id == Line.tariff_id), current_period())
        .order_by(Line.msisdn).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return account, [(line, amount) for line, amount in rows], total
