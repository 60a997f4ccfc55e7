"""The school's report page as it reads (issue 17): a summary at the top (how many
differences, anomalies and unmatched pupils, each linked to the first of them), a counter
that covers every kind of item, and after each choice a "Next unanswered" link to the
next undecided row, in the htmx answer as well as on the page."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import HX, JOE, import_csv, import_ctf, make_school, make_user, pupil
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.decisions import offered_choices, record_decision
from webapp.b2b.review.lifecycle import publish_reports
from webapp.b2b.review.report_view import build_report_view, next_unanswered
from webapp.models import Difference, Report

ANN = pupil("L886111110002", "Smith", "Ann", "2007-01-01", "F")  # only in SIMS
SAM = pupil("A886111110003", "Brookes", "Sam", "2012-12-14", "M")  # only in ONE


def _every_kind(session):
    """A published report with a difference (Joe's forename) and a pupil on each side
    only; returns (report, school user)."""
    school = make_school(session)
    staff = make_user(session, school=school, name="Office Manager")
    officer = make_user(session, role="la_officer", name="Olive Officer")
    import_ctf(session, "8861111", [JOE, ANN])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}, SAM])
    refresh_reports(session, 2025, 5)
    report = session.scalar(select(Report))
    publish_reports(session, [report], officer)
    return report, staff


def _summary(html: str) -> str:
    return re.search(r'<nav class="app-report-summary.*?</nav>', html, re.S).group(0)


def _undecided_anchors_in_page_order(html: str) -> list[str]:
    """The rows still to answer, as the page lists them (no "Saved" note in the row)."""
    rows = re.findall(r'<tr class="govuk-table__row app-row--differing([^"]*)" '
                      r'id="(difference-\d+)"', html)
    return [anchor for classes, anchor in rows if "app-row--decided" not in classes]


def test_summary_counts_each_kind_and_links_to_the_first(client, session, seed_report,
                                                          login_as):
    login_as(seed_report.user)
    html = client.get(f"/school/reports/{seed_report.report.id}").get_data(as_text=True)
    summary = _summary(html)
    view = build_report_view(session, seed_report.report)
    first_field = next(r for p in view.pupils for r in p.rows if r.kind == "field")
    first_anomaly = next(r for p in view.pupils for r in p.rows if r.kind == "anomaly")
    # The seed: five differing items and three UPNs with the wrong check letter.
    assert f'<a class="govuk-link" href="#{first_field.anchor}">5 differences</a>' in summary
    assert f'<a class="govuk-link" href="#{first_anomaly.anchor}">3 anomalies</a>' in summary
    assert "pupil" not in summary  # no pupil is held by one side only
    # Each link lands on a row of the page.
    for anchor in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{anchor}"' in html
    assert html.index("In this report") < html.index('id="progress"')


def test_summary_counts_unmatched_pupils_as_pupils(client, session, login_as):
    report, staff = _every_kind(session)
    login_as(staff)
    html = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    summary = _summary(html)
    assert ">1 difference</a> between your data and the LA&#39;s" in summary
    assert ">2 pupils</a> held in only your data or only the LA&#39;s" in summary
    anchor = re.search(r'href="#([^"]+)">2 pupils', summary).group(1)
    assert re.search(rf'<h2 [^>]*id="{anchor}">Ann Smith', html)  # the first of them
    assert "anomal" not in summary


def test_counter_covers_every_kind_of_item(client, session, login_as):
    report, staff = _every_kind(session)
    login_as(staff)
    html = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    # One difference and two unmatched pupils: three items, not "1 difference resolved".
    assert "<strong>0 of 3 answered</strong>" in html
    assert "resolved" not in html
    view = build_report_view(session, report)
    assert view.progress_text == "0 of 3 answered"


def test_the_page_links_to_the_first_unanswered_item(client, seed_report, login_as):
    login_as(seed_report.user)
    html = client.get(f"/school/reports/{seed_report.report.id}").get_data(as_text=True)
    progress = re.search(r'<div id="progress".*?</div>', html, re.S).group(0)
    first = _undecided_anchors_in_page_order(html)[0]
    assert f'href="#{first}">Next unanswered' in progress
    assert "Forename, Joe Bloggs" in progress  # said to screen readers, not in the URL


def test_each_choice_answers_with_a_link_to_the_next_unanswered_row(
        client, session, seed_report, login_as, csrf):
    login_as(seed_report.user)
    token = csrf("/school/")
    page = client.get(f"/school/reports/{seed_report.report.id}").get_data(as_text=True)
    order = _undecided_anchors_in_page_order(page)
    assert len(order) == 8
    # Answer the third row first: the link goes on to the fourth, not back to the top.
    third = session.get(Difference, int(order[2].split("-")[1]))
    choice = offered_choices(third)[0].value
    r = client.post(f"/school/differences/{third.id}/decision",
                    data={"choice": choice, "version": str(third.version)},
                    headers={**HX, "X-CSRFToken": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    oob = re.search(r'<div id="progress"[^>]*hx-swap-oob="innerHTML".*?</div>', html, re.S)
    assert oob, html
    assert "1 of 8 answered" in oob.group(0)
    assert f'href="#{order[3]}">Next unanswered' in oob.group(0)


def test_next_unanswered_follows_the_page_order_and_wraps_round(session, seed_report):
    report = seed_report.report
    html_order = [f"difference-{r.difference_id}" for p in
                  build_report_view(session, report).pupils for r in p.rows
                  if r.difference_id is not None]
    walked = []
    after = None
    for _ in html_order:
        nxt = next_unanswered(session, report, after)
        walked.append(nxt.anchor)
        after = int(nxt.anchor.split("-")[1])
    assert walked == html_order  # one function's order, the page's order
    # The last row answered, the first still open: the link wraps to the top.
    last = session.get(Difference, int(html_order[-1].split("-")[1]))
    assert next_unanswered(session, report, last.id).anchor == html_order[0]


def test_no_link_once_everything_is_answered(client, session, login_as, csrf):
    report, staff = _every_kind(session)
    diffs = session.scalars(select(Difference).where(Difference.report_id == report.id)
                            .order_by(Difference.id)).all()
    for d in diffs[:-1]:
        c = offered_choices(d)[0]
        record_decision(session, d, staff, c.value, "01/09/2025" if c.needs else None,
                        d.version)
    login_as(staff)
    token = csrf("/school/")
    last = diffs[-1]
    c = offered_choices(last)[0]
    r = client.post(f"/school/differences/{last.id}/decision",
                    data={"choice": c.value, "version": str(last.version),
                          "value": "01/09/2025" if c.needs else ""},
                    headers={**HX, "X-CSRFToken": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "3 of 3 answered" in html and "Next unanswered" not in html
    assert next_unanswered(session, report) is None
