"""Virtual Manager: the application factory. Every command runs as ``flask --app app ...``."""

import importlib

from flask import Flask, g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from auth import account_api, account_views
from auth import api as auth_api
from auth import service as auth_service
from auth import views as auth_views
from core import backup, errors, health, i18n, logs, postgres, sqlite
from core.audit import audit_command
from core.background import celery_init_app
from core.config import load_config
from core.extensions import (
    api,
    babel,
    bootstrap,
    csrf,
    db,
    limiter,
    login_manager,
    mail,
    migrate,
)
from core.jsonio import FastJSONProvider
from core.ui import register_template_helpers
from core.validation import BoundedIntConverter, refuse_control_characters, register_openapi_rules
from corp import api as corp_api
from corp import demo, schedule
from corp import views as corp_views
from hierarchy import api as hierarchy_api
from hierarchy import views as hierarchy_views
from roles import access
from roles import api as roles_api
from roles import views as roles_views
from roles.access import enforce_route_marks


def create_app(test_config=None) -> Flask:
    """Build the portal from small steps: config, extensions, blueprints, hooks, commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = FastJSONProvider(app)  # the same JSON answers, written by orjson
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    load_config(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    import_models()
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_hooks(app)
    register_commands(app)
    schedule.init_app(app)  # what Celery beat runs and when
    register_template_helpers(app, holds=lambda user, permission: bool(
        access.scopes(user, permission)))
    return app


MODEL_MODULES = (
    "core.audit",
    "core.security_log",
    "auth.models",
    "corp.models",
    "hierarchy.models",
    "roles.models",
    "corp.operations.models",
    "forms.models",
    "corp.requests.models",
    "corp.billing.models",
    "corp.reports.models",
)


def import_models() -> None:
    """Import every model module so the metadata (and migrations) know every table."""
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if not name.startswith(error.name or "?"):
                raise


def register_extensions(app: Flask) -> None:
    """Bind the extension objects of ``core.extensions`` to this app."""
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(app.root_path) + "/migrations", render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    login_manager.request_loader(_load_user_from_request)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearerAuth": []}]})
    _configure_database(app)
    celery_init_app(app)


def _configure_database(app: Flask) -> None:
    """SQLite: WAL journal, foreign keys on, writers wait their turn (``core/sqlite.py``).
    PostgreSQL: reads in autocommit, idle connections checked (``core/postgres.py``)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if uri.startswith("sqlite"):
            sqlite.configure(db.engine, wal=not app.config.get("SQLITE_MEMORY"))
        elif uri.startswith("postgresql+psycopg"):
            postgres.configure(db.engine, ping_after=app.config["DATABASE_PING_AFTER"])


def _load_user_from_request(req):
    """Identity comes from a server-side session id or a verified bearer token, nothing else."""
    header = req.headers.get("Authorization", "")
    if req.path.startswith("/api/") and header.lower().startswith("bearer "):
        user = auth_service.load_token(header[7:].strip())
        g.auth_via = "token" if user else None
        return user
    user = auth_service.load_session(session.get("sid"))
    g.auth_via = "session" if user else None
    return user


def register_blueprints(app: Flask) -> None:
    """Pages and API of every package; each package owns its routes."""
    for module in (health, auth_views, account_views, corp_views, hierarchy_views, roles_views):
        app.register_blueprint(module.bp)
    register_openapi_rules(api)
    for module in (auth_api, account_api, corp_api, hierarchy_api, roles_api):
        api.register_blueprint(module.blp)
        # Bearer-token calls carry no cookie to forge; cookie-authenticated API writes are
        # CSRF-checked in ``check_api_csrf`` below.
        csrf.exempt(module.blp)
    for extra in _optional_blueprints():
        # bandit B610 mistakes this call for Django's QuerySet.extra(): it registers routes.
        extra(app, api, csrf)  # nosec B610


def _optional_blueprints():
    """Packages that register themselves (operations, forms...) when present."""
    found = []
    for name in ("audit.routes", "corp.operations.routes", "forms.routes",
                 "corp.requests.routes", "staff.routes", "corp.billing.routes",
                 "corp.reports.routes"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if not name.startswith(error.name or "?"):
                raise
            continue
        found.append(module.register)
    return found


def register_errorhandlers(app: Flask) -> None:
    """Domain errors and HTTP errors: JSON under /api, pages elsewhere."""
    errors.register_errorhandlers(app)


def register_hooks(app: Flask) -> None:
    """Deny by default, CSRF on cookie-authenticated API writes, security headers."""
    # First: every later hook (and the route mark check) logs under the request id.
    logs.init_app(app)

    @app.before_request
    def check_api_csrf():
        if not request.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
            return
        # The exemption follows what authenticated the request: only a verified bearer token
        # skips the check, never the mere presence of an Authorization header (Basic, a
        # bad token) beside the session cookie. Loading the identity sets ``auth_via``;
        # anonymous writes are refused by the route marks (or are the token request).
        current_user._get_current_object()
        if g.get("auth_via") == "session":
            csrf.protect()

    app.before_request(refuse_control_characters)
    app.before_request(enforce_route_marks)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        if request.is_secure and app.config["HSTS_SECONDS"]:
            # Over HTTPS (directly, or behind a TLS proxy trusted through TRUSTED_PROXIES).
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        if current_user and getattr(current_user, "is_authenticated", False):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def rollback_uncommitted(exc):
        if exc is not None:
            db.session.rollback()


def register_commands(app: Flask) -> None:
    """``flask --app app demo`` and friends."""
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(demo.serve_demo_command)
    app.cli.add_command(schedule.cleanup_command)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(audit_command)
