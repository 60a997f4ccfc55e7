"""Taking a file into the database: one transaction per file, only changes stored.

``import_file`` is what the CLI, the upload API and the tests call. A refused file
changes no pupil data; it is recorded as a refused import batch with its reason.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.b2b.formats import (
    ImportRefused,
    ParsedAttendance,
    ParsedExclusion,
    ParsedPupil,
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
from webapp.b2b.items import RECORD_ITEMS
from webapp.models import (
    AttendanceYear,
    Exclusion,
    ImportBatch,
    LocalAuthority,
    PupilRecord,
    School,
)
from webapp.models.base import utcnow

CHUNK = 2000
Progress = Callable[[int], None]


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

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict:
        return {
            "file": self.file_name, "side": self.side, "format": self.file_format,
            "batch_id": self.batch_id, "read": self.read, "new": self.new,
            "changed": self.changed, "unchanged": self.unchanged, "refused": self.refused,
            "schools_created": self.schools_created, "duplicate_of": self.duplicate_of,
            "error": self.error,
        }


def content_hash(items: dict[str, str | None]) -> str:
    """A fingerprint of a record's items (``None`` and ``""`` hash differently)."""
    get = items.get
    joined = "\x1f".join("\x00" if (v := get(name)) is None else "\x01" + v
                         for name in RECORD_ITEMS)
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


class _Counting(io.RawIOBase):
    """A reader that reports how many bytes have been read, for progress bars."""

    def __init__(self, raw: IO[bytes], progress: Progress | None):
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        if self._progress and n:
            self._progress(n)
        return n


def import_file(
    session: Session,
    data: bytes,
    *,
    side: str,
    file_name: str,
    actor: str = "system",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one file's bytes for ``side`` (``"school"`` or ``"la"``).

    The format is taken from the content. Importing the same file twice changes nothing
    (and the summary names the earlier batch with the same SHA-256). Commits on success;
    on refusal rolls back the pupil data, records the refused batch, and returns a summary
    whose ``error`` says why.
    """
    if side not in ("school", "la"):
        raise ValueError("side must be 'school' or 'la'")
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
        stream = io.BufferedReader(_Counting(io.BytesIO(data), progress))
        importer = _Importer(session, side, batch, summary)
        importer.run(stream)
        batch.read_count = summary.read
        batch.new_count = summary.new
        batch.changed_count = summary.changed
        batch.unchanged_count = summary.unchanged
        batch.schools_created = len(summary.schools_created)
        session.commit()
        if side == "school" and summary.changed + summary.new:
            # The school's own data arrived: see which "SIMS to amend" items it settles.
            from webapp.b2b.amendments import check_sims_items

            for school_id in importer.schools.values():
                check_sims_items(session, school_id)
    except ImportRefused as e:
        session.rollback()
        # Printable and bounded: a message may quote a column name from a hostile file.
        summary.error = "".join(ch if ch.isprintable() else "?" for ch in str(e))[:2000]
        summary.refused = max(summary.refused, 1)
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


def _placeholder(dialect) -> str:  # noqa: ANN001
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _bulk_write(session: Session, rows: list[dict], *, update_by_id: bool = False) -> None:
    """INSERT (or UPDATE by id) many pupil records through the driver's executemany.

    SQLAlchemy's per-row parameter building dominated large imports; the column types'
    own bind processors are still applied, so stored values are exactly as the ORM's.
    """
    table = PupilRecord.__table__
    conn = session.connection()
    dialect = conn.dialect
    ph = _placeholder(dialect)
    cols = [c for c in rows[0] if c != "id"]
    procs = [(i, p) for i, c in enumerate(cols)
             if (p := table.c[c].type.bind_processor(dialect)) is not None]
    if update_by_id:
        sql = (f"UPDATE {table.name} SET " + ", ".join(f"{c} = {ph}" for c in cols)
               + f" WHERE id = {ph}")
        names = cols + ["id"]
    else:
        sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "
               f"({', '.join([ph] * len(cols))})")
        names = cols
    params = []
    for r in rows:
        values = [r[c] for c in names]
        for i, proc in procs:
            values[i] = proc(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


def _lengths(table) -> dict[str, int]:  # noqa: ANN001
    return {c.name: c.type.length for c in table.columns
            if getattr(c.type, "length", None)}


_PUPIL_LENGTHS = _lengths(PupilRecord.__table__)
_EXCLUSION_LENGTHS = _lengths(Exclusion.__table__)
_ATTENDANCE_LENGTHS = _lengths(AttendanceYear.__table__)


def _check_lengths(items: dict, lengths: dict[str, int], where: str) -> None:
    """Refuse a value longer than its column holds (PostgreSQL would refuse the whole
    write; SQLite would keep it silently)."""
    for k, v in items.items():
        n = lengths.get(k)
        if n and isinstance(v, str) and len(v) > n:
            raise ImportRefused(f"{k} is longer than {n} characters", where)


def _chunks(it: Iterable, n: int) -> Iterator[list]:
    it = iter(it)
    while chunk := list(islice(it, n)):
        yield chunk


class _Importer:
    def __init__(self, session: Session, side: str, batch: ImportBatch, summary: ImportSummary):
        self.s = session
        self.side = side
        self.batch = batch
        self.summary = summary
        self.schools: dict[str, int] = {}
        self.upn_seen: dict[tuple[int, str], int] = {}
        self.now = utcnow()

    def run(self, stream: IO[bytes]) -> None:
        fmt = self.summary.file_format
        if fmt == "ctf":
            self._pupils(read_ctf(stream))
        elif fmt == "csv-pupils":
            self._pupils(read_pupils_csv(stream))
        elif fmt == "csv-exclusions":
            self._exclusions(read_exclusions_csv(stream))
        else:
            self._attendance(read_attendance_csv(stream))

    # -- schools --------------------------------------------------------------------
    def school_id(self, ref: SchoolRef) -> int:
        sid = self.schools.get(ref.laestab)
        if sid is not None:
            return sid
        school = self.s.scalar(select(School).where(School.laestab == ref.laestab))
        if school is None:
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
        elif ref.name and school.name_is_placeholder:
            school.name = ref.name
            school.name_is_placeholder = False
        self.schools[ref.laestab] = school.id
        return school.id

    def record_key(self, school_id: int, items: dict[str, str | None]) -> str:
        upn = items.get("upn")
        if upn:
            n = self.upn_seen.get((school_id, upn), 0) + 1
            self.upn_seen[(school_id, upn)] = n
            return upn if n == 1 else f"{upn}#{n}"
        return "nokey:" + "|".join(
            (items.get(k) or "").casefold() for k in ("surname", "forename", "dob", "sex")
        )

    # -- pupils ---------------------------------------------------------------------
    def _pupils(self, pupils: Iterator[ParsedPupil]) -> None:
        for chunk in _chunks(pupils, CHUNK):
            self.summary.read += len(chunk)
            keyed: list[tuple[int, str, ParsedPupil]] = []
            for p in chunk:
                _check_lengths(p.items, _PUPIL_LENGTHS, p.where)
                sid = self.school_id(p.school)
                keyed.append((sid, self.record_key(sid, p.items), p))
            existing = self._existing(keyed)
            inserts, updates, with_attendance = [], [], []
            for sid, key, p in keyed:
                old = existing.get((sid, key))
                if old is None:
                    items = {k: p.items.get(k) for k in RECORD_ITEMS}
                    h = content_hash(items)
                    inserts.append({**items, "side": self.side, "school_id": sid,
                                    "record_key": key, "content_hash": h,
                                    "import_batch_id": self.batch.id,
                                    "created_batch_id": self.batch.id, "item_batches": None,
                                    "created_at": self.now, "changed_at": self.now})
                    self.summary.new += 1
                else:
                    # Items the file does not carry keep what we had.
                    items = {k: (p.items[k] if k in p.items else old[k]) for k in RECORD_ITEMS}
                    h = content_hash(items)
                    if h == old["content_hash"]:
                        self.summary.unchanged += 1
                    else:
                        sources = dict(old["item_batches"] or {})
                        sources.update({k: self.batch.id for k in RECORD_ITEMS
                                        if items[k] != old[k]})
                        updates.append({**items, "id": old["id"], "content_hash": h,
                                        "import_batch_id": self.batch.id,
                                        "item_batches": sources, "changed_at": self.now})
                        self.summary.changed += 1
                if p.attendance:
                    with_attendance.append((sid, key, p))
            if inserts:
                _bulk_write(self.s, inserts)
            if updates:
                _bulk_write(self.s, updates, update_by_id=True)
            if with_attendance:
                self._pupil_attendance(with_attendance)

    def _existing(self, keyed: list[tuple[int, str, object]]) -> dict[tuple[int, str], dict]:
        if not keyed:
            return {}
        cols = [PupilRecord.id, PupilRecord.school_id, PupilRecord.record_key,
                PupilRecord.content_hash, PupilRecord.item_batches] + [
            getattr(PupilRecord, k) for k in RECORD_ITEMS]
        school_ids = {k[0] for k in keyed}
        keys = {k[1] for k in keyed}
        rows = self.s.execute(
            select(*cols).where(
                PupilRecord.side == self.side,
                PupilRecord.school_id.in_(school_ids),
                PupilRecord.record_key.in_(keys),
            )
        ).mappings()
        return {(r["school_id"], r["record_key"]): dict(r) for r in rows}

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

    def _upsert_attendance(self, pupil_id: int, year: dict) -> bool:
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
        sid = self.school_id(ref)
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
