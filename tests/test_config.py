"""Configuration from the environment: the ``DATABASE_URL`` shorthand, and the secret key
made once per install outside production."""

from __future__ import annotations

import os
import stat

import pytest

from webapp import create_app
from webapp.config import database_url_from_env, instance_secret_key

LONG_KEY = "k" * 40


def test_the_instance_key_is_made_once_private_and_per_install(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    key = instance_secret_key(str(one))
    assert len(key) >= 32
    assert instance_secret_key(str(one)) == key  # kept: sessions survive a restart
    assert stat.S_IMODE(os.stat(one / "secret_key").st_mode) == 0o600
    assert instance_secret_key(str(two)) != key
    assert sorted(p.name for p in one.iterdir()) == ["secret_key"]  # no temporary left


def test_a_process_starting_at_the_same_moment_uses_the_winners_key(tmp_path, monkeypatch):
    real_link = os.link

    def lose_the_race(src, dst):
        with open(dst, "w", encoding="ascii") as f:
            f.write("the-other-process-won-this-key-" + "x" * 20)
        real_link(src, dst)

    monkeypatch.setattr(os, "link", lose_the_race)
    key = instance_secret_key(str(tmp_path))
    assert key == "the-other-process-won-this-key-" + "x" * 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


@pytest.mark.parametrize(("given", "used"), [
    (None, None),
    ("", None),
    ("postgres://u:p@db.example/b2b", "postgresql+psycopg://u:p@db.example/b2b"),
    ("postgresql://u@db.example/b2b", "postgresql+psycopg://u@db.example/b2b"),
    ("postgresql+psycopg://u@db.example/b2b", "postgresql+psycopg://u@db.example/b2b"),
    ("sqlite:////var/lib/b2b/b2b.sqlite3", "sqlite:////var/lib/b2b/b2b.sqlite3"),
])
def test_database_url_shorthand(monkeypatch, given, used):
    if given is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", given)
    assert database_url_from_env() == used


def test_the_app_takes_database_url_and_the_psycopg_driver(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite3'}")
    app = create_app({"TESTING": True, "SECRET_KEY": LONG_KEY})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'from-env.sqlite3'}"
    monkeypatch.delenv("DATABASE_URL")
    app = create_app({"TESTING": True, "SECRET_KEY": LONG_KEY,
                      "SQLALCHEMY_DATABASE_URI": "postgresql://u@db.example/b2b"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/b2b"
    assert app.config["SECRET_KEY"] == LONG_KEY  # a real key given is kept
