"""Uploading a ticked Word report (issue 16): the form on the school's report page and on
the LA's view of it, the check-your-answers page, and confirming records the answers as
clicks do; refusals say why and change nothing; the file is kept for 30 days."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import audit_count, make_user, published_seed_report
from tests.readback import tick_docx
from webapp.exports.docx import report_docx
from webapp.exports.printed import printed_report
from webapp.models import AuditEntry, Difference, ReturnFile
from webapp.platform.retention import purge


@pytest.fixture
def seed(session):
    report, staff, officer = published_seed_report(session)
    ids = {(d.upn[8:], d.field_key): d.id for d in report.differences}
    return report, staff, officer, ids


def _upload(client, url, data, name="B2BreportWeek17-8861111.docx", token=None):
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _token(client, url) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"',
                     client.get(url).get_data(as_text=True))[1]


def _choice(session, did):
    session.expire_all()
    d = session.get(Difference, did)
    return d.choice, d.correct_value


def _ticked(session, report, ids, **kw):
    data = report_docx(printed_report(session, report))
    return tick_docx(data, kw.pop("ticks", [(ids[("10001", "forename")], "school"),
                                            (ids[("10002", "forename")], "la")]), **kw)


def test_school_uploads_checks_and_confirms(session, client, login_as, seed, rendered):
    report, staff, _officer, ids = seed
    login_as(staff)
    page = client.get(f"/school/reports/{report.id}").get_data(as_text=True)
    assert f'action="/school/reports/{report.id}/return"' in page
    assert 'enctype="multipart/form-data"' in page
    token = _token(client, f"/school/reports/{report.id}")
    r = _upload(client, f"/school/reports/{report.id}/return", _ticked(session, report, ids),
                token=token)
    assert r.status_code == 303
    rf = session.scalar(select(ReturnFile))
    assert r.headers["Location"].endswith(f"/school/reports/{report.id}/returns/{rf.id}")
    assert rf.file_name == "B2BreportWeek17-8861111.docx" and rf.uploaded_by_id == staff.id
    assert audit_count(session, "return.uploaded") == 1
    assert _choice(session, ids[("10001", "forename")]) == (None, None)  # not yet
    check = client.get(r.headers["Location"])
    assert check.status_code == 200 and "school/return_check.html" in rendered
    html = check.get_data(as_text=True)
    assert "Check what was read from the file" in html
    assert re.search(r"Forename, Joe Bloggs</dt>\s*<dd[^>]*>School Data", html)
    assert re.search(r"Forename, Emma DAVIDS</dt>\s*<dd[^>]*>LA Data - ONE", html)
    assert "2 clear answers to record" in html and "No box is ticked for 6 items" in html
    r = client.post(r.headers["Location"], data={"csrf_token": token, **_versions(html)})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/school/reports/{report.id}")
    assert _choice(session, ids[("10001", "forename")]) == ("school", None)
    assert _choice(session, ids[("10002", "forename")]) == ("la", None)
    sources = {e.after.get("source") for e in session.scalars(select(AuditEntry).where(
        AuditEntry.action == "decision.recorded"))}
    assert sources == {f"docx:{rf.sha256[:12]}"}
    assert "Recorded 2 answers from B2BreportWeek17-8861111.docx" in client.get(
        r.headers["Location"]).get_data(as_text=True)
    # Confirmed once: the check page now says so and sends back to the report.
    assert client.get(f"/school/reports/{report.id}/returns/{rf.id}").status_code == 303


def _versions(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', html))


def test_unclear_answers_need_a_choice_before_recording(session, client, login_as, seed):
    report, staff, _officer, ids = seed
    joe, emma = ids[("10001", "forename")], ids[("10002", "forename")]
    login_as(staff)
    token = _token(client, f"/school/reports/{report.id}")
    r = _upload(client, f"/school/reports/{report.id}/return",
                _ticked(session, report, ids, ticks=[(joe, "school"), (joe, "la"),
                                                     (emma, "school")],
                        comments={emma: "Please call us"}), token=token)
    url = r.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert "2 answers need you to decide" in html
    assert "Both boxes are ticked (School Data, LA Data - ONE)" in html
    assert "Text typed in the file: “Please call us”" in html
    r = client.post(url, data={"csrf_token": token, **_versions(html)})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "<title>Error: " in body and "There is a problem" in body
    assert "Choose an answer for Forename, Joe Bloggs, or not to record it" in body
    assert _choice(session, joe) == (None, None)
    r = client.post(url, data={"csrf_token": token, **_versions(html),
                               f"choice-{joe}": "other", f"value-{joe}": "Joey",
                               f"choice-{emma}": "skip"})
    assert r.status_code == 303
    assert _choice(session, joe) == ("other", "Joey")
    assert _choice(session, emma) == (None, None)


@pytest.mark.parametrize("data, name, reason", [
    (b"not a word file", "report.docx", "This is not a Word .docx file."),
    (b"PK\x03\x04broken", "report.docx", "damaged or incomplete"),
    (b"x", "report.docm", "macro-enabled Word file (.docm)"),
])
def test_refused_files_say_why_and_change_nothing(session, client, login_as, seed, data,
                                                  name, reason):
    report, staff, _officer, _ids = seed
    login_as(staff)
    token = _token(client, f"/school/reports/{report.id}")  # (opening it is audited)
    before = session.scalar(select(func.count(AuditEntry.id)))
    r = _upload(client, f"/school/reports/{report.id}/return", data, name, token=token)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert reason in body and 'href="#return-file"' in body and "<title>Error: " in body
    assert session.scalar(select(func.count(ReturnFile.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == before


def test_no_file_and_no_csrf_are_refused(session, client, login_as, seed):
    report, staff, _officer, ids = seed
    login_as(staff)
    url = f"/school/reports/{report.id}/return"
    r = client.post(url, data={"csrf_token": _token(client, url)},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "Choose the ticked .docx file" in r.get_data(as_text=True)
    r = _upload(client, url, _ticked(session, report, ids), token=None)
    assert r.status_code == 400
    assert session.scalar(select(func.count(ReturnFile.id))) == 0


def test_another_school_cannot_see_or_use_the_upload(session, client, login_as, seed):
    report, staff, _officer, ids = seed
    rf = ReturnFile(report_id=report.id, uploaded_by_id=staff.id, file_name="r.docx", size=1,
                    sha256="0" * 64, content=_ticked(session, report, ids))
    session.add(rf)
    session.commit()
    other, other_staff, _o = published_seed_report(session, estab="2222", name="Other")
    login_as(other_staff)
    for url in (f"/school/reports/{report.id}/return",
                f"/school/reports/{report.id}/returns/{rf.id}",
                f"/school/reports/{other.id}/returns/{rf.id}"):  # not that report's file
        assert client.get(url).status_code == 404, url


def test_a_sent_report_takes_no_upload(session, client, login_as, seed):
    from tests.factories import decide_all
    from webapp.b2b.review.lifecycle import send_report

    report, staff, _officer, ids = seed
    data = _ticked(session, report, ids)
    decide_all(session, report, staff)
    send_report(session, report, staff)
    login_as(staff)
    assert 'name="file"' not in client.get(f"/school/reports/{report.id}").get_data(
        as_text=True)
    r = _upload(client, f"/school/reports/{report.id}/return", data,
                token=_token(client, "/school/"))
    assert r.status_code == 409 and "can no longer be changed" in r.get_data(as_text=True)


def test_la_officer_records_a_schools_emailed_copy(session, client, login_as, seed):
    report, _staff, officer, ids = seed
    login_as(officer)
    page = client.get(f"/la/reports/{report.id}").get_data(as_text=True)
    assert f'action="/la/reports/{report.id}/return"' in page
    token = _token(client, f"/la/reports/{report.id}")
    r = _upload(client, f"/la/reports/{report.id}/return", _ticked(session, report, ids),
                token=token)
    assert r.status_code == 303 and "/la/reports/" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post(r.headers["Location"], data={"csrf_token": token, **_versions(html)})
    assert r.headers["Location"].endswith(f"/la/reports/{report.id}")
    session.expire_all()
    d = session.get(Difference, ids[("10001", "forename")])
    assert (d.choice, d.decided_by_id) == ("school", officer.id)


def test_school_staff_cannot_use_the_la_steps(session, client, login_as, seed):
    report, staff, _officer, _ids = seed
    login_as(staff)
    assert client.get(f"/la/reports/{report.id}/return").status_code == 403


def test_the_uploaded_file_is_kept_30_days(session, client, login_as, seed):
    report, staff, _officer, ids = seed
    login_as(staff)
    token = _token(client, f"/school/reports/{report.id}")
    url = _upload(client, f"/school/reports/{report.id}/return",
                  _ticked(session, report, ids), token=token).headers["Location"]
    rf = session.scalar(select(ReturnFile))
    now = datetime.now(UTC)
    assert purge(session, now=now + timedelta(days=29)).returns == 0
    assert purge(session, now=now + timedelta(days=31)).returns == 1
    session.expire_all()
    assert session.get(ReturnFile, rf.id).content is None
    r = client.get(url)
    assert r.status_code == 410 and "no longer kept" in r.get_data(as_text=True)


def test_another_person_at_the_school_sees_the_upload(session, client, login_as,
                                                          seed):
    """A second person at the school sees and confirms a file another uploaded."""
    report, staff, _officer, ids = seed
    login_as(staff)
    token = _token(client, f"/school/reports/{report.id}")
    url = _upload(client, f"/school/reports/{report.id}/return",
                  _ticked(session, report, ids), token=token).headers["Location"]
    assistant = make_user(session, school=report.school, email="assistant@1111.test",
                          name="Office Assistant")
    login_as(assistant)
    html = client.get(url).get_data(as_text=True)
    assert "uploaded by Office" in html
