"""The CTF reader on files shaped as real ones are (SIMS CTF 19 exports, the DfE's own
CTF writers): our own fixtures in ``tests/fixtures/ctf/``, invented values, real
structure. What a file holds is either stored or listed as not read."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import import_csv, pupil
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.formats import ReadNotes
from webapp.b2b.formats import ctf as ctf_module
from webapp.b2b.formats.ctf import read_ctf
from webapp.b2b.intake.importing import import_file
from webapp.models import AttendanceYear, Difference, PupilRecord

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctf"
SIMS19 = (FIXTURES / "sims19_full.xml").read_bytes()


def _read(data: bytes) -> tuple[dict, ReadNotes]:
    notes = ReadNotes()
    return {p.items["upn"]: p for p in read_ctf(io.BytesIO(data), notes)}, notes


@pytest.fixture
def today_2026_12_04(monkeypatch):
    """Today as the issue has it: academic year 2026/27, CTF 26.0 current, 27.0 next."""
    monkeypatch.setattr(ctf_module, "_today", lambda: date(2026, 12, 4))


def test_sims_file_items_as_real_files_hold_them():
    pupils, _ = _read(SIMS19)
    alex = pupils["X886111110001"]
    assert alex.school.laestab == "8861111"
    assert alex.items == {
        "upn": "X886111110001", "surname": "Example", "forename": "Alex",
        "dob": "2009-03-14", "sex": "M", "former_upn": "H886111110000A",
        "preferred_surname": "Example", "preferred_forename": "Al",
        "middle_names": "Sam Lee", "nc_year": "6", "ethnicity": "WENG",
        "service_child": "N", "enrol_status": "C",
        # BasicDetails/SuppInfo (and the pupil's own SuppInfo)
        "religion": "CH", "eal": "N",
        # Languages/Type with LanguageType F
        "first_language": "ENG",
        # the current SEN record (no EndDate), not the ended K; needs by rank
        "sen_provision": "N", "sen_needs": "SLCN,ASD",
        # a contact's address (Flat 3, TN23) is never the pupil's
        "address_saon": None, "address_paon": "12", "address_street": "Example Road",
        "address_locality": "Example Green", "address_town": "Maidstone",
        "address_county": "Kent", "uprn": "100062000012", "postcode": "ME14 1XX",
        # SchoolHistory/School of the sending school (886 1111), not the earlier ones
        "start_date": "2016-01-04",
        # A full file gives the whole record: what it leaves out is not supplied.
        "leave_date": None,
    }
    bea = pupils["L886111110002"].items
    assert (bea["first_language"], bea["religion"], bea["eal"]) == ("POL", "RC", "Y")
    assert (bea["sen_provision"], bea["start_date"], bea["leave_date"]) == \
        ("K", "2013-09-04", "2020-07-17")
    assert bea["sen_needs"] is None and bea["service_child"] is None  # not supplied
    assert bea["address_locality"] is None and bea["uprn"] is None  # left out: not blank
    cal = pupils["A886111110003"].items
    # Every SEN record ended: the latest started is the one that stands.
    assert cal["sen_provision"] == "E"
    assert cal["first_language"] is None and cal["start_date"] is None
    assert cal["address_county"] is None and cal["address_paon"] == "Rose Cottage"


def test_attendance_only_the_sending_schools_own_years():
    pupils, notes = _read(SIMS19)
    alex = pupils["X886111110001"].attendance
    # 2015 and the first part of 2016 were at 886 2222: not this school's attendance. The
    # 2016 year at this school is not overwritten by the earlier school's 2016 year.
    assert [(y["academic_year"], y["sessions_possible"], y["sessions_attended"])
            for y in alex] == [("2016/17", 250, 240), ("2019/20", 220, 215)]
    # Two spells at this school in one year are one year: the sessions add up.
    (bea,) = pupils["L886111110002"].attendance
    assert (bea["academic_year"], bea["sessions_possible"], bea["sessions_attended"],
            bea["sessions_authorised"], bea["sessions_unauthorised"]) == \
        ("2019/20", 160, 152, 5, 3)
    assert notes.not_read()[ctf_module.OTHER_SCHOOL_YEAR] == 1


def test_what_was_not_read_is_listed_with_its_pupil_count():
    _, notes = _read(SIMS19)
    listed = notes.not_read()
    assert listed == {
        "UniqueLearnerNumber": 1, "UCI": 1, "BasicDetails/EthnicitySource": 2,
        "BasicDetails/MedicalFlag": 2, "BasicDetails/Disabilities": 1,
        "BasicDetails/SuppInfo/BirthCertificate": 2, "BasicDetails/SuppInfo/Language": 1,
        "FSMhistory": 1, "SENhistory/SENneeds/SENneed/NeedStartDate": 1,
        "Address/Country": 2, "Address/Easting": 1, "Address/Northing": 1, "Phones": 1,
        "Email": 1, "Contacts": 1, "StageAssessments": 1,
        "SchoolHistory/School/LeavingReason": 2, "SuppInfo/BirthCertificate": 2,
        "SuppInfo/Language": 1, ctf_module.EARLIER_SEN: 2,
        ctf_module.OTHER_SCHOOL: 1, ctf_module.OTHER_SCHOOL_YEAR: 1,
    }
    assert notes.warnings == []


def test_import_summary_lists_an_unknown_element_with_its_pupil_count(session, runner,
                                                                      tmp_path):
    data = SIMS19.replace(b"<Email>", b"<TransportMode>BUS</TransportMode><Email>")
    data = data.replace(b"<UPN>A886111110003</UPN>",
                        b"<UPN>A886111110003</UPN><TransportMode>CAR</TransportMode>")
    s = import_file(session, data, side="school", file_name="sims.xml")
    assert s.ok, s.error
    assert s.not_read["TransportMode"] == 2
    assert s.not_read["StageAssessments"] == 1
    assert {"path": "TransportMode", "pupils": 2} in s.as_dict()["not_read"]
    assert "TransportMode: 2 pupils, not read" in s.not_read_lines()
    f = tmp_path / "sims.xml"
    f.write_bytes(data)
    r = runner.invoke(args=["b2b", "import", str(f), "--source", "la"])
    assert r.exit_code == 0, r.output
    assert "  TransportMode: 2 pupils, not read" in r.output
    assert "  StageAssessments: 1 pupil, not read" in r.output
    r = runner.invoke(args=["b2b", "import", str(f), "--source", "la", "--json"])
    assert {"path": "TransportMode", "pupils": 2} in json.loads(r.output)["not_read"]


def _differences(session, year=2025, week=10) -> dict[tuple[str, str], tuple]:
    refresh_reports(session, year, week)
    return {(d.upn, d.field_key): (d.school_value, d.la_value)
            for d in session.scalars(select(Difference).where(Difference.kind == "field"))}


def _la_rows(changes: dict | None = None) -> list[dict]:
    """The LA's copy of the fixture's three pupils, as ONE holds them."""
    rows = [
        pupil("X886111110001", "Example", "Alex", "2009-03-14", "M", first_language="ENG",
              sen_provision="N", start_date="2016-01-04", postcode="ME14 1XX",
              address_paon="12", address_street="Example Road",
              address_locality="Example Green", address_town="Maidstone",
              address_county="Kent", nc_year="6", ethnicity="WENG", enrol_status="C",
              middle_names="Sam Lee", uprn="100062000012", address_saon=""),
        pupil("L886111110002", "Sample", "Bea", "2009-11-02", "F", first_language="POL",
              sen_provision="K", start_date="2013-09-04", leave_date="2020-07-17",
              ethnicity="WPOL", postcode="ME15 6AA",
              address_paon="3", address_street="Sample Close", address_town="Maidstone",
              address_county="Kent", nc_year="6", enrol_status="C"),
        pupil("A886111110003", "Instance", "Cal", "2010-01-20", "M", sen_provision="E",
              postcode="ME16 0AB", address_paon="Rose Cottage", address_street="Lane End",
              address_town="Maidstone", nc_year="5", ethnicity="BAFR", enrol_status="C"),
    ]
    for (upn, key), value in (changes or {}).items():
        next(r for r in rows if r["upn"] == upn)[key] = value
    return rows


def test_the_la_copy_as_the_school_holds_it_gives_no_difference(session):
    assert import_file(session, SIMS19, side="school", file_name="sims.xml").ok
    import_csv(session, "8861111", _la_rows())
    assert _differences(session) == {}


def test_first_language_sen_and_start_date_are_compared(session):
    assert import_file(session, SIMS19, side="school", file_name="sims.xml").ok
    import_csv(session, "8861111", _la_rows({
        ("X886111110001", "first_language"): "POL",
        ("X886111110001", "sen_provision"): "K",  # the school's ended record, not current
        ("X886111110001", "start_date"): "2013-09-04",  # the earlier school's entry date
        ("L886111110002", "sen_provision"): "K",  # agrees
    }))
    diffs = _differences(session)
    assert diffs == {
        ("X886111110001", "first_language"): ("ENG", "POL"),
        ("X886111110001", "sen_provision"): ("N", "K"),
        ("X886111110001", "start_date"): ("2016-01-04", "2013-09-04"),
    }


def test_earlier_schools_attendance_is_never_compared_as_this_schools(session, tmp_path):
    assert import_file(session, SIMS19, side="school", file_name="sims.xml").ok
    import_csv(session, "8861111", _la_rows())
    rec = session.scalar(select(PupilRecord).where(PupilRecord.side == "school",
                                                   PupilRecord.upn == "X886111110001"))
    assert [y.academic_year for y in session.scalars(
        select(AttendanceYear).where(AttendanceYear.pupil_id == rec.id)
        .order_by(AttendanceYear.academic_year))] == ["2016/17", "2019/20"]
    # The LA holds other figures for 2015/16 (the earlier school's year) and for 2019/20.
    csv = ("laestab,upn,academic_year,sessions_possible,sessions_attended,"
           "sessions_authorised,sessions_unauthorised,attendance_start_date,marks\n"
           "8861111,X886111110001,2015/16,999,990,5,4,,\n"
           "8861111,X886111110001,2019/20,221,215,3,3,,\n")
    assert import_file(session, csv.encode(), side="la", file_name="att.csv").ok
    diffs = _differences(session)
    assert set(diffs) == {("X886111110001", "attendance.2019/20.sessions_possible"),
                          ("X886111110001", "attendance.2019/20.sessions_unauthorised")}


def test_a_partial_file_changes_only_what_it_carries(session):
    assert import_file(session, SIMS19, side="school", file_name="full.xml").ok
    partial = (FIXTURES / "sims19_partial.xml").read_bytes()
    s = import_file(session, partial, side="school", file_name="partial.xml")
    assert s.ok and (s.read, s.changed) == (1, 1)
    rec = session.scalar(select(PupilRecord).where(PupilRecord.upn == "X886111110001"))
    assert (rec.sen_provision, rec.sen_needs) == ("K", "SEMH")
    # Items the partial file does not carry keep what the full file gave.
    assert (rec.first_language, rec.postcode, rec.start_date) == ("ENG", "ME14 1XX",
                                                                  "2016-01-04")


def test_a_full_file_leaves_out_what_the_school_no_longer_holds(session):
    assert import_file(session, SIMS19, side="school", file_name="full.xml").ok
    # A week later SIMS holds no needs and no first language for Alex: SIMS leaves them
    # out, and what the earlier file gave is not kept.
    later = SIMS19.split(b"<SENneeds>", 1)[0] + b"</SENhistory>" + \
        SIMS19.split(b"</SENneeds>\n</SENhistory>", 1)[1]
    later = later.replace(b"<Languages>\n<Type>\n<LanguageType>F</LanguageType>\n"
                          b"<Language>ENG</Language>\n</Type>\n</Languages>\n", b"", 1)
    s = import_file(session, later, side="school", file_name="later.xml")
    assert s.ok and s.changed == 1, s.error
    rec = session.scalar(select(PupilRecord).where(PupilRecord.upn == "X886111110001"))
    assert (rec.sen_provision, rec.sen_needs, rec.first_language) == ("N", None, None)


def test_a_dfe_partial_file_identity_and_assessments(today_2026_12_04):
    pupils, notes = _read((FIXTURES / "dfe26_partial.xml").read_bytes())
    assert pupils["X886111110001"].items == {
        "upn": "X886111110001", "surname": "EXAMPLE", "forename": "ALEX",
        "dob": "2016-03-14", "sex": "M"}
    assert notes.not_read() == {"StageAssessments": 2}
    assert notes.warnings == []


def _with_version(version: str, sex_tag: str = "Gender") -> bytes:
    data = SIMS19.replace(b"<CTFversion>19.0<", f"<CTFversion>{version}<".encode())
    if sex_tag != "Gender":
        data = data.replace(b"<Gender>M</Gender>\n<BasicDetails>",
                            f"<{sex_tag}>M</{sex_tag}>\n<BasicDetails>".encode())
    return data


@pytest.mark.parametrize("version", [f"{v}.0" for v in range(19, 28)])
@pytest.mark.parametrize("sex_tag", ["Gender", "Sex"])
def test_versions_19_to_the_next_academic_years_read(session, today_2026_12_04, version,
                                                     sex_tag):
    s = import_file(session, _with_version(version, sex_tag), side="school",
                    file_name="v.xml")
    assert s.ok, s.error
    assert s.read == 3 and s.warnings == []
    assert session.scalar(select(PupilRecord.sex).where(
        PupilRecord.upn == "X886111110001")) == "M"


def test_a_newer_version_is_read_with_a_warning(session, today_2026_12_04):
    s = import_file(session, _with_version("28.0", "Sex"), side="school", file_name="v.xml")
    assert s.ok and s.read == 3
    assert len(s.warnings) == 1 and "CTF version 28.0 is newer" in s.warnings[0]
    assert s.as_dict()["warnings"] == s.warnings
    assert session.scalar(select(PupilRecord.first_language).where(
        PupilRecord.upn == "X886111110001")) == "ENG"


def test_an_older_version_is_refused(session, today_2026_12_04):
    s = import_file(session, _with_version("18.0"), side="school", file_name="v.xml")
    assert not s.ok and "CTF version 18.0 is not supported (19 to 27 are)" in s.error


def test_the_version_range_follows_the_academic_year(monkeypatch):
    monkeypatch.setattr(ctf_module, "_today", lambda: date(2027, 8, 31))
    assert ctf_module.current_version() == 26
    monkeypatch.setattr(ctf_module, "_today", lambda: date(2027, 9, 1))
    assert ctf_module.current_version() == 27
    _, notes = _read(_with_version("28.0"))
    assert notes.warnings == []


def test_header_elements_not_read_are_warned_of(session):
    data = SIMS19.replace(b"<SupplierID>SIMS</SupplierID>",
                          b"<SupplierID>SIMS</SupplierID><Routing>X</Routing>")
    s = import_file(session, data, side="school", file_name="h.xml")
    assert s.ok and s.warnings == ["Header/Routing was not read"]


def test_a_file_not_from_a_school_is_refused_saying_why(session):
    data = SIMS19.replace(b"<LEA>886</LEA>\n<Estab>1111</Estab>\n<URN>100001</URN>\n"
                          b"<SchoolName>Example Primary School</SchoolName>",
                          b"<LEA>XXX</LEA>\n<Estab>XXXX</Estab>\n"
                          b"<SchoolName>Get Information About Pupils</SchoolName>", 1)
    s = import_file(session, data, side="school", file_name="giap.xml")
    assert not s.ok and "not from a school" in s.error


def test_many_invented_element_names_stay_bounded():
    body = b"".join(f"<Pupil><UPN>X886111110001</UPN><N{i}>1</N{i}><M{i}/></Pupil>".encode()
                    for i in range(6000))
    head = SIMS19.split(b"<CTFpupilData>")[0]
    notes = ReadNotes()
    n = sum(1 for _ in read_ctf(io.BytesIO(head + b"<CTFpupilData>" + body
                                           + b"</CTFpupilData></CTfile>"), notes))
    assert n == 6000
    assert len(notes.pupil_paths) <= 5001
    assert sum(notes.pupil_paths.values()) == 6000
