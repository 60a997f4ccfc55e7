"""The school's side of the loop: 'SIMS to amend' items, checked against the school's next data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.items import RECORD_ITEMS
from webapp.models import (
    PupilRecord,
    SimsItem,
)
from webapp.models.base import utcnow
from webapp.platform.audit import record


def _school_value(item: SimsItem, rec: PupilRecord) -> str | None:
    if item.kind == "field":
        f = FIELDS_BY_KEY.get(item.field_key)
        if f is not None:
            return f.value({k: getattr(rec, k) for k in RECORD_ITEMS})
        return getattr(rec, item.field_key, None)
    rule = item.field_key.partition(".")[0]
    return rec.postcode if rule.startswith("postcode") else rec.upn


def check_sims_items(session: Session, school_id: int, batch_id: int | None = None
                     ) -> dict[str, int]:
    """After an import of the school's own data: close the "SIMS to amend" items whose
    value has changed in SIMS; mark the rest "school confirmed LA value, SIMS not yet
    amended" (shown to the LA, re-listed for the school). Commits.

    Call it after every school-side import of the school. Returns counts by outcome.
    """
    now = utcnow()
    counts = {"amended": 0, "not_amended": 0, "gone": 0, "unchecked": 0}
    items = session.scalars(select(SimsItem).where(
        SimsItem.school_id == school_id,
        SimsItem.status.in_(("open", "not_amended")))).all()
    for item in items:
        rec = session.get(PupilRecord, item.school_record_id) if item.school_record_id else None
        if item.kind == "not_at_school":
            # "We will add them to SIMS": the pupil now appears in the school's data.
            found = item.upn and session.scalar(select(PupilRecord.id).where(
                PupilRecord.side == "school", PupilRecord.school_id == school_id,
                PupilRecord.upn == item.upn).limit(1))
            outcome = "amended" if found else "not_amended"
        elif item.kind == "new_to_la":
            counts["unchecked"] += 1  # a delta import cannot show a removal
            continue
        elif rec is None:
            outcome = "gone"
        else:
            outcome = "amended" if _school_value(item, rec) != item.school_value \
                else "not_amended"
        counts[outcome] += 1
        before = item.status
        item.checked_at = now
        if outcome != "not_amended":
            item.closed_at = now
            item.checked_batch_id = batch_id  # the school's SIMS page names this import
        if outcome != before:
            item.status = outcome
            record(session, "system", f"sims_item.{outcome}", item, school_id=school_id,
                   report_id=item.report_id, before={"status": before},
                   after={"status": outcome, "field": item.field_key})
    session.commit()
    return counts


def sims_items_by_key(session: Session, school_id: int) -> dict[tuple[str, str], SimsItem]:
    """The school's outstanding "SIMS to amend" items by (subject_key, field_key): the
    comparison can show such a difference as "you told us the LA is right: please amend
    SIMS" instead of asking the question again."""
    return {(i.subject_key, i.field_key): i for i in session.scalars(select(SimsItem).where(
        SimsItem.school_id == school_id, SimsItem.status.in_(("open", "not_amended"))))}
