"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.extensions import db


def test_models_and_migrations_agree(app):
    context = MigrationContext.configure(
        connection=db.session.connection(), opts={"compare_type": True}
    )
    assert compare_metadata(context, db.metadata) == []
