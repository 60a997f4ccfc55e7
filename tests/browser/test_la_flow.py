"""An LA officer in a real browser (Playwright + Debian Chromium): receive a school's
report, work the amendment queue without page reloads, and see the report close."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, serving
from tests.factories import PASSWORD, la_record, sent_seed_report
from webapp.extensions import db
from webapp.models import AmendmentTask, Report

pytestmark = pytest.mark.browser

@pytest.fixture
def live_server(app):
    with serving(app) as base:
        yield base


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()


def test_receive_work_the_queue_and_close(app, session, live_server, page, artifacts):
    from playwright.sync_api import expect

    report, staff, officer = sent_seed_report(session)
    report_id, school_id, email = report.id, report.school_id, officer.email
    session.commit()
    db.session.remove()
    shot = lambda name: page.screenshot(path=str(artifacts / f"la-{name}.png"),  # noqa: E731
                                        full_page=True)

    page.goto(f"{live_server}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Schools – week 17")).to_be_visible()
    # The header's width container lines up with the content's (it was 960 px wide over
    # 1200 px of content).
    header = page.locator("header .govuk-width-container").first.bounding_box()
    content = page.locator("main").locator("xpath=..").bounding_box()
    assert abs(header["x"] - content["x"]) < 1 and abs(header["width"] - content["width"]) < 1
    row = page.locator("tr", has_text="1111 Green Abbey School")
    expect(row.locator(".govuk-tag")).to_have_text("Sent")
    shot("01-dashboard")

    row.get_by_role("link", name="Open to receive").click()
    expect(page.get_by_role("button", name="Mark as received")).to_be_visible()
    shot("02-report-sent")
    page.get_by_role("button", name="Mark as received").click()
    expect(page.locator("#report-status")).to_have_text("Received")
    expect(page.get_by_text("Amendment tasks (3 open of 3)")).to_be_visible()
    shot("03-received")

    page.get_by_role("link", name="Work these tasks in the queue").click()
    expect(page.locator("#open-count")).to_have_text("3 open tasks")
    page.wait_for_load_state("load")  # htmx binds its forms once the page has loaded
    page.evaluate("window.__noReload = true")
    joe = page.locator("tr.app-task", has_text="Joseph")
    joe.get_by_role("button", name="Complete").click()
    expect(page.locator("tr.app-task", has_text="Joseph").locator(".govuk-tag")).to_have_text(
        "Done")
    expect(page.locator("#open-count")).to_have_text("2 open tasks")
    shot("04-one-done")

    jamie = page.locator("tr.app-task", has_text="James")
    jamie.get_by_role("link", name="Reject").click()
    reject_row = page.locator("tr.app-task", has_text="James")
    reject_row.get_by_role("button", name="Reject").click()
    expect(reject_row.locator(".govuk-error-message")).to_contain_text("Enter why")
    shot("05-reject-error")
    reject_row.locator("textarea").fill("The birth certificate says James")
    reject_row.get_by_role("button", name="Reject").click()
    expect(page.locator("tr.app-task", has_text="James").locator(".govuk-tag")).to_have_text(
        "Rejected")
    expect(page.locator("#open-count")).to_have_text("1 open task")
    shot("06-rejected")

    page.locator("#select-all").check()
    page.get_by_role("button", name="Complete selected").click()
    expect(page.get_by_text("1 amendment made in ONE.")).to_be_visible()
    expect(page.locator("#open-count")).to_have_text("0 open tasks")
    # The queue still shows what it showed ("Any" status): three settled tasks.
    expect(page.locator("tr.app-task")).to_have_count(3)
    assert page.evaluate("window.__noReload") is True  # all of that without a reload
    shot("07-all-done")

    page.goto(f"{live_server}/la/reports/{report_id}")
    expect(page.locator("#report-status")).to_have_text("Closed")
    shot("08-closed")
    page.get_by_role("link", name="View the report's history").click()
    expect(page.get_by_text("Amendment rejected")).to_be_visible()
    expect(page.get_by_text("Report closed")).to_be_visible()
    expect(page.locator("td", has_text="Amended in ONE").filter(
        has_text="Forename, Joe Bloggs")).to_be_visible()
    shot("09-history")

    db.session.remove()
    assert db.session.get(Report, report_id).status == "closed"
    assert la_record(db.session, school_id, "10001").forename == "Joe"
    assert la_record(db.session, school_id, "10003").forename == "James"
    statuses = sorted(db.session.scalars(select(AmendmentTask.status)))
    assert statuses == ["done", "done", "rejected"]
