"""The upload API: tokens, 202 then import by the queue, refusals, states."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import JOE, make_la, make_school
from webapp.auth.api_tokens import create_token, revoke_token
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.uploads import process_queued
from webapp.models import AuditEntry, PupilRecord, Upload

XXE = (b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<CTfile><Header/></CTfile>")


def _tokens(session):
    school = make_school(session)
    other = make_school(session, estab="2222", name="Other School")
    school_token = create_token(session, la=school.la, school=school, label="SIMS",
                                actor="test")[1]
    la_token = create_token(session, la=school.la, school=None, label="ONE", actor="test")[1]
    return school, other, school_token, la_token


def _post(client, token, data: bytes, name="file.xml", **headers):
    return client.post("/api/v1/uploads", data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
        "X-File-Name": name, **headers})


def test_upload_202_then_imported_with_counts(client, session):
    _, _, token, _ = _tokens(session)
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    r = _post(client, token, data)
    assert r.status_code == 202
    body = r.get_json()
    assert body["status"] == "queued" and r.headers["Location"] == body["links"]["self"]
    assert session.scalar(select(func.count(PupilRecord.id))) == 0  # not yet: the queue does it
    assert process_queued(session) == 1
    state = client.get(body["links"]["self"], headers={"Authorization": f"Bearer {token}"})
    assert state.status_code == 200
    got = state.get_json()
    assert got["status"] == "imported"
    assert got["counts"] == {"read": 1, "new": 1, "changed": 0, "unchanged": 0, "refused": 0}
    assert session.scalar(select(PupilRecord.side)) == "school"
    assert session.get(Upload, body["id"]).content is None  # not kept once imported


def test_la_token_sends_la_extract_multipart(client, session):
    _, _, _, la_token = _tokens(session)
    csv = write_pupils_csv([{**JOE, "laestab": "8861111"}, {**JOE, "laestab": "8862222",
                                                            "upn": "L886111110002"}])
    r = client.post("/api/v1/uploads", headers={"Authorization": f"Bearer {la_token}"},
                    data={"file": (__import__("io").BytesIO(csv), "extract.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 202, r.get_json()
    process_queued(session)
    assert set(session.scalars(select(PupilRecord.side))) == {"la"}
    assert session.get(Upload, r.get_json()["id"]).file_name == "extract.csv"


def test_school_token_other_school_is_refused_and_nothing_stored(client, session):
    _, _, token, _ = _tokens(session)
    data = write_ctf(laestab="8862222", school_name="Other School", pupils=[JOE])
    r = _post(client, token, data)
    assert r.status_code == 202  # the importer, reading the file, is what refuses it
    csv = write_pupils_csv([{**JOE, "laestab": "8861111"}, {**JOE, "laestab": "8862222"}])
    r2 = _post(client, token, csv, name="x.csv")
    process_queued(session)
    for upload_id in (r.get_json()["id"], r2.get_json()["id"]):
        state = client.get(f"/api/v1/uploads/{upload_id}",
                           headers={"Authorization": f"Bearer {token}"}).get_json()
        assert state["status"] == "refused" and "8862222" in state["reason"]
    assert session.scalar(select(func.count(PupilRecord.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "upload.refused_wrong_school")) == 2


def test_wrong_missing_revoked_tokens_get_401_without_detail(client, session):
    _, _, token, _ = _tokens(session)
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    for headers in ({}, {"Authorization": "Bearer b2b_wrong"}, {"Authorization": token},
                    {"Authorization": "Basic abc"}):
        r = client.post("/api/v1/uploads", data=data, headers=headers)
        assert r.status_code == 401
        assert r.get_json() == {"error": "unauthorized"}
        assert r.headers["WWW-Authenticate"] == "Bearer"
    from webapp.models import ApiToken

    revoke_token(session, session.scalar(select(ApiToken).where(ApiToken.label == "SIMS")),
                 "test")
    assert _post(client, token, data).status_code == 401


def test_oversized_file_is_413(client, app, session):
    _, _, token, _ = _tokens(session)
    app.config["B2B_UPLOAD_MAX_BYTES"] = 1000
    r = _post(client, token, b"<" + b"x" * 2000)
    assert r.status_code == 413 and r.get_json()["error"] == "too_large"
    assert session.scalar(select(func.count(Upload.id))) == 0


def test_hostile_file_refused_with_reason_in_state(client, session):
    _, _, token, _ = _tokens(session)
    r = _post(client, token, XXE)
    assert r.status_code == 202
    process_queued(session)
    state = client.get(f"/api/v1/uploads/{r.get_json()['id']}",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert state["status"] == "refused"
    assert "DOCTYPE" in state["reason"]
    assert session.scalar(select(func.count(PupilRecord.id))) == 0


def test_other_tokens_cannot_see_an_upload(client, session):
    school, other, token, la_token = _tokens(session)
    other_token = create_token(session, la=other.la, school=other, label="x", actor="t")[1]
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    uid = _post(client, token, data).get_json()["id"]
    assert client.get(f"/api/v1/uploads/{uid}",
                      headers={"Authorization": f"Bearer {other_token}"}).status_code == 404
    assert client.get(f"/api/v1/uploads/{uid}",
                      headers={"Authorization": f"Bearer {la_token}"}).status_code == 200


def test_rate_limited(client, app, session):
    from webapp.extensions import limiter

    _, _, token, _ = _tokens(session)
    limiter.reset()
    app.config["B2B_API_RATE_LIMIT"] = "3 per minute"
    codes = [client.get("/api/v1/uploads/999", headers={"Authorization": f"Bearer {token}"})
             .status_code for _ in range(5)]
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]


def test_openapi_served_and_kept_in_docs(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    served = r.get_json()
    docs = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
    assert served == docs
    assert set(served["paths"]) == {"/api/v1/uploads", "/api/v1/uploads/{upload_id}",
                                    "/api/v1/openapi.json"}


def test_token_use_is_audited(client, session):
    make_la(session)
    _, _, token, _ = _tokens(session)
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    _post(client, token, data)
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"token.created", "upload.received"} <= actions


def test_empty_body_is_accepted_then_refused_with_reason(client, session):
    _, _, token, _ = _tokens(session)
    r = _post(client, token, b"")
    assert r.status_code == 202
    process_queued(session)
    state = client.get(r.get_json()["links"]["self"],
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert state["status"] == "refused" and "not a CTF XML file" in state["reason"]


def test_through_a_real_http_server_on_loopback(app, session):
    import http.client
    import threading

    from werkzeug.serving import make_server

    _, _, token, _ = _tokens(session)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
        conn.request("POST", "/api/v1/uploads", body=data, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/xml",
            "X-File-Name": "nightly.xml"})
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 202 and body["file_name"] == "nightly.xml"
        conn.request("GET", body["links"]["self"], headers={"Authorization": "Bearer nope"})
        r2 = conn.getresponse()
        assert r2.status == 401 and json.loads(r2.read()) == {"error": "unauthorized"}
    finally:
        server.shutdown()
