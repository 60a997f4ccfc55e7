"""``flask b2b read-return FILE.docx``: prints what a ticked Word report says without
recording it; ``--record --as EMAIL`` records it as that person (issue 16)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.factories import audit_count, published_seed_report
from tests.readback import tick_docx
from webapp.exports.docx import report_docx
from webapp.exports.printed import printed_report
from webapp.models import Difference, ReturnFile


@pytest.fixture
def ticked(session, tmp_path):
    report, staff, officer = published_seed_report(session)
    ids = {(d.upn[8:], d.field_key): d.id for d in report.differences}
    joe, emma = ids[("10001", "forename")], ids[("10002", "forename")]
    path = tmp_path / "B2BreportWeek17-8861111.docx"
    path.write_bytes(tick_docx(report_docx(printed_report(session, report)),
                               [(joe, "school"), (emma, "school"), (emma, "la")]))
    return path, report, staff, officer, joe, emma


def _choices(session, report):
    session.expire_all()
    return {d.id: d.choice for d in session.scalars(select(Difference).where(
        Difference.report_id == report.id))}


def test_read_return_prints_what_the_file_says(session, runner, ticked):
    path, report, *_rest, joe, emma = ticked
    r = runner.invoke(args=["b2b", "read-return", str(path)])
    assert r.exit_code == 0, r.output
    assert "1111 Green Abbey School, B2BreportWeek17 (week 17, 2025/26)" in r.output
    assert "Clear answers (1):\n  Forename, Joe Bloggs: School Data" in r.output
    assert ("For a person to decide (1):\n  Forename, Emma DAVIDS – Both boxes are ticked "
            "(School Data, LA Data - ONE)") in r.output
    assert "No box ticked (6):" in r.output
    assert set(_choices(session, report).values()) == {None}  # nothing recorded
    assert session.scalar(select(func.count(ReturnFile.id))) == 0


def test_read_return_json(session, runner, ticked):
    path, report, *_rest, joe, emma = ticked
    r = runner.invoke(args=["b2b", "read-return", str(path), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["report"] == {"id": report.id, "laestab": "8861111",
                             "school": "1111 Green Abbey School", "week": 17,
                             "year": "2025/26", "status": "published"}
    assert out["counts"] == {"clear": 1, "unclear": 1, "unanswered": 6, "not_recordable": 0,
                             "unchanged": 0}
    joe_answer = next(a for a in out["answers"] if a["difference_id"] == joe)
    assert (joe_answer["says"], joe_answer["status"], joe_answer["pupil"]) == (
        "School Data", "clear", "Joe Bloggs")
    assert len(out["file"]["sha256"]) == 64


def test_record_as_a_school_user(session, runner, ticked):
    path, report, staff, _officer, joe, emma = ticked
    r = runner.invoke(args=["b2b", "read-return", str(path), "--record", "--as", staff.email])
    assert r.exit_code == 0, r.output
    assert (f"Recorded 1 answer as {staff.email}; 1 answer needs a person: answer them on "
            "the report page.") in r.output
    choices = _choices(session, report)
    assert (choices[joe], choices[emma]) == ("school", None)
    rf = session.scalar(select(ReturnFile))
    assert rf.uploaded_by_id == staff.id and rf.recorded == 1
    assert audit_count(session, "return.recorded") == 1


def test_record_as_an_la_officer(session, runner, ticked):
    path, report, _staff, officer, joe, _emma = ticked
    r = runner.invoke(args=["b2b", "read-return", str(path), "--record", "--as",
                            officer.email.upper()])
    assert r.exit_code == 0, r.output
    session.expire_all()
    assert session.get(Difference, joe).decided_by_id == officer.id


def test_record_refuses_someone_of_another_school(session, runner, ticked):
    path, report, *_rest = ticked
    _other, other_staff, _o = published_seed_report(session, estab="2222", name="Other")
    r = runner.invoke(args=["b2b", "read-return", str(path), "--record", "--as",
                            other_staff.email])
    assert r.exit_code != 0
    assert "is neither a user of 1111 Green Abbey School nor an LA officer" in r.output
    r = runner.invoke(args=["b2b", "read-return", str(path), "--record", "--as",
                            "nobody@nowhere.test"])
    assert r.exit_code != 0 and "No active user nobody@nowhere.test" in r.output
    assert set(_choices(session, report).values()) == {None}


def test_usage_and_refusals(session, runner, ticked, tmp_path):
    path, *_rest = ticked
    r = runner.invoke(args=["b2b", "read-return", str(path), "--record"])
    assert r.exit_code == 2 and "--record needs --as EMAIL" in r.output
    bad = tmp_path / "answers.docx"
    bad.write_bytes(b"Dear LA, our answers are: Joe")
    r = runner.invoke(args=["b2b", "read-return", str(bad)])
    assert r.exit_code == 1
    assert "answers.docx: refused: This is not a Word .docx file." in r.output
