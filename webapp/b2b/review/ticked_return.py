"""A ticked .docx sent back by a school: what it says about each difference, checked
against the report, then recorded as decisions once a person has confirmed it.

- :func:`read_return` reads the file (refusing hostile or unreadable files with the
  reason, as :class:`~webapp.b2b.review.ticked_docx.ReturnRefused`, nothing changed) and
  returns a :class:`ReturnReading`: a check list with the clear answers ("Forename, Joe
  Bloggs: School Data") and those a person must decide (both boxes ticked, a box
  unticked, words typed in, values changed or answered differently on the page since the
  file was printed, a "Neither" without its value). A file of an older week carries
  over its answers to the same items with the same values; the rest are listed.
- :func:`record_return` records the clear answers and the person's choices through
  :func:`~webapp.b2b.review.decisions.record_decision`, exactly as if clicked (stale
  versions refused), each audit entry naming the file (``source: "docx:<sha256>"``).
- :func:`store_return` keeps the file (:class:`~webapp.models.ReturnFile`) for checking,
  and for the retention period of a sent copy.

No Flask here: the CLI and the web pages call these the same way.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.review.decisions import (
    DECIDABLE_STATES,
    Choice,
    DecisionError,
    NotOffered,
    choice_for,
    clean_value,
    offered_choices,
    record_decision,
    shown_value,
)
from webapp.b2b.review.ticked_docx import (
    FoundBox,
    PrintedDifference,
    PrintedFile,
    ReturnRefused,
    Scan,
    check_file_name,
    flat,
    open_docx,
    read_manifest,
    scan_body,
    squeeze,
)
from webapp.b2b.review.wording import item_label, pupil_name
from webapp.models import Difference, Report, ReturnFile
from webapp.models.base import utcnow
from webapp.platform.audit import record

__all__ = ["ReturnRefused", "ReturnAnswer", "ReturnReading", "Pick", "RecordOutcome",
           "read_return", "record_return", "store_return", "report_of_file", "check_picks"]

NO_BOXES = ("No tick boxes of a report from this service were found in this file. Upload "
            "the .docx downloaded from the report page, ticked in Word or LibreOffice, "
            "without copying its contents into a new document.")
SKIP = "skip"  # the person's "do not record this one"
_PLACEHOLDER = "_\u2026. "  # the printed line for a typed value, and dots typed over it
_MAX_QUOTE = 120

# Check-list statuses, in the order the check page lists them.
CLEAR, UNCLEAR, UNCHANGED, UNANSWERED, NOT_RECORDABLE = (
    "clear", "unclear", "unchanged", "unanswered", "not_recordable")


@dataclass
class ReturnAnswer:
    """One line of the check list: what the file says about one difference."""

    pupil: str
    label: str
    status: str  # clear, unclear, unchanged, unanswered, not_recordable
    difference_id: int | None = None  # the report's difference it answers, if any
    choice: str | None = None  # what the file chose (an unclear one: its best reading)
    value: str | None = None  # the value typed with it, as typed
    choice_label: str | None = None
    problems: list[str] = field(default_factory=list)  # why a person must look
    options: list[Choice] = field(default_factory=list)  # the answers a person may give
    version: int | None = None  # the difference's version when the file was read
    current: str | None = None  # the report's answer now, in words
    school_value: str = ""
    la_value: str = ""
    from_week: int | None = None  # carried from an older week's file

    @property
    def heading(self) -> str:
        """"Forename, Joe Bloggs"."""
        return f"{self.label}, {self.pupil}"

    @property
    def says(self) -> str:
        """What the file says, in the report's words: "School Data", "Neither: Jo"."""
        if self.choice is None:
            return "No answer"
        words = self.choice_label or self.choice
        return f"{words}: {self.value}" if self.value else words

    @property
    def needs_value(self) -> bool:
        return any(o.needs for o in self.options)


@dataclass
class ReturnReading:
    """What a ticked file says about a report, for a person to check."""

    report: Report
    sha256: str
    file_name: str
    answers: list[ReturnAnswer]
    weeks: list[int] = field(default_factory=list)  # the weeks the file printed
    notes: list[str] = field(default_factory=list)
    not_in_file: int = 0  # the report's unanswered items the file has no box for

    @property
    def source(self) -> str:
        """How the audit log names this file."""
        return f"docx:{self.sha256[:12]}"

    def _with(self, status: str) -> list[ReturnAnswer]:
        return [a for a in self.answers if a.status == status]

    @property
    def clear(self) -> list[ReturnAnswer]:
        return self._with(CLEAR)

    @property
    def unclear(self) -> list[ReturnAnswer]:
        return self._with(UNCLEAR)

    @property
    def unchanged(self) -> list[ReturnAnswer]:
        return self._with(UNCHANGED)

    @property
    def unanswered(self) -> list[ReturnAnswer]:
        return self._with(UNANSWERED)

    @property
    def not_recordable(self) -> list[ReturnAnswer]:
        return self._with(NOT_RECORDABLE)

    @property
    def editable(self) -> bool:
        return self.report.status in DECIDABLE_STATES


# -- reading -------------------------------------------------------------------------------

def _chunks(ids: Iterable[int], size: int = 500) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _school_differences(session: Session, school_id: int, ids: Iterable[int]
                        ) -> dict[int, Difference]:
    """The file's differences that are this school's (any other id is ignored)."""
    out: dict[int, Difference] = {}
    for chunk in _chunks(ids):
        for d in session.scalars(select(Difference).join(Report).where(
                Difference.id.in_(chunk), Report.school_id == school_id)):
            out[d.id] = d
    return out


def _identity(d: Difference | PrintedDifference) -> tuple[str, str, str] | None:
    if d.subject_key is None or d.field_key is None:
        return None
    return d.subject_key, d.kind, d.field_key


def _typed_value(box: FoundBox) -> str:
    """The value typed after a box's words ("Neither – correct value: Jo"): what follows
    the first colon, without the printed line."""
    words = box.after_text
    _label, colon, rest = words.partition(":")
    return (rest if colon else words).strip(_PLACEHOLDER).strip()


def _words(text: str) -> str:
    """A box's words without the value typed after them."""
    return squeeze(text.partition(":")[0])


def _typed_in(printed: str, now: str) -> str:
    """The words the file has that were not printed (as a short quote)."""
    old, new = flat(printed).split(), flat(now).split()
    added = [w for op, _a, _b, j1, j2 in difflib.SequenceMatcher(None, old, new,
                                                                  autojunk=False).get_opcodes()
             if op in ("insert", "replace") for w in new[j1:j2]]
    quote = " ".join(added) or "(words deleted)"
    return quote if len(quote) <= _MAX_QUOTE else quote[:_MAX_QUOTE - 1] + "…"


def _current(d: Difference) -> str | None:
    if d.choice is None:
        return None
    c = choice_for(d, d.choice)
    label = _short(c) if c else d.choice
    value = shown_value(d, d.correct_value)
    return f"{label}: {value}" if value else label


def _short(c: Choice) -> str:
    """An answer's words without their prompt ("Neither: enter the correct value")."""
    return c.label.split(":")[0]


@dataclass
class _Item:
    """One difference of the file, and what it answers in the report being read for."""

    file_id: int
    boxes: dict[str, FoundBox]
    printed: PrintedDifference | None
    in_file: Difference | None  # the file's difference as the database holds it
    target: Difference | None  # the report's difference it answers
    older_week: int | None = None
    week_start: date | None = None  # the older week's, to keep the latest of several


def _answer(item: _Item, scan: Scan) -> ReturnAnswer:
    d, p = item.target, item.printed
    pupil = (pupil_name(d.forename, d.surname) if d is not None
             else p.pupil if p is not None else "A pupil")
    label = (item_label(d.kind, d.field_key) if d is not None
             else p.label if p is not None else "An item")
    a = ReturnAnswer(pupil=pupil, label=label, status=UNCLEAR, from_week=item.older_week)
    if d is None:
        a.status = NOT_RECORDABLE
        a.problems.append("Not on this report any more: nothing to answer")
        return a
    a.difference_id, a.version, a.current = d.id, d.version, _current(d)
    a.school_value = shown_value(d, d.school_value) or ""
    a.la_value = shown_value(d, d.la_value) or ""
    if d.status != "open":
        a.status = NOT_RECORDABLE
        a.problems.append("Resolved by data since the file was printed: the data now "
                          "agrees, so there is nothing to answer")
        return a
    a.options = offered_choices(d)
    if p is not None:
        for value, box in item.boxes.items():
            printed_box = p.boxes.get(value)
            box.printed_after = printed_box.after if printed_box else None
    edits = _edits(item, scan, d)
    ticked = [c for c, b in item.boxes.items() if b.ticked]
    cleaned: str | None = None
    if len(ticked) == 1:
        choice = choice_for(d, ticked[0])
        if choice is None:
            a.problems.append("The ticked box is for an answer this item no longer offers")
        else:
            a.choice, a.choice_label = choice.value, _short(choice)
            if choice.needs:
                a.value = _typed_value(item.boxes[choice.value]) or None
                try:
                    cleaned = clean_value(d, choice, a.value)
                except NotOffered as e:
                    a.problems.append(f"{a.choice_label} is ticked: {e.message.lower()}"
                                      if a.value else f"{a.choice_label} is ticked but no "
                                      f"{(choice.value_label or 'value').lower()} is typed")
    elif len(ticked) > 1:
        names = [_short(c) for c in a.options if c.value in ticked]
        a.problems.append(("Both boxes are ticked" if len(ticked) == 2 else
                           "More than one box is ticked") + f" ({', '.join(names)})")
    elif d.choice is None:
        if not edits:
            a.status = UNANSWERED
            return a
        a.problems.append("No box is ticked")
    else:
        a.problems.append(f"No box is ticked, but the report already has {a.current}")
    a.problems += edits
    if a.choice is not None and not a.problems and d.choice is not None and (
            d.choice, d.correct_value) != (a.choice, cleaned):
        # The report's answer differs from the file's: fine when the file was printed
        # with the answer as it is now (the school changed its mind on paper), not when
        # someone answered on the page since, or for an older week's file.
        if item.older_week is not None:
            a.problems.append(f"This report already has {a.current}")
        elif p is None or p.version != d.version:
            a.problems.append(f"Answered as {a.current} on the page since the file was "
                              "printed")
    if a.choice is not None and not a.problems:
        a.status = UNCHANGED if (d.choice, d.correct_value) == (a.choice, cleaned) else CLEAR
    return a


def _edits(item: _Item, scan: Scan, d: Difference) -> list[str]:
    """What the file shows changed since it was printed: the values, words typed in."""
    out: list[str] = []
    p = item.printed
    printed_values = ((p.school_value, p.la_value) if p is not None and p.subject_key
                      else (item.in_file.school_value, item.in_file.la_value)
                      if item.in_file is not None and item.older_week is not None else None)
    if printed_values is not None and printed_values != (d.school_value, d.la_value):
        out.append("The data has changed since the file was printed (now School Data: "
                   f"{shown_value(d, d.school_value) or 'none'}; LA Data - ONE: "
                   f"{shown_value(d, d.la_value) or 'none'})")
    if any(b.copies > 1 for b in item.boxes.values()):
        out.append("A box appears more than once in the file (a row copied)")
    if p is None:
        return out
    for choice, box in item.boxes.items():
        was = p.boxes.get(choice)
        if was is None:
            continue
        if was.needs:
            changed = _words(box.after_text) != _words(was.after)
        else:
            changed = squeeze(box.after_text) != squeeze(was.after)
        if changed:
            out.append(f"Words beside a box were changed: “{_typed_in(was.after, box.after)}”")
    row = scan.row_text(item.file_id)
    if squeeze(row) != squeeze(p.row_text):
        out.append(f"Text typed in the file: “{_typed_in(p.row_text, row)}”")
    return out


def _latest_per_item(items: list[_Item]) -> list[_Item]:
    """One answer per item of the report: a file holding several weeks (a school's year)
    answers an item by this week's box if it has one, else by the latest week's."""
    best: dict[int, _Item] = {}
    for item in items:
        if item.target is None:
            continue
        seen = best.get(item.target.id)
        rank = (item.older_week is None, item.week_start or date.min)
        if seen is None or rank > (seen.older_week is None, seen.week_start or date.min):
            best[item.target.id] = item
    kept = {id(i) for i in best.values()}
    return [i for i in items if i.target is None or id(i) in kept]


def _newest(session: Session, report: Report) -> Report:
    """The report a superseded one was carried into, and so on, to the newest."""
    seen = {report.id}
    while report.status == "superseded" and report.superseded_by_id is not None:
        nxt = session.get(Report, report.superseded_by_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        report = nxt
    return report


def _open(data: bytes, file_name: str) -> tuple[Scan, PrintedFile | None]:
    if file_name:
        check_file_name(file_name)
    doc = open_docx(data)
    scan = scan_body(doc.body)
    if not scan.boxes:
        raise ReturnRefused(NO_BOXES)
    return scan, read_manifest(doc.manifest)


def report_of_file(session: Session, data: bytes, file_name: str = "") -> Report:
    """The report a ticked file answers (for the command line): the one it printed, or
    the newer report that one was carried into. Raises :class:`ReturnRefused`."""
    scan, printed = _open(data, file_name)
    ids = sorted(scan.difference_ids)
    counts: dict[int, int] = {}
    for chunk in _chunks(ids):
        for (rid,) in session.execute(select(Difference.report_id)
                                      .where(Difference.id.in_(chunk))):
            counts[rid] = counts.get(rid, 0) + 1
    if not counts and printed is not None:
        counts = {rid: 1 for rid in printed.reports}
    reports = [r for r in (session.get(Report, rid) for rid in counts) if r is not None]
    if not reports:
        raise ReturnRefused("The file's report is not held here (removed after the "
                            "retention period, or printed by another system).")
    report = max(reports, key=lambda r: (counts.get(r.id, 0), r.week_start))
    return _newest(session, report)


def read_return(session: Session, report: Report, data: bytes, file_name: str = ""
                ) -> ReturnReading:
    """What the ticked file says about ``report``, for a person to check. Changes nothing.

    Raises :class:`ReturnRefused` for a file that is not a plain .docx, is hostile, has no
    box of ours left in it, or is another school's or a later week's report."""
    scan, printed = _open(data, file_name)
    in_file = _school_differences(session, report.school_id, scan.difference_ids)
    report_ids = {d.report_id for d in in_file.values()}
    if printed is not None:
        report_ids |= set(printed.reports)
    reports = {r.id: r for r in session.scalars(select(Report).where(
        Report.id.in_(sorted(report_ids)), Report.school_id == report.school_id))}
    targets = {d.id: d for d in session.scalars(
        select(Difference).where(Difference.report_id == report.id))}
    by_identity = {(d.subject_key, d.kind, d.field_key): d for d in targets.values()}
    items: list[_Item] = []
    later: set[int] = set()
    for fid in sorted(scan.difference_ids):
        p = printed.differences.get(fid) if printed is not None else None
        db_row = in_file.get(fid)
        rid = db_row.report_id if db_row is not None else p.report_id if p else None
        if rid == report.id and db_row is not None:
            items.append(_Item(fid, scan.boxes_of(fid), p, db_row, db_row))
            continue
        source = reports.get(rid) if rid is not None else None
        if source is None:
            continue  # not this school's: never looked at
        if source.week_start > report.week_start:
            later.add(source.week)
            continue
        ident = _identity(db_row) if db_row is not None else _identity(p) if p else None
        target = by_identity.get(ident) if ident is not None else None
        items.append(_Item(fid, scan.boxes_of(fid), p, db_row, target,
                           older_week=source.week, week_start=source.week_start))
    if not items:
        if later:
            named = ", ".join(str(w) for w in sorted(later))
            raise ReturnRefused(f"This file is the report of week {named}, later than this "
                                f"one: upload it on that week's report.")
        raise ReturnRefused("This file is not a report of " + report.school.title + ". "
                            "Upload the .docx downloaded from this report's page.")
    answers = [_answer(item, scan) for item in _latest_per_item(items)]
    covered = {a.difference_id for a in answers if a.difference_id is not None}
    weeks = sorted({item.older_week or report.week for item in items})
    reading = ReturnReading(
        report=report, sha256=hashlib.sha256(data).hexdigest(), file_name=file_name,
        answers=answers, weeks=weeks,
        not_in_file=sum(1 for d in targets.values() if d.status == "open"
                        and d.choice is None and d.id not in covered))
    older = sorted({i.older_week for i in items if i.older_week is not None})
    if older:
        reading.notes.append(
            f"This file is the report of week {', '.join(map(str, older))}. Its answers to "
            f"items still on this week's report, with the same values, are carried over; "
            "the rest are listed for you to check.")
    if printed is None:
        reading.notes.append(
            "The file has lost its hidden list of what was printed (perhaps saved by "
            "another program), so words typed beside the boxes could not be checked.")
    if later:
        reading.notes.append("The file also holds the report of a later week; its boxes "
                             "were not read.")
    return reading


# -- recording -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Pick:
    """A person's answer to an unclear item: one of its choices (with a typed value where
    it needs one), or :data:`SKIP`."""

    choice: str | None
    value: str | None = None


@dataclass
class RecordOutcome:
    recorded: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (heading, reason)


def check_picks(session: Session, reading: ReturnReading, picks: Mapping[int, Pick]
                ) -> dict[int, str]:
    """The person's answers to the unclear items, checked before anything is recorded:
    difference id -> what is wrong (every unclear item needs an answer or "skip")."""
    errors: dict[int, str] = {}
    for a in reading.unclear:
        if a.difference_id is None:
            continue
        pick = picks.get(a.difference_id)
        if pick is None or not pick.choice:
            errors[a.difference_id] = f"Choose an answer for {a.heading}, or not to record it"
            continue
        if pick.choice == SKIP:
            continue
        d = session.get(Difference, a.difference_id)
        choice = choice_for(d, pick.choice) if d is not None else None
        if d is None or choice is None:
            errors[a.difference_id] = f"Choose one of the answers offered for {a.heading}"
            continue
        try:
            clean_value(d, choice, pick.value)
        except NotOffered as e:
            errors[a.difference_id] = f"{a.heading}: {e.message}"
    return errors


def record_return(session: Session, reading: ReturnReading, actor: object,
                  picks: Mapping[int, Pick] | None = None,
                  versions: Mapping[int, int] | None = None, *,
                  return_file: ReturnFile | None = None) -> RecordOutcome:
    """Record the clear answers, and the person's picks for the unclear ones, each through
    :func:`record_decision` as if clicked: ``versions`` are those the check page showed
    (default: as read), so an answer changed meanwhile is refused, not overwritten.
    Commits (each decision, then the file's own entry)."""
    picks = picks or {}
    versions = versions or {}
    out = RecordOutcome()
    report_id = reading.report.id
    for a in reading.answers:
        if a.difference_id is None or a.status not in (CLEAR, UNCLEAR):
            continue
        if a.status == CLEAR:
            choice, value = a.choice, a.value
        else:
            pick = picks.get(a.difference_id)
            if pick is None or pick.choice in (None, SKIP):
                out.skipped += 1
                continue
            choice, value = pick.choice, pick.value
        d = session.get(Difference, a.difference_id)
        if d is None or d.report_id != report_id:
            continue
        try:
            result = record_decision(session, d, actor, choice, value,
                                     versions.get(a.difference_id, a.version),
                                     source=reading.source)
        except DecisionError as e:
            session.rollback()
            out.failed.append((a.heading, e.message))
            continue
        out.recorded += result.changed
    report = session.get(Report, report_id)
    if return_file is not None:
        return_file.recorded_at = utcnow()
        return_file.recorded_by_id = getattr(actor, "id", None)
        return_file.recorded = out.recorded
    record(session, actor, "return.recorded", return_file,
           school_id=report.school_id if report else None, report_id=report_id,
           after={"source": reading.source, "recorded": out.recorded,
                  "skipped": out.skipped, "failed": len(out.failed)})
    session.commit()
    return out


def store_return(session: Session, report: Report, actor: object, data: bytes,
                 file_name: str) -> ReturnFile:
    """Keep an uploaded file that passed the checks, for checking and then the retention
    period of a sent copy. Commits."""
    sha = hashlib.sha256(data).hexdigest()
    rf = ReturnFile(report_id=report.id, uploaded_by_id=getattr(actor, "id", None),
                    file_name=_safe_name(file_name), size=len(data), sha256=sha,
                    content=data)
    session.add(rf)
    session.flush()
    record(session, actor, "return.uploaded", rf, school_id=report.school_id,
           report_id=report.id, after={"source": f"docx:{sha[:12]}", "size": len(data)})
    session.commit()
    return rf


def _safe_name(name: str) -> str:
    """The file's own name as shown back (no path, no control characters, not too long)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable())
    return base[-200:] or "report.docx"
