"""Registration of the reports package: pages, API, menu, the report job kind, CLI."""

import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.ui import NavItem, add_nav_item
from corp.reports import api as reports_api
from corp.reports import views
from corp.reports.jobs import remove_expired  # importing jobs registers the "report" kind


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    api.register_blueprint(reports_api.blp)
    csrf.exempt(reports_api.blp)
    add_nav_item(NavItem("reports.index", _l("Reports"), "reports.view"))
    app.cli.add_command(reports_command)


@click.group("reports")
def reports_command():
    """Reports: housekeeping."""


@reports_command.command("purge")
@with_appcontext
def purge_command():
    """Remove report files whose time is up."""
    count = remove_expired()
    db.session.commit()
    click.echo(f"{count} expired report files removed")
