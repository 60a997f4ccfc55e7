"""The CTF writer: files shaped as real ones are (header in order, the version of the
academic year, every pupil identified, elements in the order real files give them, no
empty elements), and read back whole by the reader."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from lxml import etree

from tests.factories import decided_seed_report, pupil
from webapp.b2b.formats.ctf import read_ctf
from webapp.b2b.formats.writers import CTF_ITEMS, IDENTITY_ITEMS, ctf_version, write_ctf
from webapp.exports.returns import sims_return, sims_return_ctf

WHEN = datetime(2026, 12, 4, 9, 30)
FULL = pupil(
    "X886111110001", "Example", "Alex", "2009-03-14", "M", former_upn="H886111110000A",
    preferred_surname="Example", preferred_forename="Al", middle_names="Sam Lee",
    nc_year="6", ethnicity="WENG", first_language="ENG", service_child="N",
    enrol_status="C", religion="CH", eal="N", sen_provision="K", sen_needs="SLCN,ASD",
    sen_start_date="2024-09-04", address_saon="Flat 1", address_paon="12",
    address_street="Example Road", address_locality="Example Green",
    address_town="Maidstone", address_county="Kent", postcode="ME14 1XX",
    uprn="100062000012", start_date="2024-09-04", leave_date="2026-07-22",
    attendance=[{"academic_year": "2025/26", "sessions_possible": 300,
                 "sessions_attended": 280, "sessions_authorised": 15,
                 "sessions_unauthorised": 5}])
# A pupil as an LA extract may hold one: blanks and gaps everywhere.
SPARSE = pupil("L886111110002", "Sample", "Bea", "2009-11-02", "F", middle_names="",
               address_saon="", address_paon="3", address_street="Sample Close",
               address_locality="", address_town="", address_county="", postcode="ME15 6AA",
               uprn="", sen_provision="N", sen_needs="", first_language=None, religion="",
               start_date="", leave_date="")

# Orders seen in real files (SIMS CTF 19, the DfE's writers).
HEADER = ["DocumentName", "CTFversion", "DateTime", "DocumentQualifier", "DataDescriptor",
          "SupplierID", "SourceSchool", "DestSchool"]
PUPIL = ["UPN", "UniqueLearnerNumber", "UCI", "Surname", "Forename", "DOB", "Gender", "Sex",
         "BasicDetails", "FSMhistory", "NAWdetails", "SENhistory", "Address", "Phones",
         "Email", "Contacts", "Attendance", "StageAssessments", "SchoolHistory", "SuppInfo"]
BASIC = ["FormerUPN", "PreferredSurname", "PreferredForename", "MiddleNames", "NCyearActual",
         "Ethnicity", "EthnicitySource", "Languages", "ServiceChild", "MedicalFlag",
         "Disabilities", "EnrolStatus", "SuppInfo"]
ORDERS = {
    "Header": HEADER, "Pupil": PUPIL, "BasicDetails": BASIC,
    "SourceSchool": ["LEA", "Estab", "URN", "SchoolName", "AcademicYear"],
    "DestSchool": ["LEA", "Estab", "URN"],
    "Type": ["LanguageType", "Language"],
    "SEN": ["StartDate", "SENprovision", "EndDate"],
    "SENhistory": ["SEN", "SENneeds"],
    "SENneed": ["NeedStartDate", "SENtypeRank", "SENtype"],
    "Address": ["BS7666Address", "AddressLines", "County", "PostCode", "ZIP", "Country"],
    "BS7666Address": ["SAON", "PAON", "Street", "Locality", "Town", "PostTown",
                      "UniquePropertyReferenceNumber"],
    "YearData": ["Year", "LEA", "Estab", "URN", "SchoolName", "SessionsPossible",
                 "SessionsAuthorised", "SessionsAttended", "SessionsUnauthorised",
                 "AttendanceStartDate", "AttendanceMarks"],
    "School": ["LEA", "Estab", "URN", "SchoolName", "EntryDate", "LeavingDate",
               "LeavingReason"],
}


def _root(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _check_shape(data: bytes) -> etree._Element:
    """Every element in the order real files use and none empty."""
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = _root(data)
    assert root.tag == "CTfile" and [c.tag for c in root] == ["Header", "CTFpupilData"]
    for el in root.iter():
        if len(el):
            assert not (el.text or "").strip(), el.tag
            order = ORDERS.get(el.tag)
            if order is not None and not (el.tag == "SuppInfo"):
                tags = [c.tag for c in el]
                assert all(t in order for t in tags), (el.tag, tags)
                assert tags == sorted(tags, key=order.index), (el.tag, tags)
        else:
            assert (el.text or "").strip(), f"empty <{el.tag}>"
    for p in root.iter("Pupil"):
        assert [c.tag for c in p][:5] == ["UPN", "Surname", "Forename", "DOB",
                                          p[4].tag]
        assert p[4].tag in ("Sex", "Gender")
    return root


def test_header_in_real_order_with_the_academic_years_version():
    root = _check_shape(write_ctf(laestab="8861111", school_name="Example Primary",
                                  pupils=[FULL], generated_at=WHEN))
    h = root.find("Header")
    assert [c.tag for c in h] == [t for t in HEADER if t != "DataDescriptor"]
    assert h.findtext("DocumentName") == "Common Transfer File"
    assert h.findtext("CTFversion") == "26.0"  # 2026/27
    assert h.findtext("DateTime") == "2026-12-04T09:30:00"
    assert h.findtext("DocumentQualifier") == "partial"
    assert [c.tag for c in h.find("SourceSchool")] == ["LEA", "Estab", "SchoolName",
                                                       "AcademicYear"]
    assert h.findtext("SourceSchool/AcademicYear") == "2026"


@pytest.mark.parametrize(("when", "version"), [
    (datetime(2026, 8, 31), "25.0"), (datetime(2026, 9, 1), "26.0"),
    (datetime(2027, 1, 5), "26.0"), (datetime(2030, 10, 1), "30.0")])
def test_version_computed_from_the_date(when, version):
    assert ctf_version(when.date()) == version
    root = _root(write_ctf(laestab="8861111", school_name="S", pupils=[],
                           generated_at=when))
    assert root.findtext("Header/CTFversion") == version
    assert root.findtext("Header/SourceSchool/AcademicYear") == f"20{version[:2]}"


@pytest.mark.parametrize(("version", "tag"), [("19.0", "Gender"), ("20.0", "Sex"),
                                              ("26.0", "Sex")])
def test_gender_in_ctf_19_as_sims_wrote_it_sex_after(version, tag):
    root = _check_shape(write_ctf(laestab="8861111", school_name="S", pupils=[FULL],
                                  version=version, generated_at=WHEN))
    assert root.find(f"CTFpupilData/Pupil/{tag}").text == "M"
    assert root.findtext("Header/SourceSchool/AcademicYear") == f"20{version[:2]}"


def test_pupil_elements_where_real_files_have_them():
    root = _check_shape(write_ctf(laestab="8861111", school_name="Example Primary",
                                  pupils=[FULL, SPARSE], generated_at=WHEN))
    full, sparse = root.findall("CTFpupilData/Pupil")
    assert [c.tag for c in full] == ["UPN", "Surname", "Forename", "DOB", "Sex",
                                     "BasicDetails", "SENhistory", "Address", "Attendance",
                                     "SchoolHistory"]
    basic = full.find("BasicDetails")
    assert [c.tag for c in basic] == ["FormerUPN", "PreferredSurname", "PreferredForename",
                                      "MiddleNames", "NCyearActual", "Ethnicity",
                                      "Languages", "ServiceChild", "EnrolStatus",
                                      "SuppInfo"]
    assert [(c.tag, c.text) for c in basic.find("Languages/Type")] == [
        ("LanguageType", "F"), ("Language", "ENG")]
    assert full.find(".//TypeID") is None
    assert [(c.tag, c.text) for c in basic.find("SuppInfo")] == [
        ("SuppID", "SIMS"), ("Religion", "CH"), ("EnglishAsAdditionalLanguage", "N")]
    sen = full.find("SENhistory")
    assert [c.tag for c in sen] == ["SEN", "SENneeds"]  # beside the record, not in it
    assert [(c.tag, c.text) for c in sen.find("SEN")] == [("StartDate", "2024-09-04"),
                                                          ("SENprovision", "K")]
    assert [[c.text for c in n] for n in sen.find("SENneeds")] == [["1", "SLCN"],
                                                                  ["2", "ASD"]]
    address = full.find("Address")
    assert [c.tag for c in address] == ["BS7666Address", "County", "PostCode"]
    (year,) = full.find("Attendance")
    assert (year.findtext("Year"), year.findtext("LEA"), year.findtext("Estab"),
            year.findtext("SchoolName")) == ("2025", "886", "1111", "Example Primary")
    (school,) = full.find("SchoolHistory")
    assert [(c.tag, c.text) for c in school] == [
        ("LEA", "886"), ("Estab", "1111"), ("SchoolName", "Example Primary"),
        ("EntryDate", "2024-09-04"), ("LeavingDate", "2026-07-22")]
    # Blanks are left out, not written empty; an empty group is not written at all.
    assert [c.tag for c in sparse] == ["UPN", "Surname", "Forename", "DOB", "Sex",
                                       "SENhistory", "Address"]
    assert [c.tag for c in sparse.find("Address/BS7666Address")] == ["PAON", "Street"]
    assert [c.tag for c in sparse.find("SENhistory")] == ["SEN"]


def test_the_reader_reads_back_everything_the_writer_writes():
    data = write_ctf(laestab="8861111", school_name="Example Primary",
                     pupils=[FULL, SPARSE], generated_at=WHEN)
    full, sparse = read_ctf(io.BytesIO(data))
    written = {k: v for k, v in FULL.items() if k in CTF_ITEMS}
    assert {k: v for k, v in full.items.items() if v is not None} == written
    assert full.attendance == [{**FULL["attendance"][0], "academic_year": "2025/26",
                                "attendance_start_date": None, "marks": None}]
    # What was blank comes back not supplied (a CTF leaves it out).
    assert {k: v for k, v in sparse.items.items() if v is not None} == {
        k: v for k, v in SPARSE.items() if v and k in CTF_ITEMS}
    assert sparse.items["address_saon"] is None and "middle_names" not in sparse.items
    assert CTF_ITEMS >= set(IDENTITY_ITEMS)


@pytest.mark.parametrize("version", [f"{v}.0" for v in range(19, 27)])
def test_round_trip_in_every_version(version):
    data = write_ctf(laestab="8861111", school_name="S", pupils=[FULL], version=version,
                     generated_at=WHEN)
    (back,) = read_ctf(io.BytesIO(data))
    assert back.items["sex"] == "M" and back.items["first_language"] == "ENG"
    assert back.items["sen_needs"] == "SLCN,ASD" and back.items["start_date"] == "2024-09-04"


def test_the_return_file_for_sims_has_the_shape(session):
    report = decided_seed_report(session)
    data = sims_return_ctf(sims_return(session, report), generated_at=WHEN)
    root = _check_shape(data)
    assert root.findtext("Header/DocumentName") == "Common Transfer File"
    assert root.findtext("Header/CTFversion") == "26.0"
    for p in root.iter("Pupil"):
        assert all(p.findtext(tag) for tag in ("UPN", "Surname", "Forename", "DOB", "Sex"))
