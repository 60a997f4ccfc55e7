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


def test_0007_checks_the_records_already_held(tmp_path):
    """Records held before migration 0007 get their problems worked out by it."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from webapp import create_app

    app = create_app({"TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}"})
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as c:  # as the tables were in 0006: plain SQL, not the models
            c.execute(sa.text("INSERT INTO local_authority (id, la_number, name, auto_publish)"
                              " VALUES (1, '886', 'Kent', 0)"))
            c.execute(sa.text("INSERT INTO school (id, la_id, estab, laestab, name, "
                              "name_is_placeholder, created_at) VALUES (1, 1, '1111', "
                              "'8861111', 'Green Abbey School', 0, '2026-01-01')"))
        school = type("S", (), {"id": 1})
        with db.engine.begin() as c:
            for i, (upn, postcode) in enumerate([("A886111199999", "ME14 1XX"),
                                                 (None, "ME14"), ("L886111199999", None)]):
                c.execute(sa.text(
                    "INSERT INTO pupil_record (side, school_id, record_key, content_hash, "
                    "created_at, changed_at, upn, postcode) VALUES ('la', :s, :k, '-', "
                    "'2026-01-01', '2026-01-01', :upn, :pc)"),
                    {"s": school.id, "k": f"k{i}", "upn": upn, "pc": postcode})
        upgrade()
        with db.engine.connect() as c:
            got = c.execute(sa.text("SELECT record_key, problems FROM pupil_record "
                                    "ORDER BY record_key")).all()
        assert got == [("k0", "upn_check_letter"), ("k1", "postcode_format"), ("k2", None)]
        db.session.remove()
        downgrade(revision="0006")  # and back, cleanly
        db.engine.dispose()
