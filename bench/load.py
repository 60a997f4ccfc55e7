"""Load and faults: simulated school staff making choices against gunicorn (4 workers).

    .venv/bin/python bench/load.py --db postgres [--users 200 --schools 100 --seconds 120]
    .venv/bin/python bench/load.py --db sqlite
    .venv/bin/python bench/load.py --db postgres --faults   # kill -9 a worker, restart PG

Loopback only; it stops by itself. The simulated users arrive over 20 seconds (sign in,
open the school's report: timed and printed on their own); then, all of them at once,
they keep changing their answers for --seconds (htmx posts, as the page makes them). Afterwards
every acknowledged (200) choice is looked for in the database's audit log: the count of
"decision.recorded" entries must equal the number of acknowledged posts. Prints
median and 95th percentile latency of the choice round trip, 5xx and "database is
locked" counts. With --faults, a worker is killed with SIGKILL at 1/4 of the run and
PostgreSQL is restarted at 1/2: requests in flight may fail; nothing acknowledged may be
lost, and the app must recover by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password-1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(uri: str, schools: int, users: int) -> None:
    """Schema by migrations, then schools with both sides' data, published reports and
    two staff accounts per school."""
    from flask_migrate import upgrade
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from webapp import create_app
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.importing import import_file
    from webapp.b2b.review.lifecycle import publish_reports
    from webapp.demo.synth import make_school
    from webapp.extensions import db
    from webapp.models import Report, School, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        la_rows = []
        for i in range(schools):
            laestab = f"886{3000 + i:04d}"
            data = make_school(laestab, f"Load School {i}", 40, seed=i, differing=0.35)
            import_file(db.session, write_ctf(laestab=laestab, school_name=f"Load School {i}",
                                              pupils=data.school), side="school",
                        file_name=f"{laestab}.xml")
            la_rows += [{**p, "laestab": laestab} for p in data.la]
        import_file(db.session, write_pupils_csv(la_rows), side="la", file_name="la.csv")
        refresh_reports(db.session, 2026, 1)
        publish_reports(db.session, db.session.scalars(select(Report)).all(), "load")
        hashed = generate_password_hash(PASSWORD)
        all_schools = db.session.scalars(select(School).order_by(School.id)).all()
        for n in range(users):
            s = all_schools[n % len(all_schools)]
            db.session.add(User(email=f"user{n}@load.test", name=f"User {n}", role="school",
                                school_id=s.id, la_id=s.la_id, password_hash=hashed))
        db.session.commit()
        db.engine.dispose()


class Client:
    """One person's browser: a keep-alive connection and the session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict | None = None) -> tuple[int, str, float]:
        h = {"Cookie": self.cookie, **(headers or {})}
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            text = r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return -1, "", time.perf_counter() - started
        took = time.perf_counter() - started
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("session="):
                self.cookie = v.split(";", 1)[0]
        return r.status, text, took


FORM = re.compile(r'hx-post="(/school/differences/(\d+)/decision)".*?name="version" '
                  r'value="(\d+)"(.*?)</form>', re.S)
CHOICE = re.compile(r'name="choice" type="radio" value="([^"]+)"( checked)?'
                    r'(?: data-needs-value="true")?')


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.acks = 0
        self.stale = 0
        self.status: dict[int, int] = {}
        self.last_ack: dict[int, tuple[float, str]] = {}  # difference -> (when, choice)
        self.timeline: list[tuple[float, int, float]] = []  # (when answered, status, took)
        # What the page shows a person: a post answered 5xx or not at all marks its row
        # "Not saved" (the browser's app.js) until a later post of that row is saved.
        self.shown_unsaved = 0
        self.unsaved_now: set[int] = set()

    def add(self, status: int, took: float, did: int, choice: str, stale: bool) -> None:
        with self.lock:
            self.status[status] = self.status.get(status, 0) + 1
            self.timeline.append((time.monotonic(), status, took))
            if status == 200:
                self.latencies.append(took)
                self.acks += 1
                self.last_ack[did] = (time.monotonic(), choice)
                self.unsaved_now.discard(did)
            elif status >= 500 or status < 0:
                self.shown_unsaved += 1
                self.unsaved_now.add(did)
            self.stale += stale


class Phase:
    """People arrive (sign in, open their report) first; the timed choices start when all
    have, so that the figures are of choices made by 200 people at once."""

    def __init__(self, users: int):
        self.arrived = threading.Semaphore(0)  # released once per person, there or not
        self.go = threading.Event()
        self.deadline = 0.0
        self.lock = threading.Lock()
        self.sign_in: list[float] = []
        self.first_page: list[float] = []


def user_loop(n: int, port: int, phase: Phase, stats: Stats, rnd: random.Random,
              think: tuple[float, float]) -> None:
    try:
        c, csrf, forms = _arrive(n, port, phase)
    finally:
        phase.arrived.release()
    if not forms:
        return
    phase.go.wait()
    time.sleep(rnd.uniform(*think))  # not all in the same instant
    while time.monotonic() < phase.deadline:
        did = rnd.choice(list(forms))
        path, version, choices, current = forms[did]
        options = [c_ for c_ in choices if c_ != current] or choices
        choice = rnd.choice(options)
        status, frag, took = c.request(
            "POST", path, {"csrf_token": csrf, "version": str(version), "choice": choice},
            {"HX-Request": "true", "X-CSRFToken": csrf})
        m = re.search(r'name="version" value="(\d+)"', frag)
        checked = re.search(r'value="([^"]+)" checked', frag)
        if m:
            forms[did][1] = int(m[1])
        forms[did][3] = checked[1] if checked else None
        stats.add(status, took, int(did), choice, stale=status == 409)
        time.sleep(rnd.uniform(*think))  # a person checking the paper records


def _arrive(n: int, port: int, phase: Phase) -> tuple[Client, str, dict]:
    """Sign in and open the school's report: the forms to answer, with their versions."""
    c = Client(port)
    for _ in range(20):
        status, page, _ = c.request("GET", "/sign-in")
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if status == 200 and token:
            break
        time.sleep(0.5)
    else:
        return c, "", {}
    _, _, took = c.request("POST", "/sign-in", {"csrf_token": token[1], "password": PASSWORD,
                                                "email": f"user{n}@load.test"})
    status, home, _ = c.request("GET", "/school/")
    link = re.search(r'href="(/school/reports/\d+)"', home)
    if not link:
        return c, "", {}
    status, page, took_page = c.request("GET", link[1])
    with phase.lock:
        phase.sign_in.append(took)
        phase.first_page.append(took_page)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    forms = {}
    for path, did, version, rest in FORM.findall(page):
        choices = [v for v, _checked in CHOICE.findall(rest)
                   if 'data-needs-value' not in rest.split(f'value="{v}"')[1][:40]]
        if choices:
            forms[did] = [path, int(version), choices, None]
    return c, csrf, forms


def check_database(uri: str, last_ack: dict[int, tuple[float, str]]) -> tuple[int, int]:
    """How many decision changes the audit log holds, and how many differences do not
    hold the choice last acknowledged for them (lost choices)."""
    from sqlalchemy import create_engine, text

    e = create_engine(uri)
    with e.connect() as c:
        n = c.execute(text("select count(*) from audit_entry where action = "
                           "'decision.recorded'")).scalar()
        held = dict(c.execute(text("select id, choice from difference")).all())
    e.dispose()
    lost = sum(1 for did, (_, choice) in last_ack.items() if held.get(did) != choice)
    return int(n), lost


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--schools", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--faults", action="store_true")
    ap.add_argument("--think-min", type=float, default=1.0,
                    help="Seconds a person takes between choices, at least (default 1).")
    ap.add_argument("--think-max", type=float, default=4.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="b2b-load-"))
    if args.db == "postgres":
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN.replace("postgresql:", "postgresql+psycopg:"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS b2b_load WITH (FORCE)"))
            c.execute(text("CREATE DATABASE b2b_load"))
        admin.dispose()
        uri = "postgresql+psycopg://postgres@127.0.0.1:5432/b2b_load"
    else:
        uri = f"sqlite:///{tmp / 'load.sqlite3'}"
    print(f"Preparing {args.schools} schools, {args.users} users on {args.db} ...", flush=True)
    prepare(uri, args.schools, args.users)
    port = _free_port()
    log = open(tmp / "gunicorn.log", "w")
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": uri,
           "FLASK_SECRET_KEY": "load-test-secret", "FLASK_HUEY_SQLITE_PATH":
           str(tmp / "huey.sqlite3"), "FLASK_MAIL_OUTBOX_DIR": str(tmp / "outbox")}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "--access-logfile", str(tmp / "access.log"),
         "--access-logformat", "%(s)s %(m)s %(U)s %(D)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    ready = time.monotonic() + 120
    while time.monotonic() < ready:  # gunicorn's workers import the app first
        if Client(port).request("GET", "/sign-in")[0] == 200:
            break
        time.sleep(0.5)
    stats = Stats()
    phase = Phase(args.users)
    threads = [threading.Thread(target=user_loop, daemon=True,
                                args=(n, port, phase, stats, random.Random(n),
                                      (args.think_min, args.think_max)))
               for n in range(args.users)]
    print(f"{args.users} people sign in and open their reports over 20 s ...", flush=True)
    for t in threads:  # people arrive over 20 seconds, not all at once
        t.start()
        time.sleep(20 / max(1, args.users))
    for _ in threads:
        phase.arrived.acquire()
    started = time.monotonic()
    phase.deadline = started + args.seconds
    phase.go.set()
    print(f"Making choices for {args.seconds} s against gunicorn ({args.workers} workers) ...",
          flush=True)
    faults = []
    marks = [("start", started)]
    if args.faults:
        time.sleep(args.seconds / 4)
        marks.append(("after the worker kill", time.monotonic()))
        kids = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                              text=True).stdout.split()
        if kids:
            os.kill(int(kids[0]), signal.SIGKILL)
            faults.append(f"killed worker {kids[0]} with SIGKILL")
        time.sleep(args.seconds / 4)
        if args.db == "postgres":
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                            "restart"], check=False)
            faults.append("restarted PostgreSQL")
            marks.append(("after the PostgreSQL restart", time.monotonic()))
    for t in threads:
        t.join(timeout=args.seconds + 60)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    log.close()
    logged = (tmp / "gunicorn.log").read_text(errors="replace")
    recorded, lost = check_database(uri, stats.last_ack)
    lat = sorted(stats.latencies)
    fivexx = sum(v for k, v in stats.status.items() if k >= 500)
    print()
    print(f"database:                 {args.db}")
    print(f"users / schools:          {args.users} / {args.schools}, "
          f"{args.think_min:g}-{args.think_max:g} s between one person's choices")
    print(f"faults:                   {', '.join(faults) or 'none'}")
    for label, xs in (("sign-in", phase.sign_in), ("first report page", phase.first_page)):
        if xs:
            xs = sorted(xs)
            print(f"{label + ' (arrival)':30s}median {statistics.median(xs) * 1000:.1f} ms, "
                  f"p95 {xs[max(0, int(len(xs) * 0.95) - 1)] * 1000:.1f} ms over {len(xs)}")
    print(f"responses by status:      {dict(sorted(stats.status.items()))}  (-1: no answer)")
    print(f"5xx:                      {fivexx}")
    print(f"'database is locked':     {logged.count('database is locked')}")
    print(f"stale (409, told so):     {stats.stale}")
    print(f"acknowledged posts:       {stats.acks} on {len(stats.last_ack)} differences "
          f"({recorded} decision changes in the audit log; a post repeating the current "
          "answer is acknowledged without a new entry)")
    print(f"lost (a difference not holding the last acknowledged choice): {lost}")
    print(f"rows shown 'Not saved':   {stats.shown_unsaved} times (a 5xx or no answer; the "
          f"row keeps the choice and offers Try again); {len(stats.unsaved_now)} rows still "
          "so at the end (never acknowledged after their failed post)")
    if lat:
        p95 = lat[int(len(lat) * 0.95) - 1]
        print(f"choice round trip:        median {statistics.median(lat) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms over {len(lat)} posts "
              f"({len(lat) / args.seconds:.0f}/s)")
        print("by 20-second window:")
        for w0 in range(0, args.seconds, 20):
            rows = [(st, took) for when, st, took in stats.timeline
                    if w0 <= when - started < w0 + 20]
            ok = sorted(took for st, took in rows if st == 200)
            if ok:
                print(f"  {w0:3d}-{w0 + 20:3d} s: {len(ok):5d} acknowledged, median "
                      f"{statistics.median(ok) * 1000:7.1f} ms, p95 "
                      f"{ok[max(0, int(len(ok) * 0.95) - 1)] * 1000:7.1f} ms, "
                      f"{sum(1 for st, _ in rows if st >= 500 or st < 0)} failed")
    if args.faults:
        print("recovery (answers from each point on):")
        for label, t0 in marks:
            by = {}
            for when, st, _took in stats.timeline:
                if when >= t0:
                    by[st] = by.get(st, 0) + 1
            print(f"  {label:30s} {dict(sorted(by.items()))}")
        last = [st for when, st, _ in stats.timeline if when >= marks[-1][1] + 10]
        print(f"  10 s after the last fault: {sum(1 for st in last if st == 200)} acknowledged, "
              f"{sum(1 for st in last if st >= 500 or st < 0)} failed")
    sys.exit(0 if lost == 0 and (args.faults or fivexx == 0) else 1)


if __name__ == "__main__":
    main()
