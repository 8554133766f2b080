"""Configuration: defaults, then ``instance/config.py``, then the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Defaults:
    """Settings every installation starts from; nothing secret lives here. Every setting the
    code reads is declared here; the README's configuration table lists the same ones."""

    # The database (env DATABASE_URL); unset: a SQLite file in instance/.
    SQLALCHEMY_DATABASE_URI = None
    # Signs the session cookie (env SECRET_KEY); unset: generated once into instance/.
    SECRET_KEY = None
    # The SQLite database is in memory (tests): no WAL journal.
    SQLITE_MEMORY = False
    # Engine options. No ``pool_pre_ping``: on PostgreSQL a pooled connection idle longer
    # than DATABASE_PING_AFTER seconds is checked before use instead (core/postgres.py).
    SQLALCHEMY_ENGINE_OPTIONS = {}
    DATABASE_PING_AFTER = 5.0
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
    LANGUAGES = ("ru", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "vm_session"
    REMEMBER_COOKIE_DURATION = timedelta(0)
    # The seed: a session ends after 20 minutes without activity.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=20)
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The session cookie is sent only when the session changes (sign-in, language, 2FA step):
    # idle and absolute expiry are kept server-side (the session row), and a cookie re-sent
    # by every request let a slow parallel request (a dashboard chart) put back the cookie
    # it started with, undoing a language switch made meanwhile.
    SESSION_REFRESH_EACH_REQUEST = False
    API_TOKEN_LIFETIME = timedelta(hours=8)
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_DURATION = timedelta(minutes=15)  # the first lock of an (e-mail, source)
    LOGIN_LOCK_MAX = timedelta(hours=24)  # each further lock doubles, up to this
    LOGIN_THROTTLE_RETENTION = timedelta(days=1)  # quiet counters are removed after this
    LOGIN_RATE_LIMIT = "30 per minute"
    # Slow guessing spread over many addresses: this many wrong passwords for one e-mail
    # from any source within the window lock the account for every device not known to be
    # the user's (known-device cookie); locks last LOGIN_LOCK_DURATION, doubling.
    LOGIN_ACCOUNT_MAX_FAILURES = 20
    LOGIN_ACCOUNT_WINDOW = timedelta(hours=1)
    LOGIN_KNOWN_DEVICE_LIFETIME = timedelta(days=90)  # the known-device cookie's life
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    API_TITLE = "Virtual Manager API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Swagger UI and ReDoc load their assets from a CDN; the portal serves only the document.
    OPENAPI_SWAGGER_UI_PATH = None
    OPENAPI_REDOC_PATH = None
    # The operator's name and details printed on application forms (settings, not code:
    # the operator's own brand is not part of the product). Override in instance/config.py
    # or the environment (OPERATOR_NAME, OPERATOR_INN, ...).
    OPERATOR_NAME = "Оператор связи"
    OPERATOR_INN = ""
    OPERATOR_KPP = ""
    OPERATOR_OGRN = ""
    OPERATOR_ADDRESS = ""
    OPERATOR_PHONE = ""
    OPERATOR_EMAIL = ""
    OPERATOR_WEBSITE = ""
    # Files attached to requests (обращения): stored under the instance folder, outside the
    # web root; checked by content (PDF/JPEG/PNG) and size.
    REQUEST_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    REQUEST_ATTACHMENTS_DIR = None  # default: <instance>/attachments
    # Background work (``core.background``): in-process by default; Celery when a broker URL
    # is configured.
    CELERY_BROKER_URL = None
    # The runner: "eager" (inline), "thread" or "celery"; None picks from CELERY_BROKER_URL.
    OPERATIONS_EXECUTOR = None
    # The Celery queue tasks are sent to and workers read.
    CELERY_TASK_QUEUE = "operations"
    # Seconds before Redis hands an unacknowledged task (a dead worker's) to another worker.
    CELERY_VISIBILITY_TIMEOUT = 3600
    # Lines a bulk job applies per transaction.
    OPERATIONS_JOB_CHUNK = 500
    # Seconds without a heartbeat after which a running job counts as stalled (resumable).
    OPERATIONS_JOB_STALE_SECONDS = 60
    # Seconds the simulated operator takes; above 0, operations run in the background.
    OPERATOR_GATEWAY_DELAY = 0.0
    # Lines per page of the lines list.
    LINES_PER_PAGE = 50
    # Served over HTTPS (directly or behind a proxy): cookies only travel encrypted.
    SESSION_COOKIE_SECURE = False
    # Number of reverse proxies in front whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = 0
    HSTS_SECONDS = 31_536_000  # sent only on HTTPS requests; 0 turns it off
    # Logs: one JSON object per line on stderr ("json") or plain text ("text").
    LOG_FORMAT = "json"
    LOG_LEVEL = "INFO"
    # Prometheus: /metrics answers only to "Authorization: Bearer <METRICS_TOKEN>" (404 unset).
    METRICS_TOKEN = None
    # Celery beat (``Procfile`` ``beat``): a crontab "m h dom mon dow" in the portal's time
    # zone, or a number of seconds between runs.
    SCHEDULE_RUN_DUE = "5 0 * * *"
    SCHEDULE_CLEANUP = "30 3 * * *"
    SCHEDULE_CLOSE_MONTH = "10 1 1 * *"
    # Report files (background report jobs write them; the clean-up removes old ones).
    REPORT_FILES_DIR = None  # default: instance/reports
    REPORT_FILES_MAX_AGE_DAYS = 30
    # Outgoing mail (Flask-Mail's names). No MAIL_SERVER: messages are written as .eml
    # files to MAIL_OUTBOX_DIR (default ``instance/outbox/``) instead of being sent.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Virtual Manager <noreply@localhost>"
    # Flask-Mail would silently drop every message when TESTING; here a configured server
    # is always used (tests point it at a loopback server or leave it unset).
    MAIL_SUPPRESS_SEND = False
    MAIL_OUTBOX_DIR = None
    # Accounts: one-time codes by e-mail, re-authentication, two-factor sign-in.
    ONE_TIME_CODE_LIFETIME = timedelta(minutes=15)
    ONE_TIME_CODE_MAX_ATTEMPTS = 5
    REAUTH_WINDOW = timedelta(minutes=10)
    OTP_MAX_FAILURES = 5
    OTP_ISSUER = "Virtual Manager"
    RECOVERY_RATE_LIMIT_PER_SOURCE = "20 per hour"
    RECOVERY_RATE_LIMIT_PER_ADDRESS = "5 per hour"
    # Key material for account secrets (TOTP seeds) at rest; None: derived from SECRET_KEY.
    ACCOUNT_SECRETS_KEY = None
    # Signing key and database URL; None: filled in by ``load_config`` (generated key file,
    # SQLite in the instance folder).
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None
    # Tests only: keep the SQLite database in memory (no instance file).
    SQLITE_MEMORY = False
    # Billing. VAT: ((first day "YYYY-MM-DD", rate in percent), ...); None: the built-in
    # table of ``corp.billing.money`` (20 % from 2019, 22 % from 2026).
    VAT_RATES = None
    # Roaming price table replacing ``corp.billing.rating.DEFAULT_ROAMING_PRICES``; None: it.
    BILLING_ROAMING_PRICES = None
    # The seller printed on invoices, acts and VAT invoices (name, inn, kpp, address, bank
    # details), merged over built-in placeholders; None: the placeholders and OPERATOR_NAME.
    OPERATOR_DETAILS = None
    # Reports: hours a background report's file is kept for its owner.
    REPORT_RETENTION_HOURS = 24
    # Reports over more lines than this run as background jobs instead of on the page.
    REPORT_INLINE_MAX_LINES = 5000
    # PDF reports with more detail rows than this are rendered in parallel chunks ...
    PDF_PARALLEL_MIN_ROWS = 600
    # ... of this many pages each, by this many processes (None: the number of CPUs).
    PDF_PAGES_PER_CHUNK = 24
    PDF_WORKERS = None


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


# Environment variable → (setting, how to read it). A Celery worker has no instance config of
# its own in CI, so what it needs can come from here as well.
ENV_SETTINGS = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", _flag),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "SECRET_KEY": ("SECRET_KEY", str),
    "CELERY_BROKER_URL": ("CELERY_BROKER_URL", str),
    "CELERY_TASK_QUEUE": ("CELERY_TASK_QUEUE", str),
    "CELERY_VISIBILITY_TIMEOUT": ("CELERY_VISIBILITY_TIMEOUT", int),
    "OPERATIONS_EXECUTOR": ("OPERATIONS_EXECUTOR", str),
    "OPERATIONS_JOB_CHUNK": ("OPERATIONS_JOB_CHUNK", int),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "OPERATOR_GATEWAY_DELAY": ("OPERATOR_GATEWAY_DELAY", float),
    "LOG_FORMAT": ("LOG_FORMAT", str),
    "LOG_LEVEL": ("LOG_LEVEL", str),
    "METRICS_TOKEN": ("METRICS_TOKEN", str),
    "SCHEDULE_RUN_DUE": ("SCHEDULE_RUN_DUE", str),
    "SCHEDULE_CLEANUP": ("SCHEDULE_CLEANUP", str),
    "SCHEDULE_CLOSE_MONTH": ("SCHEDULE_CLOSE_MONTH", str),
    "REPORT_FILES_DIR": ("REPORT_FILES_DIR", str),
    "DATABASE_PING_AFTER": ("DATABASE_PING_AFTER", float),
    "REPORT_FILES_MAX_AGE_DAYS": ("REPORT_FILES_MAX_AGE_DAYS", int),
    **{f"OPERATOR_{k}": (f"OPERATOR_{k}", str) for k in (
        "NAME", "INN", "KPP", "OGRN", "ADDRESS", "PHONE", "EMAIL", "WEBSITE")},
    "REQUEST_ATTACHMENTS_DIR": ("REQUEST_ATTACHMENTS_DIR", str),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _flag),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", _flag),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "MAIL_OUTBOX_DIR": ("MAIL_OUTBOX_DIR", str),
}
def load_config(app, test_config=None):
    """Fill ``app.config`` from defaults, the instance folder, the environment and tests."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, (key, read) in ENV_SETTINGS.items():
        if os.environ.get(env_name):
            app.config[key] = read(os.environ[env_name])
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{instance / 'virtual-manager.sqlite'}"
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # psycopg 3 is the driver the project installs.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)


def _instance_secret_key(instance: Path) -> str:
    """Read the installation's secret key, generating it once on first run."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        # Created with mode 0600 from the first byte (never readable by others meanwhile).
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it first
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
