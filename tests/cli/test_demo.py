"""``flask b2b demo``: the fictional LA loaded once, through the real importers, with its
demo sign-ins; never in production."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from webapp.models import Notification, PupilRecord, Report, School, User


def _demo(runner, *args: str, **env: str):
    return runner.invoke(args=["b2b", "demo", "--schools", "2", "--pupils", "8", *args],
                         env=env or None)


def test_demo_loads_an_la_once_with_files_reports_and_sign_ins(app, session, runner,
                                                               tmp_path, monkeypatch):
    app.instance_path = str(tmp_path)  # the demo files go under the instance folder
    monkeypatch.setenv("DEMO_PASSWORD", "a demo password for the test")
    result = _demo(runner)
    assert result.exit_code == 0, result.output
    workdir = tmp_path / "demo-files"
    assert f"data files in {workdir}" in result.output

    schools = session.scalars(select(School).order_by(School.estab)).all()
    assert [s.laestab[:3] for s in schools] == ["886", "886"]
    assert schools[0].estab == "1111" and schools[0].name == "Green Abbey School"
    files = sorted(p.name for p in workdir.iterdir())
    assert files == sorted(["la-extract.csv"] + [f"school-{s.laestab}.xml" for s in schools])
    # Both sides of every school taken in; the seed's pupils are among Green Abbey's.
    for side in ("school", "la"):
        held = session.scalar(select(func.count()).select_from(PupilRecord)
                              .where(PupilRecord.side == side))
        assert held >= 2 * 8 - 3

    # An office account per school (and the assistant at 1111), an officer and an admin,
    # each with the password DEMO_PASSWORD named.
    emails = set(session.scalars(select(User.email)))
    assert {"officer@la.example", "admin@la.example", "assistant@1111.school.example",
            *(f"office@{s.estab}.school.example" for s in schools)} == emails
    officer = session.scalar(select(User).where(User.email == "officer@la.example"))
    assert check_password_hash(officer.password_hash, "a demo password for the test")
    assert schools[1].contact_email == f"office@{schools[1].estab}.school.example"

    # Two weeks compared, the latest published to every school (in its documents panel).
    weeks = sorted({(r.academic_year, r.week) for r in session.scalars(select(Report))})
    assert len(weeks) == 2
    latest = session.scalars(select(Report).where(Report.week == weeks[-1][1],
                                                  Report.academic_year == weeks[-1][0])).all()
    assert {r.school_id for r in latest} == {s.id for s in schools}
    assert all(r.status == "published" for r in latest)
    told = session.scalars(select(Notification.report_id)).all()
    assert sorted(told) == sorted(r.id for r in latest)

    # The sign-ins printed: LA admin and officer first, then school accounts.
    lines = result.output.splitlines()
    shown = [line.split()[0] for line in lines if line.startswith("  ") and "@" in line]
    assert shown[:2] == ["admin@la.example", "officer@la.example"]
    assert "LA admin" in lines[lines.index(next(x for x in lines if "admin@la" in x))]

    # Loaded once: a second run changes nothing and says so.
    again = _demo(runner)
    assert again.exit_code == 0, again.output
    assert "Demo data already loaded." in again.output
    assert set(session.scalars(select(User.email))) == emails
    assert session.scalar(select(func.count()).select_from(School)) == len(schools)


def test_demo_is_refused_in_production(app, session, runner, tmp_path):
    app.instance_path = str(tmp_path)
    app.config["B2B_PRODUCTION"] = True
    result = _demo(runner)
    assert result.exit_code != 0
    assert "not loaded in production" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0
    assert not (tmp_path / "demo-files").exists()
