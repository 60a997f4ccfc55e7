"""The intake tasks as the worker runs them: the every-minute sweep (queued uploads and
the drop folder), one upload's import, the weekly cycle on schedule and on request, the
nightly purge, and the cycle's schedule from FLASK_B2B_CYCLE_CRON."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from sqlalchemy import select

from tests.factories import JOE, make_school
from webapp.auth.api_tokens import create_token
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.uploads import receive_upload
from webapp.models import CycleRun, PupilRecord, Upload
from webapp.platform.retention import PurgeResult
from webapp.tasks import intake


def _school_upload(session):
    school = make_school(session)
    token, _ = create_token(session, la=school.la, school=school, label="SIMS", actor="t")
    ctf = write_ctf(laestab=school.laestab, school_name=school.name, pupils=[JOE])
    return receive_upload(session, token, ctf, "sims.xml")


def _drop(tmp_path):
    drop = tmp_path / "drop"
    (drop / "la").mkdir(parents=True)
    (drop / "la" / "one.csv").write_bytes(
        write_pupils_csv([{**JOE, "laestab": "8861111", "forename": "Joseph"}]))
    return drop


def test_the_sweep_imports_queued_uploads_and_the_drop_folder(app, session, tmp_path):
    upload = _school_upload(session)
    assert intake.intake_sweep.call_local() == {"uploads": 1}  # no drop folder configured
    session.refresh(upload)
    assert upload.status == "imported"

    drop = _drop(tmp_path)
    app.config.update(B2B_DROP_DIR=str(drop), B2B_DROP_MIN_AGE_SECONDS=0)
    assert intake.intake_sweep.call_local() == {"uploads": 0, "drop_folder": 1}
    assert (drop / "processed" / "one.csv").exists()
    assert not (drop / "la" / "one.csv").exists()
    sides = sorted(session.scalars(select(PupilRecord.side)))
    assert sides == ["la", "school"]
    assert intake.intake_sweep.call_local() == {"uploads": 0, "drop_folder": 0}


def test_one_upload_is_imported_once(app, session):
    upload = _school_upload(session)
    assert intake.import_upload.call_local(upload.id) == "imported"
    assert intake.import_upload.call_local(upload.id) == "imported"  # not imported again
    assert len(session.scalars(select(PupilRecord)).all()) == 1
    assert intake.import_upload.call_local(upload.id + 1000) is None
    assert session.get(Upload, upload.id).content is None


def test_the_cycle_runs_for_this_week_on_schedule_and_on_request(app, session, tmp_path):
    _school_upload(session)
    app.config.update(B2B_DROP_DIR=str(_drop(tmp_path)), B2B_DROP_MIN_AGE_SECONDS=0)
    assert intake.weekly_cycle.call_local() == "done"
    assert intake.run_cycle_task.call_local() == "done"
    runs = session.scalars(select(CycleRun).order_by(CycleRun.id)).all()
    assert [r.trigger for r in runs] == ["schedule", "officer"]
    # This week (the LA numbers its weeks as ISO weeks), for both.
    assert len({(r.academic_year, r.week) for r in runs}) == 1
    assert runs[0].week == date.today().isocalendar().week
    first, second = runs
    assert first.steps["uploads_imported"] == 1
    assert [f["outcome"] for f in first.steps["drop_folder"]] == ["imported"]
    assert second.steps["uploads_imported"] == 0 and second.steps["drop_folder"] == []
    assert first.steps["schools_compared"] == 1


def test_the_nightly_purge_reports_what_it_removed(app, session):
    result = intake.nightly_purge.call_local()
    assert set(result) == {f.name for f in dataclasses.fields(PurgeResult)}
    assert all(v == 0 for v in result.values())


def test_the_cycle_schedule_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("FLASK_B2B_CYCLE_CRON", raising=False)
    default = intake._cron()
    assert default(datetime(2026, 1, 4, 2, 0))  # a Sunday, 02:00
    assert not default(datetime(2026, 1, 5, 2, 0))
    monkeypatch.setenv("FLASK_B2B_CYCLE_CRON", "15 4 * * 1")
    monday = intake._cron()
    assert monday(datetime(2026, 1, 5, 4, 15))
    assert not monday(datetime(2026, 1, 4, 2, 0))
