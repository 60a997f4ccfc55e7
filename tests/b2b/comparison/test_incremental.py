"""The next week's comparison re-examines only changed pupils, and finds the same as a
full comparison would."""

from __future__ import annotations

import random

from sqlalchemy import select

from tests.factories import import_csv, import_ctf
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.demo.synth import make_school
from webapp.models import Difference, Report


def _items(session, year, week):
    rows = session.execute(
        select(Difference.subject_key, Difference.kind, Difference.field_key,
               Difference.school_value, Difference.la_value).join(Report)
        .where(Report.academic_year == year, Report.week == week,
               Difference.status == "open")).all()
    return sorted(tuple(r) for r in rows)


def test_incremental_week_matches_full_comparison(session):
    data = make_school("8861111", "Green Abbey School", 120, seed=5, differing=0.2)
    import_ctf(session, "8861111", data.school)
    import_csv(session, "8861111", data.la)
    first = refresh_reports(session, 2025, 1)
    # The screen leaves out the pupils held alike on both sides; those with an item
    # are all examined (both records of each).
    with_items = {k for k, *_ in _items(session, 2025, 1)}
    assert len(with_items) < first.pupils_examined < len(data.school) + len(data.la)
    assert refresh_reports(session, 2025, 1).unchanged == 1  # nothing changed: skipped

    rnd = random.Random(3)
    changed = rnd.sample(range(10, 120), 6)
    school = [dict(p) for p in data.school]
    for i in changed[:3]:
        school[i]["forename"] += "x"          # a new difference
    la = [dict(p) for p in data.la]
    for i in changed[3:]:
        la[i] = dict(school[i])               # the LA fixed its copy: difference gone
    school[7]["upn"] = school[8]["upn"]       # a duplicate appears
    import_ctf(session, "8861111", [school[i] for i in changed[:3] + [7]])
    import_csv(session, "8861111", [la[i] for i in changed[3:]])

    week2 = refresh_reports(session, 2025, 2)
    assert 0 < week2.pupils_examined < 30
    full = refresh_reports(session, 2025, 3, full=True)
    assert full.pupils_examined > week2.pupils_examined
    assert _items(session, 2025, 2) == _items(session, 2025, 3)


def test_refresh_same_week_after_change_examines_only_that_pupil(session):
    data = make_school("8861111", "Green Abbey School", 60, seed=9)
    import_ctf(session, "8861111", data.school)
    import_csv(session, "8861111", data.la)
    refresh_reports(session, 2025, 4)
    before = _items(session, 2025, 4)
    p = dict(data.school[20], surname="Changed")
    import_ctf(session, "8861111", [p])
    s = refresh_reports(session, 2025, 4)
    # Records looked at again: the changed pupil's two, and those always looked at
    # because their UPN is not held once on each side (two pairs sharing a UPN, one
    # pupil new to the LA, one no longer at the school).
    assert s.pupils_examined == 2 + 4 + 1 + 1
    after = _items(session, 2025, 4)
    assert [i for i in after if i not in before][0][2] == "surname"


def test_each_report_a_comparison_creates_is_in_the_audit_log(session):
    from webapp.models import AuditEntry

    for estab in ("1111", "2222"):
        data = make_school(f"886{estab}", f"School {estab}", 5, seed=1)
        import_ctf(session, f"886{estab}", data.school)
    refresh_reports(session, 2025, 7, actor="cycle")
    refresh_reports(session, 2025, 7, actor="cycle")  # the same week again: none new
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "report.created")).all()
    reports = {r.id: r for r in session.scalars(select(Report))}
    assert len(entries) == len(reports) == 2
    for e in entries:
        assert (e.actor, e.object_type, e.school_id) == (
            "cycle", "report", reports[e.object_id].school_id)
        assert e.after == {"academic_year": 2025, "week": 7} and e.at is not None
