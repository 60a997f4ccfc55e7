"""One open report per school: a newer week's report supersedes the older unsent one,
which the school can still read but not answer; the documents list puts what needs doing
at the top."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import import_csv, import_ctf, make_school, make_user, pupil
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.lifecycle import publish_reports
from webapp.demo.synth import make_upn
from webapp.models import Report

AMY = pupil(make_upn("886", "1111", 15, 1), "Able", "Amy", "2015-01-02", "F")


def test_the_older_report_says_superseded_and_cannot_be_answered(client, session, login_as):
    school = make_school(session)
    officer = make_user(session, role="la_officer")
    login_as(make_user(session, school=school))
    import_ctf(session, school.laestab, [{**AMY, "forename": "Amie"}])
    import_csv(session, school.laestab, [AMY])
    for week in (49, 50):
        refresh_reports(session, 2025, week)
        publish_reports(session, session.scalars(select(Report).where(
            Report.week == week)).all(), officer)
    old, new = (session.scalar(select(Report).where(Report.week == w)) for w in (49, 50))
    home = client.get("/school/").get_data(as_text=True)
    assert home.index(f"/school/reports/{new.id}") < home.index(f"/school/reports/{old.id}")
    assert "Superseded by week 50" in home
    page = client.get(f"/school/reports/{old.id}").get_data(as_text=True)
    assert "was superseded by" in page and f"/school/reports/{new.id}" in page
    assert "hx-post" not in page  # nothing to answer here
    assert "hx-post" in client.get(f"/school/reports/{new.id}").get_data(as_text=True)
