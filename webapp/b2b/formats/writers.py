"""Writing our formats: CTF XML (for the SIMS return file, demo data and tests) and the
pupils CSV. Written with lxml so every value is escaped properly."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import cast

from lxml import etree

from webapp.b2b.formats.csvfile import PUPIL_COLUMNS

Row = Mapping[str, object]


# Characters XML 1.0 cannot carry at all (C0 controls other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _sub(parent: etree._Element, tag: str, value: object) -> etree._Element | None:
    if value is None:
        return None
    el = etree.SubElement(parent, tag)
    el.text = _NOT_XML.sub("", str(value))
    return el


def write_ctf(
    *,
    laestab: str,
    school_name: str,
    pupils: Iterable[Row],
    version: str = "24.0",
    dest_laestab: str | None = None,
    academic_year: int | None = None,
    sex_element: str | None = None,
    document_name: str = "B2B pupil data",
    generated_at: datetime | None = None,
) -> bytes:
    """A CTF file for one school. ``sex_element`` defaults to ``Sex`` from version 20 on,
    ``Gender`` before (older CTFs)."""
    major = int(version.split(".")[0])
    sex_tag = sex_element or ("Gender" if major < 20 else "Sex")
    root = etree.Element("CTfile")
    header = etree.SubElement(root, "Header")
    _sub(header, "DocumentName", document_name)
    _sub(header, "CTFversion", version)
    _sub(header, "DateTime", (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "DocumentQualifier", "partial")
    _sub(header, "SupplierID", "b2b-sync")
    src = etree.SubElement(header, "SourceSchool")
    _sub(src, "LEA", laestab[:3])
    _sub(src, "Estab", laestab[3:])
    _sub(src, "SchoolName", school_name)
    if academic_year:
        _sub(src, "AcademicYear", academic_year)
    dest = etree.SubElement(header, "DestSchool")
    dest_laestab = dest_laestab or laestab[:3] + "0000"
    _sub(dest, "LEA", dest_laestab[:3])
    _sub(dest, "Estab", dest_laestab[3:])
    data = etree.SubElement(root, "CTFpupilData")
    for p in pupils:
        pupil = etree.SubElement(data, "Pupil")
        _sub(pupil, "UPN", p.get("upn"))
        _sub(pupil, "Surname", p.get("surname"))
        _sub(pupil, "Forename", p.get("forename"))
        _sub(pupil, "DOB", p.get("dob"))
        _sub(pupil, sex_tag, p.get("sex"))
        basic = etree.SubElement(pupil, "BasicDetails")
        for key, tag in (("former_upn", "FormerUPN"), ("preferred_surname", "PreferredSurname"),
                         ("preferred_forename", "PreferredForename"),
                         ("middle_names", "MiddleNames"), ("nc_year", "NCyearActual"),
                         ("ethnicity", "Ethnicity"), ("enrol_status", "EnrolStatus"),
                         ("religion", "Religion"), ("reg_group", "RegGroup")):
            _sub(basic, tag, p.get(key))
        if p.get("first_language") is not None or p.get("home_language") is not None:
            langs = etree.SubElement(basic, "Languages")
            for key, kind in (("first_language", "F"), ("home_language", "H")):
                if p.get(key) is not None:
                    t = etree.SubElement(langs, "Type")
                    _sub(t, "TypeID", kind)
                    _sub(t, "Language", p.get(key))
        if p.get("sen_provision") is not None:
            sen = etree.SubElement(etree.SubElement(pupil, "SENhistory"), "SEN")
            _sub(sen, "StartDate", p.get("start_date") or "2020-09-01")
            _sub(sen, "SENprovision", p.get("sen_provision"))
            if p.get("sen_needs"):
                needs = etree.SubElement(sen, "SENneeds")
                for i, code in enumerate(str(p["sen_needs"]).split(","), 1):
                    n = etree.SubElement(needs, "SENneed")
                    _sub(n, "SENtypeRank", i)
                    _sub(n, "SENtype", code)
        if any(p.get(k) is not None for k in ("address_paon", "address_street", "postcode")):
            addr = etree.SubElement(pupil, "Address")
            bs = etree.SubElement(addr, "BS7666Address")
            for key, tag in (("address_saon", "SAON"), ("address_paon", "PAON"),
                             ("address_street", "Street"), ("address_locality", "Locality"),
                             ("address_town", "Town"), ("address_county", "AdministrativeArea"),
                             ("uprn", "UniquePropertyReferenceNumber")):
                _sub(bs, tag, p.get(key) or "")
            _sub(addr, "PostCode", p.get("postcode") or "")
        years = cast("Iterable[Row]", p.get("attendance") or ())  # its attendance years
        if years:
            att = etree.SubElement(pupil, "Attendance")
            for y in years:
                yd = etree.SubElement(att, "YearData")
                _sub(yd, "Year", str(y["academic_year"])[:4])
                _sub(yd, "LEA", laestab[:3])
                _sub(yd, "Estab", laestab[3:])
                for key, tag in (("sessions_possible", "SessionsPossible"),
                                 ("sessions_authorised", "SessionsAuthorised"),
                                 ("sessions_attended", "SessionsAttended"),
                                 ("sessions_unauthorised", "SessionsUnauthorised"),
                                 ("attendance_start_date", "AttendanceStartDate"),
                                 ("marks", "AttendanceMarks")):
                    _sub(yd, tag, y.get(key))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_pupils_csv(rows: Iterable[Row], *, extra_columns: tuple[str, ...] = ()) -> bytes:
    """The documented pupils CSV ("LA extract" format)."""
    out = io.StringIO()
    columns = PUPIL_COLUMNS + extra_columns
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue().encode("utf-8")
