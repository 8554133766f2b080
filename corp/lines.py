"""The scoped line query and the billing period: what the lines list, the line card, the tree
and bulk jobs all build on (below ``corp.service`` and ``hierarchy.service``)."""

from datetime import date

from sqlalchemy import select

from corp.models import Line
from hierarchy.models import Node
from roles import access


def scoped_lines(actor, permission: str = "lines.view", *, node_join: bool = True):
    """A SELECT of the actor's company's lines within the actor's scope for ``permission``.

    ``node_join=False``: the caller reads no node column, so an actor holding ``permission``
    on the whole company gets no join to the nodes (every line has one: the rows are the
    same); a narrower scope still joins them to filter by path.
    """
    query = select(Line).where(Line.company_id == actor.company_id)
    if not node_join and access.has_company_scope(actor, permission):
        return query
    return query.join(Node, Node.id == Line.node_id).where(
        access.scope_filter(actor, permission, Node.path))


def current_period(today: date | None = None) -> str:
    """The billing period of a date as "YYYY-MM"."""
    today = today or date.today()
    return f"{today.year:04d}-{today.month:02d}"
