"""Dashboard charts, server-rendered SVG by pygal (no script needed to read them), within
the actor's ``reports.view`` scope; the same SVG goes into the expenses PDF."""

from collections import defaultdict
from decimal import Decimal
from xml.etree import ElementTree

import pygal
from flask_babel import gettext as _
from pygal.style import Style
from sqlalchemy import func, select

from core.errors import NotFound
from core.extensions import db
from corp.billing.models import LineCharge, MonthClose
from corp.models import Line
from corp.reports import builders
from hierarchy.models import Node
from roles import access

CHART_NAMES = ("spend_by_branch", "trend", "top_lines", "idle_lines", "saving")
# Dark enough on white for text and bars (WCAG contrast ≥ 4.5:1 for the labels).
STYLE = Style(background="white", plot_background="white", foreground="#212529",
              foreground_strong="#212529", foreground_subtle="#495057",
              colors=("#0b5394", "#a61c00", "#38761d", "#7f6000", "#674ea7", "#45818e"),
              font_family="DejaVu Sans, sans-serif")
SAVING_MAX_LINES = 5000


def _config(chart_class, title: str, **extra):
    return chart_class(title=title, style=STYLE, js=[], width=640, height=340,
                       explicit_size=True, print_values=False, legend_at_bottom=True,
                       truncate_legend=40, truncate_label=24, **extra)


def _scope(actor):
    if not access.scopes(actor, "reports.view"):
        raise NotFound()
    return access.scope_filter(actor, "reports.view", Node.path)


def _branches(actor) -> dict[int, str]:
    """Top-level node id → name; a line's branch is the second id of its node's path."""
    return dict(db.session.execute(select(Node.id, Node.name).where(
        Node.company_id == actor.company_id, Node.depth == 1)).all())


def _branch_of(path: str | None, branches: dict) -> str:
    parts = [int(x) for x in (path or "").strip("/").split("/") if x]
    if len(parts) >= 2 and parts[1] in branches:
        return branches[parts[1]]
    return _("Company level")


def _months(actor, count: int) -> list[str]:
    return db.session.scalars(select(MonthClose.period).distinct().where(
        MonthClose.company_id == actor.company_id).order_by(MonthClose.period.desc())
        .limit(count)).all()[::-1]


def spend_by_branch(actor):
    condition = _scope(actor)
    months = _months(actor, 3)
    branches = _branches(actor)
    rows = db.session.execute(
        select(Node.path, LineCharge.period, func.sum(LineCharge.total))
        .outerjoin(Node, Node.id == LineCharge.node_id)
        .where(LineCharge.company_id == actor.company_id, LineCharge.period.in_(months),
               condition).group_by(Node.path, LineCharge.period)).all()
    sums = defaultdict(lambda: defaultdict(Decimal))
    for path, month, total in rows:
        sums[_branch_of(path, branches)][month] += Decimal(total or 0)
    chart = _config(pygal.Bar, _("Spend by branch, ₽"))
    names = sorted(sums)
    chart.x_labels = names
    for month in months:
        chart.add(month, [float(sums[n][month]) for n in names])
    return chart


def trend(actor):
    condition = _scope(actor)
    months = _months(actor, 12)
    rows = dict(db.session.execute(
        select(LineCharge.period, func.sum(LineCharge.total))
        .outerjoin(Node, Node.id == LineCharge.node_id)
        .where(LineCharge.company_id == actor.company_id, LineCharge.period.in_(months),
               condition).group_by(LineCharge.period)).all())
    chart = _config(pygal.Line, _("Spend over 12 months, ₽"), show_legend=False)
    chart.x_labels = months
    chart.add(_("Spend"), [float(rows.get(m) or 0) for m in months])
    return chart


def top_lines(actor):
    condition = _scope(actor)
    months = _months(actor, 1)
    rows = db.session.execute(
        select(Line.msisdn, Line.employee_name, LineCharge.total)
        .join(Line, Line.id == LineCharge.line_id).outerjoin(Node, Node.id == LineCharge.node_id)
        .where(LineCharge.company_id == actor.company_id, LineCharge.period.in_(months),
               condition).order_by(LineCharge.total.desc(), Line.msisdn).limit(10)).all()
    chart = _config(pygal.HorizontalBar, _("Top lines, %(m)s, ₽", m=", ".join(months)),
                    show_legend=False)
    chart.x_labels = [f"{m} {n}" for m, n, _t in rows][::-1]
    chart.add(_("Spend"), [float(t) for _m, _n, t in rows][::-1])
    return chart


def idle_lines(actor):
    report = builders.idle_lines(actor, None, {"days": 90})
    counts = defaultdict(int)
    costs = defaultdict(Decimal)
    for row in report.detail.rows:
        branch = row[2].split(" / ")[0] if row[2] else _("Company level")
        counts[branch] += 1
        costs[branch] += row[7]
    chart = _config(pygal.Bar, _("Idle lines (90 days without usage)"))
    names = sorted(counts)
    chart.x_labels = names
    chart.add(_("Lines"), [counts[n] for n in names])
    chart.add(_("Cost meanwhile, ₽"), [float(costs[n]) for n in names], secondary=True)
    return chart


def saving(actor):
    count = db.session.scalar(select(func.count()).select_from(Line).join(
        Node, Node.id == Line.node_id).where(Line.company_id == actor.company_id,
                                             _scope(actor)))
    chart = _config(pygal.Bar, _("Possible saving with tariff advice, ₽"), show_legend=False)
    if count > SAVING_MAX_LINES:
        chart.x_labels = [_("See the tariff advice report")]
        chart.add(_("Saving"), [0])
        return chart
    report = builders.tariff_advice(actor, None, {})
    table = report.summary[0]
    sums = defaultdict(Decimal)
    for node, _lines, _actual, node_saving in table.rows:
        sums[node.split(" / ")[0] or _("Company level")] += node_saving
    names = sorted(sums)
    chart.x_labels = names
    chart.add(_("Saving"), [float(sums[n]) for n in names])
    return chart


BUILDERS = {"spend_by_branch": spend_by_branch, "trend": trend, "top_lines": top_lines,
            "idle_lines": idle_lines, "saving": saving}


def _without_scripts(chart) -> bytes:
    """The SVG without pygal's tooltip scripts: it is read as an image, never run."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return ElementTree.tostring(tree, encoding="utf-8", xml_declaration=True)


def render(actor, name: str) -> bytes:
    """The chart's SVG document (404 for an unknown chart or without reports.view)."""
    if name not in BUILDERS:
        raise NotFound()
    return _without_scripts(BUILDERS[name](actor))


def render_inline(actor, name: str) -> str:
    """The chart as an ``<svg>`` element for embedding in a PDF."""
    svg = _without_scripts(BUILDERS[name](actor)).decode("utf-8")
    return svg[svg.index("<svg"):]
