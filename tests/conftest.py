"""Fixtures: a fresh, migrated database per test (SQLite by default; PostgreSQL when
``TEST_DATABASE_URL`` is set), the app, its test client and CLI runner, and the fixtures
several test packages share (the school's seed report, a real SMTP server, a consumer).
Plain helpers and data builders live in ``tests.factories`` and ``tests.readback``."""

from __future__ import annotations

import email
import os
import shutil
import socket
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from webapp import create_app
from webapp.extensions import db, limiter

PG_URL = os.environ.get("TEST_DATABASE_URL")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _pg_url_for_worker(worker: str) -> str:
    """One database per xdist worker, created on the server named by TEST_DATABASE_URL."""
    base = sa.engine.make_url(PG_URL).set(drivername="postgresql+psycopg")
    # Unique per run as well as per worker: several test runs may share one server.
    run = os.getppid() if worker != "main" else os.getpid()
    name = f"{base.database}_{worker}_{run}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_pg(uri: str) -> None:
    url = sa.engine.make_url(uri)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _upgrade(uri: str) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """The schema built once per worker by the migrations (never ``create_all``)."""
    if PG_URL:
        uri = _pg_url_for_worker(worker_id)
        _upgrade(uri)
        yield uri
        _drop_pg(uri)
        return
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _upgrade(f"sqlite:///{path}")
    yield str(path)


def _empty_pg(uri: str) -> None:
    engine = sa.create_engine(uri)
    with engine.begin() as c:
        tables = [t.name for t in db.metadata.sorted_tables]
        c.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                          + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_uri(database_template, tmp_path) -> str:
    if PG_URL:
        _empty_pg(database_template)
        return database_template
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_uri, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
    })
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined
    limiter.reset()  # rate-limit counters are per process: start each test from zero
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """xdist's worker name ("gw0"), or "main" when the suite runs in one process."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def login_as(client):
    """Sign a user in on the test client (sets flask-login's session keys directly)."""
    def _login(user):
        with client.session_transaction() as s:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
        return user
    return _login


# -- school-side fixtures (issue 3) ---------------------------------------------------

@pytest.fixture
def seed_report(session):
    """The guidance's three-pupil report for 1111 Green Abbey School, published, with a
    school user of its own and a user of another school."""
    from types import SimpleNamespace

    from tests.factories import import_csv, import_ctf, make_school, make_user
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.review.lifecycle import publish_reports
    from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
    from webapp.models import Report

    school = make_school(session)
    other_school = make_school(session, estab="2222", name="Other Primary School")
    import_ctf(session, "8861111", SEED_PUPILS_SCHOOL)
    import_csv(session, "8861111", SEED_PUPILS_LA)
    refresh_reports(session, 2025, 17)
    report = session.query(Report).filter_by(school_id=school.id).one()
    officer = make_user(session, role="la_officer", name="Sam Officer")
    publish_reports(session, [report], officer)
    return SimpleNamespace(
        school=school, report=report, officer=officer,
        user=make_user(session, school=school, name="Office Manager"),
        assistant=make_user(session, school=school, email="assistant@1111.test",
                            name="Office Assistant"),
        other_school=other_school,
        other_user=make_user(session, school=other_school, name="Other Office"),
    )


@pytest.fixture
def csrf(client):
    """The CSRF token of the client's session, read from a page's meta tag as htmx would."""
    import re

    def _token(url: str = "/sign-in") -> str:
        html = client.get(url).get_data(as_text=True)
        m = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        assert m, "no csrf-token meta on " + url
        return m.group(1)
    return _token


@pytest.fixture
def rendered(app):
    """The names of the templates each request renders (flask.template_rendered)."""
    from flask import template_rendered

    names: list[str] = []

    def _record(sender, template, context, **extra):
        names.append(template.name)
    template_rendered.connect(_record, app)
    yield names
    template_rendered.disconnect(_record, app)


@pytest.fixture
def consumer(app, tmp_path):
    """A real huey consumer (two worker threads) in this process, running the app's tasks."""
    from webapp import worker  # noqa: F401  (registers every task)
    from webapp.platform import jobs

    app.config["B2B_PACK_DIR"] = str(tmp_path / "packs")
    c = jobs.in_process_consumer(app, workers=2)
    c.start()
    yield c
    c.stop(graceful=True)
    jobs.use_app(None)


# -- real SMTP on loopback (aiosmtpd) -----------------------------------------------------

class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    """An SMTP server on a free loopback port, the app configured to send to it; not
    running until the test calls ``smtp.start()`` (so a test can begin with an outage)."""
    server = SmtpServer(_free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_SUPPRESS_SEND=False, MAIL_RETRY_SECONDS=0.5,
                      B2B_BASE_URL="https://b2b.example.test")
    yield server
    server.stop()
