"""Every URL rule of the app, requested anonymously, as a school user of another school,
as a school user on LA pages, and as an LA officer on LA-admin pages: none of them may
show another school's data or act on it. A new route fails this test until it is placed
in one of the lists below (and so thought about)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import WEEK, YEAR, import_csv, import_ctf, make_school, make_user, pupil
from webapp.auth.api_tokens import create_token
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.models import AmendmentTask, Difference, Report, ReportSubmission, ReturnFile

# Open to anyone (sign-in and its helpers, the API's own description, static files).
PUBLIC = {"static", "auth.sign_in", "auth.forgotten_password", "auth.reset_password",
          "auth.index", "api.openapi", "auth.sign_out", "twofactor.code"}
# Bearer-token routes: covered by tests/api/test_uploads.py (401 without a token).
TOKEN_ROUTES = {"api.create_upload", "api.upload_state"}
# Routes for school staff only.
SCHOOL_ROUTES_PREFIX = "school."
# Routes for LA admins only.
ADMIN_ONLY = {"tokens.index", "tokens.create", "tokens.revoke", "cycle.auto_publish",
              "users.index", "users.invite", "users.toggle", "la.save_extract_mapping"}
# Routes any signed-in user may reach for their own school's objects (both audiences).
SHARED = {"exports.report_as_pdf", "exports.report_as_docx", "exports.sims_return_file",
          "exports.sims_return_list"}

SECRET_WORDS = ("Bloggs", "X886111110001")


@pytest.fixture
def world(session):
    """School A (1111) with a sent and received report, a difference, a submission and an
    amendment task; school B (2222) with its own user; LA officer and admin."""
    a = make_school(session)
    b = make_school(session, estab="2222", name="Other School")
    joe = pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M")
    import_ctf(session, "8861111", [joe])
    import_csv(session, "8861111", [{**joe, "forename": "Joseph"}])
    import_ctf(session, "8862222", [pupil("L886222210002", "Smith", "Ann", "2007-01-01", "F")],
               name="Other School")
    refresh_reports(session, YEAR, WEEK)
    officer = make_user(session, role="la_officer", email="officer@la.test")
    admin = make_user(session, role="la_admin", email="admin@la.test")
    a_user = make_user(session, school=a, email="office@1111.test")
    b_user = make_user(session, school=b, email="office@2222.test")
    reports = session.scalars(select(Report)).all()
    publish_reports(session, reports, officer)
    report = session.scalar(select(Report).where(Report.school_id == a.id))
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        d.choice = "school" if d.kind == "field" else {
            "anomaly": "is_correct", "new_to_la": "not_on_roll",
            "not_at_school": "still_on_roll"}[d.kind]
        d.decided_by_id = a_user.id
    session.commit()
    send_report(session, report, a_user)
    receive_report(session, report, officer)
    _, _ = create_token(session, la=a.la, school=a, label="SIMS", actor="t")
    returned = ReturnFile(report_id=report.id, uploaded_by_id=a_user.id, file_name="r.docx",
                          size=1, sha256="0" * 64, content=b"x")  # a ticked .docx sent back
    session.add(returned)
    session.commit()
    ids = {
        "report_id": report.id,
        "difference_id": session.scalar(select(Difference.id).where(
            Difference.report_id == report.id)),
        "submission_id": session.scalar(select(ReportSubmission.id)),
        "task_id": session.scalar(select(AmendmentTask.id)),
        "token_id": 1,
        "token": "no-such-pack-0123456789",
        "upload_id": 1,
        "user_id": 1,
        "return_id": returned.id,
    }
    assert all(v is not None for v in ids.values()), ids
    return {"ids": ids, "officer": officer, "admin": admin, "a": a_user, "b": b_user}


def _rules(app):
    return [r for r in app.url_map.iter_rules()]


def _url(rule, ids):
    missing = [a for a in rule.arguments if a not in ids and a != "filename"]
    assert not missing, f"no sweep coverage for {rule.rule} ({missing}): add its objects"
    values = {a: ids[a] for a in rule.arguments if a in ids}
    if "filename" in rule.arguments:
        values["filename"] = "govuk/govuk-frontend.min.css"
    return rule.build(values)[1]


def _requests(app, ids):
    for rule in _rules(app):
        endpoint = rule.endpoint
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield endpoint, method, _url(rule, ids)


def test_every_route_is_classified(app):
    known = PUBLIC | TOKEN_ROUTES | ADMIN_ONLY | SHARED
    for rule in _rules(app):
        e = rule.endpoint
        assert (e in known or e.startswith(("school.", "la.", "exports.", "tokens.",
                                            "cycle.", "users.", "twofactor."))), \
            f"{e} ({rule.rule}) is not in the access sweep's lists"


def _call(client, method, url, **kw):
    return client.open(url, method=method, data={"reason": "x", "task_id": "1"}, **kw)


def test_anonymous_is_sent_to_sign_in(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = False
    for endpoint, method, url in _requests(app, world["ids"]):
        if endpoint in PUBLIC or endpoint in TOKEN_ROUTES:
            continue
        r = _call(client, method, url)
        assert r.status_code in (302, 401), (endpoint, method, r.status_code)
        if r.status_code == 302:
            assert "/sign-in" in r.headers["Location"], (endpoint, r.headers["Location"])


def _no_leak(r, endpoint):
    body = r.get_data(as_text=True)
    for word in SECRET_WORDS:
        assert word not in body, (endpoint, word)


def test_school_user_of_another_school_gets_nothing(app, client, login_as, world, session):
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(world["b"])
    before = session.execute(select(AmendmentTask.status)).all()
    for endpoint, method, url in _requests(app, world["ids"]):
        if endpoint in PUBLIC or endpoint in TOKEN_ROUTES:
            continue
        r = _call(client, method, url)
        object_route = any(a in url for a in ("/reports/", "/differences/", "/submissions/",
                                              "/tasks/", "/tokens/", "/packs/"))
        if endpoint.startswith("school.") and not object_route:
            assert r.status_code in (200, 302), (endpoint, r.status_code)  # their own pages
        else:
            assert r.status_code in (403, 404), (endpoint, method, r.status_code)
        _no_leak(r, endpoint)
    session.expire_all()
    assert session.execute(select(AmendmentTask.status)).all() == before


def test_school_user_of_the_school_cannot_use_la_pages(app, client, login_as, world):
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(world["a"])
    for endpoint, method, url in _requests(app, world["ids"]):
        if endpoint.startswith(("la.", "tokens.", "cycle.", "users.")) or endpoint in (
                "exports.new_pack", "exports.start_pack", "exports.pack", "exports.pack_pdf",
                "exports.amendment_log_as_csv", "exports.amendment_log_as_pdf"):
            r = _call(client, method, url)
            assert r.status_code in (403, 404), (endpoint, method, r.status_code)


def test_la_officer_is_not_an_admin(app, client, login_as, world):
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(world["officer"])
    for endpoint, method, url in _requests(app, world["ids"]):
        if endpoint in ADMIN_ONLY:
            assert _call(client, method, url).status_code == 403, endpoint
        if endpoint.startswith("school."):
            assert _call(client, method, url).status_code in (403, 404), endpoint


def test_la_officer_of_another_la_sees_no_school_objects(app, client, login_as, world,
                                                          session):
    from tests.factories import make_la
    from webapp.models import User

    other_la = make_la(session, "999", "Elsewhere Council")
    stranger = User(email="officer@elsewhere.test", name="Stranger", role="la_officer",
                    la_id=other_la.id, password_hash=world["officer"].password_hash)
    session.add(stranger)
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(stranger)
    for endpoint, method, url in _requests(app, world["ids"]):
        if any(a in url for a in ("/reports/", "/differences/", "/submissions/", "/tasks/")):
            r = _call(client, method, url)
            assert r.status_code in (403, 404), (endpoint, method, r.status_code)
            _no_leak(r, endpoint)
