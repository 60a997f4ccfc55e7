"""The optional second factor for LA accounts: set up, sign in with a code, no replay."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from tests.factories import PASSWORD, form_csrf, make_school, make_user
from webapp.models import User


def _turn_on(client, session, officer):
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page)[1]
    assert "<svg" in page  # the QR code to scan
    token = form_csrf(client, "/account/two-factor")
    r = client.post("/account/two-factor",
                    data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(User, officer.id).totp_secret == secret
    return secret


def test_set_up_then_sign_in_needs_the_code(app, client, session, login_as):
    officer = make_user(session, role="la_officer", email="officer@kent.gov.uk")
    login_as(officer)
    secret = _turn_on(client, session, officer)
    fresh = app.test_client()
    r = fresh.post("/sign-in", data={"csrf_token": form_csrf(fresh, "/sign-in"),
                                     "email": officer.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in/code")
    assert fresh.get("/la/").status_code == 302  # not signed in yet
    token = form_csrf(fresh, "/sign-in/code")
    assert fresh.post("/sign-in/code", data={"csrf_token": token,
                                             "code": "000000"}).status_code == 400
    # The setup used this time-step's code; the next step's code is also accepted.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert fresh.post("/sign-in/code", data={"csrf_token": token, "code": code}
                      ).status_code == 302
    assert fresh.get("/la/").status_code == 200
    # The same code again (someone looking over a shoulder) does not work.
    again = app.test_client()
    again.post("/sign-in", data={"csrf_token": form_csrf(again, "/sign-in"),
                                 "email": officer.email, "password": PASSWORD})
    assert again.post("/sign-in/code", data={"csrf_token": form_csrf(again, "/sign-in/code"),
                                             "code": code}).status_code == 400


def test_wrong_setup_code_changes_nothing_and_school_users_have_no_page(client, session,
                                                                        login_as):
    officer = make_user(session, role="la_officer", email="officer@kent.gov.uk")
    login_as(officer)
    client.get("/account/two-factor")
    token = form_csrf(client, "/account/two-factor")
    r = client.post("/account/two-factor", data={"csrf_token": token, "code": "123456"})
    assert r.status_code == 400
    assert "govuk-error-summary" in r.text and 'href="#code"' in r.text
    assert session.scalar(select(User.totp_secret).where(User.id == officer.id)) is None
    login_as(make_user(session, school=make_school(session)))
    assert client.get("/account/two-factor").status_code == 404


def test_code_step_without_a_password_first_goes_back_to_sign_in(client):
    r = client.get("/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")
