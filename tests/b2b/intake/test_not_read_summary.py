"""What a file held and was not read reaches the import's summary the same way whichever
process read the file (the parse-ahead worker, or the importer itself)."""

from __future__ import annotations

from tests.factories import pupil
from webapp.b2b.formats.writers import write_ctf
from webapp.b2b.intake import importing, parse_ahead
from webapp.b2b.intake.importing import import_file
from webapp.models import PupilRecord


def _file() -> bytes:
    pupils = [pupil(f"X88611111{i:04d}", "Example", "Alex", "2010-01-01", "M",
                    first_language="ENG") for i in range(300)]
    data = write_ctf(laestab="8861111", school_name="Example Primary", pupils=pupils,
                     version="99.0")
    # An element no reader knows, for every other pupil.
    parts = data.split(b"</DOB>")
    return b"".join(p + (b"</DOB><Bus>7</Bus>" if i % 2 == 0 else b"</DOB>")
                    for i, p in enumerate(parts[:-1])) + parts[-1]


def test_not_read_and_warnings_come_back_from_the_worker(session, monkeypatch):
    data = _file()
    here = import_file(session, data, side="school", file_name="here.xml")
    assert here.ok and here.not_read == {"Bus": 150}
    assert len(here.warnings) == 1 and "99.0 is newer" in here.warnings[0]
    session.query(PupilRecord).delete()
    session.commit()
    monkeypatch.setattr(importing, "PARSE_AHEAD_BYTES", 1024)
    handed: list[str] = []
    submit = parse_ahead.ParseAhead.submit

    def spy(self, fmt, data):
        handed.append(fmt)
        return submit(self, fmt, data)

    monkeypatch.setattr(parse_ahead.ParseAhead, "submit", spy)
    through = import_file(session, data, side="school", file_name="worker.xml")
    assert handed == ["ctf"]  # the worker read it (its CPU seconds are too coarse to tell)
    assert (through.not_read, through.warnings) == (here.not_read, here.warnings)
    assert through.as_dict()["not_read"] == [{"path": "Bus", "pupils": 150}]
