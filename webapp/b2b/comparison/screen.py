"""The comparison's screen: which pupils the catalogue's rules need to look at at all.

In a typical week nearly every pupil (97% in the benchmark) is held identically on the
two sides, with a well-formed UPN and postcode. Running each of them through the rules
in Python was most of a full comparison's time. So the database is asked first, in a
few statements per chunk of schools, for the records that could give rise to an item;
only those are loaded and compared.

The screen may pass a pupil the rules then find nothing for (letter case, an ethnicity
refinement). It never holds back one they would report. A pupil is held back only when
it is a *quiet pair*: one record on each side, both keyed by the same UPN and holding
it, no other record of the school holding that UPN, every compared item equal where
both sides supplied it, nothing wrong with either record's own UPN or postcode
(``PupilRecord.problems``, kept with each record), and no exclusions or attendance on
either record. The rules match such a pair by its UPN and find nothing in it; and as
no other record holds that UPN, leaving the pair out changes nothing for the rest (the
rules pair them, by UPN or by the four fields, exactly as before).
``tests/b2b/comparison/test_screen.py`` checks the screened comparison against the rules
run on every pupil.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from webapp.b2b.records.catalogue import ADDRESS_KEYS, SIMPLE_FIELDS
from webapp.models import AttendanceYear, Exclusion, PupilRecord
from webapp.models.pupils import unkeyed


def any_activity(session: Session) -> bool:
    """Whether any exclusion or attendance is held at all (if not, none is looked for)."""
    return (session.scalar(select(Exclusion.id).limit(1)) is not None
            or session.scalar(select(AttendanceYear.id).limit(1)) is not None)


@dataclass
class Screened:
    """What the rules must see of some schools: these records (as dicts of the columns
    asked for), and every record that holds one of these UPNs (UPNs some record holds
    without being keyed by them)."""

    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    upns: dict[int, set[str]] = field(default_factory=dict)


def refresh_statistics(session: Session) -> bool:
    """On PostgreSQL, bring the planner's statistics of the pupil records up to date if
    a tenth of them changed since they were gathered (autovacuum's own rule; it may be
    switched off, or not have run yet just after a bulk import). Stale ones made the
    screen's joins quadratic: 14 s instead of 2 on 250,000 pupils. Says if it did."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    row = session.execute(text(
        "SELECT n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables "
        "WHERE relid = 'pupil_record'::regclass")).first()
    if row is None or row[0] < 1000 + row[1] // 10:
        return False
    session.execute(text("ANALYZE pupil_record"))
    return True


@cache
def _statements(columns: tuple[str, ...], activity: bool
                ) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The screen's three statements, built once (a fresh build and its cache key cost
    more than a chunk's execution); the schools are the expanding parameter "schools"."""
    schools: BindParameter[int] = bindparam("schools", expanding=True)
    s, la = aliased(PupilRecord), aliased(PupilRecord)
    noisy: list[ColumnElement[bool]] = [la.id.is_(None), la.upn.is_distinct_from(s.upn)]
    noisy += [getattr(s, f) != getattr(la, f) for f in SIMPLE_FIELDS]
    # An address part one side left out and the other gave blank reads the same to the
    # rules (a CTF leaves out what it does not hold; an extract has blank columns).
    noisy += [func.coalesce(getattr(s, k), "") != func.coalesce(getattr(la, k), "")
              for k in ADDRESS_KEYS]
    noisy += [s.problems.is_not(None), la.problems.is_not(None)]
    if activity:
        for side in (s, la):
            noisy.append(exists().where(Exclusion.pupil_id == side.id))
            noisy.append(exists().where(AttendanceYear.pupil_id == side.id))
    # From the school side: a UPN with no LA record keyed by it, or a pair that differs.
    pairs = (select(*(getattr(s, c) for c in columns), *(getattr(la, c) for c in columns))
             .outerjoin(la, and_(la.side == "la", la.school_id == s.school_id,
                                 la.record_key == s.upn))
             .where(s.side == "school", s.school_id.in_(schools), s.upn.is_not(None),
                    or_(*noisy)))
    # From the LA side: a record whose key no school record has (read off the unique
    # index alone: the rows are read only for the few that qualify).
    keyed = aliased(PupilRecord)
    la_only_ids = (select(la.id)
                   .where(la.side == "la", la.school_id.in_(schools),
                          ~exists().where(keyed.side == "school",
                                          keyed.school_id == la.school_id,
                                          keyed.record_key == la.record_key,
                                          # (for PostgreSQL's planner: not all schools)
                                          keyed.school_id.in_(schools))))
    la_only = select(*(getattr(PupilRecord, c) for c in columns)).where(
        PupilRecord.id.in_(la_only_ids.scalar_subquery()))
    # Either side: a record without a UPN, or not keyed by its UPN (a UPN given twice, or
    # changed since the record was made): all the holders of that UPN are seen together.
    # The few such records have an index of their own (ix_pupil_record_unkeyed).
    r = PupilRecord
    odd = select(*(getattr(r, c) for c in columns)).where(r.school_id.in_(schools),
                                                          unkeyed(r))
    return pairs, la_only, odd


def records_to_examine(session: Session, school_ids: list[int], columns: list[str], *,
                       activity: bool) -> Screened:
    """The records of the schools that are not in a quiet pair (see the module's
    docstring), and the UPNs whose holders must all be seen together. ``columns`` are
    the record's columns to give, "id", "school_id" and "upn" among them; ``activity``
    says whether any exclusion or attendance is held (``any_activity``)."""
    pairs, la_only, odd = _statements(tuple(columns), activity)
    n, at_id = len(columns), columns.index("id")
    out = Screened(upns={sid: set() for sid in school_ids})
    session.flush()
    conn = session.connection()
    found = out.records
    params = {"schools": list(school_ids)}
    for row in conn.execute(pairs, params):
        school = dict(zip(columns, row[:n], strict=True))
        found[school["id"]] = school
        if row[n + at_id] is not None:  # an LA record was joined
            found[row[n + at_id]] = dict(zip(columns, row[n:], strict=True))
    for q in (la_only, odd):
        for row in conn.execute(q, params):
            rec = dict(zip(columns, row, strict=True))
            found[rec["id"]] = rec
            if q is odd and rec["upn"] is not None:
                out.upns[rec["school_id"]].add(rec["upn"])
    return out
