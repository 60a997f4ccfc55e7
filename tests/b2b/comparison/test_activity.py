"""Exclusions and attendance reconciled between the two sides, from real CSV files."""

from __future__ import annotations

import json

from tests.factories import JOE, import_csv, import_ctf
from webapp.b2b.comparison.activity import check_marks, split_marks
from webapp.b2b.intake.importing import import_file

EX_HEADER = ("laestab,upn,category,start_date,end_date,sessions,reason1,reason2,reason3,term,"
             "academic_year\n")
ATT_HEADER = ("laestab,upn,academic_year,sessions_possible,sessions_attended,"
              "sessions_authorised,sessions_unauthorised,attendance_start_date,marks\n")


def _load(session, side: str, text: str):
    s = import_file(session, text.encode(), side=side, file_name=f"{side}.csv")
    assert s.ok, s.error


def _report(runner):
    assert runner.invoke(args=["b2b", "compare", "--week", "9", "--year", "2024"]).exit_code == 0
    r = runner.invoke(args=["b2b", "report", "8861111", "--week", "9", "--year", "2024",
                            "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_exclusion_differences_and_one_sided_exclusions(session, runner):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [JOE])
    _load(session, "school", EX_HEADER + "8861111,X886111110001,FIXD,2025-02-03,2025-02-05,6,"
          "PH,,,Spring,2024/25\n8861111,X886111110001,LNCH,2025-03-10,2025-03-10,1,DB,,,"
          "Spring,2024/25\n")
    _load(session, "la", EX_HEADER + "8861111,X886111110001,FIXD,03/02/2025,06/02/2025,6,PH,,,"
          "Spring,2024/25\n8861111,X886111110001,PERM,2025-05-01,,,PA,,,Summer,2024/25\n")
    (p,) = _report(runner)["pupils"]
    by_field = {d["field"]: d for d in p["differences"]}
    end = by_field["exclusion.FIXD.2025-02-03.end_date"]
    assert (end["school"], end["la"]) == ("2025-02-05", "2025-02-06")
    assert end["instruction"] == "Please confirm the start and end dates of this suspension."
    assert by_field["exclusion.LNCH.2025-03-10.held"]["la"] == ""
    assert by_field["exclusion.PERM.2025-05-01.held"]["school"] == ""
    assert by_field["exclusion.PERM.2025-05-01.held"]["la"].startswith("Permanent exclusion")


def test_attendance_counts_and_withdrawn_codes_after_august_2024(session, runner):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [JOE])
    _load(session, "school", ATT_HEADER +
          "8861111,X886111110001,2024/25,300,280,15,5,2024-09-02,//H/Y1\\\\\n"
          "8861111,X886111110001,2023/24,320,300,20,0,2023-09-04,//H/Y/\n")
    _load(session, "la", ATT_HEADER +
          "8861111,X886111110001,2024/25,302,280,15,5,2024-09-02,//\\\\\n")
    (p,) = _report(runner)["pupils"]
    fields = {d["field"]: d for d in p["differences"]}
    assert set(fields) == {"attendance.2024/25.sessions_possible"}
    assert (fields["attendance.2024/25.sessions_possible"]["school"],
            fields["attendance.2024/25.sessions_possible"]["la"]) == ("300", "302")
    marks = [a for a in p["anomalies"] if a["rule"] == "attendance_marks"]
    assert len(marks) == 1 and marks[0]["side"] == "school"
    # H (holiday authorised) was withdrawn for 2024/25; the third session is 3 Sept AM.
    assert "H on 03/09/2024 (AM) was withdrawn after 2023/24" in marks[0]["message"]
    assert "2023/24" not in marks[0]["message"].split(":")[0]


def test_split_and_check_marks():
    assert split_marks("/\\C1Y2#", {"C1", "Y2"}) == ["/", "\\", "C1", "Y2", "#"]
    assert check_marks("/\\C1", "2024/25", "2024-09-02") == []
    (p,) = check_marks("/\\C1", "2023/24", "2023-09-04")
    assert (p.code, p.session, p.day.isoformat()) == ("C1", "AM", "2023-09-05")
    assert "only valid from 2024/25" in p.reason
    (q,) = check_marks("//?/", "2024/25", None)
    assert q.reason == "is not an attendance code"


def test_activity_differences_render_in_the_report_view(session, runner):
    from sqlalchemy import select

    from webapp.b2b.review.report_view import build_report_view
    from webapp.models import Report

    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [JOE])
    _load(session, "la", EX_HEADER + "8861111,X886111110001,PERM,2025-05-01,,,PA,,,Summer,"
          "2024/25\n")
    _load(session, "school", EX_HEADER + "8861111,X886111110001,FIXD,2025-02-03,2025-02-05,"
          "6,PH,,,Spring,2024/25\n")
    _report(runner)
    view = build_report_view(session, session.scalar(select(Report)))
    labels = [r.label for p in view.pupils for r in p.rows]
    assert "Permanent exclusion 01/05/2025" in labels
    assert "Suspension 03/02/2025" in labels
