"""Reports to export in the tests: the seed's three pupils, decided, plus a pupil whose
name and address try every format's escaping (``<``, ``&``, ``'``, Welsh and Polish)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.factories import import_csv, import_ctf, make_user
from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import complete_task
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.lifecycle import send_report
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
from webapp.models import AmendmentTask, Difference, Report, School

HARD_SURNAME = "O'Brien <Łężśka> & Ŵŷn"
HARD_FORENAME_SCHOOL = "Siân-Łucja"
HARD_FORENAME_LA = "Siân Ŷsbel"
LONG_LOCALITY = ("The Old Rectory Cottages behind the Chapel of Saint Ŵyn and the Łąka "
                 "Meadow Allotments, Upper Green Abbey Marsh End") * 1
HARD_PUPIL = {
    "upn": "X886111110001", "surname": HARD_SURNAME, "forename": HARD_FORENAME_SCHOOL,
    "dob": "2010-03-04", "sex": "F", "address_paon": "Flat 12 & 14 'Tŷ Gwyn' <rear>",
    "address_street": "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch Road",
    "address_locality": LONG_LOCALITY, "address_town": "Ashford", "address_county": "Kent",
    "postcode": "TN23 1AA",
}
HARD_PUPIL_LA = {**HARD_PUPIL, "forename": HARD_FORENAME_LA, "dob": "2010-04-03",
                 "address_paon": "Flat 12 'Tŷ Gwyn' <rear> & garden"}

WHEN = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)


def seed_report(session, *, hard: bool = True, status: str = "published") -> Report:
    """Week 17 of 2025/26 for 1111 Green Abbey School, decisions as the seed marks them:
    Joseph (LA), Emma (school), 26/09/2007 (LA), Jamie (school), PA3 9NF (LA)."""
    school_pupils = SEED_PUPILS_SCHOOL + ([HARD_PUPIL] if hard else [])
    la_pupils = SEED_PUPILS_LA + ([HARD_PUPIL_LA] if hard else [])
    import_ctf(session, "8861111", school_pupils)
    import_csv(session, "8861111", la_pupils)
    refresh_reports(session, 2025, 17)
    school = session.scalar(select(School).where(School.laestab == "8861111"))
    report = session.scalar(select(Report).where(Report.school_id == school.id))
    user = make_user(session, school=school, name="Mrs Ann Office")
    decide = {("R886111110001", "forename"): "la", ("U886111110002", "forename"): "school",
              ("U886111110002", "dob"): "la", ("P886111110003", "forename"): "school",
              ("P886111110003", "postcode"): "la"}
    if hard:
        decide[("X886111110001", "forename")] = "school"
        decide[("X886111110001", "dob")] = "other"
    for d in report.differences:
        choice = decide.get((d.upn, d.field_key))
        if d.kind == "field" and choice:
            d.choice = choice
            d.correct_value = "2010-03-05" if choice == "other" else None
            d.decided_by_id = user.id
            d.decided_at = WHEN
    report.status = status
    session.commit()
    if status in ("received", "closed"):
        _send_and_receive(session, report, user)
    return report


def _send_and_receive(session, report: Report, user) -> None:
    """The school answers the rest and sends; the LA receives it (making the amendment
    tasks) and completes the first task."""
    for d in report.differences:
        if d.choice is None:
            d.choice = "is_correct"
            d.decided_by_id = user.id
            d.decided_at = WHEN
    report.status = "in_progress"
    session.commit()
    send_report(session, report, user)
    officer = make_user(session, role="la_officer", name="Mr Data Officer")
    receive_report(session, report, officer)
    first = session.scalar(select(AmendmentTask).where(AmendmentTask.report_id == report.id)
                           .order_by(AmendmentTask.id))
    complete_task(session, first.id, officer)
    first.completed_at = WHEN
    session.commit()


def difference(session, report: Report, upn: str, field_key: str) -> Difference:
    return session.scalar(select(Difference).where(
        Difference.report_id == report.id, Difference.upn == upn,
        Difference.field_key == field_key))
