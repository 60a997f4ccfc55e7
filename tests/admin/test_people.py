"""Invitations by emailed single-use link (web page and CLI); disabling ends sessions."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import select

from tests.factories import form_csrf, make_school, make_user, wait_for
from webapp.models import AuditEntry, User


def _last_email(app):
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"),
                   key=lambda p: p.stat().st_mtime)
    return email.message_from_bytes(files[-1].read_bytes(), policy=default_policy)


def test_admin_invites_school_staff_who_sets_a_password(app, client, session, login_as,
                                                        consumer):
    school = make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    token = form_csrf(client, "/la/users/")
    r = client.post("/la/users/", data={"csrf_token": token, "email": "Bursar@greenabbey.sch.uk",
                                        "name": "Pat Bursar", "where": str(school.id)})
    assert r.status_code == 302
    user = session.scalar(select(User).where(User.email == "bursar@greenabbey.sch.uk"))
    assert user.school_id == school.id and user.password_hash is None
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    assert wait_for(lambda: list(outbox.glob("*.eml")))  # sent by the worker
    msg = _last_email(app)
    assert msg["To"] == "bursar@greenabbey.sch.uk"
    link = re.search(r"http\S+/reset-password/\S+", msg.get_body().get_content())[0]
    path = "/" + link.split("/", 3)[3]
    client.post("/sign-out", data={"csrf_token": token})
    page = client.get(path)
    assert page.status_code == 200
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "user.invited")) is not None


def test_duplicate_invite_is_an_error_on_the_page(client, session, login_as):
    make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@kent.gov.uk"))
    token = form_csrf(client, "/la/users/")
    r = client.post("/la/users/", data={"csrf_token": token, "email": "Admin@kent.gov.uk",
                                        "name": "Again", "where": "la_officer"})
    assert r.status_code == 422
    assert "already an account" in r.get_data(as_text=True)


def test_disabling_ends_the_sessions_at_once(app, session, login_as):
    school = make_school(session)
    staff = make_user(session, school=school)
    victim_client = app.test_client()
    with victim_client.session_transaction() as s:
        s["_user_id"] = staff.get_id()
    assert victim_client.get("/school/").status_code == 200
    admin_client = app.test_client()
    with admin_client.session_transaction() as s:
        s["_user_id"] = make_user(session, role="la_admin", email="admin@la.test").get_id()
    token = form_csrf(admin_client, "/la/users/")
    assert admin_client.post(f"/la/users/{staff.id}/active",
                             data={"csrf_token": token}).status_code == 302
    r = victim_client.get("/school/")
    assert r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_cli_user_add_and_disable(app, runner, session):
    make_school(session)
    r = runner.invoke(args=["b2b", "user", "add", "new@1111.test", "--name", "New Person",
                            "--school", "8861111"])
    assert r.exit_code == 0, r.output
    assert _last_email(app)["To"] == "new@1111.test"
    r = runner.invoke(args=["b2b", "user", "add", "officer2@la.test", "--name", "O", "--la"])
    assert r.exit_code == 0
    assert runner.invoke(args=["b2b", "user", "disable", "new@1111.test"]).exit_code == 0
    session.expire_all()
    assert session.scalar(select(User.active).where(User.email == "new@1111.test")) is False
