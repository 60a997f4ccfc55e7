"""An upload over the size limit is refused 413 however it is sent, never cut and kept."""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.factories import JOE, make_school
from webapp.auth.api_tokens import create_token
from webapp.b2b.formats.writers import write_pupils_csv
from webapp.models import Upload

LIMIT = 64 * 1024


@pytest.fixture
def server(app, session):
    app.config["B2B_UPLOAD_MAX_BYTES"] = LIMIT
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()


def _token(session) -> str:
    school = make_school(session)
    return create_token(session, la=school.la, school=school, label="SIMS", actor="t")[1]


def _csv_of(size: int) -> bytes:
    head = write_pupils_csv([{**JOE, "laestab": "8861111"}])
    line = head.splitlines(keepends=True)[-1]
    return head + line * ((size - len(head)) // len(line) + 1)


def _post_chunked(port: int, token: str, body: bytes, chunk: int = 8192):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.putrequest("POST", "/api/v1/uploads")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "text/csv")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for i in range(0, len(body), chunk):
            part = body[i:i + chunk]
            conn.send(b"%x\r\n" % len(part) + part + b"\r\n")
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the whole body is sent
    r = conn.getresponse()
    return r.status, r.read()


def test_a_chunked_upload_over_the_limit_is_413_and_nothing_kept(server, session):
    token = _token(session)
    status, _ = _post_chunked(server.server_port, token, _csv_of(LIMIT * 3))
    assert status == 413
    assert session.scalar(select(func.count(Upload.id))) == 0


def test_a_chunked_upload_under_the_limit_is_kept_whole(server, session):
    token = _token(session)
    body = _csv_of(LIMIT // 2)
    status, answer = _post_chunked(server.server_port, token, body)
    assert status == 202, answer
    upload = session.get(Upload, json.loads(answer)["id"])
    assert upload.size == len(body) and upload.content == body


def test_content_length_over_the_limit_is_413(server, session):
    token = _token(session)
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=20)
    body = _csv_of(LIMIT * 2)
    conn.request("POST", "/api/v1/uploads", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    assert conn.getresponse().status == 413
    assert session.scalar(select(func.count(Upload.id))) == 0


def test_a_chunked_multipart_upload_over_the_limit_is_413(server, session):
    token = _token(session)
    boundary = "b2bboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"x.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() \
        + _csv_of(LIMIT * 3) + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=20)
    conn.putrequest("POST", "/api/v1/uploads")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for i in range(0, len(body), 8192):
            part = body[i:i + 8192]
            conn.send(b"%x\r\n" % len(part) + part + b"\r\n")
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert conn.getresponse().status == 413
    assert session.scalar(select(func.count(Upload.id))) == 0
