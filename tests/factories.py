"""Plain factory functions for test data: ``make_school(session, **overrides)``."""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.models import LocalAuthority, School, User

PASSWORD = "correct horse battery staple"
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


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
