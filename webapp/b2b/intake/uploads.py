"""Data arriving by itself: uploads through the API and files in the drop
folder.

No Flask request in here: the API views, the job queue and the CLI call these.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.b2b.formats import ImportRefused, sniff
from webapp.b2b.intake.importing import import_file
from webapp.models import ApiToken, ImportBatch, Upload
from webapp.models.base import utcnow
from webapp.platform.audit import record

# -- tokens -------------------------------------------------------------------------------







# -- uploads ------------------------------------------------------------------------------

class WrongSchool(Exception):
    """A school's token sent a file naming another school."""


def schools_named(data: bytes) -> set[str] | None:
    """The LAESTABs a file names (CTF header, or the CSVs' laestab column), or ``None``
    when the file cannot be read that far: the importer will then refuse it with the
    reason."""
    try:
        fmt = sniff(data[:4096])
    except ImportRefused:
        return None
    if fmt == "ctf":
        try:
            for _event, el in etree.iterparse(
                    io.BytesIO(data), events=("end",), tag=("{*}Header",),
                    resolve_entities=False, load_dtd=False, no_network=True,
                    huge_tree=False):
                if el.getroottree().docinfo.doctype:
                    return None
                lea = el.findtext("{*}SourceSchool/{*}LEA") or ""
                estab = el.findtext("{*}SourceSchool/{*}Estab") or ""
                return {lea.strip() + estab.strip()}
        except etree.XMLSyntaxError:
            return None
        return None
    try:
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        header = [h.strip().lower() for h in next(rows)]
        col = header.index("laestab")
        return {r[col].strip() for r in rows if len(r) > col and r[col].strip()}
    except (UnicodeDecodeError, StopIteration, ValueError, csv.Error):
        return None


def receive_upload(session: Session, token: ApiToken, data: bytes, file_name: str,
                   *, source: str = "api") -> Upload:
    """Store a file for the job queue to import. A school's token may only send files
    naming its own school: otherwise :class:`WrongSchool` is raised and nothing is kept
    (the attempt is logged). Commits."""
    token.last_used_at = utcnow()
    if token.school_id is not None:
        named = schools_named(data)
        own = token.school.laestab if token.school else None
        if named is not None and named != {own}:
            record(session, f"token:{token.prefix}", "upload.refused_wrong_school", token,
                   school_id=token.school_id, after={"size": len(data)})
            session.commit()
            raise WrongSchool("the file names another school")
    upload = Upload(source=source, token_id=token.id, side=token.side,
                    school_id=token.school_id, file_name=(file_name or "upload")[:255],
                    size=len(data), sha256=hashlib.sha256(data).hexdigest(), content=data)
    session.add(upload)
    session.flush()
    record(session, f"token:{token.prefix}", "upload.received", upload,
           school_id=token.school_id, after={"size": len(data), "side": token.side})
    session.commit()
    return upload


def process_upload(session: Session, upload_id: int) -> Upload | None:
    """Import a queued upload (once: a second call finds it no longer queued)."""
    claimed = session.execute(
        update(Upload).where(Upload.id == upload_id, Upload.status == "queued")
        .values(status="importing")).rowcount
    session.commit()
    upload = session.get(Upload, upload_id)
    if not claimed or upload is None:
        return upload
    data = upload.content or b""
    summary = import_file(session, data, side=upload.side, file_name=upload.file_name,
                          actor=f"upload:{upload.id}")
    upload = session.get(Upload, upload_id)
    upload.status = "imported" if summary.ok else "refused"
    upload.summary = {k: summary.as_dict()[k] for k in
                      ("read", "new", "changed", "unchanged", "refused", "schools_created",
                       "format")}
    upload.error = summary.error
    upload.import_batch_id = summary.batch_id
    upload.processed_at = utcnow()
    upload.content = None  # the data now lives in the pupil records (or was refused)
    record(session, "system", f"upload.{upload.status}", upload, school_id=upload.school_id,
           after={"status": upload.status, "batch": summary.batch_id})
    session.commit()
    return upload


def queued_upload_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Upload.id).where(Upload.status == "queued")
                                .order_by(Upload.id)))


def process_queued(session: Session) -> int:
    """Import everything still queued (the queue was down, or a worker died)."""
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


def scan_drop_folder(session: Session, root: Path, *, min_age_seconds: float = 5.0,
                     now: float | None = None) -> list[DropResult]:
    """Import the files waiting in the drop folder and move each to ``processed/`` or
    ``refused/`` (with ``<name>.reason.txt`` beside a refused one).

    Files in ``school/`` (or at the top level) are the schools' data; files in ``la/`` are
    the LA's. A file whose SHA-256 was imported before is not imported again. Files
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
            out.append(_take(session, root, side, path))
    return out


def _take(session: Session, root: Path, side: str, path: Path) -> DropResult:
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    seen = session.scalar(select(ImportBatch.id).where(
        ImportBatch.sha256 == sha, ImportBatch.side == side, ImportBatch.status == "imported"))
    if seen is not None:
        _move(path, root / "processed")
        return DropResult(path.name, "duplicate", f"already imported (batch {seen})")
    summary = import_file(session, data, side=side, file_name=path.name, actor="drop-folder")
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





