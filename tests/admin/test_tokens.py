"""LA admins create, list and revoke API tokens in the web page."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import form_csrf, make_school, make_user
from webapp.auth.api_tokens import token_for
from webapp.models import ApiToken


def test_admin_creates_sees_once_and_revokes(client, session, login_as):
    school = make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    token = form_csrf(client, "/la/tokens/")
    r = client.post("/la/tokens/", data={"csrf_token": token, "scope": str(school.id),
                                         "label": "SIMS export"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="secret">(b2b_[^<]+)</code>', r.get_data(as_text=True))[1]
    assert token_for(session, secret).school_id == school.id
    listing = client.get("/la/tokens/").get_data(as_text=True)
    assert "SIMS export" in listing and secret not in listing
    t = session.scalar(select(ApiToken))
    r = client.post(f"/la/tokens/{t.id}/revoke", data={"csrf_token": token})
    assert r.status_code == 302
    session.expire_all()
    assert token_for(session, secret) is None


def test_only_la_admins(client, session, login_as):
    school = make_school(session)
    assert client.get("/la/tokens/").status_code in (302, 401)
    login_as(make_user(session, school=school))
    assert client.get("/la/tokens/").status_code in (403, 404)
    login_as(make_user(session, role="la_officer", email="officer@la.test"))
    assert client.get("/la/tokens/").status_code == 403


def test_post_without_csrf_is_refused(client, session, login_as):
    make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    r = client.post("/la/tokens/", data={"scope": "la", "label": "x"})
    assert r.status_code == 400
    assert session.scalar(select(ApiToken)) is None


def test_cycle_page_toggle_and_run(client, session, login_as, app):
    from webapp.models import AuditEntry

    school = make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    page = client.get("/la/cycle/")
    assert page.status_code == 200 and "Publishes by itself" in page.get_data(as_text=True)
    token = form_csrf(client, "/la/cycle/")
    assert client.post("/la/cycle/auto-publish", data={"csrf_token": token}).status_code == 302
    session.refresh(school.la)
    assert school.la.auto_publish is True
    assert client.post("/la/cycle/run", data={"csrf_token": token}).status_code == 302
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"la.auto_publish", "cycle.requested"} <= actions


def test_cycle_toggle_is_for_admins(client, session, login_as):
    make_school(session)
    login_as(make_user(session, role="la_officer", email="officer@la.test"))
    assert client.get("/la/cycle/").status_code == 200
    token = form_csrf(client, "/la/cycle/")
    assert client.post("/la/cycle/auto-publish", data={"csrf_token": token}).status_code == 403
