"""The domain of decisions: offered choices, recording, stale and duplicate posts, sending
and recalling, and the report view model."""

from __future__ import annotations

import pytest

from tests.factories import audit_count
from webapp.b2b.review import decisions
from webapp.b2b.review.decisions import NotOffered, ReportLocked, StaleDecision, record_decision
from webapp.b2b.review.lifecycle import NotAllowed, mark_opened, recall_report, send_report
from webapp.b2b.review.report_view import build_report_view, view_from_snapshot
from webapp.models import Difference


def _diff(seed, label_value: str, field_key: str = "forename") -> Difference:
    return next(d for d in seed.report.differences
                if d.field_key == field_key and d.school_value == label_value)


def _decide_all(session, seed, user):
    for d in seed.report.differences:
        choice = decisions.offered_choices(d)[0]
        record_decision(session, d, user, choice.value,
                        "01/09/2025" if choice.needs == "date" else "x", d.version)


def test_view_model_follows_the_seed_report(session, seed_report):
    view = build_report_view(session, seed_report.report)
    assert view.school_title == "1111 Green Abbey School"
    assert view.records_printed == 3
    assert view.progress_text == "0 of 8 answered"
    joe = view.pupils[0]
    assert [r.label for r in joe.rows][:5] == ["Forename", "Surname", "DOB", "Gender", "UPN"]
    forename = joe.rows[0]
    assert (forename.school_value, forename.la_value, forename.differing) == (
        "Joe", "Joseph", True)
    assert [o.label for o in forename.options] == [
        "School Data", "LA Data - ONE", "Neither: enter the correct value"]
    emma = view.pupils[1]
    surname = next(r for r in emma.rows if r.label == "Surname")
    # DAVIDS vs Davids: letter case alone is shown plainly, with no choice.
    assert (surname.school_value, surname.la_value, surname.differing) == (
        "DAVIDS", "Davids", False)
    dob = next(r for r in emma.rows if r.label == "DOB")
    assert (dob.school_value, dob.la_value) == ("21/09/2007", "26/09/2007")
    anomaly = emma.rows[-1]
    assert anomaly.label == "UPN check letter"
    assert [o.value for o in anomaly.options] == ["will_fix", "is_correct"]


def test_la_choice_gives_a_sims_instruction(session, seed_report):
    d = _diff(seed_report, "Joe")
    result = record_decision(session, d, seed_report.user, "la", None, d.version)
    assert result.changed and d.version == 1 and d.decided_by_id == seed_report.user.id
    assert decisions.sims_instruction(d) == "Change forename Joe to Joseph in SIMS"
    assert seed_report.report.status == "in_progress"
    view = build_report_view(session, seed_report.report)
    assert [t.instruction for t in view.sims_tasks] == ["Change forename Joe to Joseph in SIMS"]
    assert view.progress_text == "1 of 8 answered"


def test_other_value_is_checked_and_normalised(session, seed_report):
    dob = next(d for d in seed_report.report.differences if d.field_key == "dob")
    with pytest.raises(NotOffered) as e:
        record_decision(session, dob, seed_report.user, "other", "31/02/2007", dob.version)
    assert e.value.field == "value" and "real date" in e.value.message
    with pytest.raises(NotOffered):
        record_decision(session, dob, seed_report.user, "other", "  ", dob.version)
    record_decision(session, dob, seed_report.user, "other", "22/09/2007", dob.version)
    assert dob.correct_value == "2007-09-22"
    assert decisions.sims_instruction(dob) == (
        "Change date of birth 21/09/2007 to 22/09/2007 in SIMS")
    pc = next(d for d in seed_report.report.differences if d.field_key == "postcode")
    with pytest.raises(NotOffered):
        record_decision(session, pc, seed_report.user, "other", "not a postcode", pc.version)
    record_decision(session, pc, seed_report.user, "other", "pa4  9nf", pc.version)
    assert pc.correct_value == "PA4 9NF"


def test_a_choice_not_offered_changes_nothing(session, seed_report):
    d = _diff(seed_report, "Joe")
    anomaly = next(x for x in seed_report.report.differences if x.kind == "anomaly")
    for bad in ("neither", "", None, "left"):
        with pytest.raises(NotOffered):
            record_decision(session, d, seed_report.user, bad, None, d.version)
    with pytest.raises(NotOffered):  # "other" is offered for names, never for anomalies
        record_decision(session, anomaly, seed_report.user, "other", "x", anomaly.version)
    session.refresh(d)
    assert (d.choice, d.version) == (None, 0)
    assert audit_count(session, "decision.recorded") == 0


def test_duplicate_post_records_once(session, seed_report):
    d = _diff(seed_report, "Joe")
    record_decision(session, d, seed_report.user, "school", None, 0)
    again = record_decision(session, d, seed_report.user, "school", None, 0)
    assert not again.changed and d.version == 1
    assert audit_count(session, "decision.recorded") == 1


def test_stale_page_of_another_person_is_refused(session, seed_report):
    d = _diff(seed_report, "Joe")
    record_decision(session, d, seed_report.assistant, "la", None, 0)
    with pytest.raises(StaleDecision) as e:
        record_decision(session, d, seed_report.user, "school", None, 0)
    assert e.value.status == 409 and "Someone else changed this" in e.value.message
    session.refresh(d)
    assert (d.choice, d.decided_by_id) == ("la", seed_report.assistant.id)
    # Knowing the current answer, the later choice wins and is logged.
    record_decision(session, d, seed_report.user, "school", None, d.version)
    assert (d.choice, d.version) == ("school", 2)
    assert audit_count(session, "decision.recorded") == 2


def test_own_quick_successive_choices_are_not_a_conflict(session, seed_report):
    # Arrow keys through the radios post several changes from the same page version.
    d = _diff(seed_report, "Joe")
    record_decision(session, d, seed_report.user, "school", None, 0)
    record_decision(session, d, seed_report.user, "la", None, 0)
    assert d.choice == "la"


def test_unmatched_pupils_get_their_own_choices(session, seed_report):
    from tests.factories import import_csv, import_ctf
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL

    extra_school = {"upn": "X886111110001", "surname": "New", "forename": "Nina",
                    "dob": "2015-01-01", "sex": "F"}
    extra_la = {"upn": "L886111110002", "surname": "Gone", "forename": "Gary",
                "dob": "2014-02-02", "sex": "M"}
    import_ctf(session, "8861111", [*SEED_PUPILS_SCHOOL, extra_school])
    import_csv(session, "8861111", [*SEED_PUPILS_LA, extra_la])
    refresh_reports(session, 2025, 17)
    view = build_report_view(session, seed_report.report)
    kinds = {p.name: p for p in view.pupils}
    nina, gary = kinds["Nina New"], kinds["Gary Gone"]
    assert nina.kind == "new_to_la" and gary.kind == "not_at_school"
    assert [o.label for o in nina.rows[0].options] == [
        "On roll at this school", "Not on roll: we will remove them from SIMS"]
    assert [o.label for o in gary.rows[0].options] == [
        "The pupil has left", "Still on roll: we will add them to SIMS"]
    gone = session.get(Difference, gary.rows[0].difference_id)
    with pytest.raises(NotOffered):  # the leaving date is required
        record_decision(session, gone, seed_report.user, "left", "", gone.version)
    record_decision(session, gone, seed_report.user, "left", "2025-07-20", gone.version)
    assert gone.correct_value == "2025-07-20"
    new = session.get(Difference, nina.rows[0].difference_id)
    record_decision(session, new, seed_report.user, "not_on_roll", None, new.version)
    assert decisions.sims_instruction(new) == "Remove Nina New from SIMS"


def test_send_needs_every_decision_then_freezes_a_copy(session, seed_report):
    report = seed_report.report
    with pytest.raises(NotAllowed):
        send_report(session, report, seed_report.user)
    _decide_all(session, seed_report, seed_report.user)
    sub = send_report(session, report, seed_report.user)
    assert report.status == "sent" and report.sent_by_id == seed_report.user.id
    copy = view_from_snapshot(sub.snapshot)
    assert copy.school_title == "1111 Green Abbey School" and copy.all_decided
    assert copy.status == "sent" and not copy.editable
    d = report.differences[0]
    with pytest.raises(ReportLocked):  # a sent report is read-only
        record_decision(session, d, seed_report.user, "la", None, d.version)
    with pytest.raises(NotAllowed):
        send_report(session, report, seed_report.user)


def test_recall_only_before_received_and_logged(session, seed_report):
    _decide_all(session, seed_report, seed_report.user)
    sub = send_report(session, seed_report.report, seed_report.user)
    recall_report(session, sub, seed_report.user)
    assert seed_report.report.status == "in_progress" and sub.recalled_at is not None
    assert audit_count(session, "report.recalled") == 1
    with pytest.raises(NotAllowed):
        recall_report(session, sub, seed_report.user)
    sub2 = send_report(session, seed_report.report, seed_report.user)
    from webapp.models.base import utcnow
    sub2.received_at = utcnow()
    seed_report.report.status = "received"
    session.commit()
    with pytest.raises(NotAllowed):
        recall_report(session, sub2, seed_report.user)


def test_mark_opened_only_once_and_not_by_la(session, seed_report):
    assert not mark_opened(session, seed_report.report, seed_report.officer)
    assert mark_opened(session, seed_report.report, seed_report.user)
    assert not mark_opened(session, seed_report.report, seed_report.assistant)
    assert seed_report.report.opened_by_id == seed_report.user.id


def test_two_simultaneous_posts_cannot_both_win(session, seed_report):
    """The write is a compare-and-set: a change that lands between reading the difference
    and writing it makes the second write stale, not a silent overwrite."""
    from sqlalchemy import update

    d = _diff(seed_report, "Joe")
    assert (d.version, d.choice) == (0, None)  # what this request has read...
    session.expunge(d)  # ...and keeps, while the other request's write lands
    session.execute(update(Difference).where(Difference.id == d.id).values(
        choice="la", version=1, decided_by_id=seed_report.assistant.id))
    session.commit()
    session.add(d)
    assert d.version == 0  # still the stale copy
    with pytest.raises(StaleDecision):
        record_decision(session, d, seed_report.user, "school", None, 0)
    session.refresh(d)
    assert (d.choice, d.version, d.decided_by_id) == ("la", 1, seed_report.assistant.id)
