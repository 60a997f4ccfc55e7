"""A decided item is never asked again: decisions carried from one week's report to the
next.

When a school's report for a new week holds an item (same pupil, same kind, same field)
that the school already decided in its latest earlier report, by date, and both sides'
values are still the ones decided on, the decision is copied: the school is not asked
again, and the copy names the difference it came from. An item whose values have
changed since is asked again (the report shows what was decided before).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Difference, Report
from webapp.platform.audit import record_many

Identity = tuple[str, str, str]  # subject_key, kind, field_key


def _latest_earlier(session: Session, reports: list[Report]) -> dict[int, int]:
    """For each report, the school's latest earlier report (by the weeks' dates) that has
    decisions in it: report id -> earlier report id."""
    by_school = {r.school_id: r for r in reports}
    best: dict[int, tuple[Any, int]] = {}
    for rid, sid, start in session.execute(
            select(Report.id, Report.school_id, Report.week_start)
            .where(Report.school_id.in_(list(by_school)))):
        mine = by_school[sid]
        if start < mine.week_start and (sid not in best or start > best[sid][0]):
            best[sid] = (start, rid)
    return {by_school[sid].id: rid for sid, (_s, rid) in best.items()}


def carry_decisions(session: Session, reports: Iterable[Report], actor: object,
                    now: datetime) -> int:
    """Copy into each report's open, undecided items the decisions of the school's latest
    earlier report on the same items with the same values. Returns how many were carried;
    each carry is in the audit log. Flushes; the caller commits."""
    reports = [r for r in reports if r.status in ("draft", "published", "in_progress")]
    if not reports:
        return 0
    session.flush()
    earlier = _latest_earlier(session, reports)
    if not earlier:
        return 0
    decided: dict[int, dict[Identity, Difference]] = {}
    for d in session.scalars(select(Difference).where(
            Difference.report_id.in_(list(set(earlier.values()))),
            Difference.status == "open", Difference.choice.is_not(None))):
        decided.setdefault(d.report_id, {})[(d.subject_key, d.kind, d.field_key)] = d
    school_of = {r.id: r.school_id for r in reports}
    entries: list[dict[str, object]] = []
    for d in session.scalars(select(Difference).where(
            Difference.report_id.in_([rid for rid in earlier if earlier[rid] in decided]),
            Difference.status == "open", Difference.choice.is_(None))):
        before = decided[earlier[d.report_id]].get((d.subject_key, d.kind, d.field_key))
        if before is None or (before.school_value, before.la_value) != (d.school_value,
                                                                         d.la_value):
            continue
        d.choice, d.correct_value = before.choice, before.correct_value
        d.decided_by_id, d.decided_at = before.decided_by_id, before.decided_at
        d.carried_from_id = before.id
        d.version += 1
        entries.append({"object_id": d.id, "school_id": school_of[d.report_id],
                        "report_id": d.report_id,
                        "after": {"choice": d.choice, "correct_value": d.correct_value,
                                  "carried_from": before.id}})
    if entries:
        session.flush()
        record_many(session, actor, "decision.carried", "difference", entries)
    return len(entries)
