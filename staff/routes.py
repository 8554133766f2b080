"""Registration of the staff workspace: pages, API and menu entries."""

from flask_babel import lazy_gettext as _l

from core.ui import NavItem, add_nav_item
from staff import api as staff_api
from staff import views


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(staff_api.blp)
    csrf.exempt(staff_api.blp)
    add_nav_item(NavItem("staff.companies", _l("Companies"), operator_staff=True))
    add_nav_item(NavItem("staff.security_events", _l("Security events"), operator_staff=True))
    add_nav_item(NavItem("staff.queue", _l("Request queue"), operator_staff=True))
    add_nav_item(NavItem("staff.company_new", _l("Onboard a company"), operator_staff=True))
