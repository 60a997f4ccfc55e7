"""What a pupil record and a report keep about themselves, kept up to date on every ORM
write (a record's own problems; the date a report's week starts).

The importer works out ``problems`` as it writes; any other write of a record through the
ORM (an amendment task, a test's factory) goes through these listeners. The app factory
registers them once; the models know nothing of the rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from webapp.b2b.records.checks import record_problems
from webapp.b2b.weeks import week_start
from webapp.models import PupilRecord, Report


def _recheck(_mapper: Any, _connection: Any, record: PupilRecord) -> None:
    """An insert, or a change of the UPN or postcode, rechecks the record."""
    record.problems = record_problems(record.upn, record.postcode)


def _date_the_week(_mapper: Any, _connection: Any, report: Report) -> None:
    """A report knows the Monday its week starts (what earlier and latest compare)."""
    report.week_start = week_start(report.academic_year, report.week)


def register_listeners() -> None:
    """Attach the listeners (once, however often it is called)."""
    for target, when, fn in ((PupilRecord, "before_insert", _recheck),
                             (PupilRecord, "before_update", _recheck),
                             (Report, "before_insert", _date_the_week)):
        if not event.contains(target, when, fn):
            event.listen(target, when, fn)
