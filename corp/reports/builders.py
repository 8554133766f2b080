"""The eight reports as plain tables, filtered in SQL by the actor's scope.

Each builder returns a ``Report``: summary tables (on screen and in the PDF) and one detail
table (the rows of the CSV/XLSX), every total computed as the sum of its rows. Money comes
from the month close (``line_charges``), so an expenses total over closed months equals the
invoices of those months.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from auth.models import User
from core.errors import InvalidInput, PermissionDenied
from core.extensions import db
from core.ui import label
from corp import service as corp_service
from corp.billing import rating
from corp.billing.charges import catalogue_terms
from corp.billing.models import FinancialDocument, LineCharge, MonthClose
from corp.billing.service import (
    Period,
    accrued_month_charges,
    line_for_usage,
    statement,
    usage_query,
    usage_row,
    usage_totals,
)
from corp.models import BillingAccount, Company, Line, LineService, Service, Tariff
from corp.models import UsageRecord as Usage
from corp.operations.models import Operation
from corp.validators import format_msisdn
from hierarchy.models import Node
from hierarchy.service import get_node
from roles import access
from roles.permissions import COMPANY_SCOPE

ZERO = Decimal("0.00")
CHARGE_COLUMNS = rating.CHARGE_KINDS

REPORT_TYPES = {
    "expenses": (_l("Expenses"), ("pdf", "xlsx", "csv")),
    "call_detail": (_l("Call detail"), ("pdf", "xlsx", "csv")),
    "inventory": (_l("Inventory of lines"), ("xlsx", "csv")),
    "financial_documents": (_l("Financial documents"), ("zip",)),
    "payments": (_l("Payments and balance"), ("pdf", "xlsx")),
    "operations": (_l("Operations"), ("xlsx", "csv")),
    "idle_lines": (_l("Idle lines"), ("xlsx", "csv")),
    "tariff_advice": (_l("Tariff advice"), ("pdf", "xlsx")),
}
# Reports about billing accounts (company-wide objects) need company-wide access.
TOP_SAVINGS = 50
COMPANY_WIDE = {"financial_documents": "finance.documents", "payments": "finance.documents"}


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | money | int | date | datetime


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: Iterable  # tuples in column order (a generator for big detail tables)
    total: tuple | None = None  # the "Total" row, same columns


@dataclass
class Report:
    type: str
    title: str
    company: str
    period: Period | None
    scope_note: str | None
    summary: list[Table] = field(default_factory=list)
    detail: Table | None = None
    notes: list[str] = field(default_factory=list)
    # In the PDF: the detail table too (small ones), or only the summaries.
    detail_in_pdf: bool = True
    documents: list = field(default_factory=list)  # financial_documents: the documents
    # Dashboard charts shown in the PDF too (names in ``corp.reports.charts``), drawn for
    # ``actor`` (the scope applies to them as to the tables).
    chart_names: list = field(default_factory=list)
    actor: object = None


@dataclass
class Scope:
    """Whose rows a report covers: the actor's scopes, optionally narrowed to one node."""

    actor: object
    permission: str
    node: Node | None
    note: str | None

    def condition(self, path_column):
        condition = access.scope_filter(self.actor, self.permission, path_column)
        if self.node is not None:
            condition = condition & path_column.startswith(self.node.path, autoescape=True)
        return condition


def report_scope(actor, params: dict, permission: str = "reports.view") -> Scope:
    """The actor's scope for ``permission`` and the chosen node (404 outside the scope)."""
    node = None
    if params.get("node_id"):
        node = get_node(actor, int(params["node_id"]), permission)
    paths = access.scopes(actor, permission)
    note = None
    if node is not None:
        note = _("Scope: %(node)s and below", node=corp_service.node_labels([node])[node.id])
    elif COMPANY_SCOPE not in paths:
        nodes = db.session.scalars(select(Node).where(
            Node.company_id == actor.company_id, Node.path.in_(paths))).all()
        names = corp_service.node_labels(nodes)
        note = _("Scope: %(nodes)s (your part of the hierarchy only)",
                 nodes="; ".join(sorted(names.values())))
    return Scope(actor, permission, node, note)


def _company_name(actor) -> str:
    return db.session.scalar(select(Company.name).where(Company.id == actor.company_id))


def _path_labels(company_id: int) -> dict[int, tuple[str, str]]:
    """Every node's readable path below the root and cost-centre code."""
    nodes = db.session.execute(select(Node.id, Node.name, Node.path, Node.parent_id,
                                      Node.cost_centre)
                               .where(Node.company_id == company_id)).all()
    names = {n.id: n.name for n in nodes if n.parent_id is not None}
    out = {}
    for n in nodes:
        parts = [names[int(x)] for x in n.path.strip("/").split("/") if x and int(x) in names]
        out[n.id] = (" / ".join(parts) or n.name, n.cost_centre or "")
    # Charges of a node deleted since the month closed.
    out[None] = (_("Deleted node"), "")
    return out


def _closed_months(company_id: int, period: Period) -> tuple[list[str], list[str]]:
    """The period's months that are closed for the company, and those that are not."""
    months = period.months()
    closed = set(db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == company_id, MonthClose.period.in_(months))))
    return [m for m in months if m in closed], [m for m in months if m not in closed]


def _charge_labels() -> list[str]:
    return [label("charge_kind", k) for k in CHARGE_COLUMNS]


# --- expenses ------------------------------------------------------------------------------


def expenses(actor, period: Period, params: dict) -> Report:
    """Cost per line, subtotals per node, per cost centre and per charge type (closed
    months of the period; a month not closed yet is named in the notes)."""
    scope = report_scope(actor, params)
    closed, open_months = _closed_months(actor.company_id, period)
    labels = _path_labels(actor.company_id)
    sums = [func.sum(getattr(LineCharge, k)) for k in CHARGE_COLUMNS]
    by_node = db.session.execute(
        select(LineCharge.node_id, func.count(func.distinct(LineCharge.line_id)), *sums,
               func.sum(LineCharge.total))
        .outerjoin(Node, Node.id == LineCharge.node_id)
        .where(LineCharge.company_id == actor.company_id, LineCharge.period.in_(closed),
               scope.condition(Node.path))
        .group_by(LineCharge.node_id)).all()
    node_rows = []
    by_centre = defaultdict(lambda: [0] + [ZERO] * (len(CHARGE_COLUMNS) + 1))
    for node_id, lines, *money in by_node:
        money = [Decimal(m or 0) for m in money]
        path, centre = labels[node_id]
        node_rows.append((path, centre, lines, *money))
        acc = by_centre[centre or "—"]
        acc[0] += lines
        for i, m in enumerate(money):
            acc[i + 1] += m
    node_rows.sort(key=lambda r: r[0])
    money_cols = [Column(k, lbl, "money") for k, lbl in zip(CHARGE_COLUMNS, _charge_labels(),
                                                             strict=True)]
    total_col = Column("total", _("Total"), "money")
    grand = _sum_columns(node_rows, 2)
    summary = [
        Table(_("By node"), [Column("node", _("Node")), Column("cost_centre", _("Cost centre")),
                            Column("lines", _("Lines"), "int"), *money_cols, total_col],
              node_rows, (_("Total"), "", *grand)),
        Table(_("By cost centre"), [Column("cost_centre", _("Cost centre")),
                                    Column("lines", _("Lines"), "int"), *money_cols, total_col],
              [(c, *v) for c, v in sorted(by_centre.items())], (_("Total"), *grand)),
        Table(_("By charge type"), [Column("kind", _("Charge type")),
                                    Column("amount", _("Amount"), "money")],
              [(lbl, grand[i + 1]) for i, lbl in enumerate(_charge_labels())],
              (_("Total"), grand[-1])),
    ]
    detail_query = (
        select(Line.msisdn, Line.employee_name, LineCharge.node_id, LineCharge.period,
               Tariff.name, *[getattr(LineCharge, k) for k in CHARGE_COLUMNS], LineCharge.total)
        .join(Line, Line.id == LineCharge.line_id).outerjoin(Node, Node.id == LineCharge.node_id)
        .join(Tariff, Tariff.id == LineCharge.tariff_id)
        .where(LineCharge.company_id == actor.company_id, LineCharge.period.in_(closed),
               scope.condition(Node.path))
        .order_by(Line.msisdn, LineCharge.period))

    def detail_rows():
        for msisdn, employee, node_id, month, tariff, *money in db.session.execute(
                detail_query.execution_options(yield_per=5000)):
            path, centre = labels[node_id]
            yield (msisdn, employee, path, centre, month, tariff,
                   *[Decimal(m) for m in money])

    detail = Table(_("By line"), [
        Column("msisdn", _("Number")), Column("employee", _("Employee")),
        Column("node", _("Node")), Column("cost_centre", _("Cost centre")),
        Column("period", _("Month")), Column("tariff", _("Tariff")), *money_cols, total_col],
        detail_rows(), ("", _("Total"), "", "", "", "", *grand[1:]))
    notes = [_("Months included: %(m)s.", m=", ".join(closed) or "—")]
    accrued_months = [m for m in open_months if rating.parse_period(m)[0] <= date.today()]
    if accrued_months:
        _add_accrued(actor, scope, accrued_months, labels, summary, detail, money_cols,
                     total_col, grand)
        notes.append(_("Accrued, not yet invoiced: %(m)s (usage rated so far and the fees "
                       "of the days so far; the lines where they are now).",
                       m=", ".join(accrued_months)))
    later = [m for m in open_months if m not in accrued_months]
    if later:
        notes.append(_("Not closed yet, not included: %(m)s.", m=", ".join(later)))
    report = Report("expenses", str(REPORT_TYPES["expenses"][0]), _company_name(actor),
                    period, scope.note, summary, detail, notes, detail_in_pdf=False)
    if params.get("with_charts", True):
        report.chart_names, report.actor = ["spend_by_branch"], actor
    return report


def _add_accrued(actor, scope: Scope, months: list[str], labels, summary: list[Table],
                 detail: Table, money_cols: list[Column], total_col: Column, grand: list
                 ) -> None:
    """Months not closed yet: what the lines in scope have accrued so far (rated usage and
    fees, the close's own rules), as a table by node, a period total of invoiced and
    accrued, and detail rows marked "accrued, not yet invoiced"; every total is the sum of
    its rows."""
    accrued = []
    for month in months:
        end = rating.parse_period(month)[1]
        lines = db.session.execute(
            select(Line.id, Line.status, Line.activated_on, Line.tariff_id, Line.msisdn,
                   Line.employee_name, Line.node_id, Tariff.name.label("tariff"))
            .join(Node, Node.id == Line.node_id).join(Tariff, Tariff.id == Line.tariff_id)
            .where(Line.company_id == actor.company_id, Line.activated_on < end,
                   scope.condition(Node.path))
            .order_by(Line.msisdn)).all()
        charges = accrued_month_charges(lines, month)
        marked = _("%(m)s (accrued, not yet invoiced)", m=month)
        for line in lines:
            c = charges[line.id]
            if not c["total"] and not c["usage_count"]:
                continue
            path, centre = labels[line.node_id]
            accrued.append((line.msisdn, line.employee_name, path, centre, marked, line.tariff,
                            *[c[k] for k in CHARGE_COLUMNS], c["total"]))
    by_node = defaultdict(lambda: [set()] + [ZERO] * (len(CHARGE_COLUMNS) + 1))
    for row in accrued:
        acc = by_node[(row[2], row[3])]
        acc[0].add(row[0])
        for i, m in enumerate(row[6:]):
            acc[i + 1] += m
    node_rows = sorted((path, centre, len(v[0]), *v[1:])
                       for (path, centre), v in by_node.items())
    sums = _sum_columns(node_rows, 2)
    summary.append(Table(
        _("Accrued, not yet invoiced: by node (%(m)s)", m=", ".join(months)),
        [Column("node", _("Node")), Column("cost_centre", _("Cost centre")),
         Column("lines", _("Lines"), "int"), *money_cols, total_col],
        node_rows, (_("Total"), "", *sums)))
    summary.append(Table(_("The period in all"), [Column("basis", _("Charges")),
                                                  Column("amount", _("Amount"), "money")],
                         [(_("Invoiced (closed months)"), grand[-1]),
                          (_("Accrued, not yet invoiced"), sums[-1])],
                         (_("Total"), grand[-1] + sums[-1])))
    closed_rows = detail.rows

    def rows():
        yield from closed_rows
        yield from accrued

    detail.rows = rows()
    detail.total = ("", _("Total"), "", "", "", "",
                    *[a + b for a, b in zip(grand[1:], sums[1:], strict=True)])


def _sum_columns(rows, start: int) -> list:
    """Column sums of ``rows`` from column ``start`` on."""
    if not rows:
        return [0] + [ZERO] * (len(CHARGE_COLUMNS) + 1)
    width = len(rows[0])
    return [sum((r[i] for r in rows), ZERO if i > start else 0) for i in range(start, width)]


# --- call detail ---------------------------------------------------------------------------


def call_detail(actor, period: Period, params: dict) -> Report:
    """Every usage record of one line in the period, with totals."""
    if not params.get("line_id"):
        raise InvalidInput({"line_id": _("Choose the line.")})
    line = line_for_usage(actor, int(params["line_id"]))
    totals = usage_totals(line.id, period)
    columns = [Column("occurred_at", _("Date and time"), "datetime"),
               Column("kind", _("Type")), Column("direction", _("Direction")),
               Column("counterpart", _("Other party")), Column("country", _("Roaming")),
               Column("quantity", _("Quantity")), Column("amount", _("Amount"), "money")]

    def rows():
        for record in db.session.scalars(usage_query(line.id, period)
                                         .execution_options(yield_per=2000)):
            row = usage_row(record)
            yield (row["occurred_at"], label("usage_kind", row["kind"]),
                   label("direction", row["direction"]), row["counterpart"], row["country"],
                   quantity_text(row["kind"], row["quantity"]), row["amount"])

    by_kind = totals["by_kind"]
    summary = Table(_("Totals"), [Column("kind", _("Type")), Column("count", _("Records"), "int"),
                                  Column("quantity", _("Quantity")),
                                  Column("amount", _("Amount"), "money")],
                    [(label("usage_kind", k), v["count"], quantity_text(k, v["quantity"]),
                      v["amount"]) for k, v in by_kind.items()],
                    (_("Total"), totals["count"], "", totals["amount"]))
    report = Report("call_detail", str(REPORT_TYPES["call_detail"][0]), _company_name(actor),
                    period, None, [summary],
                    Table(_("Records"), columns, rows(),
                          (_("Total"), "", "", "", "", "", totals["amount"])),
                    [_("Line %(n)s, %(e)s", n=format_msisdn(line.msisdn), e=line.employee_name)])
    report.line_msisdn = line.msisdn
    report.row_count = totals["count"]
    return report


def quantity_text(kind: str, quantity: int) -> str:
    if kind == "call":
        return f"{quantity // 60}:{quantity % 60:02d}"
    if kind == "data":
        return f"{Decimal(quantity) / 1024:.2f} MB"
    return str(quantity)


# --- inventory -----------------------------------------------------------------------------


def inventory(actor, period: Period | None, params: dict) -> Report:
    """Every line in scope: employee, node, tariff, services, status, account (streamed)."""
    scope = report_scope(actor, params, "reports.view")
    labels = _path_labels(actor.company_id)
    services = dict(db.session.execute(select(Service.id, Service.name)).all())
    query = (select(Line.id, Line.msisdn, Line.iccid, Line.employee_name,
                    Line.employee_position, Line.personnel_number, Line.node_id, Tariff.name,
                    Line.status, BillingAccount.number)
             .join(Node, Node.id == Line.node_id).join(Tariff, Tariff.id == Line.tariff_id)
             .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
             .where(Line.company_id == actor.company_id, scope.condition(Node.path))
             .order_by(Line.id))

    def rows():
        batch = []
        for row in db.session.execute(query.execution_options(yield_per=5000)):
            batch.append(row)
            if len(batch) == 5000:
                yield from _inventory_batch(batch, labels, services)
                batch = []
        yield from _inventory_batch(batch, labels, services)

    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    columns = [Column("msisdn", _("Number")), Column("iccid", _("ICCID")),
               Column("employee", _("Employee")), Column("position", _("Position")),
               Column("personnel_number", _("Personnel number")), Column("node", _("Node")),
               Column("cost_centre", _("Cost centre")), Column("tariff", _("Tariff")),
               Column("services", _("Services")), Column("status", _("Status")),
               Column("account", _("Billing account"))]
    return Report("inventory", str(REPORT_TYPES["inventory"][0]), _company_name(actor), None,
                  scope.note, [], Table(_("Lines"), columns, rows()),
                  [_("%(n)s lines.", n=count)])


def _inventory_batch(batch, labels, services):
    if not batch:
        return
    connected = defaultdict(list)
    for line_id, service_id in db.session.execute(select(
            LineService.line_id, LineService.service_id).where(
            LineService.line_id.in_([r[0] for r in batch]))):
        connected[line_id].append(services[service_id])
    for (line_id, msisdn, iccid, name, position, number, node_id, tariff, status,
         account) in batch:
        path, centre = labels[node_id]
        yield (msisdn, iccid, name, position, number, path, centre, tariff,
               ", ".join(sorted(connected.get(line_id, ()))), label("status", status), account)


# --- financial documents -------------------------------------------------------------------


def financial_documents(actor, period: Period, params: dict) -> Report:
    """The invoices, acts and VAT invoices of the period's months (PDF each, ZIP of all)."""
    _require_company_wide(actor, "financial_documents")
    docs = db.session.scalars(select(FinancialDocument).where(
        FinancialDocument.company_id == actor.company_id,
        FinancialDocument.period.in_(period.months()))
        .order_by(FinancialDocument.period, FinancialDocument.billing_account_id,
                  FinancialDocument.kind)).all()
    accounts = dict(db.session.execute(select(BillingAccount.id, BillingAccount.number).where(
        BillingAccount.company_id == actor.company_id)).all())
    rows = [(d.period, accounts[d.billing_account_id], label("document_kind", d.kind), d.number,
             d.issued_on, Decimal(d.net_total), Decimal(d.vat_total), Decimal(d.total))
            for d in docs]
    columns = [Column("period", _("Month")), Column("account", _("Billing account")),
               Column("kind", _("Document")), Column("number", _("Number")),
               Column("date", _("Date"), "date"),
               Column("net", _("Amount without VAT"), "money"),
               Column("vat", _("VAT amount"), "money"), Column("total", _("Total"), "money")]
    invoices = [r for r, d in zip(rows, docs, strict=True) if d.kind == "invoice"]
    total = (_("Total (invoices)"), "", "", "", "", sum((r[5] for r in invoices), ZERO),
             sum((r[6] for r in invoices), ZERO), sum((r[7] for r in invoices), ZERO))
    report = Report("financial_documents", str(REPORT_TYPES["financial_documents"][0]),
                    _company_name(actor), period, None, [],
                    Table(_("Documents"), columns, rows, total))
    report.documents = docs
    return report


def _require_company_wide(actor, report_type: str) -> None:
    permission = COMPANY_WIDE[report_type]
    if not (access.can(actor, permission, COMPANY_SCOPE)
            and access.can(actor, "reports.view", COMPANY_SCOPE)):
        raise PermissionDenied(_("This report covers billing accounts: it needs access to the "
                                 "whole company."))


# --- payments ------------------------------------------------------------------------------


def payments(actor, period: Period, params: dict) -> Report:
    """Per account: opening balance, charges (closed months), payments, closing balance,
    and every entry with the running balance."""
    _require_company_wide(actor, "payments")
    accounts = db.session.scalars(select(BillingAccount).where(
        BillingAccount.company_id == actor.company_id).order_by(BillingAccount.number)).all()
    summary_rows, detail_rows = [], []
    for account in accounts:
        s = statement(actor, account, period)
        summary_rows.append((account.number, s["opening_balance"], s["charges"], s["payments"],
                             s["closing_balance"]))
        for e in s["entries"]:
            detail_rows.append((account.number, e["date"],
                                _("charge") if e["kind"] == "charge" else _("payment"),
                                e["document"] or "", e["amount"], e["balance"]))
    summary = Table(_("By billing account"), [
        Column("account", _("Billing account")),
        Column("opening", _("Opening balance"), "money"),
        Column("charges", _("Charges"), "money"), Column("payments", _("Payments"), "money"),
        Column("closing", _("Closing balance"), "money")], summary_rows,
        (_("Total"), *[sum((r[i] for r in summary_rows), ZERO) for i in range(1, 5)]))
    detail = Table(_("Entries"), [
        Column("account", _("Billing account")), Column("date", _("Date"), "date"),
        Column("kind", _("Entry")), Column("document", _("Document")),
        Column("amount", _("Amount"), "money"), Column("balance", _("Balance"), "money")],
        detail_rows)
    return Report("payments", str(REPORT_TYPES["payments"][0]), _company_name(actor), period,
                  None, [summary], detail)


# --- operations ----------------------------------------------------------------------------


def operations(actor, period: Period, params: dict) -> Report:
    """Operations requested in the period on lines in scope (and, company-wide, on
    accounts): who, what, result."""
    scope = report_scope(actor, params)
    labels = _path_labels(actor.company_id)
    line_ops = (select(Operation.created_at, User.email, Operation.type,
                       Line.msisdn, Line.node_id, Operation.status, Operation.error)
                .join(Line, Line.id == Operation.line_id).join(Node, Node.id == Line.node_id)
                .outerjoin(User, User.id == Operation.requested_by)
                .where(Operation.company_id == actor.company_id,
                       Operation.created_at >= period.start, Operation.created_at < period.end,
                       scope.condition(Node.path)))
    rows = []
    ordered = line_ops.order_by(Operation.created_at, Operation.id)
    for created, email, kind, msisdn, node_id, status, error in db.session.execute(ordered):
        rows.append((created, email or "", kind, msisdn, labels[node_id][0],
                     label("status", status) if status else "", error or ""))
    if scope.node is None and access.can(actor, "reports.view", COMPANY_SCOPE):
        account_ops = (select(Operation.created_at, User.email, Operation.type,
                              BillingAccount.number, Operation.status, Operation.error)
                       .join(BillingAccount, BillingAccount.id == Operation.billing_account_id)
                       .outerjoin(User, User.id == Operation.requested_by)
                       .where(Operation.company_id == actor.company_id,
                              Operation.line_id.is_(None),
                              Operation.created_at >= period.start,
                              Operation.created_at < period.end))
        for created, email, kind, number, status, error in db.session.execute(account_ops):
            rows.append((created, email or "", kind, number, "", status, error or ""))
        rows.sort(key=lambda r: r[0])
    columns = [Column("created_at", _("Requested at"), "datetime"), Column("who", _("Who")),
               Column("type", _("Operation")), Column("object", _("Line or account")),
               Column("node", _("Node")), Column("status", _("Result")),
               Column("error", _("Reason"))]
    return Report("operations", str(REPORT_TYPES["operations"][0]), _company_name(actor),
                  period, scope.note, [], Table(_("Operations"), columns, rows),
                  [_("%(n)s operations.", n=len(rows))])


# --- idle lines ----------------------------------------------------------------------------


def idle_lines(actor, period: Period | None, params: dict) -> Report:
    """Lines with no usage for ``days`` days (default 90), with what they cost meanwhile
    (closed months since the last usage)."""
    try:
        days = int(params.get("days") or 90)
    except (TypeError, ValueError):
        raise InvalidInput({"days": _("Enter a whole number of days.")}) from None
    if not 1 <= days <= 3650:
        raise InvalidInput({"days": _("Between 1 and 3650 days.")})
    scope = report_scope(actor, params)
    labels = _path_labels(actor.company_id)
    since = date.today() - timedelta(days=days)
    last_use = (select(Usage.line_id, func.max(Usage.occurred_at).label("last"))
                .group_by(Usage.line_id).subquery())
    query = (select(Line.id, Line.msisdn, Line.employee_name, Line.node_id, Tariff.name,
                    Line.status, Line.activated_on, last_use.c.last)
             .join(Node, Node.id == Line.node_id).join(Tariff, Tariff.id == Line.tariff_id)
             .outerjoin(last_use, last_use.c.line_id == Line.id)
             .where(Line.company_id == actor.company_id, Line.status != "terminated",
                    scope.condition(Node.path), Line.activated_on <= since)
             .where((last_use.c.last.is_(None)) | (last_use.c.last < _day_start(since)))
             .order_by(Line.msisdn))
    found = db.session.execute(query).all()
    costs = defaultdict(dict)
    ids = [r[0] for r in found]
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for line_id, month, total in db.session.execute(
                select(LineCharge.line_id, LineCharge.period, LineCharge.total)
                .where(LineCharge.line_id.in_(chunk))):
            costs[line_id][month] = Decimal(total)
    rows = []
    for line_id, msisdn, name, node_id, tariff, status, activated, last in found:
        idle_from = (last.date() if last else activated)
        first_month = rating.period_of(idle_from)
        cost = sum((v for m, v in costs[line_id].items() if m >= first_month), ZERO)
        rows.append((msisdn, name, labels[node_id][0], tariff, label("status", status),
                     last.date() if last else None, (date.today() - idle_from).days, cost))
    columns = [Column("msisdn", _("Number")), Column("employee", _("Employee")),
               Column("node", _("Node")), Column("tariff", _("Tariff")),
               Column("status", _("Status")), Column("last_usage", _("Last usage"), "date"),
               Column("idle_days", _("Days without usage"), "int"),
               Column("cost", _("Cost meanwhile"), "money")]
    total = (_("Total"), "", "", "", "", None, len(rows), sum((r[7] for r in rows), ZERO))
    return Report("idle_lines", str(REPORT_TYPES["idle_lines"][0]), _company_name(actor), None,
                  scope.note, [], Table(_("Idle lines"), columns, rows, total),
                  [_("No usage for %(d)s days or more (since %(s)s).", d=days,
                     s=since.strftime("%d.%m.%Y"))])


def _day_start(day: date):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- tariff advice -------------------------------------------------------------------------


def tariff_advice(actor, period: Period | None, params: dict) -> Report:
    """Per line: what its last 3 closed months would have cost on each tariff (fee and
    home usage beyond the package; services and roaming do not depend on the tariff), the
    cheapest, and the saving; savings per node."""
    scope = report_scope(actor, params)
    labels = _path_labels(actor.company_id)
    months = db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == actor.company_id).order_by(MonthClose.period.desc())
        .limit(3)).all()[::-1]
    terms = {t.code: t for t in catalogue_terms().values()}
    tariff_rows = db.session.execute(select(Tariff.id, Tariff.code, Tariff.name)
                                     .where(Tariff.active.is_(True))
                                     .order_by(Tariff.monthly_fee)).all()
    names = {code: name for _i, code, name in tariff_rows}
    codes = [code for _i, code, _n in tariff_rows]
    usage = home_usage(actor, months, scope) if months else {}
    charged = (select(LineCharge.line_id, Line.msisdn, Line.employee_name, Line.node_id,
                      Tariff.code,
                      func.sum(LineCharge.tariff_fee + LineCharge.calls + LineCharge.sms
                               + LineCharge.data))
               .join(Line, Line.id == LineCharge.line_id).join(Node, Node.id == Line.node_id)
               .join(Tariff, Tariff.id == Line.tariff_id)
               .where(LineCharge.company_id == actor.company_id,
                      LineCharge.period.in_(months), Line.status != "terminated",
                      scope.condition(Node.path))
               .group_by(LineCharge.line_id, Line.msisdn, Line.employee_name, Line.node_id,
                         Tariff.code)
               .order_by(Line.msisdn))
    rows = []
    per_node = defaultdict(lambda: [0, ZERO, ZERO])
    restricted = services_restricted_to_tariffs(actor, scope)
    for line_id, msisdn, name, node_id, current, actual in db.session.execute(charged):
        actual = Decimal(actual or 0)
        costs = [what_it_would_cost(terms[c], usage.get(line_id, {}), months) for c in codes]
        # A tariff on which a connected service is not available is not offered (the
        # operations would disconnect the service on such a change).
        offered, why = range(len(codes)), ""
        if line_id in restricted:
            missing = {code: sorted(s for s, allowed in restricted[line_id]
                                    if code not in allowed) for code in codes}
            offered = [i for i, code in enumerate(codes)
                       if not missing[code] or code == current] or offered
            why = "; ".join(_("%(t)s: %(s)s not available", t=names[code],
                              s=", ".join(missing[code]))
                            for code in codes if missing[code] and code != current)
        best = min(offered, key=lambda i: (costs[i], i))
        saving = max(actual - costs[best], ZERO)
        rows.append((msisdn, name, labels[node_id][0], names[current], actual, *costs,
                     why, names[codes[best]], saving))
        node = per_node[labels[node_id][0]]
        node[0] += 1
        node[1] += actual
        node[2] += saving
    columns = [Column("msisdn", _("Number")), Column("employee", _("Employee")),
               Column("node", _("Node")), Column("tariff", _("Current tariff")),
               Column("actual", _("Charged"), "money"),
               *[Column(c, names[c], "money") for c in codes],
               Column("not_offered", _("Not offered (why)")),
               Column("best", _("Cheapest tariff")), Column("saving", _("Saving"), "money")]
    node_rows = [(n, *v) for n, v in sorted(per_node.items())]
    summary = Table(_("Saving by node"), [Column("node", _("Node")),
                                         Column("lines", _("Lines"), "int"),
                                         Column("actual", _("Charged"), "money"),
                                         Column("saving", _("Saving"), "money")], node_rows,
                    (_("Total"), sum(r[1] for r in node_rows),
                     sum((r[2] for r in node_rows), ZERO), sum((r[3] for r in node_rows), ZERO)))
    total = (_("Total"), "", "", "", sum((r[4] for r in rows), ZERO),
             *[sum((r[5 + i] for r in rows), ZERO) for i in range(len(codes))], "", "",
             sum((r[-1] for r in rows), ZERO))
    # The PDF shows the lines with the biggest savings; the spreadsheet has every line.
    top = sorted((r for r in rows if r[-1] > 0), key=lambda r: (-r[-1], r[0]))[:TOP_SAVINGS]
    top_table = Table(_("Biggest savings (%(n)s lines at most)", n=TOP_SAVINGS), [
        Column("msisdn", _("Number")), Column("employee", _("Employee")),
        Column("node", _("Node")), Column("tariff", _("Current tariff")),
        Column("actual", _("Charged"), "money"), Column("best", _("Cheapest tariff")),
        Column("saving", _("Saving"), "money")],
        [(r[0], r[1], r[2], r[3], r[4], r[-2], r[-1]) for r in top])
    report = Report("tariff_advice", str(REPORT_TYPES["tariff_advice"][0]),
                    _company_name(actor), None, scope.note, [summary, top_table],
                    Table(_("By line"), columns, rows, total),
                    [_("Months compared: %(m)s.", m=", ".join(months) or "—"),
                     _("A tariff on which a line's connected services are not available is "
                       "not offered as the cheapest; the column «Not offered» says "
                       "why (%(n)s lines).", n=sum(1 for r in rows if r[-3]))],
                    detail_in_pdf=False)
    return report


def services_restricted_to_tariffs(actor, scope: Scope) -> dict[int, list]:
    """Per line in scope: its connected services that only some tariffs allow, as
    ``(service name, allowed tariff codes)``."""
    restricted = {s.id: (s.name, set(s.tariff_codes)) for s in db.session.scalars(
        select(Service)) if s.tariff_codes}
    out = defaultdict(list)
    if not restricted:
        return out
    for line_id, service_id in db.session.execute(
            select(LineService.line_id, LineService.service_id)
            .join(Line, Line.id == LineService.line_id).join(Node, Node.id == Line.node_id)
            .where(Line.company_id == actor.company_id, scope.condition(Node.path),
                   LineService.service_id.in_(list(restricted)))):
        out[line_id].append(restricted[service_id])
    return out


def home_usage(actor, months: list[str], scope: Scope) -> dict[int, dict]:
    """Per line and month: outgoing home minutes, SMS and MB (billable units), in SQL."""
    units = func.sum(case(
        (Usage.kind == "call", (Usage.quantity + 59) / 60),
        (Usage.kind == "data", (Usage.quantity + 1023) / 1024), else_=Usage.quantity))
    out = defaultdict(dict)
    for month in months:
        first, end = rating.parse_period(month)
        rows = db.session.execute(
            select(Usage.line_id, Usage.kind, units)
            .join(Line, Line.id == Usage.line_id).join(Node, Node.id == Line.node_id)
            .where(Line.company_id == actor.company_id, scope.condition(Node.path),
                   Usage.occurred_at >= _day_start(first), Usage.occurred_at < _day_start(end),
                   Usage.direction == "out",
                   (Usage.country.is_(None)) | (Usage.country == rating.HOME))
            .group_by(Usage.line_id, Usage.kind)).all()
        for line_id, kind, total in rows:
            out[line_id].setdefault(month, {"call": 0, "sms": 0, "data": 0})[kind] = int(total or 0)
    return out


def what_it_would_cost(terms: rating.Terms, usage: dict, months: list[str]) -> Decimal:
    """Fee plus home usage beyond the package over the months, on ``terms``."""
    total = ZERO
    for month in months:
        used = usage.get(month, {"call": 0, "sms": 0, "data": 0})
        total += rating.kopecks(terms.monthly_fee)
        total += rating.kopecks(max(used["call"] - terms.minutes, 0) * terms.minute_price)
        total += rating.kopecks(max(used["sms"] - terms.sms, 0) * terms.sms_price)
        total += rating.kopecks(max(used["data"] - terms.mb, 0) * terms.mb_price)
    return total


BUILDERS = {
    "expenses": expenses,
    "call_detail": call_detail,
    "inventory": inventory,
    "financial_documents": financial_documents,
    "payments": payments,
    "operations": operations,
    "idle_lines": idle_lines,
    "tariff_advice": tariff_advice,
}


def build(actor, report_type: str, period: Period, params: dict) -> Report:
    """The report of ``report_type`` for the actor (422 for an unknown type)."""
    if report_type not in BUILDERS:
        raise InvalidInput({"type": _("Choose one of: %(t)s.", t=", ".join(BUILDERS))})
    return BUILDERS[report_type](actor, period, params)
