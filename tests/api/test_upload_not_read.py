"""The upload API's state lists what the file held and the importer did not read."""

from __future__ import annotations

from tests.factories import JOE, make_school
from webapp.auth.api_tokens import create_token
from webapp.b2b.formats.writers import write_ctf
from webapp.b2b.intake.uploads import process_queued


def test_upload_state_lists_elements_not_read(client, session):
    school = make_school(session)
    token = create_token(session, la=school.la, school=school, label="SIMS", actor="t")[1]
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    data = data.replace(b"</DOB>", b"</DOB><TransportMode>BUS</TransportMode>", 1)
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/uploads", data=data, headers={
        **headers, "Content-Type": "application/octet-stream", "X-File-Name": "s.xml"})
    assert r.status_code == 202
    assert r.get_json()["not_read"] == []  # not yet imported
    assert process_queued(session) == 1
    got = client.get(r.get_json()["links"]["self"], headers=headers).get_json()
    assert got["status"] == "imported"
    assert got["not_read"] == [{"path": "TransportMode", "pupils": 1}]
    assert got["warnings"] == []
