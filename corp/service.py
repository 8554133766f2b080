"""Reading lines and accounts within the actor's company and scope (lists, card, dashboard)."""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput, NotFound
from core.extensions import db
from corp.lines import current_period, scoped_lines
from corp.models import (
    HOLDER_FIELDS,
    LINE_STATUSES,
    BillingAccount,
    Company,
    HolderChange,
    Line,
    LineEvent,
    LineMonthlyUsage,
    Payment,
    Tariff,
)
from corp.validators import format_msisdn
from hierarchy.models import Node
from hierarchy.service import get_node, tree
from roles import access

SORTS = {
    "msisdn": Line.msisdn,
    "employee": Line.employee_name,
    "status": Line.status,
    "tariff": Tariff.name,
    "node": Node.name,
}


@dataclass
class LineFilter:
    """What the lines list is asked for; every field optional."""

    q: str = ""
    node_id: int | None = None
    status: str | None = None
    tariff_code: str | None = None
    billing_account_id: int | None = None
    sort: str = "msisdn"
    descending: bool = False


def _digits_of(q: str) -> str:
    digits = re.sub(r"\D", "", q)
    # "+7 916..." and "8 916..." are typed; stored numbers have 10 national digits.
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return digits


def line_filter(args) -> LineFilter:
    """The lines list's filter from page arguments, the API's query or a job's stored
    selection: one reading for every caller (``tariff`` is the tariff's code)."""

    def number(key):
        try:
            return int(args.get(key))
        except (TypeError, ValueError):
            return None  # absent or not a number: no such filter, as for an empty field

    return LineFilter(
        q=(args.get("q") or "")[:200],
        node_id=number("node_id"),
        status=args.get("status") or None,
        tariff_code=args.get("tariff") or None,
        billing_account_id=number("billing_account_id"),
        sort=args.get("sort") or "msisdn",
        descending=args.get("dir") == "desc",
    )


def filtered_lines(actor, flt: LineFilter, permission: str = "lines.view", *,
                   lean: bool = False):
    """The scoped SELECT with the list's search and filters applied (no order, no paging).

    ``lean``: only the joins this filter and sort need (to count the matching lines and find
    a page's ids): no node join for a user holding ``permission`` on the whole company, no
    tariff join unless a tariff is filtered or sorted on. Every line has a node and a tariff
    (NOT NULL foreign keys), so the rows are the same; the database does half the work.
    """
    query = scoped_lines(actor, permission, node_join=not lean or flt.sort == "node")
    if not lean or flt.tariff_code or flt.sort == "tariff":
        query = query.join(Tariff, Tariff.id == Line.tariff_id)
    if flt.node_id is not None:
        node = get_node(actor, flt.node_id, permission)
        # The subtree's node ids, resolved first (a few, at most some thousands): the
        # database then reads the subtree's lines through the lines.node_id index.
        subtree = db.session.scalars(
            select(Node.id).where(
                Node.company_id == actor.company_id,
                Node.path.startswith(node.path, autoescape=True),
            )
        ).all()
        # "+ 0" keeps the planner off the (company_id, msisdn) index, which would walk the
        # whole company in number order; the subtree condition is the selective one and the
        # node ids already belong to the actor's company.
        query = query.where(Line.node_id.in_(subtree)).where(
            (Line.company_id + 0) == actor.company_id
        )
    if flt.status:
        if flt.status not in LINE_STATUSES:
            raise InvalidInput({"status": f"Unknown status {flt.status!r}."})
        query = query.where(Line.status == flt.status)
    if flt.tariff_code:
        query = query.where(Tariff.code == flt.tariff_code)
    if flt.billing_account_id:
        query = query.where(Line.billing_account_id == flt.billing_account_id)
    q = (flt.q or "").strip()
    if q:
        if len(q) > 100:
            raise InvalidInput({"q": "The search text is too long (100 characters at most)."})
        digits = _digits_of(q)
        conditions = [Line.search_text.contains(q.lower(), autoescape=True)]
        if digits and len(digits) >= 2 and re.fullmatch(r"[\d\s()+\-]+", q):
            conditions = [Line.msisdn.contains(digits, autoescape=True),
                          Line.iccid.contains(digits, autoescape=True)]
        query = query.where(or_(*conditions))
    return query


def list_lines(actor, flt: LineFilter, page: int = 1, per_page: int = 50):
    """One page of lines and the total count, ordered as asked."""
    if page < 1 or per_page < 1 or per_page > 500:
        raise InvalidInput({"page": "page ≥ 1 and 1 ≤ per_page ≤ 500."})
    if flt.sort not in SORTS:
        raise InvalidInput({"sort": f"Sort by one of: {', '.join(SORTS)}."})
    base = filtered_lines(actor, flt)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    column = SORTS[flt.sort]
    order = [column.desc() if flt.descending else column.asc(), Line.id]
    items = db.session.scalars(
        base.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return items, total


def list_line_rows(actor, flt: LineFilter, page: int = 1, per_page: int = 50):
    """One page of lines as plain values (the API's hot path) and the total count.

    The same scoped, filtered and ordered query as ``list_lines``, but reading only the
    columns the API shows, in one round trip and with no ORM objects (the list of objects
    cost two queries and most of the request's CPU). A deferred join: the page's ids are
    found first from the narrow filtered query, and only those 50 rows are joined to their
    tariff, node and account and read whole; the total is a scalar subquery over the same
    filtered query, which the database runs once. A window count over the joined rows
    made the database join and read every line of the company on every page (≈ 3 ms of
    database time at 1,200 lines, against ≈ 1.5 ms this way).
    ``tests/production/test_lines_api_fast_path.py`` checks both agree.
    """
    if page < 1 or per_page < 1 or per_page > 500:
        raise InvalidInput({"page": "page ≥ 1 and 1 ≤ per_page ≤ 500."})
    if flt.sort not in SORTS:
        raise InvalidInput({"sort": f"Sort by one of: {', '.join(SORTS)}."})
    base = filtered_lines(actor, flt, lean=True)
    column = SORTS[flt.sort]
    order = [column.desc() if flt.descending else column.asc(), Line.id]
    page_ids = (
        base.with_only_columns(Line.id, maintain_column_froms=True)
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)
        .subquery("page_ids")
    )
    total = select(func.count()).select_from(
        base.with_only_columns(Line.id, maintain_column_froms=True).subquery("counted")
    ).scalar_subquery()
    query = (
        select(
            Line.id, Line.msisdn, Line.iccid, Line.status, Line.block_kind, Line.blocked_until,
            Line.tariff_options, Line.employee_name, Line.employee_position,
            Line.employee_email, Line.personnel_number, Line.activated_on, Line.version,
            Tariff.code, Tariff.name, Node.id, Node.name, Node.path, BillingAccount.id,
            BillingAccount.number, total,
        )
        .select_from(page_ids)
        .join(Line, Line.id == page_ids.c.id)
        .join(Node, Node.id == Line.node_id)
        .join(Tariff, Tariff.id == Line.tariff_id)
        .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
        .order_by(*order)
    )
    # Plain columns: executed on the session's connection as a Core statement, which skips
    # the ORM's per-row loading machinery (a quarter of this call's CPU) for the same rows.
    rows = db.session.connection().execute(query).all()
    if rows:
        total = rows[0][-1]
    else:  # a page past the end: no row to carry the count
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    return [_line_values(row) for row in rows], total


def _line_values(row) -> dict:
    (line_id, msisdn, iccid, status, block_kind, blocked_until, tariff_options, name,
     position, email, personnel_number, activated_on, version, tariff_code, tariff_name,
     node_id, node_name, node_path, account_id, account_number, _total) = row
    return {
        "id": line_id, "msisdn": msisdn, "msisdn_display": format_msisdn(msisdn),
        "iccid": iccid, "status": status, "block_kind": block_kind,
        "blocked_until": blocked_until.isoformat() if blocked_until else None,
        "tariff": {"code": tariff_code, "name": tariff_name},
        "tariff_options": tariff_options,
        "node": {"id": node_id, "name": node_name, "path": node_path},
        "billing_account": {"id": account_id, "number": account_number},
        "employee": {"name": name, "position": position, "email": email,
                     "personnel_number": personnel_number},
        "activated_on": activated_on.isoformat() if activated_on else None,
        "version": version,
    }


def node_labels(nodes) -> dict[int, str]:
    """Readable names of nodes with their ancestors below the root ("Москва / Продажи"),
    for a page of lines: one query for every ancestor involved."""
    ids = {int(x) for n in nodes for x in n.path.strip("/").split("/") if x}
    names = dict(db.session.execute(
        select(Node.id, Node.name).where(Node.id.in_(ids), Node.parent_id.isnot(None))
    ).all()) if ids else {}
    return {
        n.id: " / ".join(names[int(x)] for x in n.path.strip("/").split("/") if int(x) in names)
        or n.name
        for n in nodes
    }


def get_line(actor, line_id: int, permission: str = "lines.view") -> Line:
    """A line of the actor's company in the actor's view scope (else 404), then the permission
    on that line (else 403, audited)."""
    line = db.session.scalar(scoped_lines(actor, "lines.view").where(Line.id == line_id))
    if line is None:
        raise NotFound()
    if permission != "lines.view":
        access.check_object(
            actor, permission, line.node.path, action="access.denied", line_id=line.id,
            object_type="line", object_id=str(line.id),
        )
    return line


def line_card(actor, line: Line) -> dict:
    """Everything the (read-only) line card shows, as plain values."""
    period = current_period()
    usage = db.session.get(LineMonthlyUsage, (line.id, period))
    tariff = line.tariff
    services = line.services  # loaded once for the card's operations as well
    # Read-only rows of the columns shown (no ORM objects to build for them).
    payments = db.session.execute(
        select(Payment.paid_at, Payment.amount)
        .where(Payment.billing_account_id == line.billing_account_id)
        .order_by(Payment.paid_at.desc())
        .limit(10)
    ).all()
    events = db.session.execute(
        select(LineEvent.created_at, LineEvent.summary)
        .where(LineEvent.line_id == line.id).order_by(LineEvent.created_at.desc())
        .limit(20)
    ).all()
    used = {
        "minutes": usage.minutes if usage else 0,
        "sms": usage.sms if usage else 0,
        "mb": usage.mb if usage else 0,
        "amount": usage.amount if usage else 0,
    }
    crumbs = node_breadcrumbs(line.node)
    return {
        "line": line,
        "period": period,
        "usage": used,
        "remaining": {
            "minutes": max(tariff.included_minutes - used["minutes"], 0),
            "sms": max(tariff.included_sms - used["sms"], 0),
            "mb": max(tariff.included_mb - used["mb"], 0),
        },
        "services": [s.service for s in services],
        "payments": payments,
        "events": events,
        "permissions": access.permissions_at(actor, line.node.path),
        "breadcrumbs": crumbs,
        # Ancestors above the actor's scope are named for context, never linked (a 404).
        "openable": {n.id for n in crumbs if access.can(actor, "lines.view", n.path)},
    }


def node_breadcrumbs(node: Node) -> list[Node]:
    """The node's ancestors from the root, and the node itself."""
    ids = [int(x) for x in node.path.strip("/").split("/") if x]
    nodes = {n.id: n for n in db.session.scalars(select(Node).where(Node.id.in_(ids)))}
    return [nodes[i] for i in ids if i in nodes]


def dashboard(actor) -> dict:
    """Lines by status, by tariff and by branch, counted in SQL within the actor's scope."""
    base = scoped_lines(actor).subquery()
    by_status = dict(
        db.session.execute(select(base.c.status, func.count()).group_by(base.c.status)).all()
    )
    by_tariff = db.session.execute(
        select(Tariff.name, func.count())
        .join(base, base.c.tariff_id == Tariff.id)
        .group_by(Tariff.name)
        .order_by(func.count().desc())
    ).all()
    roots = tree(actor)
    branches = []
    for root in roots:
        branches.extend(root["children"] if root["kind"] == "root" else [root])
    return {
        "total": sum(by_status.values()),
        "by_status": {s: by_status.get(s, 0) for s in LINE_STATUSES},
        "by_tariff": by_tariff,
        # A branch above the actor's scope is named for context, never linked (it is a 404).
        "by_branch": [(b["name"], b["line_count"], b["id"] if b["openable"] else None)
                      for b in branches],
    }


def billing_accounts(actor):
    """The billing accounts the actor may see, filtered in SQL: every account of the company
    for a company-wide viewer, else only those billing a line in the actor's view scope
    (the billing page and the API both list through here)."""
    query = select(BillingAccount).where(BillingAccount.company_id == actor.company_id)
    if not access.has_company_scope(actor, "lines.view"):
        visible = scoped_lines(actor).with_only_columns(Line.billing_account_id)
        query = query.where(BillingAccount.id.in_(visible.scalar_subquery()))
    return db.session.scalars(
        query.options(selectinload(BillingAccount.contract)).order_by(BillingAccount.number)
    ).all()


# --- The legal entity holding the contract (re-registration keeps the earlier details) -----


def current_holder(company: Company) -> dict:
    """The company's legal details as they are now (the contract's holder)."""
    return {name: getattr(company, name) or "" for name in HOLDER_FIELDS}


def holder_details(company: Company, on: date) -> dict:
    """The holder's details in force on ``on``: a re-registration that takes effect later
    means its earlier details; otherwise the company's current ones. Documents dated ``on``
    carry these."""
    change = db.session.scalar(
        select(HolderChange).where(HolderChange.company_id == company.id,
                                   HolderChange.effective_on > on)
        .order_by(HolderChange.effective_on, HolderChange.id))
    if change is None:
        return current_holder(company)
    return {name: (change.before or {}).get(name) or "" for name in HOLDER_FIELDS}


def last_holder_change(company_id: int) -> HolderChange | None:
    """The latest re-registration of the company, if any."""
    return db.session.scalar(select(HolderChange).where(HolderChange.company_id == company_id)
                             .order_by(HolderChange.id.desc()))
