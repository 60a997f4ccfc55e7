"""Benchmark: the LA team's pages and the email queue at full size.

    .venv/bin/python bench/la_queue.py [--schools 600] [--tasks 10000] [--database URL]

Builds a fresh database by the migrations (SQLite in a temporary folder unless
``--database`` names another, e.g. an empty PostgreSQL database), with 600 schools, a
contact and a staff account each, a draft report per school for week 2 and 10,000 open
amendment tasks from week 1. Then times, through the real app (test client) and a real
huey consumer sending to a local aiosmtpd server:

- the dashboard for 600 schools (target < 300 ms),
- the queue page with 10,000 open tasks, paginated (target < 200 ms),
- bulk-completing 1,000 tasks in one action (target < 5 s),
- publishing 600 schools (target: the request returns in < 1 s), and the queued
  emails draining to the SMTP server (target: 50+ messages a second).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's folder first on the path would make "import queue" find this file, not the
# standard library's module (huey and psycopg need that one).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Counter:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += len(envelope.rcpt_tos)
        return "250 OK"


def build(session, schools: int, tasks: int) -> dict:
    """The LA, its schools, accounts, reports and tasks, by bulk inserts."""
    from sqlalchemy import insert, select, text

    from webapp.models import (
        AmendmentTask,
        Difference,
        LocalAuthority,
        PupilRecord,
        Report,
        School,
        User,
    )
    from webapp.models.base import utcnow

    now = utcnow()
    la = LocalAuthority(la_number="886", name="Bench LA")
    session.add(la)
    session.flush()
    session.execute(insert(School), [
        {"la_id": la.id, "estab": f"{2000 + i:04d}", "laestab": f"886{2000 + i:04d}",
         "name": f"Bench School {i}", "contact_email": f"head@{2000 + i}.bench.test",
         "created_at": now} for i in range(schools)])
    school_ids = list(session.scalars(select(School.id).order_by(School.id)))
    session.execute(insert(User), [
        {"email": f"office@{2000 + i}.bench.test", "name": f"Office {i}", "role": "school",
         "school_id": sid, "la_id": la.id, "active": True, "session_token": f"t{i}",
         "created_at": now} for i, sid in enumerate(school_ids)])
    officer = User(email="officer@bench.test", name="Bench Officer", role="la_officer",
                   la_id=la.id)
    session.add(officer)
    session.execute(insert(Report), [
        {"school_id": sid, "academic_year": 2025, "week": w, "status": s,
         "created_at": now, "state_changed_at": now}
        for sid in school_ids for w, s in ((1, "received"), (2, "draft"))])
    week1 = dict(session.execute(select(Report.school_id, Report.id).where(Report.week == 1)).all())
    per = max(1, tasks // len(school_ids) + 1)
    pupils, diffs, rows = [], [], []
    for n in range(tasks):
        sid = school_ids[n // per % len(school_ids)]
        pupils.append({"side": "la", "school_id": sid, "record_key": f"K{n}",
                       "content_hash": "x", "forename": "Samantha", "surname": f"P{n}",
                       "created_at": now, "changed_at": now})
    session.execute(insert(PupilRecord), pupils)
    rec_ids = list(session.scalars(select(PupilRecord.id).order_by(PupilRecord.id)))
    for n, rid in enumerate(rec_ids):
        sid = school_ids[n // per % len(school_ids)]
        diffs.append({"report_id": week1[sid], "kind": "field", "subject_key": f"la:K{n}",
                      "field_key": "forename", "la_record_id": rid, "la_value": "Samantha",
                      "school_value": "Sam", "instruction": "-", "status": "open",
                      "choice": "school", "first_seen_at": now, "last_seen_at": now,
                      "version": 1})
    session.execute(insert(Difference), diffs)
    diff_ids = list(session.scalars(select(Difference.id).order_by(Difference.id)))
    for n, (rid, did) in enumerate(zip(rec_ids, diff_ids, strict=True)):
        sid = school_ids[n // per % len(school_ids)]
        rows.append({"report_id": week1[sid], "school_id": sid, "difference_id": did,
                     "la_record_id": rid, "kind": "field", "field_key": "forename",
                     "surname": f"P{n}", "forename": "Samantha", "la_value": "Samantha",
                     "school_value": "Sam", "new_value": "Sam", "choice": "school",
                     "created_at": now, "status": "open"})
    session.execute(insert(AmendmentTask), rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # As autovacuum would have done by the time anyone looks at the queue.
        session.execute(text("ANALYZE"))
        session.commit()
    return {"officer_id": officer.id}


def _timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=600)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--database", default=None)
    args = ap.parse_args()

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp import (
        create_app,
        worker,  # noqa: F401  (registers every task)
    )
    from webapp.b2b.amendments.tasks import complete_tasks
    from webapp.extensions import db
    from webapp.models import AmendmentTask, OutboundEmail, User
    from webapp.platform import jobs
    from webapp.platform.mail import progress

    tmp = Path(tempfile.mkdtemp(prefix="b2b-bench-"))
    uri = args.database or f"sqlite:///{tmp / 'bench.sqlite3'}"
    port = _free_port()
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False,
                      "HUEY_SQLITE_PATH": str(tmp / "huey.sqlite3"),
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                      "MAIL_SUPPRESS_SEND": False, "B2B_BASE_URL": "https://b2b.bench.test"})
    results: dict[str, float] = {}
    with app.app_context():
        upgrade()
        t = time.perf_counter()
        built = build(db.session, args.schools, args.tasks)
        print(f"built {args.schools} schools and {args.tasks} tasks in "
              f"{time.perf_counter() - t:.1f} s")
        officer = db.session.get(User, built["officer_id"])
        client = app.test_client()
        with client.session_transaction() as s:
            s["_user_id"] = officer.get_id()
            s["_fresh"] = True

        def get(url):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)

        results["dashboard_ms"] = _timed(lambda: get("/la/?year=2025&week=1")) * 1000
        results["queue_page_ms"] = _timed(lambda: get("/la/tasks")) * 1000
        results["queue_last_page_ms"] = _timed(lambda: get("/la/tasks?page=200")) * 1000

        ids = list(db.session.scalars(select(AmendmentTask.id).order_by(AmendmentTask.id)
                                      .limit(1000)))
        t = time.perf_counter()
        done = complete_tasks(db.session, ids, officer)
        results["bulk_complete_1000_s"] = time.perf_counter() - t
        assert len(done.done) == len(ids)

        counter = _Counter()
        smtp = Controller(counter, hostname="127.0.0.1", port=port)
        smtp.start()
        consumer = jobs.in_process_consumer(app, workers=4)
        t = time.perf_counter()
        r = client.post("/la/publish", data={"year": 2025, "week": 2, "all": "1"})
        results["publish_request_s"] = time.perf_counter() - t
        assert r.status_code == 302, r.status_code
        batch = db.session.scalar(select(OutboundEmail.batch).where(
            OutboundEmail.kind == "published").limit(1))
        total = progress(db.session, batch)["total"]
        t = time.perf_counter()
        consumer.start()
        while True:
            db.session.rollback()
            p = progress(db.session, batch)
            if p["sent"] + p["failed"] >= total or time.perf_counter() - t > 300:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t
        consumer.stop(graceful=True)
        smtp.stop()
        results["emails"] = total
        results["emails_sent"] = p["sent"]
        results["emails_per_s"] = p["sent"] / elapsed if elapsed else 0.0
        results["smtp_received"] = counter.n
        db.session.remove()
        db.engine.dispose()

    targets = {"dashboard_ms": ("<", 300), "queue_page_ms": ("<", 200),
               "bulk_complete_1000_s": ("<", 5), "publish_request_s": ("<", 1),
               "emails_per_s": (">", 50)}
    for k, v in results.items():
        mark = ""
        if k in targets:
            op, limit = targets[k]
            ok = v < limit if op == "<" else v > limit
            mark = f"  (target {op} {limit}: {'ok' if ok else 'MISSED'})"
        print(f"{k:24} {v:10.2f}{mark}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "queue.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
