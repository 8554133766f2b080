"""Registration of the billing package: pages, API, CLI."""


def register(app, api, csrf) -> None:
    """Called by ``app.register_blueprints`` when this package is present."""
    from corp.billing.commands import billing_command

    app.cli.add_command(billing_command)
