"""Registration of the operations package: pages, API, menu, card helpers, CLI."""

import click
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l

from core.metrics import add_scrape_source
from core.ui import NavItem, add_nav_item
from corp.operations import api as operations_api
from corp.operations import metrics, views
from corp.operations.schemas import PARAMS_SCHEMAS, component_name
from corp.schedule import run_due_work


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    app.register_blueprint(views.bp)
    for type_name, schema in PARAMS_SCHEMAS.items():
        name = component_name(type_name)
        if name not in api.spec.components.schemas:
            api.spec.components.schema(name, schema=schema)
    api.register_blueprint(operations_api.blp)
    csrf.exempt(operations_api.blp)
    add_nav_item(NavItem("operations.operations", _l("Operations"), "lines.view"))
    app.context_processor(lambda: {"jobs_enabled": True})
    app.cli.add_command(operations_command)
    add_scrape_source(metrics.collect)


@click.group("operations")
def operations_command():
    """Line operations: due work."""


@operations_command.command("run-due")
@with_appcontext
def run_due_command():
    """Apply scheduled tariff changes, end voluntary blocks, expire promised payments, carry
    out approved terminations and portings out dated today."""
    counts = run_due_work()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
