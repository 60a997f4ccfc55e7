"""A report the school has sent prints where each value came from as it was when sent,
not the file of an import made since."""

from __future__ import annotations

from tests.factories import sent_seed_report
from webapp.b2b.formats.writers import write_ctf
from webapp.b2b.intake.importing import import_file
from webapp.demo.synth import SEED_PUPILS_SCHOOL
from webapp.exports.printed import printed_report


def _sources(printed) -> str:
    return " ".join(r.sources or "" for p in printed.view.pupils for r in p.rows)


def test_a_sent_reports_print_keeps_the_sources_it_was_sent_with(session):
    report, _staff, _officer = sent_seed_report(session)
    before = _sources(printed_report(session, report))
    assert "school-8861111.xml" in before
    later = [{**p, "forename": p["forename"] + "e"} for p in SEED_PUPILS_SCHOOL]
    summary = import_file(session, write_ctf(laestab="8861111", school_name="Green Abbey School",
                                             pupils=later), side="school",
                          file_name="later-export.xml")
    assert summary.ok and summary.changed
    after = _sources(printed_report(session, report))
    assert "later-export.xml" not in after and after == before
