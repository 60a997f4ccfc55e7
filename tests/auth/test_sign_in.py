"""Signing in and out, forgotten passwords and the front door."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import HX, PASSWORD, make_school, make_user, wait_for
from webapp.models import PasswordReset


def _sign_in(client, csrf, email, password, next_url=None):
    token = csrf("/sign-in")
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def _outbox(app) -> list:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] \
        if folder.exists() else []


def test_sign_in_page_is_a_gov_uk_form_with_csrf(client):
    r = client.get("/sign-in")
    html = r.text
    assert r.status_code == 200
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    assert 'name="csrf_token"' in html and 'autocomplete="current-password"' in html
    assert "Forgotten your password?" in html
    assert "GDS Transport" not in html and "govuk-header__logo" not in html  # no crown
    assert "Crown copyright" not in html and "govuk-footer__crown" not in html
    assert "/static/css/app.css" in html  # the LA-branded build


def test_sign_in_and_out(client, session, csrf):
    school = make_school(session)
    user = make_user(session, school=school)
    r = _sign_in(client, csrf, "OFFICE@1111.test", PASSWORD)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/school/"
    assert client.get("/school/").status_code == 200
    session.refresh(user)
    assert user.last_sign_in_at is not None
    # Signing out is a POST with the token; a GET does nothing.
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    r = client.post("/sign-out", data={"csrf_token": csrf("/school/")})
    assert r.headers["Location"] == "/sign-in"
    assert "You have signed out." in client.get("/sign-in").text
    assert client.get("/school/").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_answer(client, session, csrf):
    make_user(session, school=make_school(session))
    wrong = _sign_in(client, csrf, "office@1111.test", "not it")
    unknown = _sign_in(client, csrf, "nobody@1111.test", PASSWORD)
    for r in (wrong, unknown):
        assert r.status_code == 400
        assert "Enter a correct email address and password" in r.text
        assert "<title>Error: " in r.text and "govuk-error-summary" in r.text
    assert client.get("/school/").status_code == 302


def test_inactive_user_cannot_sign_in(client, session, csrf):
    user = make_user(session, school=make_school(session))
    user.active = False
    session.commit()
    assert _sign_in(client, csrf, user.email, PASSWORD).status_code == 400


def test_next_is_followed_only_on_this_site(client, session, csrf):
    make_user(session, school=make_school(session))
    r = _sign_in(client, csrf, "office@1111.test", PASSWORD, next_url="/school/sent")
    assert r.headers["Location"] == "/school/sent"
    client.post("/sign-out", data={"csrf_token": csrf("/school/")})
    for evil in ("https://evil.example/", "//evil.example/x"):
        r = _sign_in(client, csrf, "office@1111.test", PASSWORD, next_url=evil)
        assert r.headers["Location"] == "/", evil
        client.post("/sign-out", data={"csrf_token": csrf("/school/")})


def test_sign_in_without_csrf_is_refused(client, session):
    make_user(session, school=make_school(session))
    r = client.post("/sign-in", data={"email": "office@1111.test", "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/school/").status_code == 302


def test_passwords_are_hashed_with_scrypt():
    from webapp.auth.passwords import hash_password

    assert hash_password("a long enough password").startswith("scrypt:")


def test_front_door(client, session, login_as):
    assert client.get("/").headers["Location"] == "/sign-in"
    login_as(make_user(session, role="la_officer"))
    r = client.get("/")
    # The LA pages' dashboard when there is one, otherwise a placeholder.
    assert r.status_code == 200 or r.headers["Location"].startswith("/la")


def test_forgotten_password_same_answer_and_a_single_use_link(app, client, session, csrf,
                                                              consumer):
    user = make_user(session, school=make_school(session))
    old_token = user.session_token
    answers = []
    for email in ("office@1111.test", "nobody@1111.test"):
        r = client.post("/forgotten-password",
                        data={"csrf_token": csrf("/forgotten-password"), "email": email})
        assert r.status_code == 200
        answers.append(r.text)
    # The same page, but for the CSRF token: it carries a timestamp, and the two posts
    # may fall either side of a second.
    same = [re.sub(r'(name="csrf[-_]token" (?:type="hidden" )?(?:content|value)=")[^"]+',
                   r"\1", a) for a in answers]
    assert same[0] == same[1] and "Check your email" in answers[0]
    assert wait_for(lambda: _outbox(app))  # sent by the job worker, not the request
    mails = _outbox(app)
    assert [m["To"] for m in mails] == ["office@1111.test"]
    body = mails[0].get_payload(decode=True).decode()
    assert PASSWORD not in body
    # On the configured base URL, whatever Host the request named.
    link = re.search(r"http://127\.0\.0\.1:5000(/reset-password/\S+)", body).group(1)
    stored = session.scalar(select(PasswordReset))
    assert link.rsplit("/", 1)[1] not in stored.token_hash  # only a hash is kept

    assert client.get(link).status_code == 200
    r = client.post(link, data={"csrf_token": csrf(link), "password": "short",
                                "confirm": "short"})
    assert r.status_code == 400 and "at least 12 characters" in r.text
    # The password policy on the form: guessable, or the account's own address.
    for weak, says in (("passwordpassword", "too easy to guess"),
                       ("office1111-password", "must not contain your email"),
                       ("kent county council b2b", "name of the service")):
        r = client.post(link, data={"csrf_token": csrf(link), "password": weak,
                                    "confirm": weak})
        assert r.status_code == 400 and says in r.text, weak
    assert client.get(link).status_code == 200  # still unused
    new = "a new and long password"
    r = client.post(link, data={"csrf_token": csrf(link), "password": new, "confirm": new})
    assert r.headers["Location"] == "/sign-in"
    session.refresh(user)
    assert user.session_token != old_token  # every other session ends
    assert client.get(link).status_code == 404  # used once
    assert _sign_in(client, csrf, user.email, PASSWORD).status_code == 400
    assert _sign_in(client, csrf, user.email, new).status_code == 302


def test_reset_link_expires(client, session):
    from webapp.auth.passwords import start_reset

    user = make_user(session, school=make_school(session))
    token = start_reset(session, user)
    reset = session.scalar(select(PasswordReset))
    reset.expires_at = reset.created_at - timedelta(seconds=1)
    session.commit()
    r = client.get(f"/reset-password/{token}")
    assert r.status_code == 404 and "expired" in r.text
    # A newer request makes older links stop working.
    first = start_reset(session, user)
    start_reset(session, user)
    assert client.get(f"/reset-password/{first}").status_code == 404
    assert session.scalar(select(func.count(PasswordReset.id))) == 3


def test_session_ended_on_htmx_gets_hx_redirect(client, session, seed_report, csrf,
                                                 login_as):
    login_as(seed_report.user)
    token = csrf("/school/")
    d = seed_report.report.differences[0]
    client.post("/sign-out", data={"csrf_token": token})
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"choice": "la", "version": "0"},
                    headers={**HX, "X-CSRFToken": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/sign-in")
    assert d.choice is None


def test_forgotten_password_needs_an_address(client, csrf):
    r = client.post("/forgotten-password",
                    data={"csrf_token": csrf("/forgotten-password"), "email": "not an address"})
    assert r.status_code == 400 and "in the correct format" in r.text
    assert "<title>Error: " in r.text


def test_session_ended_on_htmx_returns_to_the_page_after_sign_in(client, seed_report, csrf):
    rid = seed_report.report.id
    r = client.post(f"/school/differences/{seed_report.report.differences[0].id}/decision",
                    data={"choice": "la"},
                    headers={**HX, "HX-Current-URL": f"http://localhost/school/reports/{rid}"})
    assert r.headers["HX-Redirect"] == f"/sign-in?next=/school/reports/{rid}"
    # A page on another site is never where they are sent back to.
    r = client.get("/school/", headers={**HX, "HX-Current-URL": "http://evil.example/x"})
    assert r.headers["HX-Redirect"] == "/sign-in"
    r = _sign_in(client, csrf, seed_report.user.email, PASSWORD,
                 next_url=f"/school/reports/{rid}")
    assert r.headers["Location"] == f"/school/reports/{rid}"


def test_signed_in_users_skip_the_sign_in_page(client, session, login_as):
    login_as(make_user(session, school=make_school(session)))
    assert client.get("/sign-in").headers["Location"] == "/"


def test_sign_in_says_when_the_session_timed_out(client):
    with client.session_transaction() as s:
        s["_timed_out"] = True
    assert "You were signed out because the page was left" in client.get("/sign-in").text
    assert "You were signed out because" not in client.get("/sign-in").text  # said once
