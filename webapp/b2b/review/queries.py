"""Reading reports back: the open differences, the counts pages show, the CLI's JSON."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.review.report_view import records_printed
from webapp.models import Difference, Report, School


def open_differences(report: Report) -> list[Difference]:
    return [d for d in report.differences if d.status == "open"]


class _PupilJson(TypedDict):
    upn: str | None
    surname: str | None
    forename: str | None
    differences: list[dict[str, object]]
    anomalies: list[dict[str, object]]


def report_as_dict(session: Session, report: Report) -> dict[str, object]:
    """The report as the CLI's ``--json`` prints it (and scripts rely on: keep stable)."""
    school: School = report.school
    pupils: dict[str, _PupilJson] = {}
    unmatched: dict[str, list[dict[str, object]]] = {"school_only": [], "la_only": []}
    diffs = open_differences(report)
    for d in diffs:
        if d.kind in ("new_to_la", "not_at_school"):
            rec = d.school_record if d.kind == "new_to_la" else d.la_record
            unmatched["school_only" if d.kind == "new_to_la" else "la_only"].append({
                "upn": d.upn, "surname": d.surname, "forename": d.forename,
                "dob": rec.dob if rec is not None else None,
                "instruction": d.instruction, "difference_id": d.id,
            })
            continue
        p = pupils.setdefault(d.subject_key, {
            "upn": d.upn, "surname": d.surname, "forename": d.forename,
            "differences": [], "anomalies": [],
        })
        if d.kind == "field":
            f = FIELDS_BY_KEY.get(d.field_key)
            p["differences"].append({
                "field": d.field_key, "label": f.label if f else d.field_key,
                "school": d.school_value, "la": d.la_value, "instruction": d.instruction,
                "difference_id": d.id, "choice": d.choice,
            })
        else:
            rule, _, rest = d.field_key.partition(".")
            side = rest.split(".")[0]
            p["anomalies"].append({"rule": rule, "side": side, "message": d.instruction,
                                   "difference_id": d.id, "choice": d.choice})
    return {
        "school": {"laestab": school.laestab, "name": school.name},
        "academic_year": report.academic_year_label,
        "week": report.week,
        "status": report.status,
        # Every pupil the report prints, unmatched ones too: as the page and PDF count.
        "records_printed": records_printed(diffs),
        "pupils": list(pupils.values()),
        "unmatched": unmatched,
    }


def report_counts(session: Session, report_ids: list[int]) -> dict[int, dict[str, int]]:
    """Open items, decided items and pupils per report, in one query."""
    rows = session.execute(
        select(Difference.report_id, Difference.kind, Difference.choice.is_not(None),
               func.count(Difference.id), func.count(func.distinct(Difference.subject_key)))
        .where(Difference.report_id.in_(report_ids), Difference.status == "open")
        .group_by(Difference.report_id, Difference.kind, Difference.choice.is_not(None))
    ).all()
    out: dict[int, dict[str, int]] = {
        rid: {"items": 0, "decided": 0, "differences": 0, "anomalies": 0, "unmatched": 0}
        for rid in report_ids}
    for rid, kind, decided, n, _subjects in rows:
        c = out[rid]
        c["items"] += n
        if decided:
            c["decided"] += n
        c[{"field": "differences", "anomaly": "anomalies"}.get(kind, "unmatched")] += n
    return out
