"""Fuzz the importers with 10,000+ generated and mutated CTF and CSV files.

    .venv/bin/python bench/fuzz.py [--files 10000] [--seed 1]

Counts crashes (any exception out of ``import_file``) and partial imports (a refused
file that changed the database). Both must be zero. Loopback-free: it only reads bytes.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SNIPPETS = [b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"&e;", b"<Pupil>",
            b"</Header>", b"\xff\xfe", b"\x00", b",,,", b'"', b"\n", b"&#0;", b"<![CDATA[",
            b"<?xml version='1.0' encoding='latin-1'?>", b"\xe9", b"2006-02-30", b"31/02/2010"]


def _mutate(rnd: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(0, 6)):
        if not out:
            break
        i = rnd.randrange(len(out))
        op = rnd.choice(("flip", "cut", "insert", "delete", "dup"))
        if op == "flip":
            out[i] = rnd.randrange(256)
        elif op == "cut":
            del out[i:]
        elif op == "insert":
            out[i:i] = rnd.choice(SNIPPETS)
        elif op == "delete":
            del out[i:i + rnd.randint(1, 40)]
        else:
            out[i:i] = out[i:i + rnd.randint(1, 200)]
    return bytes(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from webapp import create_app
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.importing import import_file
    from webapp.demo.synth import make_school
    from webapp.extensions import db
    from webapp.models import AttendanceYear, Exclusion, PupilRecord, School

    rnd = random.Random(args.seed)
    base = make_school("8861111", "Green Abbey School", 12, seed=args.seed)
    seeds = [write_ctf(laestab="8861111", school_name="Green Abbey", pupils=base.school,
                       version=v) for v in ("19.0", "23.0", "25.0")]
    seeds.append(write_pupils_csv([{**p, "laestab": "8861111"} for p in base.la]))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/fuzz.sqlite3"})
        with app.app_context():
            upgrade()

            def counts():
                return tuple(db.session.scalar(select(func.count(m.id)))
                             for m in (PupilRecord, School, Exclusion, AttendanceYear))

            crashes = partial = refused = accepted = 0
            started = time.perf_counter()
            for n in range(args.files):
                data = _mutate(rnd, rnd.choice(seeds))
                before = counts()
                try:
                    s = import_file(db.session, data, side=rnd.choice(("school", "la")),
                                    file_name=f"fuzz-{n}")
                except Exception as e:  # noqa: BLE001
                    crashes += 1
                    print(f"crash on file {n}: {type(e).__name__}: {e}", file=sys.stderr)
                    db.session.rollback()
                    continue
                if s.error:
                    refused += 1
                    if counts() != before:
                        partial += 1
                else:
                    accepted += 1
                if n and n % 1000 == 0:
                    print(f"  {n:,} files ...", file=sys.stderr)
            took = time.perf_counter() - started
    print(f"files: {args.files:,}  accepted: {accepted:,}  refused: {refused:,}  "
          f"crashes: {crashes}  partial imports: {partial}  ({args.files / took:,.0f} files/s)")
    sys.exit(1 if crashes or partial else 0)


if __name__ == "__main__":
    main()
