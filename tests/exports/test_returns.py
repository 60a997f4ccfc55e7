"""The return file for SIMS: read by the project's own CTF importer and by lxml."""

from __future__ import annotations

import io

from lxml import etree

from tests.factories import HARD_PUPIL, decided_seed_report, difference
from tests.readback import flat, pdf_text, png_of_page
from webapp.b2b.formats.ctf import read_ctf
from webapp.b2b.formats.writers import ctf_version
from webapp.exports.pdf import sims_return_pdf
from webapp.exports.returns import sims_return, sims_return_ctf


def _ctf(session, report) -> bytes:
    return sims_return_ctf(sims_return(session, report))


def test_return_carries_only_the_items_the_la_had_right(session):
    report = decided_seed_report(session)
    pupils = {p.items["upn"]: p for p in read_ctf(io.BytesIO(_ctf(session, report)))}
    # Joseph (forename), 26/09/2007 (DOB) and PA3 9NF (the LA's address): nothing else.
    assert set(pupils) == {"R886111110001", "U886111110002", "P886111110003"}
    # Every pupil carries UPN, names, date of birth and sex (SIMS's own, to find the
    # pupil by), the item the LA had right in place of SIMS's.
    assert pupils["R886111110001"].items == {
        "upn": "R886111110001", "surname": "Bloggs", "forename": "Joseph",
        "dob": "2006-01-26", "sex": "M"}
    assert pupils["U886111110002"].items == {
        "upn": "U886111110002", "surname": "DAVIDS", "forename": "Emma",
        "dob": "2007-09-26", "sex": "F"}
    jamie = pupils["P886111110003"].items
    assert jamie["postcode"] == "PA3 9NF"
    assert jamie["address_paon"] == "1" and jamie["address_street"] == "Green Abbey Road"
    assert jamie["forename"] == "Jamie"  # the school was right about Jamie
    assert pupils["R886111110001"].school.laestab == "8860000"  # from the LA


def test_return_header_per_domain_notes(session):
    report = decided_seed_report(session)
    root = etree.fromstring(_ctf(session, report),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "CTfile"
    h = root.find("Header")
    assert h.findtext("CTFversion") == ctf_version()  # the academic year's: 26.0 in 2026/27
    assert [c.tag for c in h] == ["DocumentName", "CTFversion", "DateTime",
                                  "DocumentQualifier", "DataDescriptor", "SupplierID",
                                  "SourceSchool", "DestSchool"]
    assert h.findtext("DocumentQualifier") == "partial"
    assert h.findtext("DocumentName") == "Common Transfer File"
    assert h.findtext("DataDescriptor") == "B2B return to SIMS: B2BreportWeek17"
    assert (h.findtext("SourceSchool/LEA"), h.findtext("SourceSchool/Estab")) == ("886", "0000")
    assert h.findtext("SourceSchool/SchoolName") == report.school.la.name
    assert h.findtext("SourceSchool/AcademicYear") == f"20{ctf_version()[:2]}"
    assert (h.findtext("DestSchool/LEA"), h.findtext("DestSchool/Estab")) == ("886", "1111")
    assert len(root.findall("CTFpupilData/Pupil")) == 3


def test_hard_values_survive_the_return(session):
    report = decided_seed_report(session)
    for field in ("forename", "address"):
        d = difference(session, report, "X886111110001", field)
        d.choice = "la"
    session.commit()
    pupils = {p.items["upn"]: p for p in read_ctf(io.BytesIO(_ctf(session, report)))}
    hard = pupils["X886111110001"].items
    assert hard["forename"] == "Siân Ŷsbel"
    assert hard["address_paon"] == "Flat 12 'Tŷ Gwyn' <rear> & garden"  # & ' < survive
    assert hard["address_locality"] == HARD_PUPIL["address_locality"]
    assert hard["postcode"] == "TN23 1AA"
    ret = sims_return(session, report)
    text = flat(pdf_text(sims_return_pdf(ret)))
    assert "Siân-Łucja O'Brien <Łężśka> & Ŵŷn (X886111110001) Forename Siân-Łucja Siân Ŷsbel" \
        in text


def test_printable_list_matches_the_file(session, artifacts):
    report = decided_seed_report(session)
    ret = sims_return(session, report)
    data = sims_return_pdf(ret)
    text = flat(pdf_text(data))
    assert "1111 Green Abbey School" in text and "Return for SIMS" in text
    assert "Joe Bloggs (R886111110001) Forename Joe Joseph Yes" in text
    assert "Emma DAVIDS (U886111110002) DOB 21/09/2007 26/09/2007 Yes" in text
    assert "LA Address PA2 9NF 1, Green Abbey Road, Green Abbey, Kent PA3 9NF Yes" in text
    assert "3 items for 3 pupils" in text
    assert "Jamie Bennett (P886111110003) Forename" not in text
    assert png_of_page(data, 1, artifacts / "sims-return").startswith(b"\x89PNG")


def test_nothing_to_return_when_the_school_was_right(session):
    report = decided_seed_report(session, hard=False)
    for d in report.differences:
        if d.choice == "la":
            d.choice = "school"
    session.commit()
    ret = sims_return(session, report)
    assert ret.items == [] and list(read_ctf(io.BytesIO(_ctf(session, report)))) == []
    assert "Nothing to change in SIMS" in flat(pdf_text(sims_return_pdf(ret)))
