"""Extension objects, created unbound so that no module has to import the app."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so that migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A session given a Connection already in a transaction works inside a SAVEPOINT, so a
# test can wrap everything (including the code's own commits) in one outer rollback.
db = SQLAlchemy(model_class=Base, session_options={"join_transaction_mode": "create_savepoint"})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
class ErrorSchema(Schema):
    """Every error body of the API, as sent (the OpenAPI ``Error`` component)."""

    code = fields.String(metadata={"description": "stable machine code, e.g. not_found"})
    message = fields.String(metadata={"description": "what went wrong, for people"})
    status = fields.Integer(metadata={"description": "the HTTP status"})
    errors = fields.Dict(metadata={"description": "field → messages (nested by location for "
                                   "query/header errors)"})


class PortalApi(Api):
    """flask-smorest's Api, documenting the error bodies the portal really sends."""

    ERROR_SCHEMA = ErrorSchema


api = PortalApi()
mail = Mail()
