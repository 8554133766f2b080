"""Registration of the staff workspace: pages and menu entries."""

from flask_babel import lazy_gettext as _l

from core.ui import NavItem, add_nav_item
from staff import views


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    add_nav_item(NavItem("staff.queue", _l("Request queue"), operator_staff=True))
    add_nav_item(NavItem("roles.company_new", _l("Onboard a company"), operator_staff=True))
