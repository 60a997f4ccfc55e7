"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.extensions import db


def test_migrations_and_models_agree(app):
    # The `app` fixture's database was built by `flask db upgrade` (never create_all).
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_upgrade_reaches_head(app):
    with db.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    from alembic.script import ScriptDirectory
    from flask import current_app

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    assert set(heads) == set(script.get_heads())
