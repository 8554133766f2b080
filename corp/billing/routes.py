"""Registration of the billing package: pages, API, menu, CLI."""

from flask_babel import lazy_gettext as _l

from core.ui import NavItem, add_nav_item
from corp.billing import api as billing_api
from corp.billing import views
from corp.billing.commands import billing_command


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(billing_api.blp)
    csrf.exempt(billing_api.blp)
    add_nav_item(NavItem("billing.accounts", _l("Finance"), "finance.documents"))
    app.cli.add_command(billing_command)
