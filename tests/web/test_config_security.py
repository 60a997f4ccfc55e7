"""Configuration that could not be left unsafe (issue 18): production refuses the demo
loader and the published passwords, needs a real secret key and an https base URL; outside
production the secret key is random per install, kept in ``instance/secret_key``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from tests.factories import make_school, make_user
from webapp import create_app
from webapp.auth.password_policy import password_problem
from webapp.config import KNOWN_SECRET_KEYS, instance_secret_key
from webapp.extensions import db, limiter
from webapp.models import User

DEMO_PASSWORD = "b2b-demo-password"  # published in README and docs
LONG_KEY = "k" * 48
BASE = "https://b2b.example.test"


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("FLASK_SECRET_KEY", "FLASK_B2B_PRODUCTION", "FLASK_B2B_BASE_URL",
                 "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def instance(monkeypatch, tmp_path, clean_env):
    """Point the app factory's instance folder at a folder of the test's own."""
    where = {"path": tmp_path / "instance-a"}
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(where["path"]))
    return where


def _app(tmp_path, database_uri=None, **config) -> Flask:
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri or f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3"),
        **config,
    })


@pytest.fixture
def production(database_uri, tmp_path, clean_env):
    """The app as FLASK_B2B_PRODUCTION=true runs it (CSRF off: the refusals are tested)."""
    app = _app(tmp_path, database_uri, B2B_PRODUCTION=True, SECRET_KEY=LONG_KEY,
               B2B_BASE_URL=BASE, WTF_CSRF_ENABLED=False)
    limiter.reset()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# -- production refuses the demo and the published passwords -----------------------------

def test_production_refuses_the_demo_loader(production):
    r = production.test_cli_runner().invoke(args=["b2b", "demo", "--schools", "1",
                                                  "--pupils", "1"])
    assert r.exit_code != 0
    assert "not loaded in production" in r.output and "FLASK_B2B_PRODUCTION" in r.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def _demo_account(session) -> User:
    user = make_user(session, school=make_school(session), email="office@greenabbey.sch.uk")
    user.password_hash = generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:1000")
    session.commit()
    return user


def _sign_in(client, email: str, password: str, csrf_token: str = ""):
    return client.post("/sign-in", data={"csrf_token": csrf_token, "email": email,
                                         "password": password})


def test_production_refuses_signing_in_with_the_demo_password(production):
    user = _demo_account(db.session)
    client = production.test_client()
    for password in (DEMO_PASSWORD, DEMO_PASSWORD.upper()):
        r = _sign_in(client, user.email, password)
        assert r.status_code == 400, password
        assert "Enter a correct email address and password" in r.get_data(as_text=True)
    # Another password on the same app signs in: the refusal is of the password.
    user.password_hash = generate_password_hash("a long enough password",
                                                method="pbkdf2:sha256:1000")
    db.session.commit()
    assert _sign_in(client, user.email, "a long enough password").status_code == 302


def test_outside_production_the_demo_password_still_signs_in(app, client, session, csrf):
    user = _demo_account(session)
    r = _sign_in(client, user.email, DEMO_PASSWORD, csrf("/sign-in"))
    assert r.status_code == 302 and r.headers["Location"] == "/"


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "B2B-Demo-Password",
                                      "dev-only-not-secret", "change-me-please"])
def test_password_policy_refuses_published_passwords(password):
    problem = password_problem(password, email="office@greenabbey.sch.uk")
    assert problem and "published" in problem


def test_the_reset_form_refuses_the_demo_password(app, client, session, csrf):
    from webapp.auth.passwords import start_reset

    user = make_user(session, school=make_school(session), email="office@greenabbey.sch.uk")
    link = f"/reset-password/{start_reset(session, user)}"
    r = client.post(link, data={"csrf_token": csrf(link), "password": DEMO_PASSWORD,
                                "confirm": DEMO_PASSWORD})
    assert r.status_code == 400 and "published" in r.get_data(as_text=True)


@pytest.mark.parametrize(("config", "says"), [
    ({"SECRET_KEY": "dev-only-not-secret", "B2B_BASE_URL": BASE}, "FLASK_SECRET_KEY"),
    ({"SECRET_KEY": "too short", "B2B_BASE_URL": BASE}, "FLASK_SECRET_KEY"),
    ({"B2B_BASE_URL": BASE}, "FLASK_SECRET_KEY"),
    ({"SECRET_KEY": LONG_KEY}, "FLASK_B2B_BASE_URL"),  # the default, http://127.0.0.1
    ({"SECRET_KEY": LONG_KEY, "B2B_BASE_URL": "http://b2b.example.test"},
     "FLASK_B2B_BASE_URL"),
])
def test_production_will_not_start_without_a_real_key_and_base_url(tmp_path, clean_env,
                                                                   config, says):
    with pytest.raises(RuntimeError, match=says):
        _app(tmp_path, B2B_PRODUCTION=True, **config)


# -- outside production: a random key per install, kept in instance/ ----------------------

def test_without_a_key_one_is_made_and_kept_in_the_instance_folder(tmp_path, instance):
    first = _app(tmp_path)
    key_file = Path(first.instance_path) / "secret_key"
    assert Path(first.instance_path) == instance["path"]
    key = first.config["SECRET_KEY"]
    assert key and key not in KNOWN_SECRET_KEYS and len(key) >= 32
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # The next start of the same install (another web worker, the job worker) signs alike.
    assert _app(tmp_path).config["SECRET_KEY"] == key
    # A published key given by mistake is replaced by the install's own.
    assert _app(tmp_path, SECRET_KEY="dev-only-not-secret").config["SECRET_KEY"] == key
    # Another install has a key of its own.
    instance["path"] = tmp_path / "instance-b"
    other = _app(tmp_path).config["SECRET_KEY"]
    assert other != key and other not in KNOWN_SECRET_KEYS


def test_instance_secret_key_directly(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    key = instance_secret_key(str(a))
    assert instance_secret_key(str(a)) == key != instance_secret_key(str(b))
    assert stat.S_IMODE(os.stat(a / "secret_key").st_mode) == 0o600
    assert sorted(p.name for p in a.iterdir()) == ["secret_key"]  # no temporary left


def test_a_given_key_is_kept(tmp_path, instance):
    app = _app(tmp_path, SECRET_KEY=LONG_KEY)
    assert app.config["SECRET_KEY"] == LONG_KEY
    assert not (instance["path"] / "secret_key").exists()
