"""Registration of the forms package: pages and API."""

from forms import api as forms_api
from forms import views


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(forms_api.blp)
    csrf.exempt(forms_api.blp)
