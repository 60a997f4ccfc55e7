"""The LA-wide pack as a background job: started from the page, built by a real huey
consumer, its progress polled with htmx, the PDF downloaded."""

from __future__ import annotations

import io
import re
import time

import pytest
from pypdf import PdfReader

from tests.factories import HX, decided_seed_report, make_la, make_school, make_user
from tests.readback import flat, pdf_text
from webapp.exports import packs
from webapp.platform import jobs


@pytest.fixture
def officer(session, login_as):
    return login_as(make_user(session, role="la_officer", school=None))


def _wait_until_finished(client, location: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = client.get(location, headers=HX)
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "<html" not in html and 'id="pack-progress"' in html
        assert r.headers["Cache-Control"] == "no-store" and "HX-Request" in r.headers["Vary"]
        if "hx-trigger" not in html:
            return html
        time.sleep(0.2)
    raise AssertionError("the pack was not built in time")


def test_officer_starts_a_pack_and_downloads_it(session, client, consumer, officer, csrf):
    decided_seed_report(session)
    make_school(session, estab="2222", name="Second School")
    r = client.post("/packs", data={"csrf_token": csrf("/packs"), "week": "17", "year": "2025"})
    assert r.status_code == 303
    location = r.headers["Location"]
    assert re.fullmatch(r"/packs/[0-9a-f]{32}", location)
    page = client.get(location)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    html = _wait_until_finished(client, location)
    assert "Your pack is ready" in html and "B2BpackWeek17-2025-26.pdf" in html
    pdf = client.get(location + "/pack.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert "B2BpackWeek17-2025-26.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(pdf.data))
    assert [o["/Title"] for o in reader.outline if isinstance(o, dict)] == [
        "Contents", "1111 Green Abbey School"]
    assert "For reference a total of 4 pupil data records were printed" in flat(
        pdf_text(pdf.data))


def test_progress_is_counted_per_report(session, app, tmp_path):
    app.config["B2B_PACK_DIR"] = str(tmp_path / "packs")
    report = decided_seed_report(session, hard=False)
    la_id = report.school.la_id
    job = packs.new_pack_job(session, la_id=la_id, requested_by=None, academic_year=2025,
                             week=17, school=None)
    assert (job.status, job.total, job.done) == ("queued", 1, 0)
    done = packs.run_pack_job(session, job.token)
    assert (done.status, done.done, done.percent) == ("done", 1, 100)
    assert packs.pack_path(done).read_bytes().startswith(b"%PDF")
    assert packs.load_job(job.token).status == "done"
    assert packs.load_job("../../etc/passwd") is None


def test_form_errors_are_shown(session, client, officer, app, tmp_path, csrf):
    app.config["B2B_PACK_DIR"] = str(tmp_path / "packs")
    decided_seed_report(session, hard=False)
    token = csrf("/packs")
    r = client.post("/packs", data={"csrf_token": token, "week": "", "year": "2025",
                                    "school": ""})
    assert r.status_code == 422
    assert "Enter a week, or a school&#39;s LAESTAB" in r.get_data(as_text=True)
    r = client.post("/packs", data={"csrf_token": token, "week": "60", "year": "25",
                                    "school": "8869999"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "<title>Error:" in html
    assert "The week must be a number from 1 to 53" in html
    assert "There is no school with this LAESTAB in your LA" in html
    r = client.post("/packs", data={"csrf_token": csrf("/packs"), "week": "3", "year": "2025"})
    assert r.status_code == 422 and "There are no reports" in r.get_data(as_text=True)


def test_queue_down_says_so(session, client, officer, app, tmp_path, monkeypatch, csrf):
    app.config["B2B_PACK_DIR"] = str(tmp_path / "packs")
    decided_seed_report(session, hard=False)

    def refuse(*_a, **_k):
        raise ConnectionError("queue down")

    monkeypatch.setattr(jobs.huey, "enqueue", refuse)
    r = client.post("/packs", data={"csrf_token": csrf("/packs"), "week": "17", "year": "2025"})
    html = client.get(r.headers["Location"], headers=HX).get_data(as_text=True)
    assert "The pack could not be printed" in html and "flask b2b pack" in html


def test_packs_are_the_las_own(session, client, login_as, app, tmp_path):
    app.config["B2B_PACK_DIR"] = str(tmp_path / "packs")
    report = decided_seed_report(session, hard=False)
    job = packs.new_pack_job(session, la_id=report.school.la_id, requested_by=None,
                             academic_year=2025, week=17, school=None)
    packs.run_pack_job(session, job.token)
    other_la = make_la(session, "887", "Other LA")
    # An officer of LA 886 (make_user's default LA) sees the pack ...
    login_as(make_user(session, role="la_officer", email="officer@886.test", school=None))
    assert client.get(f"/packs/{job.token}").status_code == 200
    # ... while an officer of another LA gets 404 for page and file alike.
    stranger = make_user(session, role="la_officer", email="x@887.test", school=None)
    stranger.la_id = other_la.id
    session.commit()
    login_as(stranger)
    assert client.get(f"/packs/{job.token}").status_code == 404
    assert client.get(f"/packs/{job.token}/pack.pdf").status_code == 404
    # School staff may not print packs at all; nor may anyone signed out.
    login_as(make_user(session, school=report.school, email="head@1111.test"))
    assert client.get("/packs").status_code == 403
    assert client.get(f"/packs/{job.token}/pack.pdf").status_code == 403
    with client.session_transaction() as s:
        s.clear()
    assert client.get(f"/packs/{job.token}/pack.pdf").status_code in (302, 401)
