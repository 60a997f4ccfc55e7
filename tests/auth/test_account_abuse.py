"""Abuse of the account emails and of the code step (issue 18): reset and invitation links
only on the configured base URL whatever Host the request names, the forgotten-password
request doing the same work for every address and limited per address and per client, no
single-use link kept once sent, and two-step codes limited per account."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.factories import (
    PASSWORD,
    audit_count,
    form_csrf,
    make_school,
    make_user,
    wait_for,
)
from webapp.models import OutboundEmail, PasswordReset, User
from webapp.models.base import utcnow
from webapp.platform import jobs

BASE = "https://b2b.example.test"
EVIL = "evil.example"
# How a request can name a host of its choosing: the Host header itself, or
# X-Forwarded-Host (which only counts behind ProxyFix(x_host=1), as docs/deploy.md had it).
HOSTILE_HOSTS = {
    "Host": ({"Host": EVIL}, False),
    "X-Forwarded-Host": ({"X-Forwarded-Host": EVIL}, False),
    "X-Forwarded-Host behind ProxyFix(x_host=1)": (
        {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http"}, True),
}
CSRF_VALUE = re.compile(r'(name="csrf[-_]token" (?:type="hidden" )?(?:content|value)=")[^"]+')


def _outbox(app) -> list[bytes]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return [p.read_bytes() for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def _body(raw: bytes) -> str:
    return message_from_bytes(raw, policy=default_policy).get_body().get_content()


def _links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def _csrf_as(client, url: str, headers: dict) -> str:
    """The form's CSRF token, fetched with the same headers (the same host's cookies)."""
    html = client.get(url, headers=headers).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)[1]


def _hostile(app, name: str) -> dict:
    headers, proxy_fix = HOSTILE_HOSTS[name]
    app.config["B2B_BASE_URL"] = BASE
    if proxy_fix:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return headers


def _assert_only_on_base(raw: bytes) -> str:
    """The message names no other host than the configured base URL's; its one link."""
    assert EVIL.encode() not in raw
    links = _links(_body(raw))
    assert links and all(link.startswith(BASE + "/") for link in links), links
    return links[0]


# -- 1. links only on the configured base URL -------------------------------------------

@pytest.mark.parametrize("how", list(HOSTILE_HOSTS))
def test_reset_link_is_on_the_base_url_whatever_host_the_request_names(
        app, client, session, consumer, how):
    headers = _hostile(app, how)
    make_user(session, school=make_school(session))
    r = client.post("/forgotten-password", headers=headers, data={
        "csrf_token": _csrf_as(client, "/forgotten-password", headers),
        "email": "office@1111.test"})
    assert r.status_code == 200
    assert wait_for(lambda: _outbox(app))  # sent by the worker
    [raw] = _outbox(app)
    link = _assert_only_on_base(raw)
    assert re.fullmatch(re.escape(BASE) + r"/reset-password/[\w-]+", link)
    # The link works (on this app, whatever host it was asked from).
    assert client.get(link.removeprefix(BASE)).status_code == 200


@pytest.mark.parametrize("how", list(HOSTILE_HOSTS))
def test_invitation_link_is_on_the_base_url_whatever_host_the_request_names(
        app, client, session, login_as, consumer, how):
    headers = _hostile(app, how)
    school = make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    # login_as sets the cookie for the test client's own host: copy it to the hostile one.
    if "Host" in headers:
        cookie = client.get_cookie("session")
        client.set_cookie("session", cookie.value, domain=EVIL)
    r = client.post("/la/users/", headers=headers, data={
        "csrf_token": _csrf_as(client, "/la/users/", headers),
        "email": "new@greenabbey.sch.uk", "name": "Pat New", "where": str(school.id)})
    assert r.status_code == 302
    assert wait_for(lambda: _outbox(app))
    [raw] = _outbox(app)
    link = _assert_only_on_base(raw)
    assert "/reset-password/" in link


# -- 2. the forgotten-password request: the same work for every address; limits ----------

def test_forgotten_password_request_does_no_address_dependent_work(app, client, session,
                                                                   csrf):
    """No worker running: the request only enqueues, for a known address as for an unknown
    one. Nothing is looked up or written in the request, and the answers are the same."""
    make_user(session, school=make_school(session))
    answers = []
    for email in ("office@1111.test", "nobody@1111.test"):
        r = client.post("/forgotten-password",
                        data={"csrf_token": csrf("/forgotten-password"), "email": email})
        assert r.status_code == 200
        answers.append(CSRF_VALUE.sub(r"\1", r.get_data(as_text=True)))
    assert answers[0] == answers[1] and "Check your email" in answers[0]
    session.expire_all()
    assert session.scalar(select(func.count(PasswordReset.id))) == 0
    assert session.scalar(select(func.count(OutboundEmail.id))) == 0
    assert not _outbox(app)
    assert jobs.huey.pending_count() == 2  # one job each, whatever the address


def _outcomes(session) -> int:
    """Reset jobs that have run: each either started a reset or recorded a throttle."""
    return (session.scalar(select(func.count(PasswordReset.id)))
            + audit_count(session, "password.reset_throttled"))


def _ask_from(app, n: int, email: str = "office@1111.test"):
    """A forgotten-password request from the ``n``-th of many clients (so the per-client
    limit is not what stops them)."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
    return c.post("/forgotten-password", data={
        "csrf_token": form_csrf(c, "/forgotten-password"), "email": email})


def test_one_address_is_sent_at_most_three_resets_an_hour(app, session, consumer):
    user = make_user(session, school=make_school(session))
    for i in range(12):
        assert _ask_from(app, i).status_code == 200, i
        assert wait_for(lambda n=i + 1: _outcomes(session) == n), i  # its job has run
    assert session.scalar(select(func.count(PasswordReset.id))) == 3
    assert audit_count(session, "password.reset_throttled") == 9
    assert wait_for(lambda: len(_outbox(app)) == 3)
    time.sleep(0.5)  # and nothing more arrives
    assert len(_outbox(app)) == 3
    assert session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.recipient == user.email)) == 3


def test_reset_requests_at_the_same_moment_are_none_of_them_lost(app, session, consumer):
    from webapp.tasks.email import ask_for_password_reset

    make_user(session, school=make_school(session))
    session.rollback()
    # What twelve forgotten-password posts in the same moment hand the worker.
    for _ in range(12):
        ask_for_password_reset("office@1111.test")
    assert wait_for(lambda: _outcomes(session) == 12, timeout=10)
    assert wait_for(lambda: len(_outbox(app)) == 3)


def test_one_client_is_limited_whatever_the_addresses(app, client, session, csrf):
    app.config["B2B_RESET_LIMIT_ADDRESS"] = "3 per minute"
    make_user(session, school=make_school(session))
    for i in range(3):
        r = client.post("/forgotten-password", data={
            "csrf_token": csrf("/forgotten-password"), "email": f"someone{i}@1111.test"})
        assert r.status_code == 200, i
    r = client.post("/forgotten-password", data={
        "csrf_token": csrf("/forgotten-password"), "email": "office@1111.test"})
    assert r.status_code == 429
    assert jobs.huey.pending_count() == 3  # the refused request enqueued nothing
    # Another client is not held up by this one.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    r = other.post("/forgotten-password", data={
        "csrf_token": form_csrf(other, "/forgotten-password"), "email": "office@1111.test"})
    assert r.status_code == 200


# -- 3. a sent reset or invitation keeps no link in the outbound table -------------------

def _sent_rows(session, kind: str) -> list[OutboundEmail]:
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.kind == kind,
                                                            OutboundEmail.status == "sent")))


def test_sent_reset_email_keeps_no_link_in_the_table(app, client, session, csrf, consumer):
    make_user(session, school=make_school(session))
    client.post("/forgotten-password",
                data={"csrf_token": csrf("/forgotten-password"), "email": "office@1111.test"})
    assert wait_for(lambda: _sent_rows(session, "password_reset"))
    [row] = _sent_rows(session, "password_reset")
    token = _links(_body(_outbox(app)[0]))[0].rsplit("/", 1)[1]
    assert token not in row.body and "/reset-password/" not in row.body
    assert row.subject.startswith("Reset your")  # the rest of the record is kept


def test_sent_invitation_keeps_no_link_in_the_table(app, client, session, login_as,
                                                     consumer):
    school = make_school(session)
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    client.post("/la/users/", data={"csrf_token": form_csrf(client, "/la/users/"),
                                    "email": "new@greenabbey.sch.uk", "name": "Pat New",
                                    "where": str(school.id)})
    assert wait_for(lambda: _sent_rows(session, "invitation"))
    [row] = _sent_rows(session, "invitation")
    token = _links(_body(_outbox(app)[0]))[0].rsplit("/", 1)[1]
    assert token not in row.body and "/reset-password/" not in row.body
    assert row.recipient == "new@greenabbey.sch.uk"


def test_other_emails_keep_their_body_once_sent(app, session):
    from webapp.platform.mail import batch_ids, deliver, new_batch, queue_email

    batch = new_batch()
    queue_email(session, recipients=["head@1111.test"], kind="report_published", batch=batch,
                subject="Your B2B report", body=f"Open {BASE}/school/reports/1")
    session.commit()
    deliver(session, batch_ids(session, batch))
    row = session.scalar(select(OutboundEmail))
    assert row.status == "sent" and row.body == f"Open {BASE}/school/reports/1"


# -- 4. two-step codes limited per account -----------------------------------------------

@pytest.fixture
def two_step(session):
    """An LA officer with two-step sign-in on, and an admin of the same LA."""
    officer = make_user(session, role="la_officer", email="officer@kent.gov.uk",
                        name="Olive Officer")
    officer.totp_secret = pyotp.random_base32()
    session.commit()
    admin = make_user(session, role="la_admin", email="admin@kent.gov.uk")
    return officer, admin


def _wrong_code(secret: str) -> str:
    """A code that is right in no nearby time step."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + 30 * k) for k in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in near)


def _password_step(app, user):
    c = app.test_client()
    r = c.post("/sign-in", data={"csrf_token": form_csrf(c, "/sign-in"),
                                 "email": user.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in/code")
    return c


def _code(c, code: str):
    return c.post("/sign-in/code", data={"csrf_token": form_csrf(c, "/sign-in/code"),
                                         "code": code})


def test_five_wrong_codes_across_sign_ins_lock_the_code_step(app, session, two_step):
    officer, admin = two_step
    wrong = _wrong_code(officer.totp_secret)
    first = _password_step(app, officer)
    for _ in range(3):
        assert _code(first, wrong).status_code == 400
    # A fresh password sign-in does not start the count again.
    second = _password_step(app, officer)
    assert _code(second, wrong).status_code == 400
    r = _code(second, wrong)
    assert r.status_code == 429 and "Too many wrong codes" in r.get_data(as_text=True)
    session.expire_all()
    locked = session.get(User, officer.id)
    assert locked.code_locked_until is not None and locked.code_locked_until > utcnow()
    assert audit_count(session, "two_factor.locked") == 1
    [mail] = session.scalars(select(OutboundEmail).where(
        OutboundEmail.kind == "two_factor_locked"))
    assert mail.recipient == admin.email and officer.email in mail.body
    assert mail.status == "queued"
    assert session.scalar(select(func.count(OutboundEmail.id))) == 1  # admins only

    # While locked even the right code is refused, and nobody is signed in.
    right = pyotp.TOTP(officer.totp_secret).now()
    third = _password_step(app, officer)
    r = _code(third, right)
    assert r.status_code == 429 and "Too many wrong codes" in r.get_data(as_text=True)
    assert third.get("/la/").status_code == 302

    # Once the lock has passed, the right code signs in.
    locked.code_locked_until = utcnow() - timedelta(minutes=1)
    session.commit()
    fourth = _password_step(app, officer)
    assert _code(fourth, right).status_code == 302
    assert fourth.get("/la/").status_code == 200


def _session_of(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_pending_cookie_holds_no_session_token(app, session, two_step):
    officer, _ = two_step
    c = _password_step(app, officer)
    pending = _session_of(app, c)
    assert "_2fa_user" in pending
    assert not any(officer.session_token in str(v) for v in pending.values()), pending
    assert officer.session_token not in str(pending)


def test_forged_or_stale_pending_value_goes_back_to_sign_in(app, session, two_step):
    officer, admin = two_step
    c = _password_step(app, officer)
    genuine = _session_of(app, c)["_2fa_user"]
    right = pyotp.TOTP(officer.totp_secret).now()
    digest = genuine.partition(":")[2]
    forged = [
        f"{officer.id}:{officer.session_token}",  # the old form: id and session token
        f"{officer.id}:{'0' * len(digest)}",  # a made-up digest
        f"{admin.id}:{digest}",  # another account's id with this one's digest
        f"{officer.id}",
        "not-an-id",
    ]
    for value in forged:
        forger = app.test_client()
        with forger.session_transaction() as s:
            s["_2fa_user"] = value
            s["_2fa_at"] = time.time()
        r = forger.get("/sign-in/code")
        assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in"), value
        with forger.session_transaction() as s:
            s["_2fa_user"] = value
            s["_2fa_at"] = time.time()
        r = forger.post("/sign-in/code", data={"code": right})
        assert r.status_code in (302, 400), value
        assert forger.get("/la/").status_code == 302, value
    # The genuine value stops working once the account's session token changes (the
    # password reset, or the account disabled and enabled).
    officer.session_token = "a-new-session-token"
    session.commit()
    r = c.get("/sign-in/code")
    assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in")


def test_pending_value_with_an_id_out_of_range_goes_back_to_sign_in(app, session, two_step):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    forger = app.test_client()
    with forger.session_transaction() as s:
        s["_2fa_user"] = "99999999999999999999:" + "0" * 64
        s["_2fa_at"] = time.time()
    r = forger.get("/sign-in/code")
    assert r.status_code == 302


def test_wrong_codes_turning_two_step_off_lock_without_an_error(app, client, session,
                                                                 login_as, two_step):
    officer, _ = two_step
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(officer)
    wrong = _wrong_code(officer.totp_secret)
    token = form_csrf(client, "/account/two-factor")
    for i in range(6):
        r = client.post("/account/two-factor/off", data={"csrf_token": token, "code": wrong})
        assert r.status_code < 500, i
    session.expire_all()
    assert session.get(User, officer.id).totp_secret is not None  # still on
