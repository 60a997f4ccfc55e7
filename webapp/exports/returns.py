"""The return file for SIMS: the values the LA's data showed correct (the school ticked
"LA Data - ONE"), as a CTF the school imports instead of retyping them, and as a list.

Only the pupils and the items concerned travel. A pupil is identified by the UPN (the LA's
UPN where the UPN itself was the item); an address or postcode item carries the whole
address the LA holds, since a CTF address replaces the address as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.b2b.formats.writers import CTF_ITEMS, IDENTITY_ITEMS, write_ctf
from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.items import ADDRESS_PARTS
from webapp.models import Difference, PupilRecord, Report

# Items the return's CTF carries (the address as a whole). Any other (the start and
# leaving dates, which a CTF gives only as the sending school's own history, and items
# no real CTF holds) is listed for the school to enter by hand.
IN_CTF = (CTF_ITEMS - {"start_date", "leave_date"}) | {"address"}
_ADDRESS_ITEMS = (*ADDRESS_PARTS, "postcode", "uprn")


@dataclass
class ReturnItem:
    pupil: str
    upn: str
    label: str
    field_key: str
    sims_value: str
    correct_value: str
    in_ctf: bool
    decided_by: str | None
    decided_at: datetime | None


@dataclass
class SimsReturn:
    report_id: int
    laestab: str
    school_name: str
    school_title: str
    week: int
    academic_year: str
    academic_year_start: int
    document_name: str
    la_number: str
    la_name: str
    items: list[ReturnItem] = field(default_factory=list)
    # One dict of CTF items per pupil, keyed by the UPN the file identifies them by.
    pupils: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @property
    def file_stem(self) -> str:
        return f"{self.document_name}-{self.laestab}-SIMS-return"


def _name(d: Difference) -> str:
    name = " ".join(x for x in (d.forename, d.surname) if x) or "(no name)"
    return f"{name} ({d.upn})" if d.upn else name


def sims_return(session: Session, report: Report) -> SimsReturn:
    """What SIMS must change for this report: every item decided "LA Data - ONE"."""
    school = report.school
    ret = SimsReturn(report.id, school.laestab, school.name, school.title, report.week,
                     report.academic_year_label, report.academic_year, report.document_name,
                     school.la.la_number, school.la.name)
    diffs = list(session.scalars(
        select(Difference)
        .where(Difference.report_id == report.id, Difference.status == "open",
               Difference.kind == "field", Difference.choice == "la")
        .options(selectinload(Difference.la_record), selectinload(Difference.school_record),
                 selectinload(Difference.decided_by))
        .order_by(Difference.id)))
    upn_of: dict[str, str] = {}  # subject -> the UPN the file uses
    for d in diffs:
        if d.field_key == "upn" and d.la_value:
            upn_of[d.subject_key] = d.la_value
    for d in diffs:
        f = FIELDS_BY_KEY.get(d.field_key)
        upn = upn_of.get(d.subject_key) or d.upn or (d.la_record.upn if d.la_record else None)
        if f is None or not upn:
            continue  # without a UPN SIMS cannot be told which pupil
        in_ctf = d.field_key in IN_CTF
        correct = f.show(d.la_value)
        if d.field_key == "postcode" and d.la_record is not None:
            # The file carries the LA's whole address: the list shows it too.
            address = FIELDS_BY_KEY["address"]
            correct = address.show(address.value(
                {k: getattr(d.la_record, k) for k in _ADDRESS_ITEMS}))
        ret.items.append(ReturnItem(
            _name(d), upn, f.label, d.field_key, f.show(d.school_value), correct,
            in_ctf, d.decided_by.name if d.decided_by else None, d.decided_at))
        if not in_ctf:
            continue
        items = ret.pupils.get(upn)
        if items is None:
            # Every pupil of a CTF carries UPN, names, date of birth and sex: SIMS's own
            # (the school's record), so that SIMS finds the pupil; the LA's if it has none.
            items = ret.pupils[upn] = {"upn": upn, **_identity(d.school_record or
                                                                d.la_record)}
        if d.field_key in ("address", "postcode") and d.la_record is not None:
            for k in _ADDRESS_ITEMS:
                items[k] = getattr(d.la_record, k) or ""
        elif d.field_key != "upn":
            items[d.field_key] = d.la_value
            if d.field_key == "sen_provision":
                # The CTF's SEN record has a start date; the LA's data gives none, so the
                # date the school confirmed the LA's value stands for it.
                when = d.decided_at or datetime.now(UTC)
                items["sen_start_date"] = when.date().isoformat()
    return ret


def _identity(record: PupilRecord | None) -> dict[str, str | None]:
    if record is None:
        return {}
    return {k: getattr(record, k) for k in IDENTITY_ITEMS if k != "upn"}


def sims_return_ctf(ret: SimsReturn, *, generated_at: datetime | None = None) -> bytes:
    """The return as a partial CTF from the LA (source) to the school (destination)."""
    return write_ctf(laestab=f"{ret.la_number}0000", school_name=ret.la_name,
                     pupils=ret.pupils.values(), dest_laestab=ret.laestab,
                     data_descriptor=f"B2B return to SIMS: {ret.document_name}",
                     generated_at=generated_at)
