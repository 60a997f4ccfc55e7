"""A ticked .docx sent back (issue 16): the export marks every box, the reader finds and
reads each one whatever the layout, refuses hostile files, and confirmed answers become
decisions exactly as clicks do. LibreOffice itself opens, ticks and saves our file."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.factories import (
    audit_count,
    import_csv,
    make_user,
    published_seed_report,
)
from tests.readback import W_NS, docx_part, replace_parts, tick_docx
from webapp.b2b.comparison.refresh import refresh_reports
from webapp.b2b.review.decisions import record_decision
from webapp.b2b.review.lifecycle import publish_reports
from webapp.b2b.review.ticked_docx import MANIFEST_NS, ReturnRefused
from webapp.b2b.review.ticked_return import (
    NO_BOXES,
    SKIP,
    Pick,
    check_picks,
    read_return,
    record_return,
    report_of_file,
    store_return,
)
from webapp.demo.synth import SEED_PUPILS_LA
from webapp.exports.docx import report_docx
from webapp.exports.printed import printed_report
from webapp.models import AuditEntry, Difference, Report, ReturnFile

TICK_SCRIPT = Path(__file__).with_name("libreoffice_tick.py")


@pytest.fixture
def seed(session):
    report, staff, officer = published_seed_report(session)
    ids = {(d.upn[8:], d.field_key): d.id for d in report.differences}
    return report, staff, officer, ids


def _docx(session, report) -> bytes:
    return report_docx(printed_report(session, report))


def _by_heading(reading):
    return {a.heading: a for a in reading.answers}


def _decisions(session, report):
    session.expire_all()
    return {(d.upn[8:], d.field_key): (d.choice, d.correct_value) for d in session.scalars(
        select(Difference).where(Difference.report_id == report.id))}


# -- the export ---------------------------------------------------------------------------

def test_every_box_is_a_tagged_checkbox_with_a_hidden_bookmark(session, seed):
    report, _staff, _officer, ids = seed
    data = _docx(session, report)
    root = etree.fromstring(docx_part(data))
    w = f"{{{W_NS}}}"
    tags = [t.get(f"{w}val") for t in root.iter(f"{w}tag")]
    forename = ids[("10001", "forename")]
    assert {f"b2b:d:{forename}:school", f"b2b:d:{forename}:la",
            f"b2b:d:{forename}:other"} <= set(tags)
    anomaly = ids[("10001", "upn_check_letter.both")]
    assert {f"b2b:d:{anomaly}:will_fix", f"b2b:d:{anomaly}:is_correct"} <= set(tags)
    sdt = next(t for t in root.iter(f"{w}tag")
               if t.get(f"{w}val") == f"b2b:d:{forename}:school").getparent().getparent()
    assert sdt.find(".//{http://schemas.microsoft.com/office/word/2010/wordml}checkbox") \
        is not None
    assert sdt.find(f"{w}sdtPr/{w}lock").get(f"{w}val") == "sdtLocked"
    names = {b.get(f"{w}name") for b in sdt.iter(f"{w}bookmarkStart")}
    assert names == {f"_b2b_{forename}_school"}
    # The manifest: the report, each difference's identity, values and version.
    manifest = next(docx_part(data, n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                    if n.startswith("customXml/item") and MANIFEST_NS.encode() in
                    docx_part(data, n))
    m = etree.fromstring(manifest)
    rep = m.find(f"{{{MANIFEST_NS}}}report")
    assert rep.get("id") == str(report.id) and rep.get("laestab") == "8861111"
    d = next(e for e in rep if e.get("id") == str(forename))
    assert (d.get("subject"), d.get("kind"), d.get("field")) == (
        "la:R886111110001", "field", "forename")
    assert (d.get("school-value"), d.get("la-value"), d.get("version")) == (
        "Joe", "Joseph", "0")


# -- reading and recording ----------------------------------------------------------------

def test_round_trip_ticked_boxes_become_decisions(session, seed):
    report, staff, _officer, ids = seed
    data = _docx(session, report)
    ticked = tick_docx(data, [(ids[("10001", "forename")], "school"),
                              (ids[("10002", "forename")], "la"),
                              (ids[("10002", "dob")], "other"),
                              (ids[("10003", "postcode")], "la"),
                              (ids[("10001", "upn_check_letter.both")], "is_correct")],
                       values={(ids[("10002", "dob")], "other"): "23/09/2007"},
                       typed_x=[(ids[("10003", "forename")], "school")])
    reading = read_return(session, report, ticked, "B2BreportWeek17-8861111.docx")
    says = {a.heading: a.says for a in reading.clear}
    assert says == {
        "Forename, Joe Bloggs": "School Data",
        "Forename, Emma DAVIDS": "LA Data - ONE",
        "DOB, Emma DAVIDS": "Neither: 23/09/2007",
        "Forename, Jamie Bennett": "School Data",  # a big X typed over the box
        "LA Address, Jamie Bennett": "LA Data - ONE",
        "UPN check letter, Joe Bloggs": "This is correct as it is",
    }
    assert not reading.unclear
    assert {a.heading for a in reading.unanswered} == {
        "UPN check letter, Emma DAVIDS", "UPN check letter, Jamie Bennett"}
    assert _decisions(session, report)[("10001", "forename")] == (None, None)  # not yet
    rf = store_return(session, report, staff, ticked, "B2BreportWeek17-8861111.docx")
    outcome = record_return(session, reading, staff, return_file=rf)
    assert (outcome.recorded, outcome.failed) == (6, [])
    got = _decisions(session, report)
    assert got[("10001", "forename")] == ("school", None)
    assert got[("10002", "forename")] == ("la", None)
    assert got[("10002", "dob")] == ("other", "2007-09-23")
    assert got[("10003", "forename")] == ("school", None)
    assert got[("10003", "postcode")] == ("la", None)
    # Exactly as if clicked: the audit's entries, the version, who decided; and the file.
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "decision.recorded")).all()
    assert len(entries) == 6
    assert {e.after["source"] for e in entries} == {f"docx:{reading.sha256[:12]}"}
    assert {e.actor_id for e in entries} == {staff.id}
    d = session.get(Difference, ids[("10001", "forename")])
    assert d.version == 1 and d.decided_by_id == staff.id
    assert session.get(Report, report.id).status == "in_progress"
    assert rf.recorded == 6 and rf.recorded_by_id == staff.id and rf.content == ticked
    assert audit_count(session, "return.recorded") == 1
    # Read again, the same file now says nothing new.
    again = read_return(session, report, ticked, "again.docx")
    assert len(again.unchanged) == 6 and not again.clear


def test_unclear_answers_are_listed_for_a_person(session, seed):
    report, staff, _officer, ids = seed
    data = _docx(session, report)
    ticked = tick_docx(data, [(ids[("10001", "forename")], "school"),
                              (ids[("10001", "forename")], "la"),
                              (ids[("10002", "dob")], "other"),
                              (ids[("10002", "forename")], "school")],
                       comments={ids[("10002", "forename")]: "Ring the office about Emma"})
    got = _by_heading(read_return(session, report, ticked))
    both = got["Forename, Joe Bloggs"]
    assert both.status == "unclear"
    assert both.problems == ["Both boxes are ticked (School Data, LA Data - ONE)"]
    assert [o.value for o in both.options] == ["school", "la", "other"]
    neither = got["DOB, Emma DAVIDS"]
    assert neither.status == "unclear"
    assert neither.problems == ["Neither is ticked but no correct date is typed"]
    typed = got["Forename, Emma DAVIDS"]
    assert typed.status == "unclear" and typed.choice == "school"
    assert typed.problems == ["Text typed in the file: “Ring the office about Emma”"]
    assert got["Forename, Jamie Bennett"].status == "unanswered"


def test_a_bad_value_after_neither_is_for_a_person(session, seed):
    report, _staff, _officer, ids = seed
    dob = ids[("10002", "dob")]
    ticked = tick_docx(_docx(session, report), [(dob, "other")],
                       values={(dob, "other"): "31/02/2007"})
    a = _by_heading(read_return(session, report, ticked))["DOB, Emma DAVIDS"]
    assert a.status == "unclear" and a.value == "31/02/2007"
    assert a.problems == ["Neither is ticked: the correct date must be a real date, like "
                          "27/03/2026"]


def test_answered_on_the_page_since_printing_is_not_overwritten(session, seed):
    report, staff, _officer, ids = seed
    data = _docx(session, report)  # printed with Joe undecided
    d = session.get(Difference, ids[("10001", "forename")])
    record_decision(session, d, staff, "la", None, d.version)
    ticked = tick_docx(data, [(d.id, "school")])
    a = _by_heading(read_return(session, report, ticked))["Forename, Joe Bloggs"]
    assert a.status == "unclear"
    assert a.problems == ["Answered as LA Data - ONE on the page since the file was printed"]
    # Printed after that answer, the school changing its mind on paper is clear.
    ticked = tick_docx(_docx(session, report), [(d.id, "school")], untick=[(d.id, "la")])
    a = _by_heading(read_return(session, report, ticked))["Forename, Joe Bloggs"]
    assert a.status == "clear" and a.current == "LA Data - ONE"
    # Unticking a printed answer, ticking nothing: for a person.
    ticked = tick_docx(_docx(session, report), untick=[(d.id, "la")])
    a = _by_heading(read_return(session, report, ticked))["Forename, Joe Bloggs"]
    assert a.status == "unclear"
    assert a.problems == ["No box is ticked, but the report already has LA Data - ONE"]


def test_a_box_for_a_difference_resolved_by_data_is_listed(session, seed):
    report, _staff, _officer, ids = seed
    ticked = tick_docx(_docx(session, report), [(ids[("10001", "forename")], "la")])
    # The LA's data now agrees with the school's: the difference is resolved by data.
    import_csv(session, "8861111", [{**p, "forename": "Joe"} if p["forename"] == "Joseph"
                                    else p for p in SEED_PUPILS_LA])
    refresh_reports(session, 2025, 17)
    assert session.get(Difference, ids[("10001", "forename")]).status == "resolved_by_data"
    a = _by_heading(read_return(session, report, ticked))["Forename, Joe Bloggs"]
    assert a.status == "not_recordable"
    assert "Resolved by data" in a.problems[0]


def test_an_older_weeks_file_carries_over_what_still_stands(session, seed):
    report, staff, officer, ids = seed
    week17 = tick_docx(_docx(session, report), [(ids[("10001", "forename")], "school"),
                                               (ids[("10002", "forename")], "la")])
    # Week 18: Emma's LA forename has changed; Joe's item is as it was.
    import_csv(session, "8861111", [{**p, "forename": "Emilia"} if p["forename"] == "Emily"
                                    else p for p in SEED_PUPILS_LA])
    refresh_reports(session, 2025, 18)
    week18 = session.scalar(select(Report).where(Report.week == 18))
    publish_reports(session, [week18], officer)
    reading = read_return(session, week18, week17)
    got = _by_heading(reading)
    joe = got["Forename, Joe Bloggs"]
    assert (joe.status, joe.from_week, joe.says) == ("clear", 17, "School Data")
    assert joe.difference_id != ids[("10001", "forename")]  # week 18's own difference
    emma = got["Forename, Emma DAVIDS"]
    assert emma.status == "unclear"
    assert emma.problems[0].startswith("The data has changed since the file was printed")
    assert "This file is the report of week 17" in reading.notes[0]
    record_return(session, reading, staff)
    assert _decisions(session, week18)[("10001", "forename")] == ("school", None)
    # A later week's file is refused on the older report.
    with pytest.raises(ReturnRefused, match="week 18, later than this one"):
        read_return(session, report, _docx(session, week18))
    # The command line finds the report a superseded week was carried into.
    assert session.get(Report, report.id).status == "superseded"
    assert report_of_file(session, week17).id == week18.id


def test_a_schools_year_in_one_file_answers_each_item_once(session, seed):
    """The pack of a school's year (one .docx, a section a week): each item of the week
    read for is answered by that week's box, not an older week's."""
    from webapp.exports.docx import reports_docx

    report, _staff, officer, ids = seed
    refresh_reports(session, 2025, 18)
    week18 = session.scalar(select(Report).where(Report.week == 18))
    publish_reports(session, [week18], officer)
    joe18 = session.scalar(select(Difference.id).where(
        Difference.report_id == week18.id, Difference.field_key == "forename",
        Difference.school_value == "Joe"))
    year = reports_docx([printed_report(session, report), printed_report(session, week18)])
    ticked = tick_docx(year, [(ids[("10001", "forename")], "school"), (joe18, "la")])
    reading = read_return(session, week18, ticked)
    joe = [a for a in reading.answers if a.heading == "Forename, Joe Bloggs"]
    assert [(a.says, a.from_week, a.difference_id) for a in joe] == [
        ("LA Data - ONE", None, joe18)]


def test_another_schools_file_is_refused(session, seed):
    report, _staff, _officer, _ids = seed
    other, _s, _o = published_seed_report(session, estab="2222", name="Other School")
    with pytest.raises(ReturnRefused, match="not a report of 1111 Green Abbey School"):
        read_return(session, report, _docx(session, other))


def test_boxes_are_read_by_bookmark_when_tags_are_lost(session, seed):
    """LibreOffice 7.4 drops content controls' tags; the hidden bookmarks remain. A file
    that lost its manifest is still read, and says so."""
    report, _staff, _officer, ids = seed
    ticked = tick_docx(_docx(session, report), [(ids[("10001", "forename")], "la")])
    root = etree.fromstring(docx_part(ticked))
    for tag in list(root.iter(f"{{{W_NS}}}tag")):
        tag.getparent().remove(tag)
    names = zipfile.ZipFile(io.BytesIO(ticked)).namelist()
    manifest = [n for n in names if n.startswith("customXml/item")
                and MANIFEST_NS.encode() in docx_part(ticked, n)]
    stripped = replace_parts(ticked, {"word/document.xml": etree.tostring(root),
                                      **{n: None for n in manifest}})
    reading = read_return(session, report, stripped)
    assert {a.heading: a.says for a in reading.clear} == {
        "Forename, Joe Bloggs": "LA Data - ONE"}
    assert any("lost its hidden list" in n for n in reading.notes)


def test_the_persons_picks_are_checked_then_recorded(session, seed):
    report, staff, _officer, ids = seed
    joe, emma = ids[("10001", "forename")], ids[("10002", "forename")]
    ticked = tick_docx(_docx(session, report), [(joe, "school"), (joe, "la"),
                                               (emma, "school"), (emma, "la")])
    reading = read_return(session, report, ticked)
    assert len(reading.unclear) == 2
    errors = check_picks(session, reading, {joe: Pick("other", "")})
    assert errors == {joe: "Forename, Joe Bloggs: Enter the correct value",
                      emma: "Choose an answer for Forename, Emma DAVIDS, or not to record "
                            "it"}
    picks = {joe: Pick("other", "Joey"), emma: Pick(SKIP)}
    assert check_picks(session, reading, picks) == {}
    outcome = record_return(session, reading, staff, picks)
    assert (outcome.recorded, outcome.skipped) == (1, 1)
    got = _decisions(session, report)
    assert got[("10001", "forename")] == ("other", "Joey")
    assert got[("10002", "forename")] == (None, None)


def test_a_stale_version_is_refused_not_overwritten(session, seed):
    report, staff, officer, ids = seed
    joe = ids[("10001", "forename")]
    reading = read_return(session, report, tick_docx(_docx(session, report),
                                                     [(joe, "school")]))
    other = make_user(session, school=report.school, email="head@1111.test")
    d = session.get(Difference, joe)
    record_decision(session, d, other, "la", None, d.version)  # after the check page
    outcome = record_return(session, reading, staff)
    assert outcome.recorded == 0
    assert outcome.failed[0][0] == "Forename, Joe Bloggs"
    assert "Someone else changed this answer" in outcome.failed[0][1]
    assert _decisions(session, report)[("10001", "forename")] == ("la", None)


def _edit_document(data: bytes, edit) -> bytes:
    root = etree.fromstring(docx_part(data))
    edit(root)
    return replace_parts(data, {"word/document.xml": etree.tostring(root)})


def _sdt(root, did, choice):
    w = f"{{{W_NS}}}"
    return next(t for t in root.iter(f"{w}tag")
                if t.get(f"{w}val") == f"b2b:d:{did}:{choice}").getparent().getparent()


def test_ticks_as_people_make_them(session, seed):
    """A Wingdings ☒ from Insert Symbol, a tick under track changes, an X typed beside the
    box; and edits for a person to look at: a value typed over, a row pasted twice."""
    report, _staff, _officer, ids = seed
    w = f"{{{W_NS}}}"
    joe, emma, dob = ids[("10001", "forename")], ids[("10002", "forename")], \
        ids[("10002", "dob")]
    jamie, postcode = ids[("10003", "forename")], ids[("10003", "postcode")]

    def edit(root):
        # Joe, School Data: the glyph replaced by Word's Insert Symbol (Wingdings 0xFD).
        t = _sdt(root, joe, "school").find(f".//{w}t")
        run = t.getparent()
        run.remove(t)
        sym = etree.SubElement(run, f"{w}sym")
        sym.set(f"{w}font", "Wingdings")
        sym.set(f"{w}char", "F0FD")
        # Emma, LA Data: with track changes on, ☐ deleted and ☒ inserted.
        t = _sdt(root, emma, "la").find(f".//{w}t")
        t.tag = f"{w}delText"
        run = t.getparent()
        deleted = etree.Element(f"{w}del")
        run.addprevious(deleted)
        deleted.append(run)
        inserted = etree.Element(f"{w}ins")
        deleted.addnext(inserted)
        etree.SubElement(etree.SubElement(inserted, f"{w}r"), f"{w}t").text = "\u2612"
        # Jamie's forename, School Data: a bold X typed after the box, before "Jamie".
        box = _sdt(root, jamie, "school")
        mark = etree.Element(f"{w}r")
        etree.SubElement(etree.SubElement(mark, f"{w}rPr"), f"{w}b")
        etree.SubElement(mark, f"{w}t").text = "X "
        box.addnext(mark)
        # Emma's DOB: the LA's date typed over; the address row pasted twice.
        la_box = _sdt(root, dob, "la")
        value = la_box.getparent().findall(f"{w}r")[-1].find(f"{w}t")
        value.text = "27/09/2007"
        row = next(_sdt(root, postcode, "la").iterancestors(f"{w}tr"))
        row.addnext(__import__("copy").deepcopy(row))

    got = _by_heading(read_return(session, report, _edit_document(
        tick_docx(_docx(session, report), [(postcode, "la")]), edit)))
    assert (got["Forename, Joe Bloggs"].status, got["Forename, Joe Bloggs"].says) == (
        "clear", "School Data")
    assert (got["Forename, Emma DAVIDS"].status, got["Forename, Emma DAVIDS"].says) == (
        "clear", "LA Data - ONE")
    assert (got["Forename, Jamie Bennett"].status, got["Forename, Jamie Bennett"].says) == (
        "clear", "School Data")
    typed_over = got["DOB, Emma DAVIDS"]
    assert typed_over.status == "unclear"
    assert typed_over.problems == ["No box is ticked",
                                   "Words beside a box were changed: “27/09/2007”"]
    pasted = got["LA Address, Jamie Bennett"]
    assert pasted.status == "unclear"
    assert pasted.problems[0] == "A box appears more than once in the file (a row copied)"


# -- hostile and broken files: refused with the reason, nothing changed --------------------

def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def _hostile(session, report) -> dict[str, tuple[bytes, str]]:
    good = _docx(session, report)
    doc = docx_part(good)
    xxe = doc.replace(b"<w:document", b'<!DOCTYPE w:document [<!ENTITY x SYSTEM '
                      b'"file:///etc/passwd">]><w:document', 1).replace(
        b"Student Details", b"&x;", 1)
    types = docx_part(good, "[Content_Types].xml")
    macro_types = types.replace(b"wordprocessingml.document.main+xml",
                                b"ms-word.document.macroEnabled.main+xml")
    return {
        "not a zip": (b"Dear LA, please find our answers attached.", "not a Word .docx"),
        "old Word": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "older Word file"),
        "truncated": (good[: len(good) // 2], "damaged or incomplete"),
        "zip bomb": (_zip({"[Content_Types].xml": types, "_rels/.rels": b"",
                           "word/document.xml": b"<" + b" " * (60 * 1024 * 1024)}),
                     "zip bomb"),
        "macros": (replace_parts(good, {"word/vbaProject.bin": b"\0" * 100}), "macros"),
        "docm": (replace_parts(good, {"[Content_Types].xml": macro_types}),
                 "macro-enabled"),
        "XXE": (replace_parts(good, {"word/document.xml": xxe}), "DTD or entities"),
        "XXE in UTF-16": (replace_parts(good, {"word/document.xml": xxe.replace(
            b"encoding='UTF-8'", b"encoding='UTF-16'").replace(
            b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")}),
            "declares a DTD, which Word never writes."),
        "odd part": (replace_parts(good, {"xl/workbook.xml": b"<x/>"}), "parts a Word "
                     "document does not"),
        "broken XML": (replace_parts(good, {"word/document.xml": doc[:-40]}),
                       "not well-formed"),
        "too big": (good + b"\0" * (10 * 1024 * 1024), "larger than 10 MB"),
        "no boxes": (_plain_docx(), NO_BOXES),
        "too many parts": (_zip({f"word/media/{i}.png": b"x" for i in range(500)}),
                           "more than 400 parts"),
    }


def _plain_docx() -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph("Forename: X Joe  Joseph")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_hostile_files_are_refused_with_the_reason_and_nothing_changes(session, seed):
    report, _staff, _officer, _ids = seed
    before = session.scalar(select(func.count(AuditEntry.id)))
    for what, (data, reason) in _hostile(session, report).items():
        with pytest.raises(ReturnRefused) as e:
            read_return(session, report, data, "return.docx")
        assert reason in e.value.message, (what, e.value.message)
    assert session.scalar(select(func.count(AuditEntry.id))) == before
    assert session.scalar(select(func.count(ReturnFile.id))) == 0
    assert all(c == (None, None) for c in _decisions(session, report).values())


def test_file_names_that_are_not_docx_are_refused(session, seed):
    report, *_ = seed
    data = _docx(session, report)
    for name, reason in (("report.docm", "macro-enabled"), ("report.doc", "older Word"),
                         ("report.pdf", "Word Document (.docx)")):
        with pytest.raises(ReturnRefused, match=reason.replace("(", r"\(").replace(
                ")", r"\)")):
            read_return(session, report, data, name)


# -- a real word processor: LibreOffice opens, ticks and saves our file -------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not "
                                   "installed: `make test-tools` installs it")


def _uno_python() -> str:
    """Debian's python3 with python3-uno (installed beside LibreOffice by the Makefile)."""
    for exe in ("/usr/bin/python3", shutil.which("python3") or ""):
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode \
                == 0:
            return exe
    pytest.fail("LibreOffice is installed but python3-uno is not: run `make test-tools`")


def _soffice_convert(src: Path, to: str, outdir: Path, profile: Path) -> Path:
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", to, "--outdir", str(outdir), str(src)],
                   capture_output=True, check=True, timeout=300)
    return outdir / (src.stem + "." + to.split(":")[0])


@needs_soffice
def test_libreoffice_ticks_our_file_and_it_reads_back(session, seed, tmp_path):
    """LibreOffice (headless, driven through UNO) opens our .docx, clicks boxes and types
    a value after "Neither", and saves it as .docx; the result reads back correctly."""
    report, staff, _officer, ids = seed
    src = tmp_path / "B2BreportWeek17-8861111.docx"
    src.write_bytes(_docx(session, report))
    out = tmp_path / "ticked.docx"
    dob = ids[("10002", "dob")]
    r = subprocess.run(
        [_uno_python(), str(TICK_SCRIPT), str(src), str(out), "--soffice", SOFFICE,
         "--profile", str(tmp_path / "lo-profile"),
         "--tick", f"_b2b_{ids[('10001', 'forename')]}_school",
         "--tick", f"_b2b_{ids[('10002', 'forename')]}_la",
         "--tick", f"_b2b_{dob}_other", "--append", f"_b2b_{dob}_other= 23/09/2007",
         "--tick", f"_b2b_{ids[('10003', 'postcode')]}_la",
         "--tick", f"_b2b_{ids[('10003', 'upn_check_letter.both')]}_will_fix"],
        capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    saved = out.read_bytes()
    assert b"b2b:d:" not in docx_part(saved)  # LibreOffice 7.4 drops the tags...
    reading = read_return(session, report, saved, out.name)  # ...the bookmarks remain
    assert {a.heading: a.says for a in reading.clear} == {
        "Forename, Joe Bloggs": "School Data",
        "Forename, Emma DAVIDS": "LA Data - ONE",
        "DOB, Emma DAVIDS": "Neither: 23/09/2007",
        "LA Address, Jamie Bennett": "LA Data - ONE",
        "UPN check letter, Jamie Bennett": "We will correct this in SIMS",
    }
    assert not reading.unclear and not reading.notes
    record_return(session, reading, staff)
    got = _decisions(session, report)
    assert got[("10002", "dob")] == ("other", "2007-09-23")
    assert got[("10003", "upn_check_letter.both")] == ("will_fix", None)


@needs_soffice
def test_libreoffice_round_trip_keeps_our_own_ticks(session, seed, tmp_path):
    """Boxes ticked as Word ticks them, words typed in the comment column, then the file
    opened and saved again by LibreOffice: read back the same."""
    report, _staff, _officer, ids = seed
    joe, emma = ids[("10001", "forename")], ids[("10002", "forename")]
    src = tmp_path / "ticked.docx"
    src.write_bytes(tick_docx(_docx(session, report), [(joe, "la"), (emma, "school")],
                              comments={emma: "Emma is her legal name"}))
    saved_dir = tmp_path / "saved"
    saved = _soffice_convert(src, "docx:MS Word 2007 XML", saved_dir, tmp_path / "profile")
    got = _by_heading(read_return(session, report, saved.read_bytes()))
    assert (got["Forename, Joe Bloggs"].status, got["Forename, Joe Bloggs"].says) == (
        "clear", "LA Data - ONE")
    emma_answer = got["Forename, Emma DAVIDS"]
    assert emma_answer.status == "unclear" and emma_answer.choice == "school"
    assert emma_answer.problems == ["Text typed in the file: “Emma is her legal name”"]


@needs_soffice
def test_a_file_so_badly_edited_that_no_box_is_left_is_refused(session, seed, tmp_path):
    """Copied into a new document as plain text (here: LibreOffice saving it as text and
    back to .docx), the boxes are gone: refused with a clear message."""
    report, _staff, _officer, ids = seed
    src = tmp_path / "ticked.docx"
    src.write_bytes(tick_docx(_docx(session, report), [(ids[("10001", "forename")], "la")]))
    text = _soffice_convert(src, "txt:Text", tmp_path / "txt", tmp_path / "profile")
    assert "Joseph" in text.read_text(encoding="utf-8", errors="replace")
    again = _soffice_convert(text, "docx:MS Word 2007 XML", tmp_path / "docx",
                             tmp_path / "profile")
    with pytest.raises(ReturnRefused) as e:
        read_return(session, report, again.read_bytes(), again.name)
    assert e.value.message == NO_BOXES
