"""A ticked Word report sent back, in a real browser (Debian Chromium, headless) against
the app over loopback HTTP, CSRF on, under the app's Content-Security-Policy (issue 16).

Sign in, download the report's .docx from the report page, tick it (as Word does), upload
it from the report page, see the check-your-answers page with the unclear answer to
decide, confirm, and find the answers on the report. axe-core checks the check page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, seed_report_app, serving
from tests.factories import PASSWORD
from tests.readback import tick_docx
from webapp.extensions import db
from webapp.models import Difference

pytestmark = pytest.mark.browser



@pytest.fixture
def live_server(database_uri, tmp_path):
    """The app on a real HTTP server in a thread, the seed report published; and the
    ids of its differences by (UPN tail, field)."""
    app = seed_report_app(database_uri, tmp_path)
    with app.app_context():
        ids = {(d.upn[8:], d.field_key): d.id for d in db.session.query(Difference)}
        db.session.remove()
    with serving(app) as base:
        yield base, app, ids
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page():
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      accept_downloads=True)
        pg = context.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error"
              and " of 400 " not in m.text else None)  # the unanswered confirm, on purpose
        yield pg
        context.close()
        browser.close()
    assert errors == [], errors


def test_school_uploads_a_ticked_word_report_checks_and_confirms(live_server, page,
                                                                 tmp_path, artifacts):
    base, app, ids = live_server
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill("office@1111.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="B2BreportWeek17").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as Word (.docx)").click()
    joe, emma = ids[("10001", "forename")], ids[("10002", "forename")]
    ticked = tmp_path / "B2BreportWeek17-8861111.docx"
    ticked.write_bytes(tick_docx(Path(download.value.path()).read_bytes(),
                                 [(joe, "school"), (emma, "school"), (emma, "la")]))

    page.get_by_label("Ticked the Word report instead? Upload it").set_input_files(
        str(ticked))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check what was read from the file")
    expect(page.locator(".govuk-summary-list__row", has_text="Forename, Joe Bloggs")
           ).to_contain_text("School Data")
    emma_choice = page.get_by_role("group", name="Forename, Emma DAVIDS")
    expect(emma_choice).to_contain_text("Both boxes are ticked")
    from axe_playwright_python.sync_playwright import Axe

    bad = [v["id"] for v in Axe().run(page).response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == [], bad
    page.screenshot(path=str(artifacts / "return-check.png"), full_page=True,
                    caret="initial")

    # Confirming without deciding Emma's answer: the error summary says what to do.
    page.get_by_role("button", name="Record these answers").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose an answer for Forename, Emma DAVIDS")
    page.get_by_role("group", name="Forename, Emma DAVIDS").get_by_label(
        "LA Data - ONE").check()
    page.get_by_role("button", name="Record these answers").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Recorded 2 answers from B2BreportWeek17-8861111.docx")
    expect(page.locator("#progress")).to_contain_text("2 of 8 answered")
    with app.app_context():
        got = {d.id: d.choice for d in db.session.query(Difference)}
        db.session.remove()
    assert (got[joe], got[emma]) == ("school", "la")
    assert re.search(r"/school/reports/\d+$", page.url)
