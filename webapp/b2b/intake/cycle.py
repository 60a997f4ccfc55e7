"""The weekly cycle: import what arrived, compare for the new week, publish or tell the LA."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.intake.uploads import process_queued, scan_drop_folder
from webapp.models import CycleRun, LocalAuthority, Report
from webapp.models.base import utcnow
from webapp.platform.audit import record


def run_cycle(
    session: Session,
    *,
    academic_year: int,
    week: int,
    trigger: str,
    drop_dir: Path | None,
    publish: Callable[[list[Report]], int],
    tell_la: Callable[[int], None],
    auto_publish: bool | None = None,
    drop_min_age_seconds: float = 5.0,
) -> CycleRun:
    """Import what arrived, compare for the week, then publish (if the LA has turned on
    auto-publish) or leave drafts and tell the LA team. Safe to run again after a failure
    part-way: imports, comparison and publishing each skip what is already done.

    ``publish(reports)`` publishes and notifies, returning how many it published;
    ``tell_la(n)`` tells the LA team that ``n`` draft reports are waiting.
    """
    run = CycleRun(academic_year=academic_year, week=week, trigger=trigger, steps={})
    session.add(run)
    session.commit()
    steps: dict[str, object] = {}
    try:
        steps["uploads_imported"] = process_queued(session)
        if drop_dir is not None:
            steps["drop_folder"] = [r.__dict__ for r in scan_drop_folder(
                session, drop_dir, min_age_seconds=drop_min_age_seconds)]
        compared = refresh_reports(session, academic_year, week, actor="cycle")
        steps["schools_compared"] = compared.compared
        steps["open_items"] = compared.items_open
        drafts = list(session.scalars(select(Report).where(
            Report.academic_year == academic_year, Report.week == week,
            Report.status == "draft")))
        la = session.scalar(select(LocalAuthority).order_by(LocalAuthority.id))
        if auto_publish is None:
            auto_publish = bool(la and la.auto_publish)
        if auto_publish:
            steps["published"] = publish(drafts) if drafts else 0
        else:
            steps["drafts_waiting"] = len(drafts)
            if drafts:
                tell_la(len(drafts))
        run.status = "done"
    except Exception as e:
        session.rollback()
        run = session.get_one(CycleRun, run.id)
        run.status = "failed"
        run.error = type(e).__name__
        raise
    finally:
        run.steps = steps
        run.finished_at = utcnow()
        record(session, "cycle", f"cycle.{run.status}", run,
               after={"academic_year": academic_year, "week": week, **{
                   k: v for k, v in steps.items() if not isinstance(v, list)}})
        session.commit()
    return run


def latest_runs(session: Session, limit: int = 10) -> Iterable[CycleRun]:
    return session.scalars(select(CycleRun).order_by(CycleRun.id.desc()).limit(limit))


