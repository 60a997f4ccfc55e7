"""schemathesis against the app's own OpenAPI document: no 5xx, every response as the
document says, over generated requests (driven through hypothesis directly: its pytest
plugin does not support this pytest version)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import make_school
from webapp.auth.api_tokens import create_token


def test_api_matches_its_openapi_document(app, session):
    app.config["B2B_API_RATE_LIMIT"] = "100000 per minute"
    school = make_school(session)
    token = create_token(session, la=school.la, school=school, label="schema", actor="t")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /api/v1/uploads", "GET /api/v1/uploads/{upload_id}"}
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        check()
