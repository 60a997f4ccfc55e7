"""An upload writes only the schools its sender may write, and never gets stuck.

The three cross-school files an attacker with school A's token sent (two headers, a
decoy header, a CSV with CR-only line ends) are refused at import with nothing stored;
an LA's token is held to its own LA; the drop folder's school files to one school of the
LA; and imports of the job queue that meet a locked database are retried, not lost.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_school, make_user, pupil
from webapp.auth.api_tokens import create_token
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake import uploads
from webapp.b2b.intake.importing import Scope, import_file
from webapp.b2b.intake.uploads import (
    MAX_ATTEMPTS,
    process_queued,
    process_upload,
    receive_upload,
    recover_stalled,
    scan_drop_folder,
)
from webapp.extensions import db
from webapp.models import AuditEntry, OutboundEmail, PupilRecord, School, Upload
from webapp.models.base import utcnow

JOE = pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M")


@pytest.fixture
def schools(session):
    """School A (8861111, with a token), school B (8862007) of the same LA, and C
    (9991234) of another LA."""
    a = make_school(session)
    b = make_school(session, estab="2007", name="Other School")
    c = make_school(session, estab="1234", name="Far School", la_number="999")
    return a, b, c


def _send(client, token: str, data: bytes, name: str = "file.xml"):
    r = client.post("/api/v1/uploads", data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
        "X-File-Name": name})
    assert r.status_code == 202, r.get_json()
    return r.get_json()["id"]


def _state(client, token: str, upload_id: int) -> dict:
    return client.get(f"/api/v1/uploads/{upload_id}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()


def _ctf(laestab: str, name: str = "Other School") -> bytes:
    return write_ctf(laestab=laestab, school_name=name, pupils=[JOE])


def _two_headers() -> bytes:
    own = _ctf("8861111", "Green Abbey School")
    other = _ctf("8862007")
    header = other[other.index(b"<Header>"):other.index(b"</Header>") + len(b"</Header>")]
    end = own.index(b"</Header>") + len(b"</Header>")
    return own[:end] + header + own[end:]


def _decoy_header() -> bytes:
    own = _ctf("8861111", "Green Abbey School")
    other = _ctf("8862007")
    decoy = own[own.index(b"<Header>"):own.index(b"</Header>") + len(b"</Header>")]
    start = other.index(b"<Header>")
    return other[:start] + b"<Decoy>" + decoy + b"</Decoy>" + other[start:]


def _cr_only_csv() -> bytes:
    return write_pupils_csv([{**JOE, "laestab": "8862007"}]).replace(b"\r\n", b"\r")


@pytest.mark.parametrize("make", [_two_headers, _decoy_header, _cr_only_csv],
                         ids=["two headers", "decoy header", "CR-only CSV"])
def test_a_schools_token_cannot_write_another_school(client, session, schools, make):
    a, b, _ = schools
    token = create_token(session, la=a.la, school=a, label="SIMS", actor="test")[1]
    uid = _send(client, token, make())
    process_queued(session)
    state = _state(client, token, uid)
    assert state["status"] == "refused"
    assert ("8862007" in state["reason"] or "second one" in state["reason"]), state["reason"]
    assert session.scalar(select(func.count(PupilRecord.id))) == 0
    assert session.scalar(select(func.count(School.id))) == 3
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action.in_(("upload.refused_wrong_school", "upload.refused")))) == 1


def test_a_schools_token_still_sends_its_own_school(client, session, schools):
    a, _, _ = schools
    token = create_token(session, la=a.la, school=a, label="SIMS", actor="test")[1]
    uid = _send(client, token, _ctf("8861111", "Green Abbey School"))
    process_queued(session)
    assert _state(client, token, uid)["status"] == "imported"
    assert session.scalar(select(PupilRecord.school_id)) == a.id


def test_an_las_token_writes_its_own_las_schools_only(client, session, schools):
    a, b, c = schools
    la_token = create_token(session, la=a.la, school=None, label="ONE", actor="test")[1]
    ours = write_pupils_csv([{**JOE, "laestab": "8861111"}, {**JOE, "laestab": "8862007"}])
    theirs = write_pupils_csv([{**JOE, "laestab": "8861111"}, {**JOE, "laestab": "9991234"}])
    ok, refused = _send(client, la_token, ours, "x.csv"), _send(client, la_token, theirs, "y.csv")
    process_queued(session)
    assert _state(client, la_token, ok)["status"] == "imported"
    state = _state(client, la_token, refused)
    assert state["status"] == "refused" and "9991234" in state["reason"]
    assert session.scalar(select(func.count(PupilRecord.id)).where(
        PupilRecord.school_id == c.id)) == 0


def test_an_las_token_sees_only_its_own_las_uploads(client, session, schools):
    a, _, c = schools
    ours = create_token(session, la=a.la, school=None, label="ONE", actor="test")[1]
    theirs = create_token(session, la=c.la, school=None, label="ONE", actor="test")[1]
    uid = _send(client, ours, write_pupils_csv([{**JOE, "laestab": "8861111"}]), "x.csv")
    assert client.get(f"/api/v1/uploads/{uid}",
                      headers={"Authorization": f"Bearer {theirs}"}).status_code == 404
    assert client.get(f"/api/v1/uploads/{uid}",
                      headers={"Authorization": f"Bearer {ours}"}).status_code == 200


def test_the_tokens_page_lists_only_the_las_own_uploads(client, session, schools, login_as):
    a, _, c = schools
    ours = create_token(session, la=a.la, school=None, label="ONE", actor="test")[0]
    theirs = create_token(session, la=c.la, school=None, label="ONE", actor="test")[0]
    receive_upload(session, ours, b"upn\n", "ours-extract.csv")
    receive_upload(session, theirs, b"upn\n", "their-extract.csv")
    login_as(make_user(session, role="la_admin"))
    page = client.get("/la/tokens/").get_data(as_text=True)
    assert "ours-extract.csv" in page and "their-extract.csv" not in page


def test_drop_folder_school_files_hold_one_school_of_the_la(session, schools, tmp_path):
    (tmp_path / "school").mkdir()
    two = write_pupils_csv([{**JOE, "laestab": "8861111"}, {**JOE, "laestab": "8862007",
                                                            "upn": "A886111110002"}])
    (tmp_path / "school" / "two.csv").write_bytes(two)
    (tmp_path / "school" / "far.xml").write_bytes(_ctf("9991234", "Far School"))
    (tmp_path / "school" / "own.xml").write_bytes(_ctf("8861111", "Green Abbey School"))
    results = {r.file: r for r in scan_drop_folder(session, tmp_path, min_age_seconds=0,
                                                   la_number="886")}
    assert results["two.csv"].outcome == "refused"
    assert "more than one school" in results["two.csv"].reason
    assert results["far.xml"].outcome == "refused" and "9991234" in results["far.xml"].reason
    assert results["own.xml"].outcome == "imported"
    assert set(session.scalars(select(PupilRecord.school_id))) == {schools[0].id}


def test_the_scope_says_why_and_names_no_pupil(session, schools):
    summary = import_file(session, _cr_only_csv(), side="school", file_name="x.csv",
                          scope=Scope(laestab="8861111"))
    assert not summary.ok and summary.out_of_scope
    assert "8862007" in summary.error and "Bloggs" not in summary.error


def _upload(session, token, n: int) -> int:
    rows = [pupil(f"X88611111{n:02d}{i:02d}"[:13], f"Surname{i}", "Amy", "2015-01-02", "F")
            for i in range(40)]
    return receive_upload(session, token, write_ctf(laestab="8861111",
                          school_name="Green Abbey School", pupils=rows), f"f{n}.xml").id


def test_five_concurrent_imports_all_import(app, session, schools):
    a, _, _ = schools
    token = create_token(session, la=a.la, school=a, label="SIMS", actor="test")[0]
    ids = [_upload(session, token, n) for n in range(5)]
    session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(5)

    def work(uid: int) -> None:
        try:
            with app.app_context():
                start.wait()
                process_upload(db.session, uid)
                db.session.remove()
        except BaseException as e:  # noqa: BLE001  (reported by the assertion below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(uid,)) for uid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    session.expire_all()
    assert [session.get(Upload, uid).status for uid in ids] == ["imported"] * 5
    assert session.scalar(select(func.count(PupilRecord.id))) == 5 * 40


def test_a_database_that_stays_busy_sends_the_upload_back_then_fails_it(
        session, schools, monkeypatch):
    a, _, _ = schools
    make_user(session, role="la_officer")
    token = create_token(session, la=a.la, school=a, label="SIMS", actor="test")[0]
    uid = _upload(session, token, 1)

    from sqlalchemy.exc import OperationalError

    def locked(*_a, **_k):
        raise OperationalError("INSERT INTO pupil_record ... Bloggs", {}, Exception(
            "database is locked"))

    monkeypatch.setattr(uploads, "import_file", locked)
    waits: list[float] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        u = process_upload(session, uid, sleep=waits.append)
        assert u.attempts == attempt
        assert u.status == ("failed" if attempt == MAX_ATTEMPTS else "queued")
    assert waits == list(uploads.BUSY_BACKOFF) * MAX_ATTEMPTS
    assert "database is locked" in u.error and "Bloggs" not in u.error
    told = session.scalars(select(OutboundEmail).where(
        OutboundEmail.kind == "upload_failed")).all()
    assert [m.recipient for m in told] and "could not be imported" in told[0].body
    assert u.content is not None  # kept: the sender can be asked to send it again


def test_an_import_a_dead_worker_left_is_tried_again(session, schools):
    a, _, _ = schools
    token = create_token(session, la=a.la, school=a, label="SIMS", actor="test")[0]
    uid = _upload(session, token, 2)
    u = session.get(Upload, uid)
    u.status, u.attempts, u.started_at = "importing", 1, utcnow() - timedelta(hours=1)
    session.commit()
    assert recover_stalled(session, utcnow() - timedelta(minutes=45)) == 0  # not yet stale
    assert process_queued(session) == 1  # recovered, then imported
    assert session.get(Upload, uid).status == "imported"
    assert session.get(Upload, uid).attempts == 2
