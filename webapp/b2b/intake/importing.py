"""Taking a file into the database: one transaction per file, only changes stored.

``import_file`` is what the CLI, the upload API and the tests call; ``import_files``
takes many files in turn, reading the next in a second process while one is written
(``parse_ahead``). A refused file changes no pupil data; it is recorded as a refused
import batch with its reason.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, islice
from operator import gt, itemgetter
from typing import IO, Any, TypeVar, cast

from sqlalchemy import Dialect, Table, select, update
from sqlalchemy.orm import Session

from webapp.b2b.formats import (
    CountingReader,
    ImportRefused,
    ParsedAttendance,
    ParsedExclusion,
    ParsedPupil,
    ReadNotes,
    SchoolRef,
    sniff,
)
from webapp.b2b.formats.csvfile import (
    check_utf8,
    read_attendance_csv,
    read_exclusions_csv,
    read_pupils_csv,
)
from webapp.b2b.formats.ctf import read_ctf
from webapp.b2b.formats.headings import NO_MAPPING, ColumnMapping
from webapp.b2b.intake.parse_ahead import READERS, ParseAhead, Ticket
from webapp.b2b.records.checks import record_problems
from webapp.b2b.records.hashing import values_hash
from webapp.b2b.records.items import RECORD_ITEMS
from webapp.models import (
    AttendanceYear,
    Exclusion,
    ImportBatch,
    LocalAuthority,
    PupilRecord,
    School,
    SimsItem,
)
from webapp.models.base import utcnow
from webapp.platform.gcpause import old_objects_frozen

CHUNK = 2000
Progress = Callable[[int], None]


class OutOfScope(ImportRefused):
    """The file names a school its sender may not write (a school's token and another
    school, an LA's token and another LA's school, a school's file naming two schools)."""


@dataclass(frozen=True)
class Scope:
    """Which schools one file may write. The importer checks every school the file names
    (its header, every CSV row) as it reads them, inside the file's transaction: the one
    reading of the file that stores it is the one that decides its school.

    ``laestab``: that school only (a school's upload token). ``la_number``: that LA's
    schools only (an LA's token, the drop folder). ``one_school``: all of the file's
    pupils at one school (a school's own MIS export). The default, no limit, is for the
    LA's officers at the command line.
    """

    laestab: str | None = None
    la_number: str | None = None
    one_school: bool = False

    def check(self, laestab: str, seen: dict[str, int], where: str | None) -> None:
        """Refuse ``laestab`` if this scope does not cover it (``seen``: schools so far)."""
        if self.laestab is not None and laestab != self.laestab:
            raise OutOfScope(f"the file names school {laestab}; this upload may only send "
                             f"school {self.laestab}'s data", where)
        if self.la_number is not None and laestab[:3] != self.la_number:
            raise OutOfScope(f"the file names school {laestab}, which is not a school of "
                             f"LA {self.la_number}", where)
        if self.one_school and seen and laestab not in seen:
            raise OutOfScope(f"the file names more than one school ({min(seen)} and "
                             f"{laestab}); a school's file holds its own pupils only", where)


ANY_SCHOOL = Scope()


@dataclass
class ImportSummary:
    """What an import did, for the CLI, the API and the audit log."""

    file_name: str
    side: str
    file_format: str = ""
    batch_id: int | None = None
    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    schools_created: list[str] = field(default_factory=list)
    duplicate_of: int | None = None
    error: str | None = None
    out_of_scope: bool = False  # refused for naming a school the sender may not write
    # Element paths the file held and the importer did not read -> how many pupils had
    # each (nothing is dropped silently); warnings about the file as a whole.
    not_read: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def not_read_list(self) -> list[dict[str, object]]:
        """``not_read`` as the JSON summaries give it: most common first."""
        return [{"path": path, "pupils": n} for path, n in
                sorted(self.not_read.items(), key=lambda kv: -kv[1])]

    def not_read_lines(self) -> list[str]:
        """``not_read`` in words, one line a path: "StageAssessments: 212 pupils, not read"."""
        return [f"{d['path']}: {d['pupils']} pupil{'' if d['pupils'] == 1 else 's'}, "
                "not read" for d in self.not_read_list()]

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file_name, "side": self.side, "format": self.file_format,
            "batch_id": self.batch_id, "read": self.read, "new": self.new,
            "changed": self.changed, "unchanged": self.unchanged, "refused": self.refused,
            "schools_created": self.schools_created, "duplicate_of": self.duplicate_of,
            "error": self.error, "not_read": self.not_read_list(),
            "warnings": self.warnings,
        }






# A pupils file at least this large is read in a second process while this one writes.
PARSE_AHEAD_BYTES = 8 * 1024 * 1024
# import_files reads smaller files here: handing a week's delta file of a few pupils to
# another process cost more than reading it (600 of them: 1.75 s against 1.4 s).
PARSE_AHEAD_MIN_BYTES = 64 * 1024
# Processes reading ahead for import_files. On two cores a second one gained nothing
# measurable (the writing here and the reading there already keep both busy).
PARSE_WORKERS = 1


def import_file(
    session: Session,
    data: bytes,
    *,
    side: str,
    file_name: str,
    actor: str = "system",
    progress: Progress | None = None,
    scope: Scope = ANY_SCHOOL,
    mapping: ColumnMapping = NO_MAPPING,
) -> ImportSummary:
    """Import one file's bytes for ``side`` (``"school"`` or ``"la"``), writing only
    schools that ``scope`` covers (a school it does not cover refuses the whole file).
    ``mapping`` says which column of an LA's own pupils CSV is which item.

    The format is taken from the content. Importing the same file twice changes nothing
    (and the summary names the earlier batch with the same SHA-256). Commits on success;
    on refusal rolls back the pupil data, records the refused batch, and returns a summary
    whose ``error`` says why.
    """
    if side not in ("school", "la"):
        raise ValueError("side must be 'school' or 'la'")
    fmt = _pupils_format(data)
    if fmt and len(data) >= PARSE_AHEAD_BYTES and mapping is NO_MAPPING:
        with ParseAhead() as ahead:
            return _import(session, data, side=side, file_name=file_name, actor=actor,
                           progress=progress, ticket=ahead.submit(fmt, data), scope=scope,
                           mapping=mapping)
    return _import(session, data, side=side, file_name=file_name, actor=actor,
                   progress=progress, scope=scope, mapping=mapping)


def import_files(
    session: Session,
    files: Iterable[tuple[str, bytes]],
    *,
    side: str,
    actor: str = "system",
    scope: Scope = ANY_SCHOOL,
) -> Iterator[ImportSummary]:
    """Import several files, each exactly as :func:`import_file` would (one transaction
    each, in the order given), yielding each one's summary.

    While one file is written the next (if 64 KB or more) is read in a second process:
    600 full school CTFs take about the reading's time instead of reading plus writing.
    """
    if side not in ("school", "la"):
        raise ValueError("side must be 'school' or 'la'")
    todo = iter(files)
    with ParseAhead(PARSE_WORKERS) as ahead:
        window: deque[tuple[str, bytes, Ticket | None]] = deque()
        while True:
            # Until a worker is up, files are read here rather than waited for.
            while len(window) <= PARSE_WORKERS and (ahead.ready() or not window):
                nxt = next(todo, None)
                if nxt is None:
                    break
                name, data = nxt
                fmt = _pupils_format(data)
                ticket = None
                if fmt and len(data) >= PARSE_AHEAD_MIN_BYTES:
                    ahead.start()
                    if ahead.ready():
                        ticket = ahead.submit(fmt, data)
                window.append((name, data, ticket))
            if not window:
                return
            name, data, ticket = window.popleft()
            yield _import(session, data, side=side, file_name=name, actor=actor,
                          ticket=ticket, scope=scope)


def _pupils_format(data: bytes) -> str | None:
    """The file's format if it is one the parse-ahead worker reads, else ``None``."""
    try:
        fmt = sniff(data[:4096])
    except ImportRefused:
        return None
    return fmt if fmt in READERS else None


def _import(
    session: Session,
    data: bytes,
    *,
    side: str,
    file_name: str,
    actor: str,
    progress: Progress | None = None,
    ticket: Ticket | None = None,
    scope: Scope = ANY_SCHOOL,
    mapping: ColumnMapping = NO_MAPPING,
) -> ImportSummary:
    try:
        return _import_here(session, data, side=side, file_name=file_name, actor=actor,
                            progress=progress, ticket=ticket, scope=scope, mapping=mapping)
    finally:
        if ticket is not None:
            ticket.finish()


def _import_here(
    session: Session,
    data: bytes,
    *,
    side: str,
    file_name: str,
    actor: str,
    progress: Progress | None,
    ticket: Ticket | None,
    scope: Scope,
    mapping: ColumnMapping = NO_MAPPING,
) -> ImportSummary:
    summary = ImportSummary(file_name=file_name, side=side)
    sha = hashlib.sha256(data).hexdigest()
    earlier = session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.sha256 == sha, ImportBatch.side == side,
            ImportBatch.status == "imported",
        )
    )
    # The same bytes again are taken in like any file (the content hashes then find
    # nothing changed): an old file may legitimately be re-sent after other changes.
    summary.duplicate_of = earlier
    try:
        summary.file_format = sniff(data[:4096])
        if summary.file_format.startswith("csv"):
            check_utf8(data)
        batch = ImportBatch(side=side, file_name=file_name[:255], sha256=sha,
                            file_format=summary.file_format, imported_by=actor)
        session.add(batch)
        session.flush()
        summary.batch_id = batch.id
        stream = io.BufferedReader(CountingReader(io.BytesIO(data), progress))
        importer = _Importer(session, side, batch, summary, scope, mapping)
        notes = ReadNotes()
        with old_objects_frozen():
            importer.run(stream, ticket.pupils(progress, notes) if ticket is not None
                         else None, notes)
        summary.not_read, summary.warnings = notes.not_read(), notes.warnings
        batch.read_count = summary.read
        batch.new_count = summary.new
        batch.changed_count = summary.changed
        batch.unchanged_count = summary.unchanged
        batch.schools_created = len(summary.schools_created)
        session.commit()
        if side == "school" and summary.changed + summary.new:
            # The school's own data arrived: see which "SIMS to amend" items it settles.
            from webapp.b2b.amendments.sims_items import check_sims_items

            for school_id in _with_sims_items(session, importer.schools.values()):
                check_sims_items(session, school_id, batch.id)
        if side == "la" and importer.schools:
            # ONE's extract arrived: does ONE now hold what each completed task wrote?
            from webapp.b2b.amendments.tasks import check_tasks_against_one

            check_tasks_against_one(session, importer.schools.values(), batch.id, file_name)
    except ImportRefused as e:
        session.rollback()
        # Printable and bounded: a message may quote a column name from a hostile file.
        summary.error = "".join(ch if ch.isprintable() else "?" for ch in str(e))[:2000]
        summary.refused = max(summary.refused, 1)
        summary.out_of_scope = isinstance(e, OutOfScope)
        summary.new = summary.changed = summary.unchanged = 0
        summary.schools_created = []
        refused = ImportBatch(side=side, file_name=file_name[:255], sha256=sha,
                              file_format=summary.file_format or "unknown",
                              imported_by=actor, status="refused",
                              read_count=summary.read, refused_count=summary.refused,
                              errors=summary.error)
        session.add(refused)
        session.commit()
        summary.batch_id = refused.id
    except BaseException:
        session.rollback()
        raise
    return summary


def _with_sims_items(session: Session, school_ids: Iterable[int]) -> list[int]:
    """Those of the schools with "SIMS to amend" items still to check (most have none)."""
    ids = sorted(set(school_ids))
    if not ids:
        return []
    found = set(session.scalars(select(SimsItem.school_id).where(
        SimsItem.school_id.in_(ids), SimsItem.status.in_(("open", "not_amended")))))
    return [i for i in ids if i in found]


def _placeholder(dialect: Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


_RECORD_COLUMNS = ("side", "school_id", "record_key", "content_hash", "import_batch_id",
                   "created_batch_id", "item_batches", "created_at", "changed_at",
                   "problems")
_UPDATE_COLUMNS = ("content_hash", "import_batch_id", "item_batches", "changed_at",
                   "problems")
_UPN, _POSTCODE = RECORD_ITEMS.index("upn"), RECORD_ITEMS.index("postcode")

# A record's items' values in RECORD_ITEMS order, as a file gave them.
Values = tuple[str | None, ...]
# Item sources as a record keeps them (``PupilRecord.item_batches``).
ItemBatches = dict[str, int | str]
_T = TypeVar("_T")


def _problems(values: Values) -> str | None:
    return record_problems(values[_UPN], values[_POSTCODE])


def _picker(indexes: tuple[int, ...]) -> Callable[[tuple[object, ...]], tuple[object, ...]]:
    """A function taking those positions of a tuple, as a tuple."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        i = indexes[0]
        return lambda t: (t[i],)
    return lambda t: ()


class _PupilWriter:
    """INSERT and UPDATE of pupil records through the driver's executemany, as tuples.

    SQLAlchemy's per-row parameter building dominated large imports. The column types'
    own bind processors are still applied (those of the columns that are the same for
    every row of an import, once), so stored values are exactly as before.
    """

    def __init__(self, session: Session, *, side: str, batch_id: int, now: datetime) -> None:
        self.session = session
        conn = session.connection()
        dialect = conn.dialect
        self.dialect = dialect
        table = PupilRecord.__table__
        ph = _placeholder(dialect)
        self.ph = ph
        self.table = table.name

        def proc(name: str) -> Callable[[Any], Any] | None:
            return table.c[name].type.bind_processor(dialect)

        def bound(name: str, value: object) -> object:
            p = proc(name)
            value = p(value) if p is not None else value
            if dialect.driver == "pysqlite" and not isinstance(value, str | int | None):
                # What the driver would turn it into, done once instead of per row.
                value = sqlite3.adapt(value, sqlite3.PrepareProtocol)  # (its default)
            return value

        self.item_procs = [(i, p) for i, c in enumerate(RECORD_ITEMS) if (p := proc(c))]
        self.batches_proc = proc("item_batches")
        self.insert_sqls: dict[tuple[int, ...], str] = {}
        self.update_sql = (f"UPDATE {table.name} SET "
                           + ", ".join(f"{c} = {ph}" for c in RECORD_ITEMS + _UPDATE_COLUMNS)
                           + f" WHERE id = {ph}")
        self.side = bound("side", side)
        self.batch_id = bound("import_batch_id", batch_id)
        self.no_batches = bound("item_batches", None)
        self.now = bound("changed_at", now)
        self.batches_result = table.c.item_batches.type.dialect_impl(
            dialect).result_processor(dialect, None)
        self.select_sql = (
            f"SELECT id, school_id, record_key, content_hash, item_batches, "
            f"{', '.join(RECORD_ITEMS)} "
            f"FROM {table.name} WHERE side = {ph} AND school_id IN ({{}}) "
            f"AND record_key IN ({{}})")

    def _items(self, values: Values) -> tuple[object, ...]:
        if not self.item_procs:
            return values
        out = list(values)
        for i, p in self.item_procs:
            out[i] = p(out[i])
        return tuple(out)

    def existing(self, school_ids: set[int], keys: set[str]
                 ) -> dict[tuple[int, str], tuple[int, str, Values, object]]:
        """Records held for these keys: (school_id, key) -> (id, content_hash, values,
        item_batches as stored: pass it to ``item_batches`` if needed)."""
        sql = self.select_sql.format(", ".join([self.ph] * len(school_ids)),
                                     ", ".join([self.ph] * len(keys)))
        rows = self.session.connection().exec_driver_sql(
            sql, (self.side, *school_ids, *keys))
        return {(r[1], r[2]): (r[0], r[3], tuple(r[5:]), r[4]) for r in rows}

    def item_batches(self, stored: object) -> ItemBatches | None:
        """A record's item sources as the ORM would have read them."""
        batches = self.batches_result(stored) if self.batches_result else stored
        return cast("ItemBatches | None", batches)

    def insert(self, rows: list[tuple[Values, int, str, str]]) -> None:
        """Rows of (values, school_id, record_key, content_hash)."""
        b, now = self.batch_id, self.now
        # Items no row of the chunk supplies are left out of the INSERT (they are NULL
        # either way, no column has a default): binding them was most of the driver's time.
        columns = list(zip(*(r[0] for r in rows), strict=True))
        keep = tuple(i for i, col in enumerate(columns) if col.count(None) != len(col))
        sql = self.insert_sqls.get(keep)
        if sql is None:
            cols = tuple(RECORD_ITEMS[i] for i in keep) + _RECORD_COLUMNS
            sql = self.insert_sqls[keep] = (
                f"INSERT INTO {self.table} ({', '.join(cols)}) VALUES "
                f"({', '.join([self.ph] * len(cols))})")
        pick = _picker(keep)
        params = [(*pick(self._items(values)), self.side, sid, key, h, b, b,
                   self.no_batches, now, now, _problems(values))
                  for values, sid, key, h in rows]
        self.session.connection().exec_driver_sql(sql, params)

    def update(self, rows: list[tuple[int, Values, str, ItemBatches]]) -> None:
        """Rows of (id, values, content_hash, item_batches)."""
        params = [(*self._items(values), h, self.batch_id,
                   self.batches_proc(sources) if self.batches_proc else sources, self.now,
                   _problems(values), rid) for rid, values, h, sources in rows]
        self.session.connection().exec_driver_sql(self.update_sql, params)


def _lengths(table: Table) -> dict[str, int]:
    return {c.name: length for c in table.columns
            if (length := getattr(c.type, "length", None))}


_PUPIL_LENGTHS = _lengths(PupilRecord.__table__)
_EXCLUSION_LENGTHS = _lengths(Exclusion.__table__)
_ATTENDANCE_LENGTHS = _lengths(AttendanceYear.__table__)


# The limits in RECORD_ITEMS order, for the quick test on every pupil.
_ITEM_LIMITS = tuple(_PUPIL_LENGTHS.get(k, sys.maxsize) for k in RECORD_ITEMS)


_ITEM_SET = frozenset(RECORD_ITEMS)


def _too_long(values: Values) -> bool:
    """Whether any value may be longer than its column (``_check_lengths`` says which)."""
    try:
        # Blank and missing values cannot be too long: pair the others with their limits.
        return any(map(gt, map(len, filter(None, values)), compress(_ITEM_LIMITS, values)))
    except TypeError:  # not all text: let the full check look
        return True


_KEY_LENGTH = _PUPIL_LENGTHS["record_key"]
# A report names a pupil by "school:" or "la:" and the key, in a column of the same length:
# a key made to fit leaves room for the longer of the two.
_FITTED_KEY_LENGTH = _KEY_LENGTH - len("school:")


def _fitted_key(key: str) -> str:
    """``key`` as it is if its column holds it (so every key PostgreSQL could store stays
    the same), else its start and the SHA-256 of the whole key: the same pupil always gets
    the same key, and two pupils whose names differ only past the cut get two."""
    if len(key) <= _KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key[:_FITTED_KEY_LENGTH - len(digest) - 1] + "~" + digest


def _check_lengths(items: Mapping[str, object], lengths: dict[str, int], where: str) -> None:
    """Refuse a value longer than its column holds (PostgreSQL would refuse the whole
    write; SQLite would keep it silently)."""
    for k, v in items.items():
        n = lengths.get(k)
        if n and isinstance(v, str) and len(v) > n:
            raise ImportRefused(f"{k} is longer than {n} characters", where)


def _chunks(it: Iterable[_T], n: int) -> Iterator[list[_T]]:
    it = iter(it)
    while chunk := list(islice(it, n)):
        yield chunk


class _Importer:
    def __init__(self, session: Session, side: str, batch: ImportBatch, summary: ImportSummary,
                 scope: Scope = ANY_SCHOOL, mapping: ColumnMapping = NO_MAPPING):
        self.s = session
        self.scope = scope
        self.mapping = mapping
        self.side = side
        self.batch = batch
        self.summary = summary
        self.schools: dict[str, int] = {}
        self.key_seen: dict[tuple[int, str], int] = {}
        self.now = utcnow()

    def run(self, stream: IO[bytes], pupils: Iterator[ParsedPupil] | None = None,
            notes: ReadNotes | None = None) -> None:
        """Take in the file; ``pupils``, if given, are its pupils as already read;
        ``notes`` gets what the file held and was not read."""
        fmt = self.summary.file_format
        if fmt == "ctf":
            self._pupils(pupils if pupils is not None
                         else read_ctf(stream, notes if notes is not None else ReadNotes()))
        elif fmt == "csv-pupils":
            self._pupils(pupils if pupils is not None else read_pupils_csv(stream, self.mapping))
        elif fmt == "csv-exclusions":
            self._exclusions(read_exclusions_csv(stream))
        else:
            self._attendance(read_attendance_csv(stream))

    # -- schools --------------------------------------------------------------------
    def school_id(self, ref: SchoolRef, where: str | None = None) -> int:
        sid = self.schools.get(ref.laestab)
        if sid is not None:
            return sid
        self.scope.check(ref.laestab, self.schools, where)
        # Columns, not the entity: loading the School object cost more than the query.
        found = self.s.execute(select(School.id, School.name_is_placeholder)
                               .where(School.laestab == ref.laestab)).first()
        if found is None:
            la = self.s.scalar(
                select(LocalAuthority).where(LocalAuthority.la_number == ref.laestab[:3])
            )
            if la is None:
                la = LocalAuthority(la_number=ref.laestab[:3], name=f"LA {ref.laestab[:3]}")
                self.s.add(la)
                self.s.flush()
            school = School(la_id=la.id, estab=ref.laestab[3:], laestab=ref.laestab,
                            name=ref.name or f"School {ref.laestab}",
                            name_is_placeholder=not ref.name)
            self.s.add(school)
            self.s.flush()
            self.summary.schools_created.append(ref.laestab)
            sid = school.id
        else:
            sid, placeholder = found
            if ref.name and placeholder:
                school = self.s.get_one(School, sid)
                school.name = ref.name
                school.name_is_placeholder = False
        self.schools[ref.laestab] = sid
        return sid

    def record_key(self, school_id: int, items: dict[str, str | None]) -> str:
        key = items.get("upn") or "nokey:" + "|".join(
            (items.get(k) or "").casefold() for k in ("surname", "forename", "dob", "sex"))
        # The n-th pupil of a file with the same UPN, or with no UPN and the same name,
        # date of birth and sex, is a record of its own.
        n = self.key_seen.get((school_id, key), 0) + 1
        self.key_seen[(school_id, key)] = n
        return _fitted_key(key if n == 1 else f"{key}#{n}")

    # -- pupils ---------------------------------------------------------------------
    def _pupils(self, pupils: Iterator[ParsedPupil]) -> None:
        writer = _PupilWriter(self.s, side=self.side, batch_id=self.batch.id, now=self.now)
        for chunk in _chunks(pupils, CHUNK):
            self.summary.read += len(chunk)
            keyed: list[tuple[int, str, Values, ParsedPupil]] = []
            for p in chunk:
                items = p.items
                values = tuple(map(items.get, RECORD_ITEMS))
                if _too_long(values) or not items.keys() <= _ITEM_SET:
                    _check_lengths(items, _PUPIL_LENGTHS, p.where)
                sid = self.school_id(p.school, p.where)
                keyed.append((sid, self.record_key(sid, items), values, p))
            existing = writer.existing({k[0] for k in keyed}, {k[1] for k in keyed})
            inserts, updates, with_attendance = [], [], []
            for sid, key, values, p in keyed:
                old = existing.get((sid, key))
                if old is None:
                    inserts.append((values, sid, key, values_hash(values)))
                else:
                    # Items the file does not carry keep what we had.
                    items = p.items
                    old_id, old_hash, old_values, old_batches = old
                    values = tuple(items[k] if k in items else v
                                   for k, v in zip(RECORD_ITEMS, old_values, strict=True))
                    h = values_hash(values)
                    if h == old_hash:
                        self.summary.unchanged += 1
                    else:
                        updates.append((old_id, values, h, old_values, old_batches))
                if p.attendance:
                    with_attendance.append((sid, key, p))
            if inserts:
                writer.insert(inserts)
                self.summary.new += len(inserts)
            if updates:
                batch_id = self.batch.id
                rows = []
                for rid, values, h, old_values, old_batches in updates:
                    mine = dict(writer.item_batches(old_batches) or {})
                    mine.update({k: batch_id for k, v, o in
                                 zip(RECORD_ITEMS, values, old_values, strict=True) if v != o})
                    rows.append((rid, values, h, mine))
                writer.update(rows)
                self.summary.changed += len(updates)
            if with_attendance:
                self._pupil_attendance(with_attendance)

    def _ids(self, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        if not pairs:
            return {}
        rows = self.s.execute(
            select(PupilRecord.id, PupilRecord.school_id, PupilRecord.record_key).where(
                PupilRecord.side == self.side,
                PupilRecord.school_id.in_({p[0] for p in pairs}),
                PupilRecord.record_key.in_({p[1] for p in pairs}),
            )
        )
        return {(r.school_id, r.record_key): r.id for r in rows}

    def _touch(self, pupil_ids: set[int]) -> None:
        """Mark pupils whose exclusions or attendance changed, so they are compared again."""
        if pupil_ids:
            self.s.execute(
                update(PupilRecord).where(PupilRecord.id.in_(pupil_ids))
                .values(changed_at=self.now, import_batch_id=self.batch.id)
            )

    def _pupil_attendance(self, rows: list[tuple[int, str, ParsedPupil]]) -> None:
        ids = self._ids({(sid, key) for sid, key, _ in rows})
        for sid, key, p in rows:
            pid = ids[(sid, key)]
            for year in p.attendance:
                self._upsert_attendance(pid, year)

    def _upsert_attendance(self, pupil_id: int, year: dict[str, str | int | None]) -> bool:
        row = self.s.scalar(select(AttendanceYear).where(
            AttendanceYear.pupil_id == pupil_id,
            AttendanceYear.academic_year == year["academic_year"]))
        if row is None:
            self.s.add(AttendanceYear(pupil_id=pupil_id, **year))
            self._touch({pupil_id})
            return True
        changed = False
        for k, v in year.items():
            if getattr(row, k) != v:
                setattr(row, k, v)
                changed = True
        if changed:
            self._touch({pupil_id})
        return changed

    # -- companion CSVs ---------------------------------------------------------------
    def _pupil_id_for(self, ref: SchoolRef, upn: str, where: str) -> int:
        sid = self.school_id(ref, where)
        pid = self.s.scalar(select(PupilRecord.id).where(
            PupilRecord.side == self.side, PupilRecord.school_id == sid,
            PupilRecord.record_key == upn))
        if pid is None:
            raise ImportRefused(f"no pupil with this UPN at school {ref.laestab} on the "
                                f"{self.side} side: import the pupils file first", where)
        return pid

    def _exclusions(self, rows: Iterator[ParsedExclusion]) -> None:
        for r in rows:
            self.summary.read += 1
            _check_lengths(r.items, _EXCLUSION_LENGTHS, r.where)
            pid = self._pupil_id_for(r.school, r.upn, r.where)
            ex = self.s.scalar(select(Exclusion).where(
                Exclusion.pupil_id == pid, Exclusion.category == r.items["category"],
                Exclusion.start_date == r.items["start_date"]))
            if ex is None:
                self.s.add(Exclusion(pupil_id=pid, **r.items))
                self.summary.new += 1
                self._touch({pid})
            elif any(getattr(ex, k) != v for k, v in r.items.items()):
                for k, v in r.items.items():
                    setattr(ex, k, v)
                self.summary.changed += 1
                self._touch({pid})
            else:
                self.summary.unchanged += 1
            self.s.flush()

    def _attendance(self, rows: Iterator[ParsedAttendance]) -> None:
        for r in rows:
            self.summary.read += 1
            _check_lengths(r.items, _ATTENDANCE_LENGTHS, r.where)
            pid = self._pupil_id_for(r.school, r.upn, r.where)
            if self._upsert_attendance(pid, r.items):
                self.summary.new += 1
            else:
                self.summary.unchanged += 1
            self.s.flush()
