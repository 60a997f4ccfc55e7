"""The school's decision on each difference: what it may choose, and recording it.

Each kind of difference offers its own choices (:func:`offered_choices`); the server
accepts only one of them (:func:`record_decision`), refuses a write made from a stale
page (the ``version`` check) and records nothing twice when the same post arrives again.
Every change is appended to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session, scoped_session

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.checks import is_valid_postcode, normalise_postcode
from webapp.b2b.records.normalise import BadValue, display_date, iso_date, text
from webapp.models import Difference, Report
from webapp.models.base import utcnow
from webapp.platform.audit import record

# Reports the school may still change its decisions on.
DECIDABLE_STATES = ("published", "in_progress")

MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class Choice:
    """One offered answer to a difference.

    ``value`` is what the form posts (and what ``Difference.choice`` stores); ``needs``
    says whether the answer needs a value typed in with it: ``None``, ``"text"`` or
    ``"date"``; ``value_label`` labels that input.
    """

    value: str
    label: str
    needs: str | None = None
    value_label: str | None = None
    hint: str | None = None


DATE_HINT = "For example, 27/03/2026"

_ANOMALY_LABELS = {
    "upn_check_letter": "UPN check letter",
    "upn_format": "UPN format",
    "upn_la_number": "UPN LA number",
    "upn_temporary": "Temporary UPN",
    "upn_duplicate": "Duplicate UPN",
    "postcode_format": "Postcode format",
}

# How a field is named in "Change <name> <old> to <new> in SIMS".
_SIMS_NAMES = {"dob": "date of birth", "sex": "gender", "upn": "UPN", "former_upn":
               "former UPN", "postcode": "postcode", "sen_provision": "SEN provision",
               "sen_needs": "SEN needs", "eal": "EAL indicator"}


def anomaly_label(field_key: str) -> str:
    """The Student Details label of an anomaly row (``upn_check_letter.school`` ...)."""
    rule = field_key.partition(".")[0]
    return _ANOMALY_LABELS.get(rule, rule.replace("_", " ").capitalize())


def offered_choices(d: Difference) -> list[Choice]:
    """The answers the school may give to this difference, in the order shown."""
    if d.kind == "field":
        f = FIELDS_BY_KEY.get(d.field_key)
        out = [Choice("school", "School Data"), Choice("la", "LA Data - ONE")]
        if f is not None and f.allows_other:
            if f.is_date:
                out.append(Choice("other", "Neither: enter the correct date", "date",
                                  "Correct date", DATE_HINT))
            else:
                out.append(Choice("other", "Neither: enter the correct value", "text",
                                  "Correct value"))
        return out
    if d.kind == "anomaly":
        if d.side == "la":
            fix = Choice("la_to_fix", "The LA should correct this in ONE")
        else:
            fix = Choice("will_fix", "We will correct this in SIMS")
        return [fix, Choice("is_correct", "This is correct as it is")]
    if d.kind == "not_at_school":
        return [Choice("left", "The pupil has left", "date", "Leaving date", DATE_HINT),
                Choice("still_on_roll", "Still on roll: we will add them to SIMS")]
    if d.kind == "new_to_la":
        return [Choice("on_roll", "On roll at this school", "date", "Start date", DATE_HINT),
                Choice("not_on_roll", "Not on roll: we will remove them from SIMS")]
    return []


def choice_for(d: Difference, value: str | None) -> Choice | None:
    return next((c for c in offered_choices(d) if c.value == value), None)


def shown_value(d: Difference, value: str | None) -> str | None:
    """A stored value (school, LA or the school's correct value) as the report shows it."""
    if value is None:
        return None
    f = FIELDS_BY_KEY.get(d.field_key) if d.kind == "field" else None
    if f is not None:
        return f.show(value)
    return display_date(value) if d.kind in ("new_to_la", "not_at_school") else value


def _pupil_name(d: Difference) -> str:
    return " ".join(p for p in (d.forename, d.surname) if p) or "this pupil"


def sims_instruction(d: Difference) -> str | None:
    """What the school must change in SIMS after its decision, or ``None`` if nothing.

    "Change forename Joe to Joseph in SIMS" when the LA's value is the right one.
    """
    if d.choice is None:
        return None
    if d.kind == "field":
        if d.choice == "la":
            new = d.la_value
        elif d.choice == "other":
            new = d.correct_value
        else:
            return None
        if new == d.school_value:
            return None
        f = FIELDS_BY_KEY.get(d.field_key)
        name = _SIMS_NAMES.get(d.field_key, f.label.lower() if f else d.field_key)
        return (f"Change {name} {shown_value(d, d.school_value)} to "
                f"{shown_value(d, new)} in SIMS")
    if d.kind == "anomaly" and d.choice == "will_fix":
        return f"Correct this in SIMS: {d.instruction}"
    if d.kind == "not_at_school" and d.choice == "still_on_roll":
        return f"Add {_pupil_name(d)} to SIMS"
    if d.kind == "new_to_la" and d.choice == "not_on_roll":
        return f"Remove {_pupil_name(d)} from SIMS"
    return None


# -- recording ------------------------------------------------------------------------

class DecisionError(Exception):
    """A decision that cannot be recorded; ``message`` is safe to show the user."""

    status = 422

    def __init__(self, message: str, *, field: str = "choice"):
        super().__init__(message)
        self.message = message
        self.field = field  # which input the message belongs to: choice or value


class NotOffered(DecisionError):
    """The posted choice is not one of the offered ones, or its value is missing/bad."""


class StaleDecision(DecisionError):
    """The difference changed since the page was loaded (by someone else or new data)."""

    status = 409


class ReportLocked(DecisionError):
    """The report has been sent (or is otherwise not open for decisions)."""

    status = 409


@dataclass(frozen=True)
class DecisionResult:
    difference: Difference
    changed: bool  # False when the post repeated the decision already recorded


def clean_value(d: Difference, choice: Choice, raw: str | None) -> str | None:
    """The value typed in with a choice, checked and in its stored form.

    Raises :class:`NotOffered` (``field="value"``) with a GOV.UK-style message.
    """
    if choice.needs is None:
        return None
    label = (choice.value_label or "value").lower()
    try:
        value = text(raw or "")
    except BadValue as e:  # a control or invisible character: a name spoofed in ONE
        return _raise(f"The {label} {e}")
    if not value:
        return _raise(f"Enter the {label}")
    if len(value) > MAX_VALUE_LENGTH:
        return _raise(f"The {label} must be {MAX_VALUE_LENGTH} characters or fewer")
    if choice.needs == "date":
        try:
            value = iso_date(value)
        except BadValue:
            return _raise(f"The {label} must be a real date, like 27/03/2026")
        return value
    if d.field_key == "postcode":
        value = normalise_postcode(value)
        if not is_valid_postcode(value):
            return _raise("Enter a real postcode, like ME14 1XX")
    elif d.field_key == "sex":
        value = value.upper()
    return value


def _raise(message: str) -> NoReturn:
    raise NotOffered(message, field="value")


def record_decision(
    session: Session,
    d: Difference,
    actor: object,
    choice_value: str | None,
    raw_value: str | None,
    version: int | None,
    *,
    now: datetime | None = None,
    source: str | None = None,
) -> DecisionResult:
    """Record the school's answer to one difference. Commits.

    - Only an offered choice (with a valid value where it needs one) is accepted.
    - Posting the decision already recorded changes nothing (a double click, a retry).
    - ``version`` is the one the page showed. If the difference has changed since, and
      not by this same person (their own quick successive choices are not a conflict),
      :class:`StaleDecision` is raised and nothing is written: the later choice wins
      only when it was made knowing the current one.
    - The write is a compare-and-set on ``version``, so two simultaneous posts cannot
      both win.
    - ``source`` says where the answer came from when not from a click on the page
      (``"docx:<sha256 prefix>"``: a ticked .docx sent back); the audit entry keeps it.
    """
    report: Report = d.report
    if report.status not in DECIDABLE_STATES:
        raise ReportLocked("This report has been sent to the LA and can no longer be changed")
    if d.status != "open":
        raise ReportLocked("This difference no longer needs an answer: the data now agrees")
    choice = choice_for(d, choice_value)
    if choice is None:
        raise NotOffered("Select which is correct")
    value = clean_value(d, choice, raw_value)
    if d.choice == choice.value and d.correct_value == value:
        return DecisionResult(d, changed=False)
    actor_id = getattr(actor, "id", None)
    if version is None or (version != d.version and d.decided_by_id != actor_id):
        raise StaleDecision("Someone else changed this answer while you were looking at it. "
                            "Check the answer shown and change it if you need to")
    current_version = d.version
    before = {"choice": d.choice, "correct_value": d.correct_value, "version": current_version}
    now = now or utcnow()
    done = cast(CursorResult[Any], session.execute(
        update(Difference)
        .where(Difference.id == d.id, Difference.version == d.version)
        .values(choice=choice.value, correct_value=value, decided_by_id=actor_id,
                decided_at=now, version=Difference.version + 1)
        .execution_options(synchronize_session=False)
    )).rowcount
    if done != 1:
        session.rollback()
        raise StaleDecision("Someone else changed this answer at the same moment. "
                            "Check the answer shown and change it if you need to")
    after: dict[str, object] = {"choice": choice.value, "correct_value": value,
                                "version": current_version + 1}
    if source is not None:
        after["source"] = source
    record(session, actor, "decision.recorded", d, school_id=report.school_id,
           report_id=report.id, before=before, after=after)
    if report.status == "published":
        report.status = "in_progress"
        report.state_changed_at = now
        record(session, actor, "report.in_progress", report, school_id=report.school_id,
               report_id=report.id, before={"status": "published"},
               after={"status": "in_progress"})
    _commit_keeping_loaded(session)
    # The compare-and-set above bypassed the ORM: read the difference back as stored.
    session.refresh(d)
    return DecisionResult(d, changed=True)


def _commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring everything loaded: the decision's report, school and the
    person deciding were read in this transaction and only the difference (refreshed
    after) and the report's status (set through the ORM) changed. Saves the round trips
    of reloading them on every choice."""
    real = session() if isinstance(session, scoped_session) else session
    keep, real.expire_on_commit = real.expire_on_commit, False
    try:
        real.commit()
    finally:
        real.expire_on_commit = keep


