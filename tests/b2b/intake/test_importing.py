"""Importers on real CTF XML and CSV files written by the tests."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from tests.factories import import_csv, import_ctf, pupil
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.models import AttendanceYear, ImportBatch, PupilRecord, School

JOE = pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M", postcode="me14 1xx",
            address_paon="1", address_street="Green Abbey Road", ethnicity="WENG")


@pytest.mark.parametrize("version", ["19.0", "20.0", "23.0", "24.0", "25.0"])
def test_ctf_versions_and_sex_or_gender(session, version):
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE],
                     version=version)
    assert (b"<Gender>" in data) == (version == "19.0")
    s = import_file(session, data, side="school", file_name="a.xml")
    assert s.ok and s.new == 1 and s.file_format == "ctf"
    rec = session.scalar(select(PupilRecord))
    assert (rec.sex, rec.dob, rec.postcode, rec.ethnicity) == ("M", "2006-01-26", "ME14 1XX",
                                                               "WENG")
    # CTF carries no start date: not supplied, not blank.
    assert rec.start_date is None


def test_unknown_school_created_from_ctf_header_and_csv_placeholder(session):
    s = import_ctf(session, "8862222", [JOE], name="Oak Tree Primary")
    assert s.schools_created == ["8862222"]
    assert session.scalar(select(School.name).where(School.laestab == "8862222")) == \
        "Oak Tree Primary"
    s = import_csv(session, "8863333", [JOE])
    assert s.schools_created == ["8863333"]
    school = session.scalar(select(School).where(School.laestab == "8863333"))
    assert school.name_is_placeholder
    import_ctf(session, "8863333", [JOE], name="Named Later School")
    session.refresh(school)
    assert school.name == "Named Later School" and not school.name_is_placeholder


def test_csv_dates_either_form_and_blank_is_supplied(session):
    rows = [{**JOE, "dob": "26/01/2006", "middle_names": "", "start_date": "01/09/2017"}]
    import_csv(session, "8861111", rows, side="la")
    rec = session.scalar(select(PupilRecord))
    assert rec.dob == "2006-01-26" and rec.start_date == "2017-09-01"
    assert rec.middle_names == ""


def test_change_tracking_counts_and_same_file_twice(session):
    first = write_pupils_csv([{**JOE, "laestab": "8861111"}])
    s1 = import_file(session, first, side="la", file_name="la.csv")
    assert (s1.new, s1.changed, s1.unchanged) == (1, 0, 0)
    again = import_file(session, first, side="la", file_name="la-again.csv")
    assert again.duplicate_of == s1.batch_id
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)
    changed = write_pupils_csv([{**JOE, "laestab": "8861111", "forename": "Joseph"},
                                {**JOE, "laestab": "8861111", "upn": "L886111110002"}])
    s2 = import_file(session, changed, side="la", file_name="la2.csv")
    assert (s2.read, s2.new, s2.changed, s2.unchanged) == (2, 1, 1, 0)
    # Same content in a different file (other bytes): recognised as unchanged.
    same = write_pupils_csv([{**JOE, "laestab": "8861111", "forename": " Joseph "},
                             {**JOE, "laestab": "8861111", "upn": "L886111110002"}])
    s3 = import_file(session, same, side="la", file_name="la3.csv")
    assert (s3.new, s3.changed, s3.unchanged) == (0, 0, 2)


def test_ctf_attendance_is_stored(session):
    p = {**JOE, "attendance": [{"academic_year": "2024/25", "sessions_possible": 300,
                                "sessions_attended": 280, "sessions_authorised": 15,
                                "sessions_unauthorised": 5, "marks": "//\\\\"}]}
    import_ctf(session, "8861111", [p])
    att = session.scalar(select(AttendanceYear))
    assert (att.academic_year, att.sessions_possible, att.sessions_unauthorised) == \
        ("2024/25", 300, 5)


def test_exclusions_and_attendance_companion_csvs(session, tmp_path, runner):
    import_csv(session, "8861111", [JOE], side="school")
    ex = tmp_path / "exclusions.csv"
    ex.write_text("laestab,upn,category,start_date,end_date,sessions,reason1,reason2,reason3,"
                  "term,academic_year\n8861111,X886111110001,FIXD,03/02/2025,2025-02-05,6,PH,,"
                  ",Spring,2024/25\n", encoding="utf-8")
    at = tmp_path / "attendance.csv"
    at.write_text("laestab,upn,academic_year,sessions_possible,sessions_attended,"
                  "sessions_authorised,sessions_unauthorised,attendance_start_date,marks\n"
                  "8861111,X886111110001,2024/25,10,8,1,1,2024-09-02,//\\\\/I/O//\n",
                  encoding="utf-8")
    for f in (ex, at):
        r = runner.invoke(args=["b2b", "import", str(f), "--source", "school", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["new"] == 1
    rec = session.scalar(select(PupilRecord))
    session.refresh(rec)
    assert [(e.category, e.start_date, e.reasons) for e in rec.exclusions] == \
        [("FIXD", "2025-02-03", "PH")]
    assert rec.attendance[0].marks == "//\\\\/I/O//"


def test_cli_import_summary_and_progress(runner, tmp_path):
    f = tmp_path / "school.xml"
    f.write_bytes(write_ctf(laestab="8861111", school_name="Green Abbey", pupils=[JOE]))
    r = runner.invoke(args=["b2b", "import", str(f), "--source", "school"])
    assert r.exit_code == 0
    assert "read 1, new 1, changed 0, unchanged 0, refused 0" in r.output
    assert "new school created from the file: 8861111" in r.output


def test_csv_extra_known_columns_accepted(session):
    data = write_pupils_csv([{**JOE, "laestab": "8861111", "religion": "CHR"}],
                            extra_columns=("religion",))
    assert import_file(session, data, side="la", file_name="x.csv").ok
    assert session.scalar(select(PupilRecord.religion)) == "CHR"


def test_batches_recorded(session):
    import_ctf(session, "8861111", [JOE])
    assert session.scalar(select(func.count(ImportBatch.id))) == 1
    b = session.scalar(select(ImportBatch))
    assert (b.side, b.status, b.read_count, b.new_count, len(b.sha256)) == \
        ("school", "imported", 1, 1, 64)


def test_ctf_with_a_default_namespace(session):
    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[JOE])
    data = data.replace(b"<CTfile>", b'<CTfile xmlns="http://www.example.org/ctf">', 1)
    s = import_file(session, data, side="school", file_name="ns.xml")
    assert s.ok and s.new == 1, s.error
    assert session.scalar(select(PupilRecord.surname)) == "Bloggs"


def test_unicode_digits_do_not_crash(session):
    # Found by the fuzz test: "²" passes str.isdigit() but int() refuses it.
    ok = write_pupils_csv([{**JOE, "laestab": "8861111", "nc_year": "²"}])
    assert import_file(session, ok, side="la", file_name="a.csv").ok
    bad = write_pupils_csv([{**JOE, "laestab": "886111²"}])
    s = import_file(session, bad, side="la", file_name="b.csv")
    assert not s.ok and "laestab must be 7 digits" in s.error


def _no_upn(surname: str, forename: str, **items) -> dict:
    return pupil(None, surname, forename, "2012-03-04", "F", **items)


def test_pupils_without_upn_and_long_names_are_keyed_within_the_column(session):
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.models import Difference

    limit = PupilRecord.__table__.c.record_key.type.length
    # "nokey:" + surname|forename|dob|sex, casefolded: 20 characters besides the names.
    fits = _no_upn("S" * 60, "F" * 40)  # a key of exactly the column's length
    over = _no_upn("S" * 61, "F" * 40)
    longest = [_no_upn("Ab" * 50, "Cd" * 49 + "x"), _no_upn("Ab" * 50, "Cd" * 49 + "y")]
    short = {**JOE, "upn": None}
    pupils = [over, *longest, short]
    s = import_ctf(session, "8861111", pupils)
    assert (s.read, s.new) == (4, 4)
    import_ctf(session, "8862222", [fits], name="Oak Tree Primary")

    keys = {r.surname + "|" + r.forename: r.record_key
            for r in session.scalars(select(PupilRecord))}
    # Keys that fit are as they always were.
    assert keys["Bloggs|Joe"] == "nokey:bloggs|joe|2006-01-26|m"
    assert keys["S" * 60 + "|" + "F" * 40] == f"nokey:{'s' * 60}|{'f' * 40}|2012-03-04|f"
    assert len(keys["S" * 60 + "|" + "F" * 40]) == limit
    # Longer ones keep their start and end in the SHA-256 of the whole key, so that two
    # pupils differing only past the cut are still two records.
    fitted = [keys["S" * 61 + "|" + "F" * 40]] + [keys[p["surname"] + "|" + p["forename"]]
                                                   for p in longest]
    assert all(len(k) < limit and k.startswith("nokey:") for k in fitted)
    assert fitted[0].endswith(hashlib.sha256(
        f"nokey:{'s' * 61}|{'f' * 40}|2012-03-04|f".encode()).hexdigest())
    assert fitted[1] != fitted[2] and fitted[1][:-64] == fitted[2][:-64]

    # The same pupils again are found again, by the same keys.
    longest[0]["postcode"] = "ME14 1XX"
    again = import_ctf(session, "8861111", pupils)
    assert (again.new, again.changed, again.unchanged) == (0, 1, 3)
    assert session.scalar(select(func.count(PupilRecord.id))) == 5

    # And the report, which names a pupil by "school:" and the key, holds every key: a
    # fitted one, and one that fitted the record's column exactly (Oak Tree's).
    refresh_reports(session, 2025, 17)
    subjects = set(session.scalars(select(Difference.subject_key)))
    assert {f"school:{k}" for k in fitted} <= subjects
    assert f"school:{keys['S' * 60 + '|' + 'F' * 40]}" in subjects


def test_the_same_pupil_without_upn_twice_in_a_file_is_two_records(session):
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.models import Difference

    twice = [{**JOE, "upn": None}, {**JOE, "upn": None, "postcode": "ME15 6AA"}]
    s = import_ctf(session, "8861111", twice)
    assert (s.read, s.new) == (2, 2)
    assert sorted(session.scalars(select(PupilRecord.record_key))) == \
        ["nokey:bloggs|joe|2006-01-26|m", "nokey:bloggs|joe|2006-01-26|m#2"]
    again = import_ctf(session, "8861111", twice)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)

    # The LA holds one of them: the other is the school's alone.
    import_csv(session, "8861111", [{**JOE, "upn": ""}])
    refresh_reports(session, 2025, 17)
    assert session.execute(select(Difference.subject_key, Difference.kind)).all() == \
        [("school:nokey:bloggs|joe|2006-01-26|m#2", "new_to_la")]
