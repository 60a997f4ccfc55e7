"""Benchmark: printing reports and packs.

    .venv/bin/python bench/exports.py [--pupils 300] [--pack-schools 100] [--only pdf]

Builds (in a scratch SQLite database, through the real import and comparison) one
school whose report has at least ``--pupils`` differing pupils, about half of them
decided, plus ``--pack-schools`` ordinary schools for a week pack. Then, each in a fresh
process so that peak memory is the step's own:

- the report's PDF (WeasyPrint). Target: < 10 s, < 500 MB.
- the report's .docx (python-docx, rows built directly). Target: < 3 s.
- the week pack of every school (one report laid out at a time). Memory must stay
  bounded: compare the peak with the single report's.
- if ``soffice`` is installed (Debian: libreoffice-writer-nogui), LibreOffice converting
  the same .docx to PDF, and the ratio to WeasyPrint's time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a queue.py that would shadow the standard library's when this script's own
# folder is first on the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
YEAR, WEEK = 2025, 17
STEPS = ("pdf", "docx", "pack", "soffice")


def _peak_mb() -> float:
    """This process's own peak RSS. ``ru_maxrss`` will not do: Linux carries the parent's
    peak over fork and exec, so every child of the big set-up would report its size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app(db_path: Path):
    from webapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "TESTING": True})


def setup(db_path: Path, pupils: int, pack_schools: int) -> dict:
    """Both sides of the data, imported and compared; about half the items decided."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp.b2b.comparison.refresh import refresh_reports
    from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
    from webapp.b2b.intake.importing import import_file
    from webapp.demo.synth import make_school
    from webapp.extensions import db
    from webapp.models import Report, School, User

    app = _app(db_path)
    with app.app_context():
        upgrade()
        # Some planted kinds are no difference (letter case, ethnicity refinements).
        big = make_school("8861111", "Green Abbey School", int(pupils * 1.15), seed=1,
                          differing=1.0)
        schools = [big] + [make_school(f"886{2000 + i}", f"School {2000 + i}", 200,
                                       seed=100 + i, differing=0.04)
                           for i in range(pack_schools)]
        for s in schools:
            import_file(db.session, write_ctf(laestab=s.laestab, school_name=s.name,
                                              pupils=s.school),
                        side="school", file_name=f"{s.laestab}.xml")
        la_rows = [{**p, "laestab": s.laestab} for s in schools for p in s.la]
        import_file(db.session, write_pupils_csv(la_rows), side="la", file_name="la.csv")
        refresh_reports(db.session, YEAR, WEEK)
        school = db.session.scalar(select(School).where(School.laestab == "8861111"))
        report = db.session.scalar(select(Report).where(Report.school_id == school.id))
        user = User(email="office@1111.test", name="Mrs Ann Office", role="school",
                    school_id=school.id, la_id=school.la_id)
        db.session.add(user)
        db.session.flush()
        for i, d in enumerate(report.differences):
            if d.kind == "field" and i % 2 == 0:
                d.choice, d.decided_by_id = ("la" if i % 4 == 0 else "school"), user.id
        report.status = "in_progress"
        db.session.commit()
        pupils_in_report = len({d.subject_key for d in report.differences
                                if d.status == "open"})
        return {"report_id": report.id, "pupils": pupils_in_report,
                "items": len(report.differences), "schools": len(schools)}


def child(step: str, db_path: Path, report_id: int, out: Path) -> None:
    """One measured step in this (fresh) process; prints JSON."""
    from webapp.exports.docx import report_docx
    from webapp.exports.packs import build_pack, pack_report_ids
    from webapp.exports.pdf import report_pdf
    from webapp.exports.printed import printed_report
    from webapp.extensions import db
    from webapp.models import Report

    app = _app(db_path)
    with app.app_context():
        base = _peak_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        pages = None
        if step in ("pdf", "docx"):
            printed = printed_report(db.session, db.session.get(Report, report_id))
            data = report_pdf(printed) if step == "pdf" else report_docx(printed)
            out.write_bytes(data)
            if step == "pdf":
                from pypdf import PdfReader

                pages = len(PdfReader(str(out)).pages)
        elif step == "pack":
            ids = pack_report_ids(db.session, academic_year=YEAR, week=WEEK)
            with out.open("wb") as f:
                summary = build_pack(db.session, ids, f, title="bench pack")
            pages = summary.pages
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mb = _peak_mb()
    print(json.dumps({"step": step, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb,
                      "start_mb": base, "bytes": out.stat().st_size, "pages": pages}))


def _run_child(step: str, db_path: Path, report_id: int, out: Path) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", step, str(db_path),
                        str(report_id), str(out)], capture_output=True, text=True,
                       check=False, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"{step} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _soffice(docx: Path, outdir: Path) -> float | None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        return None
    profile = outdir / "lo-profile"
    cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
           "pdf", "--outdir", str(outdir / "lo"), str(docx)]
    subprocess.run(cmd, capture_output=True, check=False, timeout=600)  # first run: profile
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, check=False, timeout=600)
    seconds = time.perf_counter() - t0
    return seconds if r.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pupils", type=int, default=300)
    ap.add_argument("--pack-schools", type=int, default=100,
                    help="ordinary schools in the week pack (the issue's LA has 600)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the scratch database here (default: a temporary folder)")
    ap.add_argument("--only", action="append", choices=STEPS, default=None,
                    help="run only this step (repeatable; default: all of them). "
                         "`--only pdf --pack-schools 0` is the quick loop for the report PDF")
    ap.add_argument("--child", nargs=4, metavar=("STEP", "DB", "REPORT", "OUT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = set(args.only or STEPS)
    if args.child:
        step, db, report, out = args.child
        child(step, Path(db), int(report), Path(out))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = args.workdir or Path(tmp)
        tmpdir.mkdir(parents=True, exist_ok=True)
        (tmpdir / "bench.sqlite3").unlink(missing_ok=True)
        db_path = tmpdir / "bench.sqlite3"
        t0 = time.perf_counter()
        info = setup(db_path, args.pupils, args.pack_schools)
        print(f"setup: {info['pupils']} differing pupils ({info['items']} items) in the big "
              f"report, {info['schools']} schools, {time.perf_counter() - t0:.1f} s")
        print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall "
              "time suffers on a busy machine, CPU time much less")
        pdf = None
        if "pdf" in only:
            pdf = _run_child("pdf", db_path, info["report_id"], OUT / "report-300.pdf")
            print(f"report PDF:  {pdf['seconds']:6.2f} s wall, {pdf['cpu']:6.2f} s CPU, peak "
                  f"{pdf['peak_mb']:4.0f} MB, {pdf['pages']} pages (target < 10 s, < 500 MB) "
                  f"{'OK' if pdf['seconds'] < 10 and pdf['peak_mb'] < 500 else 'MISSED'}")
        if "docx" in only or "soffice" in only:
            docx = _run_child("docx", db_path, info["report_id"], OUT / "report-300.docx")
            print(f"report docx: {docx['seconds']:6.2f} s wall, {docx['cpu']:6.2f} s CPU, "
                  f"peak {docx['peak_mb']:4.0f} MB (target < 3 s) "
                  f"{'OK' if docx['seconds'] < 3 else 'MISSED'}")
        if "pack" in only:
            pack = _run_child("pack", db_path, info["report_id"], OUT / "pack.pdf")
            print(f"week pack:   {pack['seconds']:6.2f} s wall, {pack['cpu']:6.2f} s CPU, peak "
                  f"{pack['peak_mb']:4.0f} MB, "
                  f"{pack['pages']} pages for {info['schools']} schools "
                  f"({pack['seconds'] / info['schools']:.2f} s a school; "
                  f"600 schools ≈ {600 * pack['seconds'] / info['schools'] / 60:.1f} min)")
        if "soffice" in only:
            lo = _soffice(OUT / "report-300.docx", tmpdir)
            if lo is None:
                print("LibreOffice: soffice not installed (apt-get install "
                      "libreoffice-writer-nogui) or conversion failed: no comparison")
            elif pdf is None:
                print(f"LibreOffice docx->pdf: {lo:6.2f} s")
            else:
                print(f"LibreOffice docx->pdf: {lo:6.2f} s; ratio LibreOffice / WeasyPrint = "
                      f"{lo / pdf['seconds']:.2f}")
    print(f"files in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
