"""The tests' one set of factories: plain functions building test data
(``make_school(session, **overrides)``), the seed's reports at each stage of their
journey, and the small shared constants and look-ups the test modules have in common."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from webapp.b2b.amendments.receive import receive_report
from webapp.b2b.amendments.tasks import complete_task
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.b2b.review.decisions import offered_choices, record_decision
from webapp.b2b.review.lifecycle import publish_reports, send_report
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
from webapp.extensions import db
from webapp.models import (
    AmendmentTask,
    AuditEntry,
    Difference,
    LocalAuthority,
    PupilRecord,
    Report,
    School,
    User,
)

PASSWORD = "correct horse battery staple"
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

YEAR, WEEK = 2025, 17  # the seed's week: week 17 of 2025/26
HX = {"HX-Request": "true"}  # the header htmx sends with each of its requests


# -- schools, users, pupils and their files ---------------------------------------------

def make_la(session: Session, la_number: str = "886", name: str = "Kent County Council"
            ) -> LocalAuthority:
    la = session.query(LocalAuthority).filter_by(la_number=la_number).one_or_none()
    if la is None:
        la = LocalAuthority(la_number=la_number, name=name)
        session.add(la)
        session.commit()
    return la


def make_school(session: Session, estab: str = "1111", name: str = "Green Abbey School",
                la_number: str = "886") -> School:
    la = make_la(session, la_number)
    school = School(la_id=la.id, estab=estab, laestab=la_number + estab, name=name)
    session.add(school)
    session.commit()
    return school


def make_user(session: Session, *, role: str = "school", school: School | None = None,
              email: str | None = None, name: str = "Test User") -> User:
    la = school.la if school is not None else make_la(session)
    email = email or (f"office@{school.estab}.test" if school else f"{role}@la.test")
    user = User(email=email, name=name, role=role, school_id=school.id if school else None,
                la_id=la.id, password_hash=_FAST_HASH)
    session.add(user)
    session.commit()
    return user


def pupil(upn: str, surname: str, forename: str, dob: str, sex: str, **items) -> dict:
    return {"upn": upn, "surname": surname, "forename": forename, "dob": dob, "sex": sex,
            **items}


JOE = pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M")


def import_ctf(session: Session, laestab: str, pupils: list[dict], *, side: str = "school",
               name: str = "Green Abbey School", version: str = "24.0"):
    data = write_ctf(laestab=laestab, school_name=name, pupils=pupils, version=version)
    summary = import_file(session, data, side=side, file_name=f"{side}-{laestab}.xml")
    assert summary.ok, summary.error
    return summary


def import_csv(session: Session, laestab: str, pupils: list[dict], *, side: str = "la"):
    data = write_pupils_csv([{**p, "laestab": laestab} for p in pupils])
    summary = import_file(session, data, side=side, file_name=f"{side}-{laestab}.csv")
    assert summary.ok, summary.error
    return summary


# -- the seed report, decided as the seed marks it (for the exports) --------------------
# The seed's three pupils, decided, plus a pupil whose name and address try every
# format's escaping (``<``, ``&``, ``'``, Welsh and Polish).

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


def decided_seed_report(session, *, hard: bool = True, status: str = "published") -> Report:
    """Week 17 of 2025/26 for 1111 Green Abbey School, decisions as the seed marks them:
    Joseph (LA), Emma (school), 26/09/2007 (LA), Jamie (school), PA3 9NF (LA).
    With ``status`` "received" or "closed" it is also sent, received and its first
    amendment task completed."""
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


# -- the seed report published, sent and received (the amendment loop) ------------------

# What the school answers on the seed report: by (UPN, field) -> (choice, typed value).
SEED_DECISIONS = {
    ("R886111110001", "forename"): ("school", None),  # Joe, not Joseph: ONE is wrong
    ("U886111110002", "forename"): ("la", None),  # Emily: SIMS is wrong
    ("U886111110002", "dob"): ("other", "23/09/2007"),  # both wrong
    ("P886111110003", "forename"): ("school", None),  # Jamie
    ("P886111110003", "postcode"): ("la", None),  # PA3 9NF: SIMS is wrong
}


def published_seed_report(session, estab: str = "1111", name: str = "Green Abbey School"):
    """The guidance's school with its week-17 report published; returns (report, staff,
    officer)."""
    school = make_school(session, estab=estab, name=name)
    school.contact_email = f"headteacher@{estab}.test"
    session.commit()
    staff = make_user(session, school=school, email=f"office@{estab}.test", name="Office")
    officer = make_user(session, role="la_officer", email=f"officer{estab}@la.test",
                        name="Olive Officer")
    laestab = school.laestab
    import_ctf(session, laestab, [{**p, "upn": p["upn"][:4] + estab + p["upn"][8:]}
                                  for p in SEED_PUPILS_SCHOOL], name=name)
    import_csv(session, laestab, [{**p, "upn": p["upn"][:4] + estab + p["upn"][8:]}
                                  for p in SEED_PUPILS_LA])
    refresh_reports(session, YEAR, WEEK, school_ids=[school.id])
    report = session.scalar(select(Report).where(Report.school_id == school.id))
    publish_reports(session, [report], officer)
    return report, staff, officer


def decide_all(session, report, staff, decisions=SEED_DECISIONS):
    """Answer every open difference: the seed's choices, else the first offered one."""
    for d in session.scalars(select(Difference).where(
            Difference.report_id == report.id, Difference.status == "open")):
        upn = d.upn[:4] + "1111" + d.upn[8:] if d.upn else None
        choice, value = decisions.get((upn, d.field_key), (None, None))
        if choice is None:
            c = offered_choices(d)[-1]  # anomalies: "This is correct as it is"
            choice, value = c.value, ("01/09/2025" if c.needs == "date" else None)
        record_decision(session, d, staff, choice, value, d.version)


def sent_seed_report(session, **kw):
    """``published_seed_report``, answered (``decide_all``) and sent by the school."""
    report, staff, officer = published_seed_report(session, **kw)
    decide_all(session, report, staff)
    send_report(session, report, staff)
    return report, staff, officer


def received_seed_report(session, **kw):
    """``sent_seed_report``, received by the LA; returns (report, staff, officer, result)."""
    report, staff, officer = sent_seed_report(session, **kw)
    result = receive_report(session, report, officer)
    return report, staff, officer, result


def many_tasks(session, n: int):
    """One received report with ``n`` forename tasks (school says ONE is wrong); returns
    (report, officer)."""
    school = make_school(session, estab="2222", name="Many Pupils School")
    staff = make_user(session, school=school, email="office@2222.test")
    officer = make_user(session, role="la_officer", email="bulk@la.test")
    school_side = [{"upn": f"A88622222{i:04d}", "surname": f"Pupil{i}", "forename": "Sam",
                    "dob": "2015-01-01", "sex": "F"} for i in range(n)]
    la_side = [{**p, "forename": "Samantha"} for p in school_side]
    import_csv(session, school.laestab, school_side, side="school")
    import_csv(session, school.laestab, la_side, side="la")
    refresh_reports(session, YEAR, WEEK, school_ids=[school.id])
    report = session.scalar(select(Report).where(Report.school_id == school.id))
    publish_reports(session, [report], officer)
    for d in session.scalars(select(Difference).where(Difference.report_id == report.id)):
        d.choice = "school" if d.kind == "field" else offered_choices(d)[-1].value
        d.decided_by_id = staff.id
    session.commit()
    send_report(session, report, staff)
    receive_report(session, report, officer)
    return report, officer


def la_record(session, school_id, upn_tail) -> PupilRecord:
    """The LA side's record of the school's pupil whose UPN ends ``upn_tail``."""
    return session.scalar(select(PupilRecord).where(
        PupilRecord.side == "la", PupilRecord.school_id == school_id,
        PupilRecord.upn.like(f"%{upn_tail}")))


# -- look-ups ----------------------------------------------------------------------------

def audit_count(session, action: str) -> int:
    """How many audit entries record ``action``."""
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def form_csrf(client, url: str) -> str:
    """The CSRF token in the hidden ``csrf_token`` field of the form on ``url``."""
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                     client.get(url).get_data(as_text=True))[1]


def wait_for(predicate, timeout: float = 20.0) -> bool:
    """Poll ``predicate`` (on a fresh database snapshot each time) until it holds, for at
    most ``timeout`` seconds: for work a queue consumer does in another thread."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each look
        if predicate():
            return True
        time.sleep(0.1)
    return False
