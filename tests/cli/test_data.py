"""``flask b2b import|compare|reports|report`` as a person reads them: the text output says
what the JSON says, refusals end with exit code 1, and ``--school`` compares only those."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.factories import JOE, import_csv, import_ctf, pupil
from webapp.b2b.formats.writers import write_ctf
from webapp.demo.synth import SEED_PUPILS_LA, SEED_PUPILS_SCHOOL
from webapp.models import ImportBatch, PupilRecord, Report, School

ANN = pupil("L886111110002", "Smith", "Ann", "2007-01-01", "F")
BEN = pupil("A886111110003", "Jones", "Ben", "2008-02-02", "M")


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_import_the_same_file_again_says_so(session, runner, tmp_path):
    f = tmp_path / "school.xml"
    f.write_bytes(write_ctf(laestab="8861111", school_name="Green Abbey", pupils=[JOE, ANN]))
    first = json.loads(_ok(runner.invoke(args=["b2b", "import", str(f), "--source", "school",
                                                "--json"])))
    assert (first["read"], first["new"], first["duplicate_of"]) == (2, 2, None)
    again = _ok(runner.invoke(args=["b2b", "import", str(f), "--source", "school"]))
    assert "read 2, new 0, changed 0, unchanged 2, refused 0" in again
    assert f"the same file was imported before (batch {first['batch_id']})" in again
    assert "new school created" not in again


def test_a_refused_file_is_reported_and_the_others_still_imported(session, runner,
                                                                  tmp_path):
    good = tmp_path / "good.xml"
    good.write_bytes(write_ctf(laestab="8861111", school_name="Green Abbey", pupils=[JOE]))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(good.read_bytes()[:200])  # cut off mid-element
    text = runner.invoke(args=["b2b", "import", str(bad), str(good), "--source", "school"])
    assert text.exit_code == 1
    assert "bad.xml: refused, nothing imported." in text.output
    assert "good.xml: read 1, new 1" in text.output
    assert session.scalar(select(PupilRecord.upn)) == JOE["upn"]

    as_json = runner.invoke(args=["b2b", "import", str(bad), str(good), "--source", "school",
                                  "--json"])
    assert as_json.exit_code == 1
    rows = json.loads(as_json.output)
    assert [r["file"] for r in rows] == ["bad.xml", "good.xml"]
    assert rows[0]["error"] and rows[1]["error"] is None
    refused = session.scalars(select(ImportBatch).where(ImportBatch.file_name == "bad.xml"))
    assert len(refused.all()) == 2  # each refusal recorded, nothing else kept from it


def test_compare_one_school_leaves_the_others(session, runner):
    import_ctf(session, "8861111", [JOE])
    import_csv(session, "8861111", [{**JOE, "forename": "Joseph"}])
    import_ctf(session, "8862222", [ANN], name="Other Primary School")
    import_csv(session, "8862222", [{**ANN, "surname": "Smyth"}])
    out = _ok(runner.invoke(args=["b2b", "compare", "--week", "6", "--year", "2025",
                                  "--school", "8862222"]))
    assert "1 compared" in out and "1 new reports" in out
    (report,) = session.scalars(select(Report)).all()
    assert report.school.laestab == "8862222"


def test_reports_text_lists_what_the_json_lists(session, runner):
    assert _ok(runner.invoke(args=["b2b", "reports", "--year", "2025"])).startswith(
        "No reports.")
    import_ctf(session, "8861111", SEED_PUPILS_SCHOOL)
    import_csv(session, "8861111", SEED_PUPILS_LA)
    import_ctf(session, "8862222", [ANN, BEN], name="Other Primary School")
    import_csv(session, "8862222", [ANN])
    _ok(runner.invoke(args=["b2b", "compare", "--week", "7", "--year", "2025"]))
    rows = json.loads(_ok(runner.invoke(args=["b2b", "reports", "--year", "2025",
                                              "--json"])))
    lines = _ok(runner.invoke(args=["b2b", "reports", "--week", "7", "--year",
                                    "2025"])).splitlines()
    assert lines[0].split() == ["LAESTAB", "Year", "Wk", "Status", "Pupils", "Diffs", "Anom",
                                "Unm", "School"]
    assert len(lines) == 1 + len(rows) == 3
    for line, row in zip(lines[1:], rows, strict=True):
        cells = line.split(None, 8)
        assert cells == [row["laestab"], row["academic_year"], str(row["week"]), row["status"],
                         str(row["records_printed"]), str(row["differences"]),
                         str(row["anomalies"]), str(row["unmatched"]), row["school"]]
    assert [r["unmatched"] for r in rows] == [0, 1]


def test_report_text_shows_every_difference_anomaly_and_unmatched_pupil(session, runner):
    import_ctf(session, "8861111", [*SEED_PUPILS_SCHOOL, BEN])
    import_csv(session, "8861111", [*SEED_PUPILS_LA, ANN])
    _ok(runner.invoke(args=["b2b", "compare", "--week", "8", "--year", "2025"]))
    args = ["b2b", "report", "8861111", "--week", "8", "--year", "2025"]
    data = json.loads(_ok(runner.invoke(args=[*args, "--json"])))
    text = _ok(runner.invoke(args=args))
    school = session.scalar(select(School))
    assert text.startswith(f"{school.estab} {school.name} ({school.laestab}), week 8 "
                           f"{data['academic_year']}, {data['status']}")
    assert data["pupils"] and any(p["anomalies"] for p in data["pupils"])
    for p in data["pupils"]:
        assert f"{p['forename']} {p['surname']}  UPN {p['upn'] or '-'}" in text
        for d in p["differences"]:
            assert f"  {d['label']}: school {d['school']!r} / LA {d['la']!r}" in text
            assert f"    {d['instruction']}" in text
        for a in p["anomalies"]:
            assert f"  ! {a['message']}" in text
    new, gone = text.index("New to the LA:"), text.index("No longer at school:")
    assert "Ben Jones  UPN A886111110003" in text[new:gone]
    assert "Ann Smith  UPN L886111110002" in text[gone:]
    assert text.rstrip().endswith(f"a total of {data['records_printed']} pupil data records "
                                  "were printed")
