"""What a pupil record keeps about itself, kept up to date on every ORM write.

The importer works out ``problems`` as it writes; any other write of a record through the
ORM (an amendment task, a test's factory) goes through these listeners. The app factory
registers them once; the models know nothing of the rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from webapp.b2b.records.checks import record_problems
from webapp.models import PupilRecord


def _recheck(_mapper: Any, _connection: Any, record: PupilRecord) -> None:
    """An insert, or a change of the UPN or postcode, rechecks the record."""
    record.problems = record_problems(record.upn, record.postcode)


def register_listeners() -> None:
    """Attach the listeners (once, however often it is called)."""
    for when in ("before_insert", "before_update"):
        if not event.contains(PupilRecord, when, _recheck):
            event.listen(PupilRecord, when, _recheck)
