"""The permission categories and the predefined roles: named once, used by Casbin, UI, API, docs."""

from flask_babel import lazy_gettext as _l

# One category per capability of the product brief, plus the administrative ones.
# Order is the order the role editor shows them in.
PERMISSIONS: dict[str, object] = {
    "lines.view": _l("View lines"),
    "lines.block": _l("Blocks"),
    "lines.services": _l("Services"),
    "lines.promised_payment": _l("Promised payment"),
    "lines.sms": _l("Send SMS"),
    "lines.forwarding": _l("Call forwarding"),
    "lines.limits": _l("Limits"),
    "lines.tariff_change": _l("Tariff change"),
    "lines.tariff_configure": _l("Tariff configuration"),
    "accounts.bill_delivery": _l("Bill delivery address"),
    "lines.sim_replace": _l("SIM replacement"),
    "lines.number_change": _l("Number change"),
    "lines.number_transfer": _l("Move lines to another billing account"),
    "reports.view": _l("Reports"),
    "accounts.settlement_method": _l("Settlement method"),
    "hierarchy.manage": _l("Manage hierarchy"),
    "users.manage": _l("Manage users and roles"),
    "requests.manage": _l("Forms and requests"),
    "finance.documents": _l("Financial documents"),
    "audit.view": _l("Audit log"),
}

ALL = frozenset(PERMISSIONS)

LINE_OPERATIONS = frozenset(
    {
        "lines.block",
        "lines.services",
        "lines.sms",
        "lines.forwarding",
        "lines.limits",
        "lines.tariff_change",
        "lines.tariff_configure",
        "lines.sim_replace",
        "lines.number_change",
    }
)

# key → (name, description, permissions). Read-only; every company sees them.
PREDEFINED_ROLES: dict[str, tuple[object, object, frozenset[str]]] = {
    "global_admin": (
        _l("Global administrator"),
        _l("Everything, in the whole company, including other administrators."),
        ALL,
    ),
    "administrator": (
        _l("Administrator"),
        _l("Every line and account operation, the hierarchy, reports and requests."),
        ALL - {"users.manage"},
    ),
    "line_operator": (
        _l("Line operator"),
        _l("Views lines and runs everyday line operations."),
        LINE_OPERATIONS | {"lines.view"},
    ),
    "accountant": (
        _l("Accountant"),
        _l("Reports, financial documents, bill delivery and promised payments."),
        frozenset(
            {
                "lines.view",
                "reports.view",
                "finance.documents",
                "accounts.bill_delivery",
                "lines.promised_payment",
            }
        ),
    ),
    "viewer": (_l("Viewer"), _l("Looks at lines and reports; changes nothing."), frozenset(
        {"lines.view", "reports.view"}
    )),
}

# Billing-account and company-wide objects have no node: they sit at the root scope.
COMPANY_SCOPE = "/"

# The key of the predefined role that holds every permission on the whole company.
GLOBAL_ADMIN = "global_admin"


def within_scopes(path: str, scopes) -> bool:
    """Whether the node at ``path`` lies inside one of ``scopes`` (a scope is a node's path
    and covers its subtree; "/" is the whole company). The one Python form of the rule;
    ``roles.access.scope_filter`` is its SQL form."""
    return any(path.startswith(scope) for scope in scopes)


def label(permission: str) -> str:
    """The translated label of a permission name."""
    return str(PERMISSIONS[permission])
