"""Hostile values from the browser (issue 18): query parameters out of range or not numbers
are a 400, never a 500, on every page and export; tampered id lists in forms are refused;
control, bidirectional-override and zero-width characters are refused in every stored
text from a form with a GOV.UK error message, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import (
    HX,
    audit_count,
    form_csrf,
    make_school,
    make_user,
    received_seed_report,
)
from webapp.b2b.review.decisions import offered_choices, record_decision
from webapp.models import AmendmentTask, ApiToken, Difference, Report, ReportSubmission, User

BIG = "99999999999999999999"  # 20 digits: past any integer column (OverflowError)

# The characters that spoof a name in the queue and in ONE, or break a terminal or a file.
HOSTILE = {
    "NUL": "Smith\x00Jones",
    "right-to-left override": "\u202eevil",
    "zero-width space": "Jo\u200bhn",
    "ESC": "Jo\x1b[31mhn",
    "BEL": "Jo\x07hn",
}


@pytest.fixture
def la_admin(session, login_as):
    return login_as(make_user(session, role="la_admin", email="admin@la.test"))


def _routes_without_arguments(app, prefix: str = "/"):
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments
                  and rule.rule.startswith(prefix))


# -- 5. query parameters range-checked -----------------------------------------------------

OUT_OF_RANGE = [
    f"/la/?year={BIG}&week=-5",
    f"/la/?year={BIG}",
    "/la/?week=-5",
    "/la/?week=54",
    "/la/?week=abc",
    "/la/?year=abc",
    "/la/?year=1999",
    f"/la/tasks?page={BIG}",
    "/la/tasks?page=0",
    "/la/tasks?page=abc",
    f"/amendments/log.csv?year={BIG}&week=1",
    "/amendments/log.csv?year=2026&week=54",
    "/amendments/log.csv?year=2026&week=0",
    "/amendments/log.csv?year=2026&week=abc",
    f"/amendments/log.pdf?year={BIG}&week=1",
    "/amendments/log.pdf?year=2026&week=54",
]


def test_query_parameters_out_of_range_are_400(app, client, la_admin):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a fault is then a 500, not an exception
    answers = {url: client.get(url).status_code for url in OUT_OF_RANGE}
    assert answers == dict.fromkeys(OUT_OF_RANGE, 400)


def test_the_same_pages_answer_in_range(app, client, la_admin):
    for url in ("/la/?year=2025&week=17", "/la/tasks?page=1",
                "/amendments/log.csv?year=2025&week=17"):
        assert client.get(url).status_code == 200, url


def test_every_page_survives_hostile_query_parameters(app, client, session, la_admin):
    """The sweep: every GET page without URL parameters, as an LA admin."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    make_school(session)
    urls = _routes_without_arguments(app)
    assert "/la/" in urls and "/la/tasks" in urls and "/amendments/log.csv" in urls
    for url in urls:
        r = client.get(url + f"?year={BIG}&week=-5&page=-1&state=%00")
        assert r.status_code < 500, (url, r.status_code)


# One hostile value in one parameter at a time (a page that checks the first parameter it
# reads answers 400 before reading the others).
NAMES = ("year", "week", "page", "school", "assignee", "field", "status", "show")
VALUES = (BIG, "²", "%00", "-1")  # "abc" and the rest: the tests above


def _faults(app, client, pairs, prefix: str = "/") -> list[tuple[str, str, str]]:
    out = []
    for url in _routes_without_arguments(app, prefix):
        if url == "/account/two-factor":
            continue  # reads no query parameter, and draws a QR code each time (slow)
        for name, value in pairs:
            if client.get(f"{url}?{name}={value}").status_code >= 500:
                out.append((url, name, value))
    return out


def test_every_page_survives_each_hostile_parameter(app, client, session, login_as):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    school = make_school(session)
    staff = make_user(session, school=school)
    pairs = [(n, v) for n in NAMES for v in VALUES]
    login_as(make_user(session, role="la_admin", email="admin@la.test"))
    faults = _faults(app, client, pairs)
    login_as(staff)
    faults += _faults(app, client, pairs, "/school/")
    assert faults == []


def test_amendment_queue_filters_out_of_range_are_not_a_500(app, client, session, la_admin):
    """The queue's filters (a GET form) once passed a 20-digit school, assignee or year to
    the database (OverflowError), and int("²") raised (str.isdigit is true for it)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    cases = [(n, v) for n in ("school", "assignee", "year") for v in (BIG, "²", "0", "-1")]
    answers = {(n, v): client.get(f"/la/tasks?{n}={v}").status_code for n, v in cases}
    assert all(status < 500 for status in answers.values()), answers


@pytest.mark.parametrize(("url", "name"), [
    ("/la/tasks/complete", "task_id"),
    ("/la/tasks/assign", "task_id"),
    ("/la/publish", "school_id"),
    ("/la/remind", "report_id"),
])
def test_tampered_ids_in_a_form_are_refused(app, client, session, la_admin, url, name):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    make_school(session)
    token = form_csrf(client, "/la/users/")
    values = ("abc", "99999999999", BIG, "-1", "²", "1.5", "", "0x10")
    answers = {v: client.post(url, data={"csrf_token": token, name: [v]}).status_code
               for v in values}
    assert answers == dict.fromkeys(values, 400)
    # One bad id among good-looking ones is enough.
    assert client.post(url, data={"csrf_token": token, name: ["1", "abc"]}).status_code == 400
    assert session.scalar(select(func.count(Report.id))) == 0  # nothing published


def test_an_id_in_range_that_does_not_exist_is_404(app, client, session, la_admin):
    token = form_csrf(client, "/la/users/")
    for url in ("/la/tasks/complete", "/la/tasks/assign"):
        r = client.post(url, data={"csrf_token": token, "task_id": ["1", "2147483647"]})
        assert r.status_code == 404, url


def test_a_tampered_version_in_a_decision_is_not_a_500(app, client, seed_report, login_as,
                                                       csrf):
    """"²".isdigit() is true but int("²") raises: the version once answered 500."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(seed_report.user)
    d = _joe(seed_report)
    token = csrf("/school/")
    for version in ("²", BIG, "-1", "abc"):
        r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                        data={"csrf_token": token, "choice": "la", "version": version})
        assert r.status_code < 500, version


# -- 6. hostile characters refused in forms -----------------------------------------------

def _joe(seed) -> Difference:
    return next(d for d in seed.report.differences
                if d.field_key == "forename" and d.school_value == "Joe")


def test_neither_correct_value_with_hostile_characters_is_refused(
        client, session, seed_report, login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    token = csrf("/school/")
    for what, value in HOSTILE.items():
        for headers in (HX, {}):  # htmx's fragment, and the page without JavaScript
            r = client.post(f"/school/differences/{d.id}/decision", headers=headers,
                            data={"csrf_token": token, "choice": "other", "value": value,
                                  "version": "0"})
            html = r.get_data(as_text=True)
            assert r.status_code == 422, what
            assert "govuk-error-message" in html, what
            assert ("control character" in html
                    or "invisible formatting character" in html), what
    session.expire_all()
    d = session.get(Difference, d.id)
    assert (d.choice, d.correct_value, d.version) == (None, None, 0)
    assert audit_count(session, "decision.recorded") == 0


def _decide_all(session, seed):
    for d in seed.report.differences:
        c = offered_choices(d)[0]
        record_decision(session, d, seed.user, c.value,
                        "01/09/2025" if c.needs else None, d.version)


def test_send_comment_with_escape_is_refused_but_lines_and_tabs_are_kept(
        client, session, seed_report, login_as, csrf):
    _decide_all(session, seed_report)
    login_as(seed_report.user)
    rid = seed_report.report.id
    token = csrf("/school/")
    for bad in ("Call \x1b[2JMrs Jones", "Call \u202eMrs Jones", "Call\x00 Mrs Jones"):
        r = client.post(f"/school/reports/{rid}/send", data={"csrf_token": token,
                                                            "comment": bad})
        html = r.get_data(as_text=True)
        assert r.status_code == 400, repr(bad)
        assert "govuk-error-message" in html and "The comment holds" in html
        assert "control character" in html or "invisible formatting character" in html
        assert session.scalar(select(func.count(ReportSubmission.id))) == 0
    session.expire_all()
    assert session.get(Report, rid).status != "sent"
    good = "Call Mrs Jones\non 01234 567890\tafter 3pm"
    r = client.post(f"/school/reports/{rid}/send", data={"csrf_token": token,
                                                        "comment": good})
    assert r.status_code == 302
    [sub] = session.scalars(select(ReportSubmission))
    assert "\n" in sub.comment and "\t" in sub.comment
    assert sub.comment.replace("\r\n", "\n") == good


@pytest.mark.parametrize("fragment", [True, False], ids=["htmx", "plain"])
def test_rejection_reason_with_right_to_left_override_is_refused(client, session, login_as,
                                                                 fragment):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    task = session.scalar(select(AmendmentTask).where(AmendmentTask.status == "open"))
    token = form_csrf(client, f"/la/tasks/{task.id}/reject")
    r = client.post(f"/la/tasks/{task.id}/reject", headers=HX if fragment else {},
                    data={"csrf_token": token, "reason": "Certificate says \u202esemaJ"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "govuk-error-message" in html and "U+202E" in html
    session.expire_all()
    task = session.get(AmendmentTask, task.id)
    assert (task.status, task.rejected_reason) == ("open", None)
    # A reason over several lines is a reason.
    r = client.post(f"/la/tasks/{task.id}/reject", headers=HX if fragment else {},
                    data={"csrf_token": token, "reason": "Certificate says James.\nSee file"})
    assert r.status_code in (200, 303)
    session.expire_all()
    assert session.get(AmendmentTask, task.id).rejected_reason.endswith("See file")


@pytest.mark.parametrize("name", ["Pat\u200bBursar", "Pat\tBursar", "\u202eraslluB taP",
                                  "Pat\x07Bursar"])
def test_invited_name_with_hostile_characters_is_refused(client, session, la_admin, name):
    school = make_school(session)
    before = session.scalar(select(func.count(User.id)))
    r = client.post("/la/users/", data={
        "csrf_token": form_csrf(client, "/la/users/"), "email": "pat@greenabbey.sch.uk",
        "name": name, "where": str(school.id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "govuk-error-message" in html and "The name holds" in html
    assert session.scalar(select(func.count(User.id))) == before
    assert audit_count(session, "user.invited") == 0


def _create_token(client, school, label: str):
    return client.post("/la/tokens/", data={
        "csrf_token": form_csrf(client, "/la/tokens/"), "scope": str(school.id),
        "label": label})


def test_token_label_with_bel_is_refused(client, session, la_admin):
    school = make_school(session)
    for label in ("SIMS\x07 nightly export", "SIMS \u202enightly", "SIMS\tnightly"):
        assert _create_token(client, school, label).status_code == 422, repr(label)
    assert session.scalar(select(func.count(ApiToken.id))) == 0
    assert _create_token(client, school, "SIMS nightly export").status_code == 200


def test_token_label_refusal_says_why(client, session, la_admin):
    html = _create_token(client, make_school(session), "SIMS\x07 nightly export").get_data(
        as_text=True)
    assert "govuk-error-message" in html and "control character" in html
