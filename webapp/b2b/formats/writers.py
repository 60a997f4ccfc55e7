"""Writing our formats: CTF XML (for the SIMS return file, demo data and tests) and the
pupils CSV. Written with lxml so every value is escaped properly."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import cast

from lxml import etree

from webapp.b2b.formats.csvfile import PUPIL_COLUMNS
from webapp.b2b.formats.ctf import CTF_ITEMS as READ_ITEMS
from webapp.b2b.formats.ctf import current_version

Row = Mapping[str, object]


# Characters XML 1.0 cannot carry at all (C0 controls other than tab, newline, return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _sub(parent: etree._Element, tag: str, value: object) -> etree._Element | None:
    """A child holding ``value``; none for a value that is missing or blank (a CTF leaves
    out what it does not carry: no ``<SAON/>``)."""
    if value is None:
        return None
    text = _NOT_XML.sub("", str(value))
    if not text.strip():
        return None
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def _group(tag: str) -> etree._Element:
    """A group element, not yet in the tree: ``_close`` adds it if it is to be written."""
    return etree.Element(tag)


def _close(parent: etree._Element, group: etree._Element, keep: bool = True) -> None:
    """Add ``group`` to ``parent`` if it holds something (and ``keep``): no empty groups."""
    if keep and len(group):
        parent.append(group)


def ctf_version(day: date | None = None) -> str:
    """The CTF version of the academic year ``day`` (today) falls in: ``26.0`` for
    2026/27, as the DfE's own writers give it."""
    return f"{current_version(day):02d}.0"


# Pupil items in BasicDetails, in the order real files give them (Languages, ServiceChild
# and SuppInfo are placed among them below).
_BASIC_NAMES = (("former_upn", "FormerUPN"), ("preferred_surname", "PreferredSurname"),
                ("preferred_forename", "PreferredForename"), ("middle_names", "MiddleNames"),
                ("nc_year", "NCyearActual"), ("ethnicity", "Ethnicity"))
_BS7666_NAMES = (("address_saon", "SAON"), ("address_paon", "PAON"),
                 ("address_street", "Street"), ("address_locality", "Locality"),
                 ("address_town", "Town"), ("uprn", "UniquePropertyReferenceNumber"))
_YEAR_NAMES = (("sessions_possible", "SessionsPossible"),
               ("sessions_authorised", "SessionsAuthorised"),
               ("sessions_attended", "SessionsAttended"),
               ("sessions_unauthorised", "SessionsUnauthorised"),
               ("attendance_start_date", "AttendanceStartDate"),
               ("marks", "AttendanceMarks"))


# Every pupil of a CTF carries these (partial files too).
IDENTITY_ITEMS = ("upn", "surname", "forename", "dob", "sex")
# The record items write_ctf writes: those read_ctf reads.
CTF_ITEMS = frozenset(READ_ITEMS)


def write_ctf(
    *,
    laestab: str,
    school_name: str,
    pupils: Iterable[Row],
    version: str | None = None,
    dest_laestab: str | None = None,
    academic_year: int | None = None,
    sex_element: str | None = None,
    document_name: str = "Common Transfer File",
    data_descriptor: str | None = None,
    generated_at: datetime | None = None,
    supp_id: str = "SIMS",
) -> bytes:
    """A CTF file for one school, shaped as real files are (``docs/formats.md``).

    ``version`` defaults to the academic year's of ``generated_at`` (now), and
    ``SourceSchool/AcademicYear`` to the year the version stands for. ``sex_element``
    defaults to ``Sex``, or ``Gender`` before version 20 (SIMS wrote ``Gender`` in CTF
    19; when it changed is not known). Religion and EAL go in ``BasicDetails/SuppInfo``,
    the block ``supp_id`` (SIMS) reads. Besides the record items a pupil row may carry
    ``attendance`` (its years at this school) and ``sen_start_date`` (the current SEN
    record's start). A missing or blank value is left out.
    """
    when = generated_at or datetime.now(UTC)
    version = version or ctf_version(when.date())
    major = int(version.split(".")[0])
    sex_tag = sex_element or ("Gender" if major < 20 else "Sex")
    root = etree.Element("CTfile")
    header = etree.SubElement(root, "Header")
    _sub(header, "DocumentName", document_name)
    _sub(header, "CTFversion", version)
    _sub(header, "DateTime", when.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "DocumentQualifier", "partial")
    _sub(header, "DataDescriptor", data_descriptor)
    _sub(header, "SupplierID", "b2b-sync")
    src = etree.SubElement(header, "SourceSchool")
    _sub(src, "LEA", laestab[:3])
    _sub(src, "Estab", laestab[3:])
    _sub(src, "SchoolName", school_name)
    _sub(src, "AcademicYear", academic_year or 2000 + major)
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
        basic = _group("BasicDetails")
        for key, tag in _BASIC_NAMES:
            _sub(basic, tag, p.get(key))
        langs = _group("Languages")
        lang_type = etree.SubElement(langs, "Type")
        _sub(lang_type, "LanguageType", "F")  # F: the first language
        first = _sub(lang_type, "Language", p.get("first_language"))
        _close(basic, langs, first is not None)
        _sub(basic, "ServiceChild", p.get("service_child"))
        _sub(basic, "EnrolStatus", p.get("enrol_status"))
        supp = _group("SuppInfo")
        _sub(supp, "SuppID", supp_id)
        held = [_sub(supp, "Religion", p.get("religion")),
                _sub(supp, "EnglishAsAdditionalLanguage", p.get("eal"))]
        _close(basic, supp, held != [None, None])
        _close(pupil, basic)
        history = _group("SENhistory")
        sen = etree.SubElement(history, "SEN")  # the current record: no EndDate
        _sub(sen, "StartDate", p.get("sen_start_date"))
        if _sub(sen, "SENprovision", p.get("sen_provision")) is None:
            history.remove(sen)
        needs = _group("SENneeds")  # beside the SEN records, not in one
        for i, code in enumerate(c.strip() for c in str(p.get("sen_needs") or "").split(",")
                                 if c.strip()):
            n = etree.SubElement(needs, "SENneed")
            _sub(n, "SENtypeRank", i + 1)
            _sub(n, "SENtype", code)
        _close(history, needs)
        _close(pupil, history)
        addr = _group("Address")
        bs = _group("BS7666Address")
        for key, tag in _BS7666_NAMES:
            _sub(bs, tag, p.get(key))
        _close(addr, bs)
        _sub(addr, "County", p.get("address_county"))
        _sub(addr, "PostCode", p.get("postcode"))
        _close(pupil, addr)
        att = _group("Attendance")
        for y in cast("Iterable[Row]", p.get("attendance") or ()):  # its years here
            yd = etree.SubElement(att, "YearData")
            _sub(yd, "Year", str(y["academic_year"])[:4])
            _sub(yd, "LEA", laestab[:3])
            _sub(yd, "Estab", laestab[3:])
            _sub(yd, "SchoolName", school_name)
            for key, tag in _YEAR_NAMES:
                _sub(yd, tag, y.get(key))
        _close(pupil, att)
        schools = _group("SchoolHistory")
        own = etree.SubElement(schools, "School")  # the sending school: the pupil's dates
        _sub(own, "LEA", laestab[:3])
        _sub(own, "Estab", laestab[3:])
        _sub(own, "SchoolName", school_name)
        dates = [_sub(own, "EntryDate", p.get("start_date")),
                 _sub(own, "LeavingDate", p.get("leave_date"))]
        _close(pupil, schools, dates != [None, None])
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(
        root, encoding="utf-8", pretty_print=True)


def write_pupils_csv(rows: Iterable[Row], *, extra_columns: tuple[str, ...] = ()) -> bytes:
    """The documented pupils CSV ("LA extract" format)."""
    out = io.StringIO()
    columns = PUPIL_COLUMNS + extra_columns
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue().encode("utf-8")
