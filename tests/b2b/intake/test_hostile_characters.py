"""Names that would spoof what a person reads (issue 18): a CTF or pupils CSV whose name
holds a bidirectional override, a zero-width character or a control character (ESC, a C1
control) is refused, naming the pupil or line, and nothing of the file is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import pupil
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.models import ImportBatch, PupilRecord, School

JOE = pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M")
ANN = pupil("L886111110002", "Smithers", "Ann", "2010-02-01", "F")


def _ctf(**replace: str) -> bytes:
    """A two-pupil CTF, the second pupil's element text replaced by hand (the writers
    may refuse to write such values)."""
    data = write_ctf(laestab="8861111", school_name="Green Abbey", pupils=[JOE, ANN])
    for element, value in replace.items():
        old = {"Surname": "Smithers", "Forename": "Ann"}[element]
        tag = f"<{element}>{old}</{element}>".encode()
        assert data.count(tag) == 1
        data = data.replace(tag, f"<{element}>{value}</{element}>".encode())
    return data


def _csv(**replace: str) -> bytes:
    data = write_pupils_csv([{**p, "laestab": "8861111"} for p in (JOE, ANN)])
    for column, value in replace.items():
        old = {"surname": b",Smithers,", "forename": b",Ann,"}[column]
        assert data.count(old) == 1
        data = data.replace(old, f",{value},".encode())
    return data


CTF_CASES = {
    "right-to-left override": (_ctf(Surname="Smi\u202esreht"),
                               ["Pupil 2", "<Surname>", "U+202E"]),
    "the override as a character reference": (_ctf(Surname="Smi&#x202E;sreht"),
                                              ["Pupil 2", "<Surname>", "U+202E"]),
    "zero-width space": (_ctf(Forename="A\u200bnn"), ["Pupil 2", "<Forename>", "U+200B"]),
    "C1 control (CSI)": (_ctf(Surname="Smi\x9b31mthers"),
                         ["Pupil 2", "<Surname>", "control character (U+009B)"]),
    # XML 1.0 has no ESC at all: the parser refuses it, naming the line.
    "ESC": (_ctf(Surname="Smi\x1b[31mthers"), ["line ", "not well formed"]),
}
CSV_CASES = {
    "right-to-left override": (_csv(surname="Smi\u202esreht"),
                               ["line 3", "surname", "U+202E"]),
    "zero-width space": (_csv(forename="A\u200bnn"), ["line 3", "forename", "U+200B"]),
    "ESC": (_csv(surname="Smi\x1b[31mthers"), ["line 3", "control character"]),
    "BEL": (_csv(surname="Smi\x07thers"), ["line 3", "control character"]),
}


def _stored(session) -> tuple[int, int]:
    return (session.scalar(select(func.count(PupilRecord.id))),
            session.scalar(select(func.count(School.id))))


@pytest.mark.parametrize("case", list(CTF_CASES))
def test_ctf_with_a_hostile_character_in_a_name_is_refused(session, case):
    data, says = CTF_CASES[case]
    s = import_file(session, data, side="school", file_name="school-8861111.xml")
    assert not s.ok
    for words in says:
        assert words in s.error, s.error
    assert "Smi" not in s.error  # the error names where, without echoing the name
    assert _stored(session) == (0, 0)  # not even the first, clean pupil


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_pupils_csv_with_a_hostile_character_in_a_name_is_refused(session, case):
    data, says = CSV_CASES[case]
    s = import_file(session, data, side="la", file_name="la-8861111.csv")
    assert not s.ok
    for words in says:
        assert words in s.error, s.error
    assert _stored(session) == (0, 0)


def test_the_same_files_with_plain_names_import(session):
    for data, side in ((_ctf(), "school"), (_csv(), "la")):
        s = import_file(session, data, side=side, file_name=f"{side}.dat")
        assert s.ok, s.error
    assert _stored(session) == (4, 1)
    assert session.scalar(select(func.count(ImportBatch.id))) == 2
