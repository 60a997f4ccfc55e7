"""b2b-sync: the LA and its schools reconcile pupil data."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp.config import (
    KNOWN_SECRET_KEYS,
    database_url_from_env,
    default_config,
    instance_secret_key,
    production_settings,
)
from webapp.extensions import csrf, db, limiter, login_manager, migrate
from webapp.extensions import htmx as htmx_ext  # webapp.web.htmx is our helper module
from webapp.platform import db_setup  # noqa: F401  (SQLite connection tuning)
from webapp.web.templating import AppEnvironment

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory."""
    app = Flask(__name__, instance_relative_config=True)
    app.jinja_environment = AppEnvironment  # strict undefined, but not in GOV.UK macros
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(default_config(app.instance_path))
    url = database_url_from_env()
    if url:
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["B2B_PRODUCTION"]:
        app.config.from_mapping(production_settings(app.config))
    elif not app.config["SECRET_KEY"] or app.config["SECRET_KEY"] in KNOWN_SECRET_KEYS:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[13:]

    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    proxies = int(app.config["B2B_PROXIES"])
    if proxies:
        # The client's address and the scheme from the proxies in front; never the
        # host (x_host): a forwarded Host is whatever the sender chose.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=0, x_port=0, x_prefix=0)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx_ext.init_app(app)
    limiter.init_app(app)
    # Flask-Mail is attached on first use (webapp.platform.mail), once the config is final.
    _init_ui(app)

    from webapp import models  # noqa: F401  (every table known to Alembic)
    from webapp.b2b.records.upkeep import register_listeners
    from webapp.cli import b2b_cli

    register_listeners()

    app.cli.add_command(b2b_cli)
    _register_blueprints(app)
    from webapp.web import security

    security.init_app(app)  # CSP and other headers, no-store, session time-outs
    return app


def _init_ui(app: Flask) -> None:
    """Error pages (HTML or htmx fragments) and the GOV.UK form helpers."""
    from govuk_frontend_wtf.main import WTFormsHelpers

    from webapp.b2b.review.wording import plural
    from webapp.web import errors

    errors.init_app(app)
    WTFormsHelpers(app)
    # Counted nouns said one way everywhere: {{ n | plural("report") }} is "1 report".
    app.add_template_filter(plural)


class _IdConverter(IntegerConverter):
    """``<int:...>`` in our routes is a database id: larger than PostgreSQL's integer it
    cannot exist, so the URL does not match (404) instead of erring in the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = _IdConverter
    from webapp.admin.cycle import bp as cycle_bp
    from webapp.admin.people import bp as users_bp
    from webapp.admin.tokens import bp as tokens_bp
    from webapp.api.views import bp as api_bp
    from webapp.auth import access  # noqa: F401  (the user loader)
    from webapp.auth.second_factor_views import bp as twofactor_bp
    from webapp.auth.views import bp as auth_bp
    from webapp.exports.views import bp as exports_bp
    from webapp.la import returns as la_returns  # noqa: F401  (ticked .docx, LA side)
    from webapp.la import uploads  # noqa: F401  (its routes, on the LA blueprint)
    from webapp.la.views import bp as la_bp
    from webapp.school import returns as school_returns  # noqa: F401  (ticked .docx)
    from webapp.school.views import bp as school_bp

    for bp in (auth_bp, school_bp, la_bp, exports_bp, api_bp, tokens_bp, cycle_bp,
               users_bp, twofactor_bp):
        app.register_blueprint(bp)
