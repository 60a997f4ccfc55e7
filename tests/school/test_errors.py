"""Error answers: a whole page or an htmx fragment, never a traceback or pupil data."""

from __future__ import annotations

import pytest

from tests.factories import HX


@pytest.fixture
def failing_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("pupil R886111110001 Joe Bloggs")  # must never be shown

    return app


@pytest.mark.parametrize("headers", [{}, HX])
def test_unexpected_error_is_a_plain_500(failing_app, headers):
    r = failing_app.test_client().get("/boom", headers=headers)
    assert r.status_code == 500
    assert "Sorry, there is a problem with the service" in r.text
    assert "Traceback" not in r.text and "R886111110001" not in r.text
    assert "Joe" not in r.text
    assert ("<html" in r.text) is (not headers)
    if headers:
        assert r.headers["HX-Retarget"] == "#app-messages"
    assert "HX-Request" in r.headers["Vary"]


def test_error_codes_without_their_own_words_still_render(client):
    r = client.delete("/sign-in")
    assert r.status_code == 405 and "<html" in r.text


def test_boosted_and_history_restore_requests_get_whole_pages(client, seed_report, login_as):
    login_as(seed_report.user)
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        r = client.get("/school/reports/424242", headers={**HX, **extra})
        assert r.status_code == 404 and "<html" in r.text
