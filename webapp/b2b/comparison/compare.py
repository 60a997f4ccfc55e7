"""The weekly comparison: match each school's pupils on the two sides and list what the
school is asked to settle.

Matching follows Capita ONE's B2B import: by UPN; failing that, by all four of surname,
forename, date of birth and sex (the UPN then shows as a difference). Pupils left over
are unmatched: new to the LA (only in the school's data) or no longer at the school
(only in the LA's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from webapp.b2b.comparison.activity import (
    ActivityDifference,
    check_marks,
    compare_attendance,
    compare_exclusions,
    marks_message,
)
from webapp.b2b.records.catalogue import compare_records
from webapp.b2b.records.checks import is_valid_postcode, upn_problem
from webapp.b2b.records.normalise import display_date, fold

# A pupil record as the comparison reads it: a plain dict of the record's columns by name
# ("id", "school_id" and "record_key" among them, each item text or None) and, where loaded,
# its "exclusions" and "attendance" (lists of plain dicts). Its values are Any: which columns
# it holds is a run-time choice (the loaders' and the screen's selects), and the compare
# loop has no time to check each value's type.
Rec = Mapping[str, Any]

NEW_TO_LA_INSTRUCTION = (
    "This pupil is in your school's data but not in the LA's. Please confirm the pupil "
    "is on roll at your school, and their start date."
)
NOT_AT_SCHOOL_INSTRUCTION = (
    "The LA has this pupil on your school's roll but your school's data does not. Please "
    "confirm the pupil has left, and the leaving date."
)


@dataclass(frozen=True)
class Item:
    """One thing the report asks about. ``(subject_key, kind, field_key)`` is its identity."""

    kind: str  # field, anomaly, new_to_la, not_at_school
    subject_key: str
    field_key: str
    instruction: str
    school_record_id: int | None = None
    la_record_id: int | None = None
    upn: str | None = None
    surname: str | None = None
    forename: str | None = None
    school_value: str | None = None
    la_value: str | None = None
    side: str | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.subject_key, self.kind, self.field_key)


@dataclass
class Match:
    school: Rec | None
    la: Rec | None
    how: str  # "upn", "four_fields", "unmatched"

    @property
    def subject_key(self) -> str:
        if self.la is not None:
            return f"la:{self.la['record_key']}"
        assert self.school is not None
        return f"school:{self.school['record_key']}"

    @property
    def person(self) -> Rec:
        person = self.school if self.school is not None else self.la
        assert person is not None
        return person


def _four(r: Rec) -> tuple[str, str, str, str] | None:
    surname, forename, dob, sex = r.get("surname"), r.get("forename"), r.get("dob"), r.get("sex")
    if not (surname and forename and dob and sex):
        return None
    return (fold(surname), fold(forename), dob, sex)


def _likeness(a: Rec, b: Rec) -> int:
    return sum(
        1 for k in ("surname", "forename", "dob", "sex")
        if a.get(k) and b.get(k) and fold(str(a[k])) == fold(str(b[k]))
    )


def match_pupils(school: Iterable[Rec], la: Iterable[Rec]) -> list[Match]:
    """Pair one school's records on the two sides."""
    by_upn_s: dict[str, list[Rec]] = defaultdict(list)
    by_upn_l: dict[str, list[Rec]] = defaultdict(list)
    rest_s: list[Rec] = []
    rest_l: list[Rec] = []
    for r in school:
        (by_upn_s[r["upn"]] if r.get("upn") else rest_s).append(r)
    for r in la:
        (by_upn_l[r["upn"]] if r.get("upn") else rest_l).append(r)

    matches: list[Match] = []
    for upn, srecs in by_upn_s.items():
        lrecs = by_upn_l.pop(upn, None)
        if not lrecs:
            rest_s.extend(srecs)
            continue
        if len(srecs) == 1 and len(lrecs) == 1:
            matches.append(Match(srecs[0], lrecs[0], "upn"))
            continue
        # A UPN used twice: pair the most alike first, the rest try the four fields.
        pairs = sorted(((_likeness(s, lr), i, j) for i, s in enumerate(srecs)
                        for j, lr in enumerate(lrecs)), reverse=True)
        used_s: set[int] = set()
        used_l: set[int] = set()
        for _score, i, j in pairs:
            if i in used_s or j in used_l:
                continue
            used_s.add(i)
            used_l.add(j)
            matches.append(Match(srecs[i], lrecs[j], "upn"))
        rest_s.extend(s for i, s in enumerate(srecs) if i not in used_s)
        rest_l.extend(lr for j, lr in enumerate(lrecs) if j not in used_l)
    for lrecs in by_upn_l.values():
        rest_l.extend(lrecs)

    by_four: dict[tuple[str, str, str, str], list[Rec]] = defaultdict(list)
    for r in rest_l:
        key = _four(r)
        if key is not None:
            by_four[key].append(r)
    unmatched_l = [r for r in rest_l if _four(r) is None]
    for s in rest_s:
        key = _four(s)
        candidates = by_four.get(key) if key is not None else None
        if candidates:
            matches.append(Match(s, candidates.pop(0), "four_fields"))
        else:
            matches.append(Match(s, None, "unmatched"))
    for lrecs in by_four.values():
        unmatched_l.extend(lrecs)
    matches.extend(Match(None, r, "unmatched") for r in unmatched_l)
    return matches


class _Who(TypedDict):
    """Whom an item is about, as every item records it."""

    school_record_id: int | None
    la_record_id: int | None
    upn: str | None
    surname: str | None
    forename: str | None


def _who(m: Match) -> _Who:
    p = m.person
    return {
        "school_record_id": m.school["id"] if m.school is not None else None,
        "la_record_id": m.la["id"] if m.la is not None else None,
        "upn": p.get("upn") or None,
        "surname": p.get("surname"),
        "forename": p.get("forename"),
    }


def _describe(r: Rec) -> str:
    parts = [str(r.get("forename") or ""), str(r.get("surname") or "")]
    dob = display_date(r.get("dob"))
    text = " ".join(p for p in parts if p)
    return f"{text}, born {dob}" if dob else text


def _anomalies(m: Match, dup_upns: dict[str, set[str]]) -> list[Item]:
    out: list[Item] = []
    who = _who(m)
    subject = m.subject_key
    for rule_group in ("upn", "postcode"):
        found: dict[tuple[str, str], list[str]] = {}
        for side, rec in (("school", m.school), ("la", m.la)):
            if rec is None:
                continue
            value = rec.get(rule_group)
            if not value:
                continue
            if rule_group == "upn":
                problem = upn_problem(str(value))
            else:
                problem = None if is_valid_postcode(str(value)) else (
                    "postcode_format", f"The postcode {value} is not a valid UK postcode.")
            if problem:
                found.setdefault((problem[0], problem[1]), []).append(side)
        for (rule, message), sides in found.items():
            side = "both" if len(sides) == 2 else sides[0]
            out.append(Item("anomaly", subject, f"{rule}.{side}", message, side=side,
                            school_value=str(m.school.get(rule_group)) if m.school else None,
                            la_value=str(m.la.get(rule_group)) if m.la else None,
                            **who))
    for side, rec in (("school", m.school), ("la", m.la)):
        if rec is not None and rec.get("upn") in dup_upns[side]:
            out.append(Item(
                "anomaly", subject, f"upn_duplicate.{side}",
                f"The UPN {rec['upn']} is used for more than one pupil at this school "
                f"in the {'school' if side == 'school' else 'LA'}'s data.",
                side=side, school_value=str(rec["upn"]) if side == "school" else None,
                la_value=str(rec["upn"]) if side == "la" else None, **who))
    return out


def _duplicates(records: Iterable[Rec]) -> set[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for r in records:
        upn = r.get("upn")
        if upn:
            (dup if upn in seen else seen).add(upn)
    return dup


def _items_for(m: Match, dup: dict[str, set[str]]) -> list[Item]:
    who = _who(m)
    subject = m.subject_key
    items: list[Item] = []
    if m.school is not None and m.la is not None:
        for f, a, b in compare_records(m.school, m.la):
            items.append(Item("field", subject, f.key, f.instruction_for(a, b),
                              school_value=a, la_value=b, **who))
        for d in _activity_differences(m.school, m.la):
            items.append(Item("field", subject, d.field_key, d.instruction,
                              school_value=d.school_value, la_value=d.la_value, **who))
    elif m.school is not None:
        items.append(Item("new_to_la", subject, "pupil", NEW_TO_LA_INSTRUCTION,
                          school_value=_describe(m.school), **who))
    else:
        assert m.la is not None
        if m.la.get("leave_date"):
            # ONE already holds the leaving date (the school said the pupil left, or the
            # LA knew): nothing to ask the school about the pupil not being in its data.
            return list(_anomalies(m, dup)) + list(_marks_anomalies(m))
        items.append(Item("not_at_school", subject, "pupil", NOT_AT_SCHOOL_INSTRUCTION,
                          la_value=_describe(m.la), **who))
    items.extend(_anomalies(m, dup))
    items.extend(_marks_anomalies(m))
    return items


def _activity_differences(school: Rec, la: Rec) -> list[ActivityDifference]:
    """Exclusions and attendance, where both sides' records of them were loaded."""
    out: list[ActivityDifference] = []
    if "exclusions" in school and "exclusions" in la:
        out += compare_exclusions(school["exclusions"], la["exclusions"])
    if "attendance" in school and "attendance" in la:
        out += compare_attendance(school["attendance"], la["attendance"])
    return out


def _marks_anomalies(m: Match) -> list[Item]:
    out: list[Item] = []
    who = _who(m)
    for side, rec in (("school", m.school), ("la", m.la)):
        for year in (rec or {}).get("attendance") or ():
            marks = year.get("marks")
            if not marks:
                continue
            problems = check_marks(marks, year["academic_year"], year.get("attendance_start_date"))
            if problems:
                out.append(Item(
                    "anomaly", m.subject_key, f"attendance_marks.{side}.{year['academic_year']}",
                    marks_message(year["academic_year"], problems), side=side,
                    school_value=marks if side == "school" else None,
                    la_value=marks if side == "la" else None, **who))
    return out


def compare_school(school: list[Rec], la: list[Rec]) -> list[Item]:
    """Everything one school's report asks about, from both sides' full records.

    Pure: the same records always give the same items, in a stable order.
    """
    dup = {"school": _duplicates(school), "la": _duplicates(la)}
    items: list[Item] = []
    for m in match_pupils(school, la):
        items.extend(_items_for(m, dup))
    return items


@dataclass
class Baseline:
    """An earlier comparison of the same school: when it ran and what it found, by pupil."""

    compared_at: datetime  # compared with each record's ``changed_at``
    items_by_subject: dict[str, list[Item]]

    def carried(self, dirty_upns: set[str]) -> list[Item]:
        """The items of pupils whose UPN is not among the dirty ones.

        A record's UPN never changes (a new UPN arrives as a new record) and records are
        not deleted, so a UPN held once on each side by records unchanged since then was
        paired, and compared, exactly as it would be now.
        """
        out: list[Item] = []
        for subject, items in self.items_by_subject.items():
            key = subject.split(":", 1)[1]
            if key.startswith("nokey:") or "#" in key or key in dirty_upns:
                continue
            out.extend(items)
        return out
