"""Data arriving by itself: uploads through the API and files in the drop
folder.

No Flask request in here: the API views, the job queue and the CLI call these.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Select, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from webapp.b2b.formats.headings import NO_MAPPING, ColumnMapping, load_mapping
from webapp.b2b.intake.importing import Scope, import_file
from webapp.b2b.la_desk import tell_la_team
from webapp.models import ApiToken, ImportBatch, LocalAuthority, Upload, User
from webapp.models.base import utcnow
from webapp.platform.audit import record
from webapp.platform.db_setup import write_transactions

# -- uploads ------------------------------------------------------------------------------

def receive_upload(session: Session, token: ApiToken, data: bytes, file_name: str,
                   *, source: str = "api") -> Upload:
    """Store a file for the job queue to import. Which schools it may write is the
    token's (:func:`upload_scope`), checked by the importer as it reads. Commits."""
    token.last_used_at = utcnow()
    upload = Upload(source=source, token_id=token.id, side=token.side,
                    school_id=token.school_id, file_name=(file_name or "upload")[:255],
                    size=len(data), sha256=hashlib.sha256(data).hexdigest(), content=data)
    session.add(upload)
    session.flush()
    record(session, f"token:{token.prefix}", "upload.received", upload,
           school_id=token.school_id, after={"size": len(data), "side": token.side})
    session.commit()
    return upload


def uploads_of_la(la_id: int) -> Select[tuple[Upload]]:
    """The uploads sent with the LA's own tokens or by its officers (never another LA's)."""
    return select(Upload).outerjoin(ApiToken, Upload.token_id == ApiToken.id).where(
        or_(ApiToken.la_id == la_id, Upload.la_id == la_id))


def may_see_upload(token: ApiToken, upload: Upload) -> bool:
    """A school's token sees its own uploads; an LA's token every upload of its own LA."""
    if upload.token_id == token.id:
        return True
    sender = upload.token
    return token.school_id is None and sender is not None and sender.la_id == token.la_id


def upload_scope(session: Session, upload: Upload) -> Scope:
    """The schools an upload may write: a school's token its own school; an LA's token
    its own LA's schools (never another LA's)."""
    token = session.get(ApiToken, upload.token_id) if upload.token_id else None
    if token is None:
        la = session.get(LocalAuthority, upload.la_id) if upload.la_id else None
        if la is None:  # nobody's: writes nothing
            return Scope(laestab="") if upload.side == "school" else Scope(la_number="")
        # An officer's upload: the LA's own schools; a school's file one school.
        return Scope(la_number=la.la_number, one_school=upload.side == "school")
    if token.school is not None:
        return Scope(laestab=token.school.laestab)
    return Scope(la_number=token.la.la_number)


# Tries of one upload before it is marked failed (each try itself retries a busy
# database with these back-offs, in seconds), and how long an import may run before the
# sweep takes it for one a dead worker left behind.
MAX_ATTEMPTS = 3
BUSY_BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0)
STALLED_AFTER = timedelta(minutes=30)


def _reason(e: BaseException) -> str:
    """A database error in words fit for a status page: the driver's first line, never
    the statement or its parameters (which may hold pupil data)."""
    first = str(getattr(e, "orig", None) or e).strip().splitlines() or ["error"]
    return f"{type(getattr(e, 'orig', None) or e).__name__}: {first[0][:200]}"


def saved_mapping(session: Session, la_id: int | None = None) -> ColumnMapping:
    """The column mapping the LA saved for its own extract (the only LA's, when none is
    named), or none: common headings are recognised without one."""
    if la_id is None:
        ids = session.scalars(select(LocalAuthority.id).limit(2)).all()
        if len(ids) != 1:
            return NO_MAPPING
        la_id = ids[0]
    text = session.scalar(select(LocalAuthority.extract_mapping)
                          .where(LocalAuthority.id == la_id))
    if not text:
        return NO_MAPPING
    try:
        return load_mapping(text)
    except ValueError:  # it was checked when saved; a bad one then maps nothing
        return NO_MAPPING


def receive_officer_upload(session: Session, officer: User, data: bytes, file_name: str,
                           side: str) -> Upload:
    """Store a file an LA officer uploaded in the browser for the job queue to import,
    exactly as an API upload is (the same importer, summary and refusals): it may write
    the officer's own LA's schools only. Commits."""
    if side not in ("school", "la"):
        raise ValueError("side must be 'school' or 'la'")
    upload = Upload(source="web", token_id=None, la_id=officer.la_id,
                    uploaded_by_id=officer.id, side=side, school_id=None,
                    file_name=(file_name or "upload")[:255], size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), content=data)
    session.add(upload)
    session.flush()
    record(session, officer, "upload.received", upload,
           after={"size": len(data), "side": side, "source": "web"})
    session.commit()
    return upload


def process_upload(session: Session, upload_id: int,
                   sleep: Callable[[float], None] = time.sleep) -> Upload | None:
    """Import a queued upload (once: a second call finds it no longer queued).

    A database that is busy or goes away is waited for and tried again (``BUSY_BACKOFF``);
    if it still fails, the upload goes back to the queue for the sweep, and after
    ``MAX_ATTEMPTS`` tries it is marked failed with the reason and the LA team is told.
    """
    claimed = cast(CursorResult[Any], session.execute(
        update(Upload).where(Upload.id == upload_id, Upload.status == "queued")
        .values(status="importing", attempts=Upload.attempts + 1, started_at=utcnow())
        )).rowcount
    session.commit()
    upload = session.get(Upload, upload_id)
    if not claimed or upload is None:
        return upload
    data, scope = upload.content or b"", upload_scope(session, upload)
    la_id = upload.token.la_id if upload.token is not None else upload.la_id
    mapping = saved_mapping(session, la_id) if upload.side == "la" and la_id else NO_MAPPING
    for delay in (*BUSY_BACKOFF, None):
        try:
            with write_transactions():
                summary = import_file(session, data, side=upload.side,
                                      file_name=upload.file_name, actor=f"upload:{upload.id}",
                                      scope=scope, mapping=mapping)
            break
        except DBAPIError as e:
            session.rollback()
            if delay is None:
                return give_back(session, upload_id, _reason(e))
            sleep(delay)
    upload = session.get_one(Upload, upload_id)
    upload.status = "imported" if summary.ok else "refused"
    upload.summary = {k: summary.as_dict()[k] for k in
                      ("read", "new", "changed", "unchanged", "refused", "schools_created",
                       "format", "not_read", "warnings")}
    upload.error = summary.error
    upload.import_batch_id = summary.batch_id
    upload.processed_at = utcnow()
    upload.content = None  # the data now lives in the pupil records (or was refused)
    action = "refused_wrong_school" if summary.out_of_scope else upload.status
    record(session, "system", f"upload.{action}", upload, school_id=upload.school_id,
           after={"status": upload.status, "batch": summary.batch_id})
    session.commit()
    return upload


def give_back(session: Session, upload_id: int, reason: str) -> Upload | None:
    """An import that did not finish: back to the queue, or after ``MAX_ATTEMPTS`` tries
    failed, with the reason, and the LA team told. Commits."""
    upload = session.get(Upload, upload_id)
    if upload is None:
        return None
    before = upload.status
    if upload.attempts >= MAX_ATTEMPTS:
        upload.status, upload.processed_at = "failed", utcnow()
        upload.error = f"Not imported after {upload.attempts} tries: {reason}"
        la_id = upload.token.la_id if upload.token is not None else upload.la_id
        if la_id is not None:
            tell_la_team(session, la_id, kind="upload_failed",
                         subject=f"An upload could not be imported ({upload.file_name})",
                         body=(f"Upload {upload.id} ({upload.file_name}, received "
                               f"{upload.received_at:%d/%m/%Y %H:%M}) could not be "
                               f"imported after {upload.attempts} tries.\n\nReason: "
                               f"{reason}\n\nThe file is kept: ask the sender to send it "
                               "again, or see the Weekly cycle page.\n"))
    else:
        upload.status, upload.error = "queued", f"Will be tried again: {reason}"
    record(session, "system", f"upload.{'failed' if upload.status == 'failed' else 'retry'}",
           upload, school_id=upload.school_id, before={"status": before},
           after={"status": upload.status, "attempts": upload.attempts})
    session.commit()
    return upload


def recover_stalled(session: Session, now: datetime | None = None) -> int:
    """Imports left "importing" longer than ``STALLED_AFTER`` (a worker died or was
    killed mid-import) go back to the queue, or fail after ``MAX_ATTEMPTS``. Commits."""
    cutoff = (now or utcnow()) - STALLED_AFTER
    ids = list(session.scalars(select(Upload.id).where(
        Upload.status == "importing", Upload.started_at < cutoff)))
    for uid in ids:
        give_back(session, uid, "the import did not finish (the job worker stopped)")
    return len(ids)


def failed_uploads(session: Session, la_id: int, limit: int = 20) -> list[Upload]:
    """The LA's uploads that could not be imported, newest first (the cycle page)."""
    return list(session.scalars(uploads_of_la(la_id).where(Upload.status == "failed")
                                .order_by(Upload.id.desc()).limit(limit)))


def queued_upload_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Upload.id).where(Upload.status == "queued")
                                .order_by(Upload.id)))


def process_queued(session: Session) -> int:
    """Import everything still queued (the queue was down, or a worker died), after
    giving back the imports a dead worker left unfinished."""
    recover_stalled(session)
    ids = queued_upload_ids(session)
    for uid in ids:
        process_upload(session, uid)
    return len(ids)


# -- the drop folder ------------------------------------------------------------------------

@dataclass
class DropResult:
    file: str
    outcome: str  # imported, duplicate, refused
    reason: str | None = None


def drop_scope(session: Session, side: str, la_number: str | None = None) -> Scope:
    """What a drop-folder file may write: the LA's schools only (``la_number``, or the one
    LA held here), and a ``school/`` file one school only (a school's own export)."""
    if la_number is None:
        held = session.scalars(select(LocalAuthority.la_number).limit(2)).all()
        la_number = held[0] if len(held) == 1 else None
    return Scope(la_number=la_number, one_school=side == "school")


def scan_drop_folder(session: Session, root: Path, *, min_age_seconds: float = 5.0,
                     now: float | None = None, la_number: str | None = None
                     ) -> list[DropResult]:
    """Import the files waiting in the drop folder and move each to ``processed/`` or
    ``refused/`` (with ``<name>.reason.txt`` beside a refused one).

    Files in ``school/`` (or at the top level) are the schools' data, each file one
    school's; files in ``la/`` are the LA's. Either may write only the LA's own schools
    (:func:`drop_scope`). A file whose SHA-256 was imported before is not imported again. Files
    younger than ``min_age_seconds`` may still be being written and wait for the next run.
    """
    import time

    now = time.time() if now is None else now
    out: list[DropResult] = []
    for side, folder in (("school", root), ("school", root / "school"), ("la", root / "la")):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if path.name.startswith(".") or path.name.endswith(".reason.txt"):
                continue
            if now - path.stat().st_mtime < min_age_seconds:
                continue
            out.append(_take(session, root, side, path, drop_scope(session, side, la_number)))
    return out


def _take(session: Session, root: Path, side: str, path: Path, scope: Scope) -> DropResult:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    seen = session.scalar(select(ImportBatch.id).where(
        ImportBatch.sha256 == sha, ImportBatch.side == side, ImportBatch.status == "imported"))
    if seen is not None:
        _move(path, root / "processed")
        return DropResult(path.name, "duplicate", f"already imported (batch {seen})")
    summary = import_file(session, data, side=side, file_name=path.name, actor="drop-folder",
                          scope=scope)
    if summary.ok:
        _move(path, root / "processed")
        return DropResult(path.name, "imported")
    target = _move(path, root / "refused")
    target.with_name(target.name + ".reason.txt").write_text(
        f"{summary.error}\n", encoding="utf-8")
    return DropResult(path.name, "refused", summary.error)


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{n}{path.suffix}"
    shutil.move(str(path), target)
    return target


# -- the weekly cycle -------------------------------------------------------------------





