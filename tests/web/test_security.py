"""Headers on every response, and the session timeouts."""

from __future__ import annotations

import time

from tests.factories import make_school, make_user
from webapp.web import security


def test_headers(app, client, session, login_as):
    r = client.get("/sign-in")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    login_as(make_user(session, school=make_school(session)))
    assert client.get("/school/").headers["Cache-Control"] == "no-store"


def test_govuk_inline_script_hash_matches_the_template(app):
    import base64
    import hashlib

    source, _, _ = app.jinja_loader.get_source(app.jinja_env,
                                               "govuk_frontend_jinja/template.html")
    assert security.GOVUK_INLINE_SCRIPT in source  # the one inline script, unchanged
    digest = base64.b64encode(hashlib.sha256(
        security.GOVUK_INLINE_SCRIPT.encode()).digest()).decode()
    assert digest in security.content_security_policy()


def test_idle_and_absolute_timeouts(app, client, session, login_as):
    user = make_user(session, school=make_school(session))
    login_as(user)
    assert client.get("/school/").status_code == 200
    with client.session_transaction() as s:
        s["_seen"] = time.time() - 31 * 60
    r = client.get("/school/")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]
    login_as(user)
    with client.session_transaction() as s:
        s["_started"] = time.time() - 11 * 3600
        s["_seen"] = time.time()
    assert client.get("/school/").status_code == 302


def test_failed_sign_ins_are_throttled_without_locking_the_person_out(app, session):
    import re

    from tests.factories import PASSWORD
    from webapp.extensions import limiter

    limiter.reset()
    user = make_user(session, school=make_school(session), email="office@greenabbey.sch.uk")

    def token(client, addr):
        page = client.get("/sign-in", environ_base={"REMOTE_ADDR": addr})
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                         page.get_data(as_text=True))[1]

    attacker = app.test_client()
    t = token(attacker, "203.0.113.9")
    codes = [attacker.post("/sign-in", data={"email": user.email, "password": "wrong",
                                             "csrf_token": t},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
             for _ in range(7)]
    assert codes[:5] == [400] * 5 and codes[5:] == [429, 429]
    # The real person, elsewhere, still signs in.
    person = app.test_client()
    r = person.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                      "csrf_token": token(person, "198.51.100.7")},
                    environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert r.status_code == 302, re.sub(r"\s+", " ", r.get_data(as_text=True))[:300]


def test_production_cookies_are_host_prefixed_and_secure(database_uri, tmp_path):
    import pytest

    from webapp import create_app

    base = {"SQLALCHEMY_DATABASE_URI": database_uri, "B2B_PRODUCTION": True,
            "HUEY_SQLITE_PATH": str(tmp_path / "huey.sqlite3")}
    with pytest.raises(RuntimeError, match="FLASK_SECRET_KEY"):
        create_app(base)  # no key at all
    with pytest.raises(RuntimeError, match="FLASK_SECRET_KEY"):
        create_app({**base, "SECRET_KEY": "dev-only-not-secret"})  # the old published one
    with pytest.raises(RuntimeError, match="32 or more"):
        create_app({**base, "SECRET_KEY": "short"})
    with pytest.raises(RuntimeError, match="FLASK_B2B_BASE_URL"):
        create_app({**base, "SECRET_KEY": "k" * 48})  # links would name 127.0.0.1
    app = create_app({**base, "SECRET_KEY": "k" * 48,
                      "B2B_BASE_URL": "https://b2b.example.org"})
    r = app.test_client().get("/sign-in", base_url="https://b2b.example.org")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-b2b-session=")
    attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
    assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attrs)
    assert not any(a.startswith("domain=") for a in attrs)
    # Outside production the cookie keeps working over plain http on 127.0.0.1.
    dev = create_app({"SQLALCHEMY_DATABASE_URI": database_uri,
                      "HUEY_SQLITE_PATH": str(tmp_path / "huey2.sqlite3")})
    assert "secure" not in dev.test_client().get("/sign-in").headers["Set-Cookie"].lower()
