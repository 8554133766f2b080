"""``flask --app app billing close-month [--month YYYY-MM]``."""

from datetime import date, timedelta

import click
from flask.cli import with_appcontext

from core.extensions import db
from corp.billing.close import close_month
from corp.billing.rating import parse_period


@click.group("billing")
def billing_command():
    """Billing: the month close."""


@billing_command.command("close-month")
@click.option("--month", "period", default=None, metavar="YYYY-MM",
              help="The month to close (default: the previous month).")
@with_appcontext
def close_month_command(period):
    """Close a month: per line charges and every account's invoice, act and VAT invoice.
    Running it again for the same month changes nothing."""
    if period is None:
        last = date.today().replace(day=1) - timedelta(days=1)
        period = f"{last.year:04d}-{last.month:02d}"
    try:
        parse_period(period)
        counts = close_month(period)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--month") from error
    db.session.commit()
    click.echo(f"{period}: {counts['accounts']} accounts closed, {counts['lines']} lines "
               f"charged, {counts['documents']} documents issued")
