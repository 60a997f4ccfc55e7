"""The weekly cycle's own rules: auto-publish as the LA set it (or as asked), drafts
left and the LA told otherwise, and a failure part-way recorded, never hidden."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import JOE, import_csv, import_ctf, make_school
from webapp.b2b.intake.cycle import latest_runs, run_cycle
from webapp.b2b.review.lifecycle import publish_reports
from webapp.models import AuditEntry, CycleRun, Report


def _data(session):
    school = make_school(session)
    import_ctf(session, school.laestab, [JOE])
    import_csv(session, school.laestab, [{**JOE, "forename": "Joseph"}])
    return school


def _cycle(session, week, **kw):
    published, told = [], []
    def publish(reports):
        published.extend(reports)
        return len(publish_reports(session, reports, "cycle"))

    kw.setdefault("publish", publish)
    kw.setdefault("tell_la", told.append)
    run = run_cycle(session, academic_year=2025, week=week, trigger="test", drop_dir=None,
                    **kw)
    return run, published, told


def test_the_las_auto_publish_decides_unless_the_caller_does(session):
    school = _data(session)
    school.la.auto_publish = False
    session.commit()
    run, published, told = _cycle(session, 10)
    assert run.status == "done" and published == [] and told == [1]
    assert run.steps["drafts_waiting"] == 1 and "drop_folder" not in run.steps
    run, published, told = _cycle(session, 11, auto_publish=True)
    assert [r.week for r in published] == [11] and told == []
    assert run.steps["published"] == 1
    # Nothing left in draft for the week: nothing published, nobody told.
    run, published, told = _cycle(session, 11, auto_publish=True)
    assert run.steps["published"] == 0 and published == []
    assert [r.id for r in latest_runs(session, limit=2)] == \
        sorted((r.id for r in session.scalars(select(CycleRun))), reverse=True)[:2]


def test_a_failure_part_way_is_recorded_and_raised(session):
    _data(session)

    def broken(reports):
        raise RuntimeError("the mail queue is full")

    with pytest.raises(RuntimeError):
        _cycle(session, 12, publish=broken, auto_publish=True)
    run = session.scalars(select(CycleRun)).one()
    assert (run.status, run.error) == ("failed", "RuntimeError")
    assert run.finished_at is not None
    # The steps done before the failure are kept with it; the one that failed is not.
    assert run.steps["schools_compared"] == 1 and "published" not in run.steps
    assert session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "cycle.failed")) == "cycle.failed"
    # Run again once the fault is gone: the week's report is there and now published.
    run, published, _ = _cycle(session, 12, auto_publish=True)
    assert run.status == "done" and [r.week for r in published] == [12]
    assert len(session.scalars(select(Report).where(Report.week == 12)).all()) == 1
