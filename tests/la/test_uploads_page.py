"""LA officers import files in the browser: several at once, through the job queue, with
the same summary and refusals as the upload API, and only their own LA's schools."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.factories import HX, JOE, form_csrf, make_school, make_user
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.uploads import process_queued
from webapp.models import PupilRecord, Upload


def _post(client, side: str, files: list[tuple[bytes, str]]):
    token = form_csrf(client, "/la/uploads")
    return client.post("/la/uploads", data={
        "csrf_token": token, "side": side,
        "files": [(io.BytesIO(data), name) for data, name in files]},
        content_type="multipart/form-data")


def test_an_officer_imports_several_files_and_sees_each_outcome(client, session, login_as):
    school = make_school(session)
    make_school(session, estab="1234", name="Far School", la_number="999")
    login_as(make_user(session, role="la_officer"))
    own = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    far = write_ctf(laestab="9991234", school_name="Far School", pupils=[JOE])
    r = _post(client, "school", [(own, "green-abbey.xml"), (far, "far.xml")])
    assert r.status_code == 302
    page = client.get("/la/uploads").get_data(as_text=True)
    assert page.count("Waiting") == 2 and 'hx-trigger="every 2s"' in page  # polls itself
    assert process_queued(session) == 2
    fragment = client.get("/la/uploads", headers=HX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'hx-trigger="every 2s"' not in body  # all settled
    assert "Imported" in body and "1 read: 1 new" in body
    assert "Refused" in body and "9991234" in body  # another LA's school
    assert set(session.scalars(select(PupilRecord.school_id))) == {school.id}
    assert {u.uploaded_by_id for u in session.scalars(select(Upload))} != {None}


def test_the_las_extract_goes_in_as_the_la_side(client, session, login_as):
    make_school(session)
    login_as(make_user(session, role="la_officer"))
    extract = write_pupils_csv([{**JOE, "laestab": "8861111"}])
    assert _post(client, "la", [(extract, "one-extract.csv")]).status_code == 302
    process_queued(session)
    assert session.scalar(select(PupilRecord.side)) == "la"


def test_school_staff_cannot_use_it_and_a_tampered_side_is_refused(client, session, login_as):
    school = make_school(session)
    login_as(make_user(session, role="la_officer"))
    token = form_csrf(client, "/la/uploads")
    r = client.post("/la/uploads", data={"csrf_token": token, "side": "both",
                                         "files": [(io.BytesIO(b"x"), "x.csv")]},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert session.scalar(select(func.count(Upload.id))) == 0
    client.post("/sign-out", data={"csrf_token": token})
    login_as(make_user(session, school=school))
    assert client.get("/la/uploads").status_code == 403
