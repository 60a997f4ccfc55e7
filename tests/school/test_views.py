"""The school pages through the Flask test client: access, the per-choice forms with and
without htmx, stale and duplicate posts, sending, the sent list, recall and the copy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import HX, audit_count
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.review.decisions import offered_choices, record_decision
from webapp.models import Difference, ReportSubmission


def _joe(seed) -> Difference:
    return next(d for d in seed.report.differences
                if d.field_key == "forename" and d.school_value == "Joe")


def _decide_all(session, seed):
    for d in seed.report.differences:
        c = offered_choices(d)[0]
        record_decision(session, d, seed.user, c.value,
                        "01/09/2025" if c.needs else None, d.version)


def _send(session, seed):
    from webapp.b2b.review.lifecycle import send_report

    _decide_all(session, seed)
    return send_report(session, seed.report, seed.user)


def _routes(seed, submission_id: int):
    """Every school route, as (method, url)."""
    rid, did = seed.report.id, _joe(seed).id
    return [
        ("GET", "/school/"),
        ("GET", f"/school/reports/{rid}"),
        ("POST", f"/school/differences/{did}/decision"),
        ("GET", f"/school/reports/{rid}/sims-changes"),
        ("GET", f"/school/reports/{rid}/check"),
        ("POST", f"/school/reports/{rid}/send"),
        ("GET", "/school/sent"),
        ("GET", f"/school/submissions/{submission_id}/copy"),
        ("POST", f"/school/submissions/{submission_id}/recall"),
    ]


def _submission(session, seed) -> ReportSubmission:
    """A submission row to aim at (without changing the report's own state)."""
    s = ReportSubmission(report_id=seed.report.id, sent_by_id=seed.user.id, snapshot=None)
    session.add(s)
    session.commit()
    return s


# -- access --------------------------------------------------------------------------

def test_every_route_refuses_anonymous_users(client, session, seed_report):
    sub = _submission(session, seed_report)
    for method, url in _routes(seed_report, sub.id):
        r = client.open(url, method=method)
        assert r.status_code == 302, url
        assert r.headers["Location"].startswith("/sign-in"), url
        # htmx: a whole-page redirect, not a sign-in page swapped into a row.
        r = client.open(url, method=method, headers=HX)
        assert r.headers.get("HX-Redirect", "").startswith("/sign-in"), url
        assert r.status_code == 204 and b"<html" not in r.data, url
    assert _joe(seed_report).choice is None


def test_every_route_is_404_for_another_school(client, session, seed_report, login_as, csrf):
    sub = _submission(session, seed_report)
    login_as(seed_report.other_user)
    token = csrf("/school/")
    for method, url in _routes(seed_report, sub.id):
        if url == "/school/" or url == "/school/sent":
            continue  # their own pages
        data = {"csrf_token": token, "choice": "la", "version": "0"}
        r = client.open(url, method=method, data=data if method == "POST" else None)
        assert r.status_code == 404, url
        assert b"Green Abbey" not in r.data and b"Joseph" not in r.data, url
    session.refresh(seed_report.report)
    assert _joe(seed_report).choice is None and sub.recalled_at is None
    # And their own lists do not show the other school's report.
    assert f"/school/reports/{seed_report.report.id}" not in client.get("/school/").text
    assert b"B2BreportWeek17" not in client.get("/school/sent").data


def test_la_users_are_refused_the_school_pages(client, seed_report, login_as):
    login_as(seed_report.officer)
    assert client.get(f"/school/reports/{seed_report.report.id}").status_code == 403
    assert client.get("/school/").status_code == 403


def test_a_draft_report_is_not_found(client, session, seed_report, login_as):
    seed_report.report.status = "draft"
    session.commit()
    login_as(seed_report.user)
    assert client.get(f"/school/reports/{seed_report.report.id}").status_code == 404
    assert f"/school/reports/{seed_report.report.id}" not in client.get("/school/").text


# -- the report page -------------------------------------------------------------------

def test_report_page_is_the_seed_report(client, session, seed_report, login_as):
    login_as(seed_report.user)
    r = client.get(f"/school/reports/{seed_report.report.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in html
    assert r.headers["Cache-Control"] == "no-store"
    assert '<h1 class="govuk-heading-l">1111 Green Abbey School</h1>' in html
    for header in ("Student Details", "School Data", "LA Data - ONE"):
        assert f">{header}</th>" in html
    assert "0 of 8 answered" in html
    assert "Please tick which is the correct legal forename." in html
    assert "Neither: enter the correct value" in html
    assert "We will correct this in SIMS" in html
    assert "For reference a total of <strong>3 pupil data records</strong>" in html
    # DAVIDS vs Davids: shown plainly, with no choice of its own.
    assert len(re.findall(r'<form method="post"', html)) == 8
    # Each choice is its own small form posting with a version, the CSRF token for htmx.
    assert 'hx-sync="this:replace"' in html and '"X-CSRFToken"' in html
    assert "hx-trigger" not in html  # no eval-needing filters (CSP)
    assert 'name="version" value="0"' in html
    # No UPNs or names in any link.
    for href in re.findall(r'(?:href|action|hx-post)="([^"]+)"', html):
        assert not re.search(r"[A-Z]\d{11}", href) and "Joe" not in href, href
    session.refresh(seed_report.report)
    assert seed_report.report.opened_by_id == seed_report.user.id
    assert "Send to LA" not in html


# -- one choice ------------------------------------------------------------------------

def test_plain_post_saves_and_redirects_back_to_the_row(client, seed_report, login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"csrf_token": csrf("/school/"), "choice": "la", "version": "0"})
    assert r.status_code == 302
    assert r.headers["Location"] == (f"/school/reports/{seed_report.report.id}"
                                     f"#difference-{d.id}")
    assert (d.choice, d.version, d.decided_by_id) == ("la", 1, seed_report.user.id)
    page = client.get(f"/school/reports/{seed_report.report.id}").get_data(as_text=True)
    assert "Change forename Joe to Joseph in SIMS" in page
    assert "1 of 8 answered" in page


def test_htmx_post_returns_the_row_and_the_counter(client, seed_report, login_as, csrf,
                                                   rendered):
    login_as(seed_report.user)
    d = _joe(seed_report)
    token = csrf("/school/")
    rendered.clear()
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"choice": "la", "version": "0"},
                    headers={**HX, "X-CSRFToken": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<html" not in html and "<body" not in html
    assert html.lstrip().startswith("<tr") and f'id="difference-{d.id}"' in html
    assert 'id="progress"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "1 of 8 answered" in html
    assert "Change forename Joe to Joseph in SIMS" in html
    assert "HX-Request" in r.headers["Vary"]
    assert r.headers["Cache-Control"] == "no-store"
    assert d.choice == "la"
    # The same row (one macro) the page renders, wrapped with the out-of-band pieces.
    assert rendered == ["school/_decision_response.html"]
    with open("webapp/templates/school/_decision_response.html") as f:
        assert '{% include "school/_row.html" %}' in f.read()
    with open("webapp/templates/school/_row.html") as f:
        assert "{{ report_row(row, editable, row_errors) }}" in f.read()
    with open("webapp/templates/school/_report_table.html") as f:
        assert "{{ report_row(row, editable, row_errors) }}" in f.read()


def test_boosted_request_gets_the_whole_page_flow(client, seed_report, login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"csrf_token": csrf("/school/"), "choice": "school", "version": "0"},
                    headers={**HX, "HX-Boosted": "true"})
    assert r.status_code == 302


def test_a_choice_not_offered_is_refused_and_changes_nothing(client, session, seed_report,
                                                             login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    anomaly = next(x for x in seed_report.report.differences if x.kind == "anomaly")
    token = csrf("/school/")
    for target, choice in ((d, "bogus"), (d, ""), (anomaly, "la"), (anomaly, "other")):
        r = client.post(f"/school/differences/{target.id}/decision",
                        data={"csrf_token": token, "choice": choice, "version": "0",
                              "value": "x"}, headers=HX)
        html = r.get_data(as_text=True)
        assert r.status_code == 422
        assert "govuk-error-message" in html and "Select which is correct" in html
        assert "<html" not in html
    # Without JavaScript: the whole page with the GOV.UK error summary.
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"csrf_token": token, "choice": "bogus", "version": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "govuk-error-summary" in html
    assert "<title>Error: " in html and f'href="#difference-{d.id}-choice"' in html
    session.refresh(d)
    session.refresh(anomaly)
    assert (d.choice, d.version, anomaly.choice) == (None, 0, None)
    assert audit_count(session, "decision.recorded") == 0


def test_neither_needs_its_value(client, session, seed_report, login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    token = csrf("/school/")
    r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                    data={"csrf_token": token, "choice": "other", "value": " ", "version": "0"})
    assert r.status_code == 422 and "Enter the correct value" in r.get_data(as_text=True)
    assert d.choice is None
    r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                    data={"csrf_token": token, "choice": "other", "value": "Joey",
                          "version": "0"})
    assert r.status_code == 200 and "Change forename Joe to Joey in SIMS" in r.text
    assert (d.choice, d.correct_value) == ("other", "Joey")


def test_missing_csrf_is_refused(client, session, seed_report, login_as):
    login_as(seed_report.user)
    d = _joe(seed_report)
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"choice": "la", "version": "0"})
    assert r.status_code == 400 and "<html" in r.get_data(as_text=True)
    r = client.post(f"/school/differences/{d.id}/decision",
                    data={"choice": "la", "version": "0"},
                    headers={**HX, "X-CSRFToken": "not-the-token"})
    html = r.get_data(as_text=True)
    # htmx: a 400 fragment shown in the page's message area, never a redirect.
    assert r.status_code == 400 and "<html" not in html
    assert r.headers["HX-Retarget"] == "#app-messages"
    assert "Reload the page" in html
    session.refresh(d)
    assert d.choice is None


def test_stale_post_from_another_person_is_409_with_the_current_answer(
        client, session, seed_report, login_as, csrf):
    d = _joe(seed_report)
    record_decision(session, d, seed_report.assistant, "la", None, 0)  # the other person
    login_as(seed_report.user)
    r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                    data={"csrf_token": csrf("/school/"), "choice": "school",
                          "version": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Someone else changed this" in html
    assert re.search(r'value="la" checked', html)  # the current answer is shown
    assert 'name="version" value="1"' in html  # and the next post will be current
    session.refresh(d)
    assert (d.choice, d.decided_by_id) == ("la", seed_report.assistant.id)


def test_duplicate_post_records_once(client, session, seed_report, login_as, csrf):
    login_as(seed_report.user)
    d = _joe(seed_report)
    data = {"csrf_token": csrf("/school/"), "choice": "la", "version": "0"}
    first = client.post(f"/school/differences/{d.id}/decision", headers=HX, data=data)
    again = client.post(f"/school/differences/{d.id}/decision", headers=HX, data=data)
    assert (first.status_code, again.status_code) == (200, 200)
    assert audit_count(session, "decision.recorded") == 1 and d.version == 1


# -- sending, the sent list, recall and the copy ----------------------------------------

def test_send_offered_when_all_answered_then_read_only(client, session, seed_report,
                                                        login_as, csrf):
    login_as(seed_report.user)
    rid = seed_report.report.id
    token = csrf("/school/")
    # Not complete: sending is refused.
    r = client.post(f"/school/reports/{rid}/send", data={"csrf_token": token})
    assert r.status_code == 302 and seed_report.report.status == "published"
    assert "Answer every difference" in client.get(f"/school/reports/{rid}").text
    _decide_all(session, seed_report)
    page = client.get(f"/school/reports/{rid}").text
    assert "Send to LA" in page and f"/school/reports/{rid}/check" in page
    check = client.get(f"/school/reports/{rid}/check").text
    assert "Check your answers before sending" in check and "School Data" in check
    r = client.post(f"/school/reports/{rid}/send",
                    data={"csrf_token": token, "comment": "Call Mrs Jones"})
    assert r.status_code == 302 and r.headers["Location"] == "/school/sent?show=waiting"
    listing = client.get(r.headers["Location"]).text
    assert "Your report has been sent to Kent County Council" in listing
    assert "B2BreportWeek17" in listing and "Not yet received" in listing
    assert "Recall" in listing
    session.refresh(seed_report.report)
    assert seed_report.report.status == "sent"
    # A double click on "Send": one submission, the same answer.
    r = client.post(f"/school/reports/{rid}/send", data={"csrf_token": token})
    assert r.headers["Location"] == "/school/sent?show=waiting"
    assert session.scalar(select(func.count(ReportSubmission.id))) == 1
    # Sent is read-only: no forms, and a late post is refused.
    page = client.get(f"/school/reports/{rid}").text
    assert "<form method=\"post\" novalidate" not in page and "can no longer be changed" in page
    d = _joe(seed_report)
    r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                    data={"csrf_token": token, "choice": "other", "value": "Jo",
                          "version": str(d.version)})
    assert r.status_code == 409 and d.choice != "other"


def test_sent_list_filters_and_recall_only_before_received(client, session, seed_report,
                                                            login_as, csrf):
    sub = _send(session, seed_report)
    login_as(seed_report.user)
    token = csrf("/school/")
    assert "B2BreportWeek17" in client.get("/school/sent?show=waiting").text
    assert "B2BreportWeek17" not in client.get("/school/sent?show=received").text
    r = client.post(f"/school/submissions/{sub.id}/recall", data={"csrf_token": token})
    assert r.headers["Location"] == f"/school/reports/{seed_report.report.id}"
    page = client.get(r.headers["Location"]).text
    assert "You have recalled B2BreportWeek17" in page and "&lt;" not in page
    assert 'name="version"' in page  # editable again
    session.refresh(seed_report.report)
    assert seed_report.report.status == "in_progress" and sub.recalled_at is not None
    assert audit_count(session, "report.recalled") == 1
    assert "B2BreportWeek17" not in client.get("/school/sent?show=waiting").text
    assert "Recalled" in client.get("/school/sent?show=all").text
    assert client.get(f"/school/submissions/{sub.id}/copy").status_code == 410
    # Sent again, then received by the LA: no more recall.
    from webapp.b2b.review.lifecycle import send_report

    sub2 = send_report(session, seed_report.report, seed_report.user)
    receive_report(session, seed_report.report, seed_report.officer)
    received = client.get("/school/sent?show=received").text
    assert "B2BreportWeek17" in received and "Sam Officer" in received
    assert f"/school/submissions/{sub2.id}/recall" not in received
    r = client.post(f"/school/submissions/{sub2.id}/recall", data={"csrf_token": token})
    assert r.headers["Location"] == "/school/sent"
    session.refresh(sub2)
    assert sub2.recalled_at is None


def test_copy_for_thirty_days(client, session, seed_report, login_as):
    sub = _send(session, seed_report)
    login_as(seed_report.user)
    r = client.get(f"/school/submissions/{sub.id}/copy")
    assert r.status_code == 200 and "1111 Green Abbey School" in r.text
    assert "Joseph" in r.text and r.headers["Cache-Control"] == "no-store"
    sub.sent_at = sub.sent_at - timedelta(days=31)
    session.commit()
    r = client.get(f"/school/submissions/{sub.id}/copy")
    assert r.status_code == 410 and "Joseph" not in r.text


def test_sims_changes_page(client, session, seed_report, login_as):
    d = _joe(seed_report)
    record_decision(session, d, seed_report.user, "la", None, 0)
    login_as(seed_report.user)
    r = client.get(f"/school/reports/{seed_report.report.id}/sims-changes")
    assert r.status_code == 200
    assert "Change forename Joe to Joseph in SIMS" in r.text and "Joe Bloggs" in r.text


def test_home_shows_documents_with_status_and_notifications(client, session, seed_report,
                                                            login_as):
    login_as(seed_report.user)
    html = client.get("/school/").text
    assert "New/Updated LA Documents" in html and "B2BreportWeek17" in html
    assert ">New<" in html.replace("\n", "").replace(" ", "")
    assert "is ready for you" in html  # the publish notification
    record_decision(session, _joe(seed_report), seed_report.user, "la", None, 0)
    assert "In progress: 1 of 8" in client.get("/school/").text


@pytest.mark.parametrize("headers", [{}, HX])
def test_not_found_pages_answer_html_or_fragment(client, seed_report, login_as, headers):
    login_as(seed_report.user)
    r = client.get("/school/reports/999999", headers=headers)
    assert r.status_code == 404 and "Page not found" in r.text
    assert ("<html" in r.text) is (not headers)
    assert "Traceback" not in r.text


def test_report_offers_the_exports_downloads(client, seed_report, login_as):
    login_as(seed_report.user)
    html = client.get(f"/school/reports/{seed_report.report.id}").text
    href = f"/reports/{seed_report.report.id}/report.pdf"
    assert "Download as PDF" in html and href in html
    r = client.get(href)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


def test_a_difference_the_data_resolved_is_refused(client, session, seed_report, login_as,
                                                   csrf):
    d = _joe(seed_report)
    d.status = "resolved_by_data"
    session.commit()
    login_as(seed_report.user)
    r = client.post(f"/school/differences/{d.id}/decision", headers=HX,
                    data={"csrf_token": csrf("/school/"), "choice": "la", "version": "0"})
    assert r.status_code == 409 and "no longer needs an answer" in r.text
    session.refresh(d)
    assert d.choice is None


def test_sent_copy_as_pdf_for_thirty_days(client, session, seed_report, login_as):
    import io

    from pypdf import PdfReader

    sub = _send(session, seed_report)
    login_as(seed_report.user)
    r = client.get(f"/school/submissions/{sub.id}/copy.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Cache-Control"] == "no-store"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(r.data)).pages)
    assert "1111 Green Abbey School" in text and "Joseph" in text
    sub.sent_at = sub.sent_at - timedelta(days=31)
    session.commit()
    assert client.get(f"/school/submissions/{sub.id}/copy.pdf").status_code == 410
