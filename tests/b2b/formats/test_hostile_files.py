"""Broken and hostile files are refused with where and why, quickly, changing nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.factories import import_ctf, pupil
from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake.importing import import_file
from webapp.models import PupilRecord, School

GOOD = write_ctf(laestab="8861111", school_name="Green Abbey", version="24.0",
                 pupils=[pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M")])
SURNAME_LINE = GOOD[:GOOD.index(b"<Surname>")].count(b"\n") + 1

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CTfile><Header><CTFversion>24.0</CTFversion><SourceSchool><LEA>886</LEA><Estab>1111</Estab>
</SourceSchool></Header><CTFpupilData><Pupil><UPN>X886111110001</UPN><Surname>&xxe;</Surname>
</Pupil></CTFpupilData></CTfile>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<CTfile><Header/><CTFpupilData><Pupil><Surname>&lol4;</Surname></Pupil></CTFpupilData></CTfile>"""

UNDECLARED_ENTITY = GOOD.replace(b"<Surname>Bloggs", b"<Surname>&ghost;Bloggs")


def _latin1(data: bytes) -> bytes:
    return data.replace(b"Bloggs", "Blöggs".encode("latin-1"))


def _bad_csv(header_fix=None, row=None) -> bytes:
    data = write_pupils_csv([{**pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M"),
                              "laestab": "8861111"}]).decode()
    if header_fix:
        data = header_fix(data)
    if row:
        data += row
    return data.encode()


CASES = {
    "xxe": (XXE, "DOCTYPE"),
    "entity bomb": (BOMB, "DOCTYPE"),
    "undeclared entity": (UNDECLARED_ENTITY,
                          f"line {SURNAME_LINE}: the XML is not well formed: Entity 'ghost'"),
    "truncated": (GOOD[: len(GOOD) // 2], "not well formed"),
    "wrong encoding": (_latin1(GOOD), f"line {SURNAME_LINE}: the file says it is written in UTF-8"),
    "not xml root": (b"<?xml version='1.0'?><html><body/></html>", "not <CTfile>"),
    "ctf version 18": (GOOD.replace(b"<CTFversion>24.0", b"<CTFversion>18.0"), "version 18.0"),
    "impossible ctf date": (GOOD.replace(b"2006-01-26", b"2006-02-30"), "not a real date"),
    "bad sex code": (GOOD.replace(b"<Sex>M<", b"<Sex>Q<"), "sex code"),
    "csv wrong columns": (_bad_csv(lambda d: d.replace("surname,", "lastname,", 1)),
                          "'lastname' is not one the importer knows; it looks like surname"),
    "csv impossible date": (_bad_csv(row="8861111,L886111110002,Smith,Ann,,F,31/02/2010"
                                     + "," * 16 + "\n"), "line 3"),
    "csv short row": (_bad_csv(row="8861111,L886111110002,Smith\n"), "line 3"),
    "csv bad laestab": (_bad_csv(row="88611,L886111110002,Smith,Ann,,F,2010-02-01"
                                 + "," * 16 + "\n"), "laestab"),
    "csv not utf8": (_bad_csv(row="8861111,L886111110002,Sm\xeft\xe9,Ann,,F,2010-02-01"
                              + "," * 16 + "\n").replace("\xef".encode(), b"\xef")
                     .replace("\xe9".encode(), b"\xe9"), "line 3: the file is not valid UTF-8"),
    "csv control character": (_bad_csv(row="8861111,L886111110002,Sm\x07th,Ann,,F,2010-02-01"
                                      + "," * 16 + "\n"), "line 3: a value contains a control"),
    "empty": (b"", "not a CTF XML file"),
    "binary": (b"\x00\x01\x02PK\x03\x04", "not a CTF XML file"),
}


def _counts(session):
    return (session.scalar(select(func.count(PupilRecord.id))),
            session.scalar(select(func.count(School.id))))


@pytest.mark.parametrize("name", list(CASES))
def test_refused_with_reason_and_nothing_changed(session, name):
    import_ctf(session, "8862222", [pupil("A886222210001", "Other", "Pupil", "2010-01-01",
                                          "F")], name="Other School")
    before = _counts(session)
    data, expected = CASES[name]
    started = time.monotonic()
    s = import_file(session, data, side="school", file_name="bad")
    assert time.monotonic() - started < 5
    assert not s.ok
    assert expected in s.error, s.error
    assert _counts(session) == before
    # no pupil data echoed back
    assert "passwd" not in s.error and "root:" not in s.error


def test_cli_refusal_exit_code_and_no_traceback(runner, tmp_path):
    f = tmp_path / "bad.xml"
    f.write_bytes(XXE)
    r = runner.invoke(args=["b2b", "import", str(f), "--source", "school"])
    assert r.exit_code == 1
    assert "refused, nothing imported" in r.output and "DOCTYPE" in r.output
    assert "Traceback" not in r.output


def test_refusal_mid_file_rolls_back_earlier_pupils(session):
    pupils = [pupil(f"X88611111{i:04d}", "Name", "Kid", "2010-01-01", "M") for i in range(5)]
    pupils.append(pupil("L886111110002", "Bad", "Date", "2010-13-01", "M"))
    data = write_ctf(laestab="8861111", school_name="Green Abbey", pupils=pupils)
    s = import_file(session, data, side="school", file_name="x.xml")
    assert not s.ok and "Pupil 6" in s.error
    assert _counts(session) == (0, 0)


def test_value_longer_than_its_column_is_refused(session):
    # Found by the fuzz test on PostgreSQL: SQLite would have kept "00000" in a 4-char column.
    data = write_pupils_csv([{**pupil("X886111110001", "Bloggs", "Joe", "2006-01-26", "M"),
                              "laestab": "8861111", "ethnicity": "00000"}])
    s = import_file(session, data, side="la", file_name="x.csv")
    assert not s.ok and "line 2: ethnicity is longer than 4 characters" in s.error
    assert _counts(session) == (0, 0)


def test_huge_ids_in_urls_are_not_found(client):
    assert client.get("/api/v1/uploads/99999999999999999999").status_code in (401, 404)
    assert client.get("/school/reports/99999999999").status_code in (302, 404)


def test_a_file_in_another_encoding_than_it_declares_is_refused_in_plain_words(session):


    data = write_ctf(laestab="8861111", school_name="Green Abbey School", pupils=[
        {"upn": "A886111110001", "surname": "Łężśka", "forename": "Siân",
         "dob": "2010-01-01", "sex": "F"}], version="24.0")
    cases = {
        "cp1252 bytes": (data.decode().encode("cp1252", "replace"), "says it is written in UTF-8"),
        "UTF-16 declared": (data.replace(b'encoding="utf-8"', b'encoding="UTF-16"'),
                            "says it is written in UTF-16"),
    }
    for name, (body, says) in cases.items():
        summary = import_file(session, body, side="school", file_name="x.xml")
        assert not summary.ok and says in summary.error, (name, summary.error)
        assert "Blank needed here" not in summary.error
