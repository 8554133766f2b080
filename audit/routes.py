"""Registration of the audit-log viewer: pages, API and its menu entry."""

from flask_babel import lazy_gettext as _l

from audit import api as audit_api
from audit import views
from core.ui import NavItem, add_nav_item


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(audit_api.blp)
    csrf.exempt(audit_api.blp)
    add_nav_item(NavItem("audit.index", _l("Audit log"), "audit.view"))
