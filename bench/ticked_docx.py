"""Benchmark: reading a ticked Word report sent back (issue 16).

    .venv/bin/python bench/ticked_docx.py [--pupils 300] [--repeat 5]

Builds (in a scratch SQLite database, through the real import and comparison) one
school whose report has at least ``--pupils`` differing pupils, exports its .docx, ticks
about two boxes in three as Word does, and times, each the median of ``--repeat`` runs:

- our read: the file checked as hostile input, every box found and read, each answer
  checked against the report (``read_return``);
- the check page: the school's browser asking for what was read (the stored file read
  again and the check-your-answers page rendered), through the Flask test client.
  Target for the two together with the upload: < 2 s;
- the baseline: python-docx merely opening the same file (``docx.Document``).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
YEAR, WEEK = 2025, 17
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"


def _median(f, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def tick(data: bytes) -> bytes:
    """Two boxes in three clicked as Word does: checked, and the glyph ☒."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    seen: set[str] = set()
    for i, tag in enumerate(root.iter(f"{W}tag")):
        did = (tag.get(f"{W}val") or "").split(":")[2:3]
        if not did or did[0] in seen or i % 3 == 2:
            continue
        seen.add(did[0])
        sdt = tag.getparent().getparent()
        box = sdt.find(f"{W}sdtPr/{W14}checkbox/{W14}checked")
        if box is not None:
            box.set(f"{W14}val", "1")
            sdt.find(f".//{W}t").text = "\u2612"
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True,
                                                encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pupils", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import docx
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp import create_app
    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.importing import import_file
    from webapp.b2b.review.lifecycle import publish_reports
    from webapp.b2b.review.ticked_return import read_return, store_return
    from webapp.demo.synth import make_school
    from webapp.exports.docx import report_docx
    from webapp.exports.printed import printed_report
    from webapp.extensions import db
    from webapp.models import Report, School, User

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'b.sqlite3'}",
                          "TESTING": True})
        with app.app_context():
            t0 = time.perf_counter()
            upgrade()
            s = make_school("8861111", "Green Abbey School", int(args.pupils * 1.35), seed=1,
                            differing=1.0)
            import_file(db.session, write_ctf(laestab=s.laestab, school_name=s.name,
                                              pupils=s.school),
                        side="school", file_name="school.xml")
            import_file(db.session, write_pupils_csv([{**p, "laestab": s.laestab}
                                                      for p in s.la]),
                        side="la", file_name="la.csv")
            refresh_reports(db.session, YEAR, WEEK)
            school = db.session.scalar(select(School).where(School.laestab == "8861111"))
            report = db.session.scalar(select(Report).where(Report.school_id == school.id))
            user = User(email="office@1111.test", name="Mrs Ann Office", role="school",
                        school_id=school.id, la_id=school.la_id)
            officer = User(email="officer@la.test", name="Officer", role="la_officer",
                           la_id=school.la_id)
            db.session.add_all([user, officer])
            db.session.commit()
            publish_reports(db.session, [report], officer)
            pupils = len({d.subject_key for d in report.differences if d.status == "open"})
            t1 = time.perf_counter()
            data = tick(report_docx(printed_report(db.session, report)))
            print(f"setup: {pupils} differing pupils, {len(report.differences)} items, "
                  f"{time.perf_counter() - t0:.1f} s (export and tick "
                  f"{time.perf_counter() - t1:.2f} s); the ticked .docx is "
                  f"{len(data) / 1024:.0f} KB")
            print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

            ours, reading = _median(lambda: read_return(db.session, report, data, "r.docx"),
                                    args.repeat)
            baseline, _doc = _median(lambda: docx.Document(io.BytesIO(data)), args.repeat)
            rf = store_return(db.session, report, user, data, "r.docx")
            client = app.test_client()
            with client.session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = user.get_id(), True
            url = f"/school/reports/{report.id}/returns/{rf.id}"
            page, response = _median(lambda: client.get(url), args.repeat)
            assert response.status_code == 200, response.status_code
            counts = {k: len(getattr(reading, k)) for k in
                      ("clear", "unclear", "unanswered", "unchanged")}
            print(f"read: {counts}; unclear: "
                  f"{sorted({p for a in reading.unclear for p in a.problems})}")
            print(f"our read (validate, find every box, check each answer): {ours:6.3f} s")
            print(f"python-docx opening the same file (baseline):            "
                  f"{baseline:6.3f} s  (ratio {ours / baseline:.2f})")
            print(f"check page (read the stored file again and render it):    {page:6.3f} s "
                  f"(target < 2 s) {'OK' if page < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
