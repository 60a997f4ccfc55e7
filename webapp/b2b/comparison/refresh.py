"""Weekly reports: building them from the comparison, and reading them back.

``refresh_reports`` keeps each difference's identity across re-runs: an item still
present keeps its row (and the school's decision on it), a new one is added, one that
has gone away is marked resolved by data, never deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, Row, Select, case, func, insert, select
from sqlalchemy.orm import Session

from webapp.b2b.comparison.compare import Baseline, Item, compare_school
from webapp.b2b.comparison.screen import any_activity, records_to_examine, refresh_statistics
from webapp.b2b.records.items import RECORD_ITEMS
from webapp.b2b.review.carry import carry_decisions
from webapp.b2b.weeks import week_start
from webapp.models import AttendanceYear, Difference, Exclusion, PupilRecord, Report
from webapp.models.base import utcnow
from webapp.platform.audit import record, record_many
from webapp.platform.gcpause import old_objects_frozen

SCHOOLS_PER_CHUNK = 40

# A report the school has sent is what it sent: later data does not rewrite it.
EDITABLE_STATES = ("draft", "published", "in_progress")




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
    pupils_examined: int = 0  # records (both sides) the rules were run on
    decisions_carried: int = 0  # decided in an earlier week, values unchanged: not asked
    per_school: list[dict[str, object]] = field(default_factory=list)


_RECORD_COLUMNS = [PupilRecord.id, PupilRecord.side, PupilRecord.school_id,
                   PupilRecord.record_key] + [getattr(PupilRecord, k) for k in RECORD_ITEMS]
_NAMES = [c.key for c in _RECORD_COLUMNS]


def _as_dicts(rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
    # Plain dicts: RowMapping lookups are several times slower in the compare loop.
    return [dict(zip(_NAMES, r, strict=True)) for r in rows]


def _rows(session: Session, q: Select[Any]) -> CursorResult[Any]:
    """A read-only query's rows through Core: the ORM's result layer (meant for entities)
    cost more than the query itself on these plain column selects."""
    session.flush()  # what session.execute's autoflush would have done
    return session.connection().execute(q)


def _dirty_upns(session: Session, baselines: dict[int, Baseline]) -> dict[int, set[str]]:
    """For schools compared before: the UPNs to compare again (not held exactly once on
    each side, or held by a record changed since the school's last comparison)."""
    if not baselines:
        return {}
    ids = list(baselines)
    earliest = min(b.compared_at for b in baselines.values())
    once_each = (func.sum(case((PupilRecord.side == "school", 1), else_=0)) == 1) & (
        func.sum(case((PupilRecord.side == "la", 1), else_=0)) == 1)
    latest = func.max(PupilRecord.changed_at)
    dirty: dict[int, set[str]] = {sid: set() for sid in ids}
    for i in range(0, len(ids), 500):
        q = (select(PupilRecord.school_id, PupilRecord.upn, once_each, latest)
             .where(PupilRecord.school_id.in_(ids[i:i + 500]), PupilRecord.upn.is_not(None))
             .group_by(PupilRecord.school_id, PupilRecord.upn)
             .having(~once_each | (latest > earliest)))
        for sid, upn, once, changed in _rows(session, q):
            if not once or changed > baselines[sid].compared_at:
                dirty[sid].add(upn)
    return dirty


def _records_of_upns(session: Session, upns: dict[int, set[str]], *,
                     with_unkeyed: bool = True) -> dict[int, list[dict[str, Any]]]:
    """Per school, the records holding the given UPNs, and those without a UPN (which
    are always compared), in the order a full load would give (side, then id)."""
    ids = list(upns)
    records: dict[int, list[dict[str, Any]]] = {sid: [] for sid in ids}
    if not ids:
        return records
    wanted = sorted({u for us in upns.values() for u in us})
    queries = [select(*_RECORD_COLUMNS).where(PupilRecord.school_id.in_(ids[i:i + 500]),
                                              PupilRecord.upn.is_(None))
               for i in range(0, len(ids), 500)] if with_unkeyed else []
    # By school as well as UPN: there is no index on the UPN alone, and a UPN held at
    # another school is not this comparison's business.
    queries += [select(*_RECORD_COLUMNS).where(PupilRecord.school_id.in_(ids[i:i + 500]),
                                              PupilRecord.upn.in_(wanted[j:j + 500]))
                for i in range(0, len(ids), 500) for j in range(0, len(wanted), 500)]
    for q in queries:
        for r in _as_dicts(_rows(session, q)):
            sid = r["school_id"]
            if sid in records and (r["upn"] is None or r["upn"] in upns[sid]):
                records[sid].append(r)
    for rows in records.values():
        rows.sort(key=lambda r: (r["side"], r["id"]))
    return records


def _screened_records(session: Session, school_ids: list[int], *, activity: bool
                      ) -> dict[int, list[dict[str, Any]]]:
    """Per school, the records the screen could not rule out, in load order."""
    screened = records_to_examine(session, school_ids, _NAMES, activity=activity)
    found = screened.records
    upns = {s: u for s, u in screened.upns.items() if u}
    for rows in _records_of_upns(session, upns, with_unkeyed=False).values():
        found.update((r["id"], r) for r in rows)
    out: dict[int, list[dict[str, Any]]] = {sid: [] for sid in school_ids}
    for r in found.values():
        out[r["school_id"]].append(r)
    for rows in out.values():
        rows.sort(key=lambda r: (r["side"], r["id"]))
    return out


def _attach_activity(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each record its exclusions and attendance years (as plain dicts)."""
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["exclusions"] = []
        r["attendance"] = []
    ids = list(by_id)
    ex_cols = (Exclusion.pupil_id, Exclusion.category, Exclusion.start_date,
               Exclusion.end_date, Exclusion.sessions, Exclusion.reasons)
    att_cols = (AttendanceYear.pupil_id, AttendanceYear.academic_year,
                AttendanceYear.sessions_possible, AttendanceYear.sessions_attended,
                AttendanceYear.sessions_authorised, AttendanceYear.sessions_unauthorised,
                AttendanceYear.attendance_start_date, AttendanceYear.marks)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        for ex in session.execute(select(*ex_cols).where(Exclusion.pupil_id.in_(chunk))
                                  .order_by(Exclusion.start_date)):
            by_id[ex[0]]["exclusions"].append(dict(zip(
                ("category", "start_date", "end_date", "sessions", "reasons"), ex[1:],
                strict=True)))
        for att in session.execute(select(*att_cols).where(AttendanceYear.pupil_id.in_(chunk))
                                   .order_by(AttendanceYear.academic_year)):
            by_id[att[0]]["attendance"].append(dict(zip(
                ("academic_year", "sessions_possible", "sessions_attended",
                 "sessions_authorised", "sessions_unauthorised", "attendance_start_date",
                 "marks"), att[1:], strict=True)))


def _school_states(session: Session, school_ids: Iterable[int] | None) -> dict[int, str]:
    """Per school, a fingerprint of its records (how many, and the latest change)."""
    q = select(PupilRecord.school_id, func.count(PupilRecord.id),
               func.max(PupilRecord.changed_at)).group_by(PupilRecord.school_id)
    if school_ids is not None:
        q = q.where(PupilRecord.school_id.in_(list(school_ids)))
    return {
        sid: hashlib.sha1(f"{n}:{latest}".encode(), usedforsecurity=False).hexdigest()
        for sid, n, latest in session.execute(q)
    }


def _baselines(session: Session, academic_year: int, week: int,
               school_ids: Iterable[int]) -> dict[int, Baseline]:
    """Each school's latest comparison up to this week (by the weeks' dates: week 2 of
    January follows week 50 of December), with its open items by pupil."""
    wanted = set(school_ids)
    q = select(Report.id, Report.school_id, Report.week_start, Report.compared_at).where(
        Report.compared_at.is_not(None), Report.week_start <= week_start(academic_year, week))
    latest: dict[int, tuple[int, date, datetime]] = {}
    for rid, sid, start, at in session.execute(q):
        if at is not None and sid in wanted and (sid not in latest or start > latest[sid][1]):
            latest[sid] = (rid, start, at)
    by_report = {rid: sid for sid, (rid, _, _) in latest.items()}
    out = {sid: Baseline(at, {}) for sid, (_, _, at) in latest.items()}
    cols = (Difference.report_id, Difference.kind, Difference.subject_key,
            Difference.field_key, Difference.instruction, Difference.school_record_id,
            Difference.la_record_id, Difference.upn, Difference.surname, Difference.forename,
            Difference.school_value, Difference.la_value, Difference.side)
    ids = list(by_report)
    for i in range(0, len(ids), 500):
        for r in session.execute(select(*cols).where(
                Difference.report_id.in_(ids[i:i + 500]), Difference.status == "open")):
            out[by_report[r[0]]].items_by_subject.setdefault(r[2], []).append(Item(*r[1:]))
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
    comparison are examined again (``full=True`` compares every school afresh, screening
    out only the pupils held alike on both sides; see ``screen.py``). Reports already
    sent to the LA are left as they are. Commits.
    """
    summary = CompareSummary(academic_year, week)
    now = utcnow()
    states = _school_states(session, school_ids)
    summary.schools = len(states)
    reports = {
        r.school_id: r for r in session.scalars(
            select(Report).where(Report.academic_year == academic_year, Report.week == week))
    }
    missing = [sid for sid in sorted(states) if sid not in reports]
    if missing:
        # Through Core, in one INSERT each for the reports and their audit entries (the
        # ORM's unit of work for 600 new reports took a tenth of a full comparison).
        session.flush()
        session.connection().execute(insert(Report.__table__), [
            {"school_id": sid, "academic_year": academic_year, "week": week,
             "week_start": week_start(academic_year, week)}
            for sid in missing])
        created = [r for r in session.scalars(select(Report).where(
            Report.academic_year == academic_year, Report.week == week))
            if r.school_id not in reports]
        reports.update((r.school_id, r) for r in created)
        record_many(session, actor, "report.created", "report", (
            {"object_id": r.id, "school_id": r.school_id,
             "after": {"academic_year": academic_year, "week": week}} for r in created))
        summary.reports_created = len(created)
    todo = []
    for sid in sorted(states):
        report = reports[sid]
        if report.status not in EDITABLE_STATES:
            summary.frozen += 1
        elif report.compared_fingerprint == states[sid] and not full:
            summary.unchanged += 1
        else:
            todo.append(sid)
            continue
        if progress:
            progress(1)
    if len(todo) > SCHOOLS_PER_CHUNK:
        refresh_statistics(session)
    # A chunk of schools at a time, so that memory stays bounded however large the LA.
    with old_objects_frozen():
        for i in range(0, len(todo), SCHOOLS_PER_CHUNK):
            chunk = todo[i:i + SCHOOLS_PER_CHUNK]
            _compare_chunk(session, summary, chunk, reports, states, academic_year, week,
                           full=full, now=now, actor=actor, progress=progress)
    session.flush()
    summary.items_open = session.scalar(
        select(func.count(Difference.id)).join(Report).where(
            Report.academic_year == academic_year, Report.week == week,
            Difference.status == "open")) or 0
    session.commit()
    return summary


def _compare_chunk(session: Session, summary: CompareSummary, chunk: list[int],
                   reports: dict[int, Report], states: dict[int, str], academic_year: int,
                   week: int, *, full: bool, now: datetime, actor: str,
                   progress: Callable[[int], None] | None) -> None:
    baselines = {} if full else _baselines(session, academic_year, week, chunk)
    # Schools compared before: the pupils changed since. The others: the pupils the
    # screen cannot rule out (nearly every pupil is held alike on both sides).
    upns = _dirty_upns(session, baselines)
    records = _records_of_upns(session, upns)
    activity = any_activity(session)
    records.update(_screened_records(session, [s for s in chunk if s not in baselines],
                                     activity=activity))
    if activity:
        _attach_activity(session, [r for rows in records.values() for r in rows])
    existing = _existing_differences(session, [reports[s].id for s in chunk])
    inserts: list[dict[str, object]] = []
    for sid in chunk:
        report = reports[sid]
        rows = records.pop(sid)
        items = baselines[sid].carried(upns[sid]) if sid in baselines else []
        summary.pupils_examined += len(rows)
        items += compare_school([r for r in rows if r["side"] == "school"],
                                [r for r in rows if r["side"] == "la"])
        new, kept, resolved = _sync(session, report, existing.get(report.id, []), items,
                                    now, actor, inserts)
        report.compared_fingerprint = states[sid]
        report.compared_at = now
        summary.compared += 1
        summary.items_new += new
        summary.items_kept += kept
        summary.items_resolved += resolved
        if progress:
            progress(1)
    session.flush()
    if inserts:
        # Core, not the ORM's bulk insert: the rows are plain values and nothing is read
        # back (its per-row bookkeeping was a tenth of a full comparison).
        session.connection().execute(insert(Difference.__table__), inserts)
    # What the school decided in its latest earlier week, on items still held alike.
    summary.decisions_carried += carry_decisions(session, [reports[s] for s in chunk],
                                                 actor, now)


def _existing_differences(session: Session, report_ids: list[int]
                          ) -> dict[int, list[Difference]]:
    out: dict[int, list[Difference]] = {}
    for i in range(0, len(report_ids), 500):
        for d in session.scalars(select(Difference).where(
                Difference.report_id.in_(report_ids[i:i + 500]))):
            out.setdefault(d.report_id, []).append(d)
    return out


def _sync(session: Session, report: Report, existing_rows: list[Difference],
          items: list[Item], now: datetime, actor: str, inserts: list[dict[str, object]]
          ) -> tuple[int, int, int]:
    """Bring one report's differences in line with the items just found: keep (and
    update) those still present, queue new ones onto ``inserts``, resolve those gone."""
    existing = {(d.subject_key, d.kind, d.field_key): d for d in existing_rows}
    added = 0
    kept = 0
    seen: set[tuple[str, str, str]] = set()
    for it in items:
        key = it.identity
        if key in seen:
            continue
        seen.add(key)
        d = existing.get(key)
        if d is None:
            added += 1
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
    return added, kept, resolved







