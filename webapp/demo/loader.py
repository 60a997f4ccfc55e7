"""The demo LA: written as real files, taken in through the real importers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.b2b.review.lifecycle import publish_reports
from webapp.b2b.weeks import week_of
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL, make_school
from webapp.models import LocalAuthority, Report, School, User

DEMO_LA_NUMBER = "886"
DEMO_LA_NAME = "Kent County Council"
CTF_VERSIONS = ("24.0", "23.0", "25.0", "19.0")
SCHOOL_KINDS = ("Primary School", "Academy", "CE Primary School", "High School",
                "Infant School")


def load_demo(
    session: Session,
    workdir: Path,
    *,
    schools: int = 22,
    pupils: int = 240,
    password: str,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write and import a fictional LA's data, compare two weeks, publish the latest and
    create the demo accounts."""
    workdir.mkdir(parents=True, exist_ok=True)
    fake = Faker("en_GB")
    fake.seed_instance(886)
    rnd = random.Random(886)
    la = session.scalar(select(LocalAuthority).where(LocalAuthority.la_number == DEMO_LA_NUMBER))
    if la is None:
        la = LocalAuthority(la_number=DEMO_LA_NUMBER, name=DEMO_LA_NAME)
        session.add(la)
        session.commit()
    la_rows: list[dict] = []
    names = ["Green Abbey School"]
    while len(names) < schools:
        kind = rnd.choice(SCHOOL_KINDS)
        n = f"{fake.last_name()} {kind}"
        if n not in names:
            names.append(n)
    for i, name in enumerate(names):
        estab = "1111" if i == 0 else f"{2000 + i * 7:04d}"
        laestab = DEMO_LA_NUMBER + estab
        data = make_school(laestab, name, pupils - (3 if i == 0 else 0), seed=1000 + i)
        if i == 0:
            data.school[:0] = [dict(p) for p in SEED_PUPILS_SCHOOL]
            data.la[:0] = [dict(p) for p in SEED_PUPILS_LA]
        version = CTF_VERSIONS[i % len(CTF_VERSIONS)]
        ctf = write_ctf(laestab=laestab, school_name=name, pupils=data.school, version=version)
        path = workdir / f"school-{laestab}.xml"
        path.write_bytes(ctf)
        import_file(session, ctf, side="school", file_name=path.name, actor="demo")
        la_rows.extend({**p, "laestab": laestab} for p in data.la)
        if progress:
            progress(1)
    extract = write_pupils_csv(la_rows)
    (workdir / "la-extract.csv").write_bytes(extract)
    import_file(session, extract, side="la", file_name="la-extract.csv", actor="demo")

    _accounts(session, la, password)
    year, week = week_of(today)
    refresh_reports(session, *week_of(today - timedelta(days=7)), actor="demo")
    refresh_reports(session, year, week, actor="demo")
    officer = session.scalar(select(User).where(User.email == "officer@la.example"))
    reports = session.scalars(select(Report).where(Report.academic_year == year,
                                                   Report.week == week)).all()
    publish_reports(session, reports, officer)


def _accounts(session: Session, la: LocalAuthority, password: str) -> None:
    hashed = generate_password_hash(password)
    session.add_all([
        User(email="officer@la.example", name="Sam Officer", role="la_officer", la_id=la.id,
             password_hash=hashed),
        User(email="admin@la.example", name="Alex Admin", role="la_admin", la_id=la.id,
             password_hash=hashed),
    ])
    for school in session.scalars(select(School).where(School.la_id == la.id)):
        email = f"office@{school.estab}.school.example"
        school.contact_email = email
        session.add(User(email=email, name=f"Office Manager ({school.name})", role="school",
                         school_id=school.id, la_id=la.id, password_hash=hashed))
        if school.estab == "1111":
            session.add(User(email="assistant@1111.school.example", name="Office Assistant",
                             role="school", school_id=school.id, la_id=la.id,
                             password_hash=hashed))
    session.commit()
