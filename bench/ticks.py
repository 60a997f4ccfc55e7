"""Benchmark: the school's report page and one choice's round trip.

    .venv/bin/python bench/ticks.py [--db sqlite|postgres|both]

A 2,000-pupil school with about 300 differences: the report page's render time (target
under 300 ms) and the htmx choice post answered with its row fragment (target under
25 ms median), through the app's own test client (WSGI, no network). In the same run, a
bare Flask endpoint doing one INSERT on the same database is timed as the baseline, and
the ratio printed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


def _uri(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'ticks.sqlite3'}"
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS b2b_ticks WITH (FORCE)"))
        c.execute(text("CREATE DATABASE b2b_ticks"))
    admin.dispose()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/b2b_ticks"


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[int(len(xs) * .95) - 1]
    return f"median {statistics.median(xs) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"


def run(kind: str) -> None:
    from flask import Flask
    from flask_migrate import upgrade
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

    from webapp import create_app
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.importing import import_file
    from webapp.b2b.review.lifecycle import publish_reports
    from webapp.demo.synth import make_school
    from webapp.extensions import db
    from webapp.models import Difference, Report, School, User

    tmp = Path(tempfile.mkdtemp(prefix="b2b-ticks-"))
    uri = _uri(kind, tmp)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        data = make_school("8861111", "Green Abbey School", 2000, seed=11, differing=0.13)
        import_file(db.session, write_ctf(laestab="8861111", school_name="Green Abbey School",
                                          pupils=data.school), side="school", file_name="s.xml")
        import_file(db.session, write_pupils_csv([{**p, "laestab": "8861111"} for p in data.la]),
                    side="la", file_name="la.csv")
        refresh_reports(db.session, 2026, 1)
        report = db.session.scalar(select(Report))
        publish_reports(db.session, [report], "bench")
        school = db.session.scalar(select(School))
        user = User(email="office@bench.example.org", name="Office", role="school",
                    school_id=school.id, la_id=school.la_id, password_hash="x")
        db.session.add(user)
        db.session.commit()
        n_diffs = db.session.query(Difference).filter_by(report_id=report.id).count()
        report_id, user_key = report.id, user.get_id()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = user_key
        s["_fresh"] = True
    page_times = []
    for _ in range(8):
        t = time.perf_counter()
        page = client.get(f"/school/reports/{report_id}")
        page_times.append(time.perf_counter() - t)
        assert page.status_code == 200
    html = page.get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)[1]
    found = re.findall(r'action="(/school/differences/(\d+)/decision)".*?name="version" '
                       r'value="(\d+)"(.*?)</form>', html, re.S)
    forms = []
    for path, did, _v, rest in found:
        # Choices that need no typed value (the others would be refused without one).
        plain = re.findall(r'name="choice" type="radio" value="([^"]+)"(?![^>]*data-needs-value)',
                           rest)
        if len(plain) >= 2:
            forms.append((path, did, plain))
    versions = {did: int(v) for _, did, v, _ in found}
    posts = []
    statuses: dict[int, int] = {}
    for i in range(200):
        path, did, plain = forms[i % len(forms)]
        t = time.perf_counter()
        r = client.post(path, data={"csrf_token": csrf, "version": versions[did],
                                    "choice": plain[(i // len(forms)) % 2]},
                        headers={"HX-Request": "true", "X-CSRFToken": csrf})
        posts.append(time.perf_counter() - t)
        assert r.status_code in (200, 409), r.status_code
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        m = re.search(r'name="version" value="(\d+)"', r.get_data(as_text=True))
        if m:
            versions[did] = int(m[1])

    with app.app_context():
        stored = db.session.query(Difference).filter(Difference.report_id == report_id,
                                                     Difference.choice.is_not(None)).count()

    # The baseline: the least a Flask app can do per post on this database.
    engine = create_engine(uri)
    meta = MetaData()
    t_base = Table("bench_tick", meta, Column("id", Integer, primary_key=True),
                   Column("choice", String(10)))
    meta.create_all(engine)
    bare = Flask("bare")

    @bare.post("/tick")
    def tick():
        with engine.begin() as c:
            c.execute(insert(t_base).values(choice="school"))
        return "<tr></tr>"

    bc = bare.test_client()
    base = []
    for _ in range(200):
        t = time.perf_counter()
        bc.post("/tick")
        base.append(time.perf_counter() - t)
    engine.dispose()
    print(f"\n{kind}: report of 2,000 pupils, {n_diffs} differences")
    print(f"  report page render [< 300 ms]      {_ms(page_times)}")
    print(f"  choice round trip  [< 25 ms]       {_ms(posts)}")
    print(f"    answers: {', '.join(f'{n} x {code}' for code, n in sorted(statuses.items()))}; "
          f"{stored} decisions stored afterwards")
    print(f"  bare Flask insert (baseline)       {_ms(base)}")
    print(f"  ratio choice / baseline (median)   "
          f"{statistics.median(posts) / statistics.median(base):6.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = ap.parse_args()
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        run(kind)


if __name__ == "__main__":
    main()
