"""Exclusions and attendance: how the two sides' records of them are compared.

Their differences travel as ordinary field differences whose keys name the exclusion or
the academic year ("exclusion.FIXD.2025-02-03.end_date", "attendance.2024/25.sessions_
possible"); :func:`activity_field` gives each such key its label, instruction and display,
so decisions, amendment tasks and exports treat them like any other field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from webapp.b2b.records.codes import (
    attendance_codes,
    attendance_codes_for,
    exclusion_instruction,
)
from webapp.b2b.records.normalise import display_date

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from webapp.models import Exclusion, PupilRecord

Row = Mapping[str, object]

EXCLUSION_ITEMS = ("end_date", "sessions", "reasons")
ATTENDANCE_ITEMS = ("sessions_possible", "sessions_attended", "sessions_authorised",
                    "sessions_unauthorised")
_ATTENDANCE_LABELS = {
    "sessions_possible": "possible sessions",
    "sessions_attended": "sessions attended",
    "sessions_authorised": "authorised absences (sessions)",
    "sessions_unauthorised": "unauthorised absences (sessions)",
}
_CATEGORY_NAMES = {"PERM": "Permanent exclusion", "FIXD": "Suspension",
                   "LNCH": "Lunchtime exclusion"}


def exclusion_key(category: str, start_date: str, item: str) -> str:
    return f"exclusion.{category}.{start_date}.{item}"


def attendance_key(academic_year: str, item: str) -> str:
    return f"attendance.{academic_year}.{item}"


def describe_exclusion(e: Row) -> str:
    """One exclusion in words, as the report shows it."""
    name = _CATEGORY_NAMES.get(str(e["category"]), str(e["category"]))
    text = f"{name} from {display_date(str(e['start_date']))}"
    if e.get("end_date"):
        text += f" to {display_date(str(e['end_date']))}"
    if e.get("sessions"):
        text += f", {e['sessions']} sessions"
    if e.get("reasons"):
        text += f", reason {e['reasons']}"
    return text


@dataclass(frozen=True)
class ActivityDifference:
    field_key: str
    school_value: str | None
    la_value: str | None
    instruction: str


def compare_exclusions(school: Sequence[Row], la: Sequence[Row]) -> list[ActivityDifference]:
    """Exclusions matched by category and start date; then, among those left, by start date
    alone (the category differs) and by category alone (the dates differ); the rest are
    held by one side only."""
    out: list[ActivityDifference] = []
    s_left = list(school)
    l_left = list(la)

    def pair(key: Callable[[Row], object]) -> list[tuple[Row, Row]]:
        pairs = []
        for s in list(s_left):
            match = next((x for x in l_left if key(x) == key(s)), None)
            if match is not None:
                pairs.append((s, match))
                s_left.remove(s)
                l_left.remove(match)
        return pairs

    for s, lx in pair(lambda e: (e["category"], e["start_date"])):
        for item in EXCLUSION_ITEMS:
            a, b = s.get(item) or "", lx.get(item) or ""
            if item == "reasons":
                same = sorted(str(a).split(",")) == sorted(str(b).split(","))
            else:
                same = str(a) == str(b)
            if not same:
                out.append(ActivityDifference(
                    exclusion_key(str(lx["category"]), str(lx["start_date"]), item),
                    str(a), str(b), exclusion_instruction(str(lx["category"]))))
    for s, lx in pair(lambda e: e["start_date"]) + pair(lambda e: e["category"]):
        if describe_exclusion(s) != describe_exclusion(lx):
            out.append(ActivityDifference(
                exclusion_key(str(lx["category"]), str(lx["start_date"]), "details"),
                describe_exclusion(s), describe_exclusion(lx),
                exclusion_instruction(str(lx["category"]))))
    for e, side in [(e, "school") for e in s_left] + [(e, "la") for e in l_left]:
        described = describe_exclusion(e)
        out.append(ActivityDifference(
            exclusion_key(str(e["category"]), str(e["start_date"]), "held"),
            described if side == "school" else "", described if side == "la" else "",
            exclusion_instruction(str(e["category"]))))
    return out


def compare_attendance(school: Sequence[Row], la: Sequence[Row]) -> list[ActivityDifference]:
    """Per academic year held by both sides, the four session counts."""
    by_year = {str(y["academic_year"]): y for y in la}
    out: list[ActivityDifference] = []
    for s in school:
        year = str(s["academic_year"])
        lx = by_year.get(year)
        if lx is None:
            continue
        for item in ATTENDANCE_ITEMS:
            a, b = s.get(item), lx.get(item)
            if a is None or b is None or a == b:
                continue
            out.append(ActivityDifference(
                attendance_key(year, item), str(a), str(b),
                f"Please confirm the number of {_ATTENDANCE_LABELS[item]} in {year}."))
    return out


@dataclass(frozen=True)
class MarkProblem:
    day: date | None
    session: str  # "AM" or "PM"
    code: str
    reason: str


def split_marks(marks: str, valid: set[str]) -> list[str]:
    """The codes of a marks string: one per session, where a letter and digit pair (C1,
    Y2) that is a known code counts as one."""
    known_pairs = {c.code for c in attendance_codes() if len(c.code) == 2} | {
        c for c in valid if len(c) == 2}
    out: list[str] = []
    i = 0
    while i < len(marks):
        pair = marks[i:i + 2]
        if len(pair) == 2 and pair in known_pairs:
            out.append(pair)
            i += 2
        else:
            out.append(marks[i])
            i += 1
    return out


def check_marks(marks: str, academic_year: str, start_date: str | None) -> list[MarkProblem]:
    """Marks not valid in the academic year (by its code set), with the session's date.

    Sessions run AM then PM from the attendance start date (or 1 September), one
    calendar day per pair.
    """
    year = int(academic_year[:4])
    valid = attendance_codes_for(year)
    every = {c.code: c for c in attendance_codes()}
    start = date.fromisoformat(start_date) if start_date else date(year, 9, 1)
    out: list[MarkProblem] = []
    for i, mark in enumerate(split_marks(marks, set(valid))):
        if mark in valid:
            continue
        day = start + timedelta(days=i // 2)
        known = every.get(mark)
        if known is None:
            reason = "is not an attendance code"
        elif known.last_year is not None and year > known.last_year:
            reason = f"was withdrawn after {known.last_year}/{(known.last_year + 1) % 100:02d}"
        else:
            first = known.first_year or year
            reason = f"is only valid from {first}/{(first + 1) % 100:02d}"
        out.append(MarkProblem(day, "AM" if i % 2 == 0 else "PM", mark, reason))
    return out


def marks_message(academic_year: str, problems: list[MarkProblem]) -> str:
    shown = "; ".join(
        f"{p.code} on {p.day.strftime('%d/%m/%Y') if p.day else '?'} ({p.session}) {p.reason}"
        for p in problems[:5])
    more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
    return (f"Attendance marks for {academic_year} use codes that are not valid that "
            f"year: {shown}{more}. Please correct the marks in SIMS.")




def apply_activity_amendment(session: Session, la_record: PupilRecord,
                             school_record: PupilRecord | None, field_key: str,
                             new_value: str | None) -> dict[str, object]:
    """Write a school-confirmed exclusion or attendance value into the LA's record (an
    amendment task's completion). Returns what changed, for the audit log."""
    from webapp.models import Exclusion

    parts = field_key.split(".")
    if parts[0] == "attendance" and len(parts) == 3:
        _, year, item = parts
        row = next((a for a in la_record.attendance if a.academic_year == year), None)
        if row is None or item not in ATTENDANCE_ITEMS:
            return {"note": "no attendance year to amend"}
        old = getattr(row, item)
        setattr(row, item, int(new_value) if new_value not in (None, "") else None)
        return {"attendance": year, item: [old, getattr(row, item)]}
    if parts[0] != "exclusion" or len(parts) != 4:
        return {"note": "not held here"}
    _, category, start, item = parts
    mine = next((e for e in la_record.exclusions
                 if e.category == category and e.start_date == start), None)
    if item in EXCLUSION_ITEMS:
        if mine is None:
            return {"note": "no exclusion to amend"}
        old = getattr(mine, item)
        setattr(mine, item, new_value or None)
        return {"exclusion": f"{category} {start}", item: [old, new_value]}
    theirs = None
    if school_record is not None and new_value:
        theirs = next((e for e in school_record.exclusions
                       if describe_exclusion(_as_row(e)) == new_value), None)
    if mine is not None:
        session.delete(mine)
        la_record.exclusions.remove(mine)
    if theirs is not None:
        la_record.exclusions.append(Exclusion(
            category=theirs.category, start_date=theirs.start_date, end_date=theirs.end_date,
            sessions=theirs.sessions, reasons=theirs.reasons, term=theirs.term,
            academic_year=theirs.academic_year))
    return {"exclusion": f"{category} {start}", "removed": mine is not None,
            "added": theirs is not None}


def _as_row(e: Exclusion) -> dict[str, str | None]:
    return {"category": e.category, "start_date": e.start_date, "end_date": e.end_date,
            "sessions": e.sessions, "reasons": e.reasons}
