"""Reading pupil files in a second process (``parse_ahead``) through ``import_files`` and
``import_file``, on real CTF and CSV files: what lands in the database must not depend on
which process read the file, on refusals, or on the worker dying.

Which files went through the worker is seen by looking at ``import_files``'s own locals
between files (``ticket``: the file just imported had been handed to the worker;
``ahead``: its workers), and the tests wait for the worker to be up after the first file
so that the later files are handed to it however fast the machine is. Nothing of ours is
replaced: the worker is the real process, killed with a real signal.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import datetime

import pytest
from sqlalchemy import DateTime, select, text

from webapp.b2b.formats.writers import write_ctf, write_pupils_csv
from webapp.b2b.intake import importing
from webapp.b2b.intake.importing import import_file, import_files
from webapp.demo.synth import make_school
from webapp.extensions import db
from webapp.models import ImportBatch

# The pupil data a refused file must leave as it was (its batch is recorded).
SKIP = ("import_batch",)
WORKER = "b2b-parse-ahead"  # the worker process's name (multiprocessing's, not the OS's)


@pytest.fixture(autouse=True)
def no_worker_left():
    """Every test ends with no parse-ahead worker running."""
    yield
    deadline = time.monotonic() + 10
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _workers(), "a parse-ahead worker outlived its import"


def _workers() -> list[multiprocessing.Process]:
    # active_children() also reaps those that have ended.
    return [p for p in multiprocessing.active_children() if p.name == WORKER]


# -- files --------------------------------------------------------------------------

def _pupils(laestab: str, n: int, seed: int) -> list[dict]:
    """A school's pupils as its MIS would send them, with a few pupils without a UPN,
    one UPN used twice (``make_school``'s anomalies) and attendance for some."""
    pupils = make_school(laestab, f"School {laestab}", n, seed=seed).school
    for p in pupils[7::50]:
        p["upn"] = None
    for i, p in enumerate(pupils[::40]):
        p["attendance"] = [{"academic_year": "2024/25", "sessions_possible": 300,
                            "sessions_attended": 280 - i, "sessions_authorised": 15,
                            "sessions_unauthorised": 5 + i, "marks": "//\\\\"}]
    return pupils


def _changed(pupils: list[dict]) -> list[dict]:
    """The same school a week later: some items changed, one pupil more."""
    out = [dict(p) for p in pupils]
    for p in out[10:30]:
        p["forename"] = p["forename"] + "a"
    for p in out[40:45]:
        p["postcode"] = "ME14 1XX"
        p["middle_names"] = ""
    out.append({**out[0], "upn": "A886999926001", "surname": "Newcomer"})
    return out


def _ctf(laestab: str, pupils: list[dict]) -> bytes:
    return write_ctf(laestab=laestab, school_name=f"School {laestab}", pupils=pupils,
                     generated_at=datetime(2026, 1, 5, 9, 0))


def _csv(laestab: str, pupils: list[dict]) -> bytes:
    return write_pupils_csv([{**p, "laestab": laestab, "upn": p["upn"] or ""}
                             for p in pupils])


WRITERS = {"school": _ctf, "la": _csv}


def _files(side: str) -> list[tuple[str, bytes]]:
    write = WRITERS[side]
    a, b, c = _pupils("8861111", 400, 1), _pupils("8862222", 20, 2), _pupils("8863333", 2100, 3)
    return [
        ("a.1", write("8861111", a)),
        ("b.1", write("8862222", b)),  # small: always read here
        ("c.1", write("8863333", c)),  # over 2,000 pupils: two messages from the worker
        ("a.2", write("8861111", _changed(a))),
        ("b.1-again", write("8862222", b)),
        ("a.1-again", write("8861111", a)),  # back to the first week's values
    ]


# -- running and looking -------------------------------------------------------------

def _run(gen, after=None) -> list[tuple[importing.ImportSummary, bool]]:
    """Run ``import_files`` to its end: each file's summary, and whether the file had
    been handed to the worker. After the first file, waits for the worker to be up;
    after each file calls ``after(i, ahead)`` if given."""
    out = []
    for summary in gen:
        local = gen.gi_frame.f_locals
        out.append((summary, local["ticket"] is not None))
        ahead = local["ahead"]
        if len(out) == 1:
            _wait_ready(ahead)
        if after:
            after(len(out) - 1, ahead)
    return out


def _wait_ready(ahead) -> None:
    deadline = time.monotonic() + 30
    while not ahead.ready():
        assert time.monotonic() < deadline, "the parse-ahead worker never started"
        time.sleep(0.01)


def _snapshot(session, *, skip: tuple[str, ...] = (), times: bool = True
              ) -> dict[str, list[tuple]]:
    """Every row of every table, ids included (without the times, to compare two runs)."""
    session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        cols = [c for c in table.columns
                if times or not isinstance(getattr(c.type, "impl", c.type), DateTime)]
        rows = session.execute(select(*cols).order_by(*table.primary_key.columns))
        out[table.name] = [tuple(r) for r in rows]
    session.commit()
    return out


def _empty(session) -> None:
    """Make the database as fresh as the fixture made it (ids start at 1 again)."""
    session.rollback()
    tables = db.metadata.sorted_tables
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables)
                             + " RESTART IDENTITY CASCADE"))
    else:
        for t in reversed(tables):
            session.execute(t.delete())
    session.commit()
    session.expunge_all()


def _one_by_one(session, files, side: str) -> list[importing.ImportSummary]:
    return [import_file(session, data, side=side, file_name=name) for name, data in files]


def _counts(s: importing.ImportSummary) -> tuple:
    return (s.read, s.new, s.changed, s.unchanged)


# -- the tests -----------------------------------------------------------------------

@pytest.mark.parametrize("side", ["school", "la"])
def test_import_files_stores_exactly_what_import_file_stores(session, side, monkeypatch):
    if side == "la":
        # The CSVs are smaller than the CTFs of as many pupils: only b.1 is under this.
        monkeypatch.setattr(importing, "PARSE_AHEAD_MIN_BYTES", 16 * 1024)
    files = _files(side)
    through = _run(import_files(session, files, side=side))
    via_worker = [w for _, w in through]
    # After the first file, every file over the threshold went to the worker, no other.
    limit = importing.PARSE_AHEAD_MIN_BYTES
    assert via_worker[1:] == [len(d) >= limit for _, d in files[1:]]
    assert via_worker[2:4] == [True, True] and not via_worker[1]
    worker_db = _snapshot(session, times=False)

    _empty(session)
    assert _snapshot(session)["pupil_record"] == []
    here = _one_by_one(session, files, side)
    here_db = _snapshot(session, times=False)

    assert [s.as_dict() for s, _ in through] == [s.as_dict() for s in here]
    for table, rows in here_db.items():
        assert worker_db[table] == rows, table
    # And the files did what they should, so the comparison compared something.
    counts = [_counts(s) for s, _ in through]
    assert counts == [(401, 401, 0, 0), (21, 21, 0, 0), (2101, 2101, 0, 0),
                      (402, 1, 25, 376), (21, 0, 0, 21), (401, 0, 25, 376)]
    assert through[4][0].duplicate_of == through[1][0].batch_id
    keys = {k for (k,) in session.execute(text("SELECT record_key FROM pupil_record"))}
    assert any(k.startswith("nokey:") for k in keys) and any("#2" in k for k in keys)
    if side == "school":
        assert len(here_db["attendance_year"]) == 11 + 1 + 1 + 53


@pytest.mark.parametrize("spoil", ["impossible date", "bad sex code", "stray ampersand",
                                   "truncated"])
def test_a_refused_file_is_refused_alike_and_changes_no_pupil_data(session, spoil):
    d_pupils = _pupils("8864444", 2400, 4)
    first = _ctf("8864444", d_pupils[:300])
    later = _changed(d_pupils)  # the first 300 again, some changed, and 2,100 more
    if spoil == "impossible date":
        later[2299]["dob"] = "2016-02-30"  # pupil 2,300: after the worker's first message
    elif spoil == "bad sex code":
        later[9]["sex"] = "Q"
    bad = _ctf("8864444", later)
    if spoil == "stray ampersand":
        at = bad.index(b"<Surname>", len(bad) // 2) + len(b"<Surname>")
        bad = bad[:at] + b"Smith & " + bad[at:]
    elif spoil == "truncated":
        bad = bad[: len(bad) - 20_000]
    files = [("d.1", first), ("d.2", bad), ("e.1", _ctf("8865555", _pupils("8865555", 300, 5)))]

    snaps = []
    through = _run(import_files(session, files, side="school"),
                   after=lambda i, ahead: snaps.append(_snapshot(session, skip=SKIP)))
    (s1, _), (refused, via_worker), (s3, _) = through
    assert via_worker
    assert s1.ok and s3.ok and (s3.read, s3.new) == (301, 301)
    assert not refused.ok and refused.new == refused.changed == 0
    where = {"impossible date": "Pupil 2300 (line ", "bad sex code": "Pupil 10 (line ",
             "stray ampersand": "line ", "truncated": "line "}[spoil]
    assert refused.error.startswith(where), refused.error
    assert ("not well formed" in refused.error) == (spoil in ("stray ampersand", "truncated"))
    # Refused at pupil 2,300 or at the end, 2,000 pupils had been written (and undone).
    assert refused.read == (2000 if spoil in ("impossible date", "truncated") else 0)
    # The refused file left the pupil data as d.1 had left it.
    assert snaps[1] == snaps[0]
    assert len(snaps[0]["pupil_record"]) == 300

    # Read here, the same bytes are refused with the same message after the same pupils,
    # and change nothing either.
    here = import_file(session, bad, side="school", file_name="d.2-here")
    assert (here.error, here.read) == (refused.error, refused.read)
    assert _snapshot(session, skip=SKIP) == snaps[2]

    batches = session.execute(select(ImportBatch.file_name, ImportBatch.status,
                                     ImportBatch.read_count, ImportBatch.errors)
                              .order_by(ImportBatch.id)).all()
    assert [tuple(b) for b in batches] == [
        ("d.1", "imported", 300, None), ("d.2", "refused", refused.read, refused.error),
        ("e.1", "imported", 301, None), ("d.2-here", "refused", refused.read, refused.error)]


def _kill(worker: multiprocessing.Process) -> int:
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    return worker.exitcode


def test_worker_killed_mid_file_the_rest_is_read_here(session, monkeypatch):
    # import_file hands a pupils file this large to the worker (and waits for it to start).
    monkeypatch.setattr(importing, "PARSE_AHEAD_BYTES", 0)
    data = _ctf("8866666", _pupils("8866666", 4100, 6))
    reported, killed = [], []

    def progress(n: int) -> None:
        reported.append(n)
        if not killed:  # the worker's first 2,000 pupils are in: kill it
            [worker] = _workers()
            killed.append(_kill(worker))

    s = import_file(session, data, side="school", file_name="f", progress=progress)
    assert killed == [-signal.SIGKILL]
    # The first report was the worker's, for its first message of 2,000 pupils of 4,101.
    assert len(data) * 0.4 < reported[0] < len(data) * 0.6
    # Reading the rest here went on reporting progress, to the whole file.
    assert len(reported) > 2 and sum(reported) == len(data)
    assert s.ok and _counts(s) == (4101, 4101, 0, 0)
    worker_db = _snapshot(session, times=False)

    _empty(session)
    monkeypatch.undo()
    here = import_file(session, data, side="school", file_name="f")
    assert s.as_dict() == here.as_dict()
    assert worker_db == _snapshot(session, times=False)


def test_worker_killed_between_files_the_rest_are_read_here(session):
    files = [(f"s{i}", _ctf(f"88670{i}1", _pupils(f"88670{i}1", 300, 10 + i)))
             for i in range(4)]
    killed = []

    def kill_after_first(i: int, ahead) -> None:
        if i == 0:
            [worker] = _workers()
            killed.append(_kill(worker))

    through = _run(import_files(session, files, side="school"), after=kill_after_first)
    assert killed == [-signal.SIGKILL]
    # s1 and s2 were handed to the worker before its death was known (when s1's pupils
    # were asked for); s3 was not handed to a worker that had gone.
    assert [w for _, w in through][1:] == [True, True, False]
    assert all(s.ok and s.new == 301 for s, _ in through)
    worker_db = _snapshot(session, times=False)

    _empty(session)
    here = _one_by_one(session, files, "school")
    assert [s.as_dict() for s, _ in through] == [s.as_dict() for s in here]
    assert worker_db == _snapshot(session, times=False)


def test_the_same_file_twice_changes_nothing(session):
    data = _ctf("8861111", _changed(_pupils("8861111", 400, 1)))
    snaps = []
    through = _run(import_files(session, [("a", data), ("a-again", data)], side="school"),
                   after=lambda i, ahead: snaps.append(_snapshot(session, skip=SKIP)))
    (first, _), (again, via_worker) = through
    assert via_worker
    assert _counts(first) == (402, 402, 0, 0)
    assert again.ok and again.duplicate_of == first.batch_id
    assert _counts(again) == (402, 0, 0, 402)
    # Not a row nor a time of change moved, attendance included.
    assert snaps[1] == snaps[0] and len(snaps[0]["attendance_year"]) == 12
    batches = session.execute(select(ImportBatch.file_name, ImportBatch.unchanged_count)
                              .order_by(ImportBatch.id)).all()
    assert [tuple(b) for b in batches] == [("a", 0), ("a-again", 402)]


def test_stopping_early_imports_what_was_taken_and_stops_the_worker(session):
    files = _files("school")
    gen = import_files(session, files, side="school")
    first = next(gen)
    _wait_ready(gen.gi_frame.f_locals["ahead"])
    taken = [first, next(gen), next(gen)]
    # c.1 came from the worker, which has a.2 too: it is stopped with a file in hand.
    local = gen.gi_frame.f_locals
    assert local["ticket"] is not None
    assert [(name, ticket is not None) for name, _, ticket in local["window"]] == \
        [("a.2", True)]
    gen.close()
    assert [s.file_name for s in taken] == ["a.1", "b.1", "c.1"] and all(s.ok for s in taken)
    assert [b for (b,) in session.execute(select(ImportBatch.file_name)
                                          .order_by(ImportBatch.id))] == ["a.1", "b.1", "c.1"]
