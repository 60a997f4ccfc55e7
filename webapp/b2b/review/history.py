"""A report's history as the LA team reads it: when (DD/MM/YYYY), who (a person's name
where one is known), what happened in words, what it was about (the catalogue's label
and the pupil) and the values before and after in the report's own terms. Never the log's
internal names: no "decision: recorded", "choice: other", "version: 1" or ISO dates.

No Flask here: the history page renders :func:`report_history`'s lines as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.b2b.records.items import ADDRESS_PARTS
from webapp.b2b.records.normalise import display_date
from webapp.b2b.review.decisions import choice_for, shown_value
from webapp.b2b.review.wording import item_label, plural, pupil_name, shown, task_label
from webapp.models import AmendmentTask, AuditEntry, Difference, SimsItem, User

# What each logged action means, in the team's words.
ACTIONS = {
    "report.created": "Report made by the comparison",
    "report.published": "Published to the school",
    "report.opened": "Opened by the school",
    "report.in_progress": "The school started answering",
    "report.superseded": "Superseded by a newer week",
    "report.reminder": "Reminder sent to the school",
    "report.sent": "Sent to the LA by the school",
    "report.recalled": "Recalled by the school",
    "report.received": "Received by the LA",
    "report.tasks_made": "Amendment tasks made",
    "report.closed": "Report closed",
    "decision.recorded": "Answer saved",
    "decision.cleared_by_data": "Answer cleared: the data changed",
    "task.assigned": "Amendment task assigned",
    "task.done": "Amended in ONE",
    "task.rejected": "Amendment rejected",
    "sims_item.amended": "SIMS change confirmed by the school's data",
    "sims_item.not_amended": "SIMS change not yet made",
    "sims_item.gone": "SIMS change no longer needed: the pupil has gone",
}
# For an action not listed above ("decision.carried"): its subject, then its verb.
_SUBJECTS = {"report": "Report", "decision": "Answer", "task": "Amendment task",
             "sims_item": "SIMS change", "cycle": "Weekly cycle"}

STATUSES = {
    "draft": "Draft", "published": "Published", "in_progress": "In progress",
    "sent": "Sent", "received": "Received", "closed": "Closed", "superseded": "Superseded",
    "open": "Open", "done": "Done", "rejected": "Rejected", "amended": "Amended",
    "not_amended": "Not amended", "gone": "Gone",
}
# Who did it, when the log names a process rather than a person.
_ACTORS = {"system": "b2b-sync", "cycle": "The weekly cycle", "cli": "Command line",
           "demo": "Demo data"}
# Values the team has no use for: the log's own bookkeeping.
_HIDDEN = {"version", "task", "difference_id"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ADDRESS_KEYS = (*ADDRESS_PARTS, "postcode")


@dataclass
class HistoryLine:
    """One entry of a report's history, ready to read."""

    at: datetime
    who: str
    what: str
    about: str | None = None
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def action_words(action: str) -> str:
    """An action in words ("report.sent" -> "Sent to the LA by the school")."""
    if action in ACTIONS:
        return ACTIONS[action]
    subject, _, verb = action.partition(".")
    words = verb.replace("_", " ")
    name = _SUBJECTS.get(subject, subject.replace("_", " ").capitalize())
    return f"{name} {words}".strip() if words else name


def actor_name(label: str, names: dict[int, str], actor_id: int | None) -> str:
    """Who did something: the person's name, else what the log calls the process."""
    if actor_id is not None and actor_id in names:
        return names[actor_id]
    if label.startswith("token:"):
        return f"API token {label.partition(':')[2]}…"
    return _ACTORS.get(label.partition(":")[0], label)


def people_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Users' names by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
                .tuples().all())


def _plain(value: object) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value)
    return display_date(text) if _ISO_DATE.match(text) else text


def _key_label(key: str) -> str:
    return key.replace("_", " ").capitalize()


class _Values:
    """Turns one side (before or after) of an entry into lines, knowing what it is
    about: the difference (for its choices and values) or the task (for its field)."""

    def __init__(self, difference: Difference | None, task: AmendmentTask | None,
                 names: dict[int, str], about_known: bool):
        self.d, self.t, self.names = difference, task, names
        self.about_known = about_known

    def lines(self, values: dict[str, object] | None) -> list[str]:
        if not values:
            return []
        out: list[str] = []
        v = dict(values)
        for k in _HIDDEN:
            v.pop(k, None)
        if self.about_known:  # the entry's subject line already names the item
            v.pop("field", None)
        if "decided" in v and "total" in v:
            out.append(f"{v.pop('decided')} of {v.pop('total')} answered")
        address = [v.pop(k) for k in _ADDRESS_KEYS if k in v]
        if "academic_year" in v and "week" in v:
            year = v.pop("academic_year")
            out.append(f"Week {v.pop('week')}, {year}/{(int(str(year)) + 1) % 100:02d}"
                       if str(year).isdigit() else f"Week {v.pop('week')}, {year}")
        for key, value in v.items():
            line = self.line(key, value, v)
            if line:
                out.append(line)
        if address:
            out.append("Address: " + (", ".join(str(a) for a in address if a) or "–"))
        return out

    def line(self, key: str, value: object, values: dict[str, object]) -> str | None:
        d, t = self.d, self.t
        words: dict[str, Callable[[], str | None]] = {
            "choice": lambda: f"Answer: {self.choice(value)}" if value else "No answer yet",
            "correct_value": lambda: self.correct_value(value, values.get("choice")),
            "status": lambda: f"Status: {STATUSES.get(str(value), _plain(value))}",
            "assigned_to": lambda: "Assigned to: " + (
                self.names.get(value, "someone") if isinstance(value, int) else "nobody"),
            "field": lambda: f"Item: {item_label(d.kind if d else None, str(value))}",
            "reason": lambda: f"Reason: {_plain(value)}",
            "tasks": lambda: plural(int(str(value)), "amendment task"),
            "sims_items": lambda: plural(int(str(value)), "SIMS change"),
            "emails": lambda: plural(int(str(value)), "email"),
            "by_week": lambda: f"Superseded by week {value}",
            "note": lambda: str(value)[:1].upper() + str(value)[1:],
            "added": lambda: "Added to ONE" if value else None,
            "school_value": lambda: f"School Data: {self.shown(value)}",
            "la_value": lambda: f"LA Data - ONE: {self.shown(value)}",
            "value": lambda: "Value: " + (shown(t.field_key, str(value))
                                          if t is not None and value is not None
                                          else _plain(value)),
            "start_date": lambda: f"Start date: {_plain(value)}",
            "until": lambda: f"Until: {_plain(value)}",
        }
        if key in words:
            return words[key]()
        return f"{_key_label(key)}: {_plain(value)}"

    def choice(self, value: object) -> str:
        c = choice_for(self.d, str(value)) if self.d is not None else None
        if c is None:
            return _key_label(str(value))
        # "Neither: enter the correct value" is the form's wording; the log's is "Neither".
        return c.label.split(":")[0] if c.needs and self.d and self.d.kind == "field" \
            else c.label

    def correct_value(self, value: object, choice: object) -> str | None:
        if value is None:
            return None
        c = choice_for(self.d, str(choice)) if self.d is not None and choice else None
        label = c.value_label if c is not None and c.value_label else "Correct value"
        return f"{label}: {self.shown(value)}"

    def shown(self, value: object) -> str:
        if value is None:
            return "–"
        if self.d is not None:
            return shown_value(self.d, str(value)) or "–"
        return _plain(value)


def report_history(session: Session, report_id: int) -> list[HistoryLine]:
    """Every logged change to the report, its answers and its tasks, oldest first, in
    words (a handful of queries whatever the length)."""
    entries: Sequence[AuditEntry] = session.scalars(
        select(AuditEntry).where(AuditEntry.report_id == report_id)
        .order_by(AuditEntry.at, AuditEntry.id)).all()
    diff_ids = {e.object_id for e in entries if e.object_type == "difference" and e.object_id}
    task_ids = {e.object_id for e in entries if e.object_type == "amendmenttask"
                and e.object_id}
    task_ids |= {int(str(t)) for e in entries if e.action == "task.assigned"
                 and (t := (e.after or {}).get("task")) is not None}
    item_ids = {e.object_id for e in entries if e.object_type == "simsitem" and e.object_id}
    diffs = {d.id: d for d in session.scalars(
        select(Difference).where(Difference.id.in_(diff_ids)))} if diff_ids else {}
    tasks = {t.id: t for t in session.scalars(
        select(AmendmentTask).where(AmendmentTask.id.in_(task_ids)))} if task_ids else {}
    items = {i.id: i for i in session.scalars(
        select(SimsItem).where(SimsItem.id.in_(item_ids)))} if item_ids else {}
    assignees = {v for e in entries if e.action == "task.assigned"
                 for side in (e.before, e.after) if side
                 for v in [side.get("assigned_to")] if isinstance(v, int)}
    names = people_names(session, {e.actor_id for e in entries} | assignees)
    out = []
    for e in entries:
        d = diffs.get(e.object_id) if e.object_type == "difference" and e.object_id else None
        task_id = e.object_id if e.object_type == "amendmenttask" else (
            (e.after or {}).get("task") if e.action == "task.assigned" else None)
        t = tasks.get(int(str(task_id))) if task_id is not None else None
        item = items.get(e.object_id) if e.object_type == "simsitem" and e.object_id else None
        if t is not None and d is None:
            d = t.difference
        about = None
        if d is not None and t is None:
            about = f"{item_label(d.kind, d.field_key)}, {pupil_name(d.forename, d.surname)}"
        elif t is not None:
            about = f"{task_label(t.kind, t.field_key)}, {pupil_name(t.forename, t.surname)}"
        elif item is not None:
            about = (f"{item_label(item.kind, item.field_key)}, "
                     f"{pupil_name(item.forename, item.surname)}")
        values = _Values(d, t, names, about is not None)
        out.append(HistoryLine(at=e.at, who=actor_name(e.actor, names, e.actor_id),
                               what=action_words(e.action), about=about,
                               before=values.lines(e.before), after=values.lines(e.after)))
    return out
