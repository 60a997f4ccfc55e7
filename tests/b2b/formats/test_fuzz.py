"""Generated and mutated CTF and CSV files: the importers never raise, and a refused file
leaves the database exactly as it was. (`bench/fuzz.py` runs the same for 10,000+ files.)"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.models import AttendanceYear, Exclusion, PupilRecord, School

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
dates = st.one_of(st.dates().map(str), st.text(max_size=12))


@st.composite
def pupils(draw):
    return {
        "upn": draw(st.one_of(st.just("X886111110001"), st.text(max_size=15))),
        "surname": draw(names), "forename": draw(names), "dob": draw(dates),
        "sex": draw(st.sampled_from(["M", "F", "U", "", "Q"])),
        "postcode": draw(st.text(max_size=10)), "ethnicity": draw(st.text(max_size=5)),
        "address_paon": draw(names), "nc_year": draw(st.text(max_size=3)),
    }


@st.composite
def mutated(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([
                b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"&e;", b"<Pupil>",
                b"</Header>", b"\xff\xfe", b"\x00", b",,,", b'"', b"\n", b"&#0;",
                b"<![CDATA[", b"<?xml version='1.0' encoding='latin-1'?>"]))
        else:
            del data[i:i + draw(st.integers(1, 20))]
    return bytes(data)


def _counts(session):
    return tuple(session.scalar(select(func.count(m.id)))
                 for m in (PupilRecord, School, Exclusion, AttendanceYear))


@st.composite
def files(draw):
    ps = draw(st.lists(pupils(), min_size=1, max_size=4))
    if draw(st.booleans()):
        base = write_ctf(laestab="8861111", school_name=draw(names) or "S", pupils=ps,
                         version=draw(st.sampled_from(["19.0", "24.0", "25.0"])))
    else:
        base = write_pupils_csv([{**p, "laestab": "8861111"} for p in ps])
    return draw(mutated(base))


@settings(max_examples=300, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=files(), side=st.sampled_from(["school", "la"]))
def test_importers_never_raise_and_refusals_change_nothing(session, data, side):
    before = _counts(session)
    summary = import_file(session, data, side=side, file_name="fuzz")
    if summary.error is not None:
        assert _counts(session) == before
        assert summary.error.strip()
    else:
        assert summary.read >= 0
