"""Weekly reports: building them from the comparison, and reading them back.

``refresh_reports`` keeps each difference's identity across re-runs: an item still
present keeps its row (and the school's decision on it), a new one is added, one that
has gone away is marked resolved by data, never deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from webapp.b2b.audit import record
from webapp.b2b.catalogue import FIELDS_BY_KEY
from webapp.b2b.compare import Baseline, Item, compare_school, compare_school_changes
from webapp.b2b.items import RECORD_ITEMS
from webapp.models import Difference, PupilRecord, Report, School
from webapp.models.base import utcnow

# A report the school has sent is what it sent: later data does not rewrite it.
EDITABLE_STATES = ("draft", "published", "in_progress")


def academic_year_of(day: date) -> int:
    """The academic year (by its starting calendar year) a date falls in: September on."""
    return day.year if day.month >= 9 else day.year - 1


@dataclass
class CompareSummary:
    academic_year: int
    week: int
    schools: int = 0
    compared: int = 0
    unchanged: int = 0
    frozen: int = 0
    reports_created: int = 0
    items_new: int = 0
    items_kept: int = 0
    items_resolved: int = 0
    items_open: int = 0
    pupils_examined: int = 0
    per_school: list[dict] = field(default_factory=list)


_RECORD_COLUMNS = [PupilRecord.id, PupilRecord.side, PupilRecord.school_id,
                   PupilRecord.record_key, PupilRecord.content_hash,
                   PupilRecord.changed_at] + [getattr(PupilRecord, k) for k in RECORD_ITEMS]
_KEY_COLUMNS = [PupilRecord.id, PupilRecord.side, PupilRecord.school_id,
                PupilRecord.record_key, PupilRecord.content_hash, PupilRecord.changed_at,
                PupilRecord.upn, PupilRecord.surname, PupilRecord.forename, PupilRecord.dob,
                PupilRecord.sex]


def _rows_by_school(session: Session, columns, school_ids: Iterable[int] | None):
    q = select(*columns).order_by(PupilRecord.school_id, PupilRecord.side, PupilRecord.id)
    if school_ids is not None:
        q = q.where(PupilRecord.school_id.in_(list(school_ids)))
    names = [c.key for c in columns]
    rows = session.execute(q.execution_options(yield_per=5000))
    # Plain dicts from tuples: RowMapping lookups are several times slower in the loop.
    for school_id, group in groupby(rows, key=lambda r: r[2]):
        yield school_id, [dict(zip(names, r, strict=True)) for r in group]


def _full_records(session: Session, ids: list[int]) -> dict[int, dict]:
    names = [c.key for c in _RECORD_COLUMNS]
    out: dict[int, dict] = {}
    for i in range(0, len(ids), 900):
        for r in session.execute(select(*_RECORD_COLUMNS).where(
                PupilRecord.id.in_(ids[i:i + 900]))):
            out[r[0]] = dict(zip(names, r, strict=True))
    return out


def _fingerprint(rows: list) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for r in rows:
        h.update(f"{r['side']}:{r['id']}:{r['content_hash']}:{r['changed_at']};".encode())
    return h.hexdigest()


def _baselines(session: Session, academic_year: int, week: int,
               school_ids: Iterable[int] | None) -> dict[int, Baseline]:
    """Each school's latest comparison up to this week, with its open items by pupil."""
    q = select(Report).where(Report.compared_at.is_not(None)).where(
        (Report.academic_year < academic_year)
        | ((Report.academic_year == academic_year) & (Report.week <= week)))
    if school_ids is not None:
        q = q.where(Report.school_id.in_(list(school_ids)))
    latest: dict[int, Report] = {}
    for r in session.scalars(q):
        cur = latest.get(r.school_id)
        if cur is None or (r.academic_year, r.week) > (cur.academic_year, cur.week):
            latest[r.school_id] = r
    by_report = {r.id: r.school_id for r in latest.values()}
    out = {sid: Baseline(r.compared_at, {}) for sid, r in latest.items()}
    for i in range(0, len(by_report), 500):
        chunk = list(by_report)[i:i + 500]
        for d in session.scalars(select(Difference).where(
                Difference.report_id.in_(chunk), Difference.status == "open")):
            out[by_report[d.report_id]].items_by_subject.setdefault(d.subject_key, []).append(
                Item(d.kind, d.subject_key, d.field_key, d.instruction, d.school_record_id,
                     d.la_record_id, d.upn, d.surname, d.forename, d.school_value,
                     d.la_value, d.side))
    return out


def refresh_reports(
    session: Session,
    academic_year: int,
    week: int,
    *,
    school_ids: Iterable[int] | None = None,
    actor: str = "system",
    progress: Callable[[int], None] | None = None,
    full: bool = False,
) -> CompareSummary:
    """Build or refresh every school's report for the week (or only the given schools).

    Schools whose records have not changed since their report was last compared are
    skipped; within a school only pupils whose records changed since the school's last
    comparison are re-examined (``full=True`` re-examines everyone). Reports already sent
    to the LA are left as they are. Commits.
    """
    summary = CompareSummary(academic_year, week)
    reports = {
        r.school_id: r for r in session.scalars(
            select(Report).where(Report.academic_year == academic_year, Report.week == week))
    }
    baselines = {} if full else _baselines(session, academic_year, week, school_ids)
    now = utcnow()
    columns = _KEY_COLUMNS if baselines else _RECORD_COLUMNS
    for school_id, rows in _rows_by_school(session, columns, school_ids):
        summary.schools += 1
        report = reports.get(school_id)
        if report is None:
            report = Report(school_id=school_id, academic_year=academic_year, week=week)
            session.add(report)
            session.flush()
            reports[school_id] = report
            summary.reports_created += 1
            record(session, actor, "report.created", report, school_id=school_id,
                   after={"academic_year": academic_year, "week": week})
        if report.status not in EDITABLE_STATES:
            summary.frozen += 1
            if progress:
                progress(1)
            continue
        fp = _fingerprint(rows)
        if report.compared_fingerprint == fp and not full:
            summary.unchanged += 1
            if progress:
                progress(1)
            continue
        school_rows = [r for r in rows if r["side"] == "school"]
        la_rows = [r for r in rows if r["side"] == "la"]
        baseline = baselines.get(school_id)
        if columns is _RECORD_COLUMNS:
            items = compare_school(school_rows, la_rows)
            summary.pupils_examined += len(school_rows) + len(la_rows)
        else:
            items, examined = compare_school_changes(
                school_rows, la_rows, baseline, lambda ids: _full_records(session, ids))
            summary.pupils_examined += examined
        new, kept, resolved = _sync(session, report, items, now, actor)
        report.compared_fingerprint = fp
        report.compared_at = now
        summary.compared += 1
        summary.items_new += new
        summary.items_kept += kept
        summary.items_resolved += resolved
        if progress:
            progress(1)
    session.flush()
    summary.items_open = session.scalar(
        select(func.count(Difference.id)).join(Report).where(
            Report.academic_year == academic_year, Report.week == week,
            Difference.status == "open")) or 0
    session.commit()
    return summary


def _sync(session: Session, report: Report, items: list[Item], now, actor: str
          ) -> tuple[int, int, int]:
    existing = {
        (d.subject_key, d.kind, d.field_key): d
        for d in session.scalars(select(Difference).where(Difference.report_id == report.id))
    }
    inserts = []
    kept = 0
    seen: set[tuple[str, str, str]] = set()
    for it in items:
        key = it.identity
        if key in seen:
            continue
        seen.add(key)
        d = existing.get(key)
        if d is None:
            inserts.append({
                "report_id": report.id, "kind": it.kind, "subject_key": it.subject_key,
                "field_key": it.field_key, "side": it.side,
                "school_record_id": it.school_record_id, "la_record_id": it.la_record_id,
                "upn": it.upn, "surname": it.surname, "forename": it.forename,
                "school_value": it.school_value, "la_value": it.la_value,
                "instruction": it.instruction, "status": "open",
                "first_seen_at": now, "last_seen_at": now, "version": 0,
            })
            continue
        kept += 1
        values_changed = (d.school_value, d.la_value) != (it.school_value, it.la_value)
        if values_changed and d.choice is not None:
            # The decision was about other values: keep it in the log, ask again.
            record(session, actor, "decision.cleared_by_data", d, school_id=report.school_id,
                   report_id=report.id,
                   before={"choice": d.choice, "correct_value": d.correct_value,
                           "school_value": d.school_value, "la_value": d.la_value},
                   after={"school_value": it.school_value, "la_value": it.la_value})
            d.choice = None
            d.correct_value = None
            d.decided_by_id = None
            d.decided_at = None
            d.version += 1
        if d.status != "open":
            d.status = "open"
            d.resolved_at = None
            d.version += 1
        d.school_value, d.la_value = it.school_value, it.la_value
        d.instruction = it.instruction
        d.school_record_id, d.la_record_id = it.school_record_id, it.la_record_id
        d.upn, d.surname, d.forename = it.upn, it.surname, it.forename
        d.last_seen_at = now
    resolved = 0
    for key, d in existing.items():
        if key not in seen and d.status == "open":
            d.status = "resolved_by_data"
            d.resolved_at = now
            d.version += 1
            resolved += 1
    if inserts:
        session.execute(insert(Difference), inserts)
    return len(inserts), kept, resolved


# -- reading reports back -----------------------------------------------------------

def open_differences(report: Report) -> list[Difference]:
    return [d for d in report.differences if d.status == "open"]


def report_as_dict(session: Session, report: Report) -> dict:
    """The report as the CLI's ``--json`` prints it (and scripts rely on: keep stable)."""
    school: School = report.school
    pupils: dict[str, dict] = {}
    unmatched: dict[str, list[dict]] = {"school_only": [], "la_only": []}
    for d in open_differences(report):
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
            rule, _, side = d.field_key.partition(".")
            p["anomalies"].append({"rule": rule, "side": side, "message": d.instruction,
                                   "difference_id": d.id, "choice": d.choice})
    return {
        "school": {"laestab": school.laestab, "name": school.name},
        "academic_year": report.academic_year_label,
        "week": report.week,
        "status": report.status,
        "records_printed": len(pupils),
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
