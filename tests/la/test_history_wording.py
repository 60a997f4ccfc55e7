"""A report's history reads in the team's words (issue 17): people by name, what happened
in words, what it was about by the catalogue's label, answers as the school saw them,
DD/MM/YYYY; never "decision: recorded", "choice: other / is_correct", "version: 1",
"Upn duplicate.la" or ISO dates."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import received_seed_report
from webapp.b2b.amendments.tasks import assign_tasks, complete_tasks, reject_task
from webapp.b2b.review.history import action_words, actor_name, report_history
from webapp.models import AmendmentTask

INTERNAL = ("decision: recorded", "decision.recorded", "report: sent", "task: done",
            "choice:", "is_correct", "la_to_fix", "version", "correct value: 2007",
            "Upn ", "upn_", ".la", "_value", "sims items", "tasks_made")


def _worked(session):
    """The seed report received, one task assigned, one rejected, the rest completed."""
    report, staff, officer, _ = received_seed_report(session)
    tasks = session.scalars(select(AmendmentTask).where(
        AmendmentTask.report_id == report.id).order_by(AmendmentTask.id)).all()
    assign_tasks(session, [tasks[0].id], officer)
    reject_task(session, tasks[1].id, officer, "The certificate says James")
    complete_tasks(session, [t.id for t in tasks if t.id != tasks[1].id], officer)
    return report, staff, officer


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_history_page_reads_in_words(client, session, login_as):
    report, staff, officer = _worked(session)
    login_as(officer)
    html = client.get(f"/la/reports/{report.id}/history").get_data(as_text=True)
    text = _visible(html)
    for internal in INTERNAL:
        assert internal not in text, internal
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)  # no ISO date people read
    for email in (staff.email, officer.email):
        assert email not in text
    for words in ("Published to the school", "Answer saved", "Sent to the LA by the school",
                  "Received by the LA", "Amendment task assigned", "Amendment rejected",
                  "Amended in ONE", "Report closed", "Forename, Joe Bloggs",
                  "Answer: School Data", "Answer: Neither", "Correct date: 23/09/2007",
                  "Answer: This is correct as it is", "Status: In progress",
                  "Assigned to: Olive Officer", "Reason: The certificate says James",
                  "8 of 8 answered", "3 amendment tasks", "Office", "Olive Officer"):
        assert words in text, words
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", text)


def test_lines_name_people_and_leave_out_the_logs_bookkeeping(session):
    report, staff, officer = _worked(session)
    lines = report_history(session, report.id)
    answer = next(line for line in lines if line.what == "Answer saved"
                  and line.about == "DOB, Emma DAVIDS")
    assert answer.who == staff.name
    assert answer.before == ["No answer yet"]
    assert answer.after == ["Answer: Neither", "Correct date: 23/09/2007"]
    made = next(line for line in lines if line.what == "Amendment tasks made")
    assert made.who == "b2b-sync" and made.after == ["3 amendment tasks", "3 SIMS changes"]
    done = next(line for line in lines if line.what == "Amended in ONE"
                and line.about == "Forename, Joe Bloggs")
    assert done.before == ["Value: Joseph"] and done.after == ["Value: Joe"]


def test_who_acted_is_a_name_or_the_process_in_words():
    assert actor_name("office@1111.test", {7: "Office Manager"}, 7) == "Office Manager"
    assert actor_name("system", {}, None) == "b2b-sync"
    assert actor_name("cycle", {}, None) == "The weekly cycle"
    assert actor_name("cli:alice", {}, None) == "Command line"
    assert actor_name("token:ab12cd", {}, None) == "API token ab12cd…"


def test_an_unknown_action_still_reads_as_words():
    assert action_words("decision.carried") == "Answer carried"
    assert action_words("report.superseded") == "Superseded by a newer week"
