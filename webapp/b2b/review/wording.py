"""What people read about an item, said one way everywhere: its label (from the field
catalogue, or the anomaly rule's), what ONE holds and should hold for an amendment task,
a rejected task as the school reads it, and counted nouns ("1 report", "2 reports").

No Flask here: the views, the exports, the emails and the CLI all call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.b2b.records.catalogue import FIELDS_BY_KEY
from webapp.b2b.records.normalise import display_date
from webapp.b2b.review.decisions import anomaly_label
from webapp.models import AmendmentTask, SimsItem

# What the school is told to do about a change the LA did not make.
REJECTION_ADVICE = ("Check your paper records and amend SIMS if SIMS is wrong; otherwise "
                    "tell the LA.")

# Pupils held by one side only, as the school's report names them.
UNMATCHED_LABELS = {"new_to_la": "Only in the school's data",
                    "not_at_school": "Only in the LA's data"}
# The tasks made from them: what the LA changes in ONE.
_TASK_LABELS = {"new_to_la": "New pupil: start date", "not_at_school": "Leaving date"}


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` with its noun: "1 report", "2 reports", "0 reports" (``plural_form`` for
    nouns that do not just add "s": ``plural(n, "was", "were")`` gives "1 was")."""
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"


def item_label(kind: str | None, field_key: str) -> str:
    """The label of the item a difference or a SIMS item is about, as the report prints
    it: the catalogue's ("Forename") or the anomaly rule's ("Duplicate UPN"), never an
    internal key."""
    if kind in UNMATCHED_LABELS:
        return UNMATCHED_LABELS[kind]
    f = FIELDS_BY_KEY.get(field_key) if kind != "anomaly" else None
    return f.label if f is not None else anomaly_label(field_key)


def task_label(kind: str, field_key: str) -> str:
    """The label of what an amendment task changes in ONE ("Forename", "Leaving date")."""
    return _TASK_LABELS.get(kind) or item_label(kind, field_key)


def pupil_name(forename: str | None, surname: str | None) -> str:
    return " ".join(p for p in (forename, surname) if p) or "Pupil"


def shown(field_key: str, value: str | None) -> str:
    """A stored value as the report shows it (dates as 26/09/2007)."""
    if value is None:
        return ""
    f = FIELDS_BY_KEY.get(field_key)
    if f is not None:
        return f.show(value)
    return display_date(value)


def task_values(task: AmendmentTask) -> tuple[str, str]:
    """(what ONE holds, what it should hold) for an amendment task, in words.

    A leaver's task is about the leaving date (ONE holds none yet); a new pupil's about
    adding them with their start date; an anomaly's about correcting ONE by hand."""
    if task.kind == "not_at_school":
        return "No leaving date", shown("leave_date", task.new_value) or "A leaving date"
    if task.kind == "new_to_la":
        start = shown("start_date", task.new_value)
        return "Not on roll", f"On roll from {start}" if start else "On roll"
    if task.kind == "anomaly":
        return task.la_value or "", "Corrected in ONE"
    return shown(task.field_key, task.la_value), shown(task.field_key, task.new_value)


def sims_item_values(item: SimsItem) -> tuple[str, str]:
    """(what SIMS holds, what it should hold) for a "SIMS to amend" item, in words."""
    if item.kind == "not_at_school":  # "still on roll: we will add them to SIMS"
        return "Not on roll", "On roll"
    if item.kind == "new_to_la":  # "not on roll: we will remove them from SIMS"
        return "On roll", "Removed from SIMS"
    if item.kind == "anomaly":
        return item.school_value or "", "Corrected in SIMS"
    return shown(item.field_key, item.school_value), shown(item.field_key,
                                                           item.expected_value)


def field_key_label(field_key: str) -> str:
    """A task's field key alone (the queue's filter) as its label."""
    if field_key == "pupil":
        return _TASK_LABELS["new_to_la"]
    return item_label("field" if field_key in FIELDS_BY_KEY else "anomaly", field_key)


@dataclass
class RejectionView:
    """A change the LA did not make, as the school reads it (page, PDF, .docx)."""

    pupil: str
    label: str
    reason: str
    advice: str = REJECTION_ADVICE


def rejection_of(task: AmendmentTask) -> RejectionView:
    return RejectionView(pupil=pupil_name(task.forename, task.surname),
                         label=task_label(task.kind, task.field_key),
                         reason=task.rejected_reason or "No reason was given.")


def rejection_notice(document_name: str, week: int, task: AmendmentTask) -> str:
    """The school's notice when the LA rejects a task: pupil, item, reason, what to do.
    Shown on the school's pages only, never emailed (it names the pupil)."""
    r = rejection_of(task)
    return (f"The LA did not make a change from {document_name} (week {week}): "
            f"{r.label} for {r.pupil}. The LA's reason: {r.reason} {r.advice}")


def closing_lead(la_name: str, document: str, amended: int, rejected: int) -> str:
    """The closing email's first paragraph: how many changes were made in ONE and how
    many were not, never which pupils (an email carries no pupil data)."""
    if amended == 0 and rejected == 0:
        return (f"{la_name} has received {document}: there was nothing to change in ONE. "
                "The report is now closed.")
    made = "1 change was made" if amended == 1 else f"{amended} changes were made"
    if not rejected:
        return (f"{la_name} has dealt with everything in {document}: {made} in ONE. "
                "The report is now closed.")
    not_made = "1 was not" if rejected == 1 else f"{rejected} were not"
    return (f"{la_name} has closed {document}. {made} in ONE; {not_made}: see the report "
            "for the reasons.")
