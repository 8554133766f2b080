"""What every page template gets: the menu, labels of statuses, formatting filters."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import current_app
from flask_babel import format_datetime, to_user_timezone
from flask_login import current_user

from core.i18n import current_locale as get_locale
from core.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    """A menu entry, shown when its endpoint exists and the user may open it."""

    endpoint: str
    label: object
    permission: str | None = None  # None: any company user
    operator_staff: bool = False


# Packages add their entries with ``add_nav_item`` when they register their routes.
NAV: list[NavItem] = [
    NavItem("corp.dashboard", _l("Dashboard")),
    NavItem("hierarchy.tree", _l("Hierarchy"), "lines.view"),
    NavItem("corp.lines", _l("Lines"), "lines.view"),
]


def add_nav_item(item: NavItem) -> None:
    """Add a menu entry once (registration may run for several apps in one process)."""
    if item not in NAV:
        NAV.append(item)


STATUS_LABELS = {
    "active": _l("active"),
    "blocked": _l("blocked"),
    "terminated": _l("terminated"),
}
BLOCK_LABELS = {
    "voluntary": _l("voluntary"),
    "loss": _l("loss/theft"),
    "permanent": _l("permanent"),
    "financial": _l("financial"),
}
NODE_KIND_LABELS = {
    "root": _l("company"),
    "branch": _l("branch"),
    "city": _l("city"),
    "department": _l("department"),
    "group": _l("group"),
}
SETTLEMENT_LABELS = {"advance": _l("advance"), "credit": _l("credit")}
FORWARDING_LABELS = {
    "unconditional": _l("always"),
    "busy": _l("busy"),
    "no_answer": _l("no answer"),
    "unreachable": _l("unreachable"),
    "all": _l("all"),
}
LIMIT_KIND_LABELS = {"spend": _l("monthly spend"), "data": _l("data traffic")}
LIMIT_ACTION_LABELS = {
    "notify": _l("notify"),
    "block_outgoing": _l("block outgoing"),
    "block_data": _l("block data"),
}
TARIFF_OPTION_LABELS = {
    "favourite_numbers": _l("Favourite numbers"),
    "data_package_mb": _l("Internet package, MB"),
}
# Every code → label table, by what it labels (one name per concept, in templates too).
DOCUMENT_KIND_LABELS = {"invoice": _l("Invoice"), "act": _l("Act of services rendered"),
                        "vat_invoice": _l("VAT invoice")}
CHARGE_KIND_LABELS = {
    "tariff_fee": _l("Tariff monthly fee"),
    "service_fee": _l("Service monthly fees"),
    "one_off_fee": _l("One-off service fees"),
    "calls": _l("Calls beyond the package"),
    "sms": _l("SMS beyond the package"),
    "data": _l("Mobile internet beyond the package"),
    "roaming": _l("Roaming"),
}
USAGE_KIND_LABELS = {"call": _l("call"), "sms": _l("SMS"), "data": _l("data")}
DIRECTION_LABELS = {"in": _l("incoming"), "out": _l("outgoing")}
LABELS = {
    "document_kind": DOCUMENT_KIND_LABELS,
    "charge_kind": CHARGE_KIND_LABELS,
    "usage_kind": USAGE_KIND_LABELS,
    "direction": DIRECTION_LABELS,
    "status": STATUS_LABELS,
    "block": BLOCK_LABELS,
    "node_kind": NODE_KIND_LABELS,
    "settlement": SETTLEMENT_LABELS,
    "forwarding": FORWARDING_LABELS,
    "limit_kind": LIMIT_KIND_LABELS,
    "limit_action": LIMIT_ACTION_LABELS,
    "tariff_option": TARIFF_OPTION_LABELS,
}


def label(kind: str, code) -> str:
    """The translated label of a code (e.g. label("forwarding", "busy")); the code if unknown."""
    return str(LABELS[kind].get(code, code))


def nav_items(holds: Callable[[object, str], bool]) -> list[NavItem]:
    """The menu entries this user may open; ``holds(user, permission)`` is the authorization
    layer's answer (core knows no permissions of its own)."""
    user = current_user._get_current_object()  # one proxy lookup for the whole menu
    if not user.is_authenticated:
        return []
    views, staff = current_app.view_functions, bool(user.is_operator_staff)
    items = []
    for item in NAV:
        if item.endpoint not in views:
            continue
        if item.operator_staff != staff:
            continue
        if item.permission and not holds(user, item.permission):
            continue
        items.append(item)
    return items


# A locale's group and decimal symbols (Babel's data, the same for the process's lifetime).
_MONEY_SYMBOLS: dict = {}


def money_formatter() -> Callable[[object], str]:
    """``money`` as a function for one page: the locale's symbols are looked up once (the
    tree formats thousands of amounts)."""
    locale = get_locale()
    key = (locale.language, locale.territory, locale.script, locale.variant) if locale else None
    symbols = _MONEY_SYMBOLS.get(key)
    if symbols is None:
        symbols = _MONEY_SYMBOLS[key] = (get_group_symbol(locale), get_decimal_symbol(locale))
    group, decimal = symbols

    def format_money(value) -> str:
        text = f"{value or 0:,.2f}".replace(",", "\x00").replace(".", decimal)
        return text.replace("\x00", group) + " ₽"

    return format_money


def money(value) -> str:
    """Roubles with two decimals in the current locale (1 234,50 ₽)."""
    return money_formatter()(value)


def local_time(value, seconds: bool = False) -> str:
    """A stored UTC timestamp in the portal's time zone (Moscow by default), ISO-like."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # Babel's text for these fixed numeric patterns, from strftime: Babel's pattern
        # formatting costs ~10 µs a value (a call-detail page shows fifty).
        local = to_user_timezone(value)
        if local.year >= 1000:
            return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss" if seconds else "yyyy-MM-dd HH:mm")


def register_template_helpers(app, *, holds: Callable[[object, str], bool]) -> None:
    """Expose the helpers above to every template (``holds``: see ``nav_items``)."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["dt"] = local_time

    @app.context_processor
    def helpers():
        return {
            "nav_items": lambda: nav_items(holds),
            "current_locale": lambda: str(get_locale() or "ru"),
            "status_label": lambda s: label("status", s),
            "block_label": lambda s: label("block", s),
            "node_kind_label": lambda s: label("node_kind", s),
            # Translated once per call, for pages that label hundreds of nodes.
            "node_kind_labels": lambda: {k: str(v) for k, v in NODE_KIND_LABELS.items()},
            "settlement_label": lambda s: label("settlement", s),
            "label": label,
        }
