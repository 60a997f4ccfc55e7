"""Benchmark: the upload API and the weekly cycle.

    .venv/bin/python bench/intake.py [--pupils 2000] [--cycle-schools 600]

1. A 2,000-pupil school CTF posted to /api/v1/uploads: time to the 202 answer (target
   under 1 s), then the import by the job's function and that school's comparison
   (target: both within 10 s). Baseline in the same run: the same file imported directly
   with `import_file` (what the CLI does), so the ratio shows the API's own cost.
2. The weekly cycle over a drop folder of N school CTFs and one LA extract (target: the
   core issue's figures, import + compare within 60 s for 250,000 pupils).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pupils", type=int, default=2000)
    ap.add_argument("--cycle-schools", type=int, default=600)
    ap.add_argument("--cycle-pupils", type=int, default=416)
    args = ap.parse_args()
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.auth.api_tokens import create_token
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.cycle import run_cycle
    from webapp.b2b.intake.importing import import_file
    from webapp.b2b.intake.uploads import process_queued
    from webapp.demo.synth import make_school
    from webapp.extensions import db
    from webapp.models import LocalAuthority, School

    tmp = Path(tempfile.mkdtemp(prefix="b2b-intake-"))
    data = make_school("8861111", "Green Abbey School", args.pupils, seed=3, differing=0.03)
    ctf = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=data.school)
    la_csv = write_pupils_csv([{**p, "laestab": "8861111"} for p in data.la])

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'a.sqlite3'}",
                      "HUEY_SQLITE_PATH": str(tmp / "huey.sqlite3"),
                      "B2B_API_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        upgrade()
        import_file(db.session, la_csv, side="la", file_name="la.csv")
        la = db.session.query(LocalAuthority).one()
        school = db.session.query(School).one()
        _, token = create_token(db.session, la=la, school=school, label="bench", actor="b")
        client = app.test_client()
        t0 = time.perf_counter()
        r = client.post("/api/v1/uploads", data=ctf, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        t1 = time.perf_counter()
        assert r.status_code == 202, r.get_data(as_text=True)
        process_queued(db.session)
        s = refresh_reports(db.session, 2026, 1, school_ids=[school.id])
        t2 = time.perf_counter()
    app2 = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'b.sqlite3'}"})
    with app2.app_context():
        upgrade()
        import_file(db.session, la_csv, side="la", file_name="la.csv")
        t3 = time.perf_counter()
        import_file(db.session, ctf, side="school", file_name="direct.xml")
        refresh_reports(db.session, 2026, 1)
        t4 = time.perf_counter()
    print(f"\n{'':44}{'API':>10}{'direct':>10}")
    print(f"{'2,000-pupil CTF: answer (202) [< 1 s]':44}{t1 - t0:>10.2f}")
    print(f"{'import + compare [< 10 s]':44}{t2 - t1:>10.2f}{t4 - t3:>10.2f}")
    print(f"{'ratio API / direct':44}{(t2 - t0) / (t4 - t3):>10.2f}   "
          f"({s.items_open} open items)")

    if args.cycle_schools:
        drop = tmp / "drop"
        (drop / "school").mkdir(parents=True)
        (drop / "la").mkdir()
        rows = []
        for i in range(args.cycle_schools):
            laestab = f"886{4000 + i:04d}"
            d = make_school(laestab, f"School {i}", args.cycle_pupils, seed=i, anomalies=False,
                            unmatched=False)
            (drop / "school" / f"{laestab}.xml").write_bytes(
                write_ctf(laestab=laestab, school_name=f"School {i}", pupils=d.school))
            rows += [{**p, "laestab": laestab} for p in d.la]
        (drop / "la" / "extract.csv").write_bytes(write_pupils_csv(rows))
        app3 = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'c.sqlite3'}"})
        with app3.app_context():
            upgrade()
            t5 = time.perf_counter()
            run = run_cycle(db.session, academic_year=2026, week=2, trigger="bench",
                            drop_dir=drop, publish=lambda reps: len(reps),
                            tell_la=lambda n: None, auto_publish=True,
                            drop_min_age_seconds=0)
            t6 = time.perf_counter()
            label = f"cycle: {len(rows):,} pupils, {args.cycle_schools} schools (s)"
            print(f"{label:44}{t6 - t5:>10.1f}   {run.status}, "
                  f"{run.steps.get('published')} published")


if __name__ == "__main__":
    main()
