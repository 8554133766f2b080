"""Reading the tree: nodes in the actor's scope, totals per node including descendants."""

from collections import defaultdict

from sqlalchemy import func, select

from core.errors import NotFound
from core.extensions import db
from corp.models import Line
from hierarchy.models import Node
from roles import access


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


def tree(actor, permission: str = "lines.view") -> list[dict]:
    """The visible tree as nested dicts with line totals that include descendants."""
    nodes = visible_nodes(actor, permission)
    own = line_counts(actor, permission)
    by_id = {}
    roots = []
    for node in nodes:
        item = {
            "id": node.id,
            "name": node.name,
            "kind": node.kind,
            "cost_centre": node.cost_centre,
            "path": node.path,
            "depth": node.depth,
            "line_count": 0,
            "blocked_count": 0,
            "own_line_count": sum(own.get(node.id, {}).values()),
            "children": [],
        }
        by_id[node.id] = item
        parent = by_id.get(node.parent_id)
        (parent["children"] if parent else roots).append(item)
    # Totals roll up from the deepest nodes: one pass in reverse depth order.
    for node in reversed(nodes):
        item = by_id[node.id]
        item["line_count"] += item["own_line_count"]
        item["blocked_count"] += own.get(node.id, {}).get("blocked", 0)
        parent = by_id.get(node.parent_id)
        if parent:
            parent["line_count"] += item["line_count"]
            parent["blocked_count"] += item["blocked_count"]
    for item in by_id.values():
        item["children"].sort(key=lambda c: c["name"])
    return roots
