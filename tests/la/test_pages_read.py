"""How the LA pages read (issue 17): labels from the field catalogue, what ONE holds and
should hold for a leaver, people's names rather than emails, DD/MM/YYYY, plurals, one
success banner a page, and a header as wide as the content."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from tests.factories import (
    WEEK,
    YEAR,
    form_csrf,
    import_csv,
    import_ctf,
    make_school,
    make_user,
    published_seed_report,
    pupil,
    received_seed_report,
)
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.decisions import record_decision
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.models import ApiToken, Difference, Report

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SAM = pupil("A886111110003", "Brookes", "Sam", "2012-12-14", "M")  # only in ONE


def _visible(html: str) -> str:
    """The page's text as people read it: no tags, attributes or scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return re.sub(r" ([,.:;])", r"\1", text)


def _leaver(session):
    """A received report whose one task is a leaver's: the school said Sam has left on
    20/11/2025. Returns (report, officer)."""
    school = make_school(session)
    staff = make_user(session, school=school, name="Office Manager")
    officer = make_user(session, role="la_officer", name="Olive Officer",
                        email="olive@la.test")
    import_ctf(session, "8861111", [])
    import_csv(session, "8861111", [SAM])
    refresh_reports(session, YEAR, WEEK)
    report = session.scalar(select(Report))
    publish_reports(session, [report], officer)
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        if d.kind == "not_at_school":
            record_decision(session, d, staff, "left", "20/11/2025", d.version)
        else:
            record_decision(session, d, staff, "is_correct", None, d.version)
    send_report(session, report, staff)
    receive_report(session, report, officer)
    return report, officer


def test_a_leavers_task_says_what_one_holds_for_the_leaving_date(client, session, login_as):
    report, officer = _leaver(session)
    login_as(officer)
    for url in ("/la/tasks", f"/la/reports/{report.id}"):
        text = _visible(client.get(url).get_data(as_text=True))
        assert "Leaving date" in text, url
        assert "No leaving date" in text and "20/11/2025" in text, url
        assert "born 14/12/2012" not in text, url  # not the pupil's description
    task_id = re.search(r'/la/tasks/(\d+)/reject', client.get("/la/tasks").text).group(1)
    reject = _visible(client.get(f"/la/tasks/{task_id}/reject").get_data(as_text=True))
    assert ("Leaving date for Sam Brookes: ONE has No leaving date, the school says it "
            "should be 20/11/2025") in reject


def test_queue_filter_and_rows_use_catalogue_labels(client, session, login_as):
    report, officer = _leaver(session)
    login_as(officer)
    html = client.get("/la/tasks?status=").get_data(as_text=True)
    assert '<option value="leave_date">Leaving date</option>' in html
    for internal in (">leave_date<", ">Leave date<", "Upn ", ".la<"):
        assert internal not in html


def test_la_pages_show_dates_as_dd_mm_yyyy_and_names_not_emails(client, session, login_as):
    report, staff, officer, _ = received_seed_report(session)
    login_as(officer)
    pages = {url: _visible(client.get(url).get_data(as_text=True)) for url in (
        f"/la/?year={YEAR}&week={WEEK}", f"/la/reports/{report.id}", "/la/tasks",
        f"/la/reports/{report.id}/history")}
    for url, text in pages.items():
        assert not ISO_DATE.search(text), (url, ISO_DATE.search(text))
        assert not re.search(r"\d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ",
                             text), url
        assert re.search(r"\d\d/\d\d/\d{4}", text), url



def test_the_dashboard_names_who_acted_last(client, session, login_as):
    report, staff, officer = published_seed_report(session)
    login_as(officer)
    row = re.search(r"1111 Green Abbey School.*?</tr>", client.get(
        f"/la/?year={YEAR}&week={WEEK}").get_data(as_text=True), re.S).group(0)
    assert "Olive Officer" in row and officer.email not in row


def test_publishing_one_report_says_one_report(client, session, login_as):
    officer = make_user(session, role="la_officer")
    school = make_school(session, estab="6001", name="School 6001")
    school.contact_email = "head@6001.test"
    session.add(Report(school_id=school.id, academic_year=YEAR, week=WEEK))
    session.commit()
    login_as(officer)
    token = form_csrf(client, f"/la/?year={YEAR}&week={WEEK}")
    r = client.post("/la/publish", data={"csrf_token": token, "year": YEAR, "week": WEEK,
                                         "all": "1"}, follow_redirects=True)
    text = _visible(r.get_data(as_text=True))
    assert "Published 1 report; 1 email is being sent." in text
    assert "1 reports" not in text and "1 emails" not in text


def _admin(session):
    make_school(session)
    return make_user(session, role="la_admin", email="admin@la.test", name="Ada Admin")


def _banners(html: str) -> int:
    return html.count('data-module="govuk-notification-banner"')


@pytest.mark.parametrize("page", ["people", "cycle", "tokens", "two-step"])
def test_a_success_banner_shows_once(client, session, login_as, page):
    admin = login_as(_admin(session))
    token = form_csrf(client, "/la/")
    if page == "people":
        other = make_user(session, role="la_officer", email="other@la.test", name="Otto")
        r = client.post(f"/la/users/{other.id}/active", data={"csrf_token": token},
                        follow_redirects=True)
        assert "Otto can no longer sign in." in r.get_data(as_text=True)
    elif page == "cycle":
        r = client.post("/la/cycle/auto-publish", data={"csrf_token": token},
                        follow_redirects=True)
    elif page == "tokens":
        client.post("/la/tokens/", data={"csrf_token": token, "scope": "la", "label": "ONE"})
        token_id = session.scalar(select(ApiToken.id))
        r = client.post(f"/la/tokens/{token_id}/revoke", data={"csrf_token": token},
                        follow_redirects=True)
        assert "by Ada Admin" in r.get_data(as_text=True)  # the creator's name, not email
    else:
        setup = client.get("/account/two-factor").get_data(as_text=True)
        secret = re.search(r"<code>([A-Z2-7]{32})</code>", setup)[1]
        r = client.post("/account/two-factor", data={
            "csrf_token": form_csrf(client, "/account/two-factor"),
            "code": pyotp.TOTP(secret).now()}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, page
    assert _banners(html) == 1, (page, admin.email)


def test_la_pages_header_and_content_share_one_width(client, session, login_as, seed_report):
    """The LA pages are wide: the class is on <body>, so the header's width container is
    as wide as the content's (they were 960 and 1200 pixels); school pages are not."""
    login_as(seed_report.officer)
    for url in ("/la/", "/la/tasks", "/account/two-factor"):
        html = client.get(url).get_data(as_text=True)
        assert re.search(r'<body class="govuk-template__body app-template--wide"', html), url
        assert "app-width-container--wide" not in html, url
    login_as(seed_report.user)
    html = client.get("/school/").get_data(as_text=True)
    assert "app-template--wide" not in html
    with open("webapp/static/src/app.scss") as f:
        scss = f.read()
    assert ".app-template--wide .govuk-width-container" in scss
