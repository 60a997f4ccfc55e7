"""The job queue: huey, with SQLite storage by default and Redis when ``REDIS_URL`` is set.

Run the worker with ``huey_consumer webapp.jobs.huey`` (``make run`` does). Tasks create
the Flask app lazily, the first time the worker needs it. The ``outbound_email`` table,
not the queue, is the record of what must be sent: if the queue is down when a message is
queued, the periodic sweep sends it once the worker is back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.storage import SqliteStorage
from sqlalchemy import select

from webapp.config import default_config
from webapp.extensions import db

log = logging.getLogger(__name__)

NAME = "b2b-sync"
CHUNK = 50  # messages per job: one SMTP connection each


def _default_sqlite_path() -> str:
    if os.environ.get("FLASK_HUEY_SQLITE_PATH"):
        return os.environ["FLASK_HUEY_SQLITE_PATH"]
    # The same instance folder the app factory uses.
    return default_config(Flask("webapp").instance_path)["HUEY_SQLITE_PATH"]


def _make_huey() -> Huey:
    url = os.environ.get("REDIS_URL")
    if url:
        return RedisHuey(NAME, url=url)
    path = _default_sqlite_path()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return SqliteHuey(NAME, filename=path)


huey: Huey = _make_huey()
_app: Flask | None = None


def use_app(app: Flask | None) -> None:
    """Run tasks in this app (the tests' app); ``None`` goes back to creating one."""
    global _app
    _app = app


def _get_app() -> Flask:
    global _app
    if _app is None:
        from webapp import create_app

        _app = create_app()
    return _app


@contextmanager
def _app_context() -> Iterator[Flask]:
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    app = _get_app()
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()


def bind_storage(app: Flask) -> None:
    """Point the SQLite queue at the app's ``HUEY_SQLITE_PATH`` (the web process and the
    tests configure it per app; the worker reads the same setting from the environment)."""
    if isinstance(huey.storage, SqliteStorage):
        path = app.config["HUEY_SQLITE_PATH"]
        if huey.storage.filename != path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            huey.storage.close()
            huey.storage = SqliteStorage(NAME, filename=path)


# -- email --------------------------------------------------------------------------------

def in_process_consumer(app: Flask, workers: int = 2):  # noqa: ANN201
    """A huey consumer of ``workers`` threads in this process, for the app's tasks (tests
    and benchmarks; production runs ``huey_consumer``). Not started; call ``start()`` and
    ``stop(graceful=True)``. The queue is emptied first."""
    use_app(app)
    bind_storage(app)
    huey.flush()
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                    initial_delay=0.05, max_delay=0.2,
                                    check_worker_health=False)
    consumer._set_signal_handlers = lambda: None  # not the main thread's signals
    return consumer


@huey.task()
def send_emails(ids: Sequence[int]) -> None:
    """Send these outbound emails; failures are scheduled again after a back-off.

    Returns nothing, so that huey keeps no result for it (the table is the record)."""
    send_now(ids)


def send_now(ids: Sequence[int]) -> dict[str, list[int]]:
    """What :func:`send_emails` does, returning which messages went and which failed."""
    from webapp.mail import MAX_ATTEMPTS, deliver
    from webapp.models import OutboundEmail

    with _app_context() as app:
        result = deliver(db.session, ids)
        if result["failed"]:
            retry = list(db.session.scalars(select(OutboundEmail.id).where(
                OutboundEmail.id.in_(result["failed"]),
                OutboundEmail.attempts < MAX_ATTEMPTS)))
            if retry:
                _schedule(retry, delay=float(app.config.get("MAIL_RETRY_SECONDS", 60)))
        return result


def _schedule(ids: list[int], delay: float) -> None:
    try:
        send_emails.schedule((ids,), delay=delay)
    except Exception as e:  # noqa: BLE001  (queue down: the sweep will find them)
        log.warning("could not schedule a retry of %d emails: %s", len(ids), e)


def enqueue_emails(ids: Sequence[int]) -> int:
    """Hand messages to the worker in chunks. Never raises: if the queue is down the
    messages stay queued in the table and :func:`sweep_outbox` sends them later.

    Returns how many were handed over.
    """
    if has_app_context():
        bind_storage(current_app._get_current_object())  # type: ignore[attr-defined]
    handed = 0
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        try:
            send_emails(chunk)
        except Exception as e:  # noqa: BLE001
            log.warning("job queue unavailable; %d emails left for the sweep: %s",
                        len(ids) - handed, e)
            break
        handed += len(chunk)
    return handed


def requeue_due() -> int:
    """Enqueue every message waiting or due for a retry (the sweep, or an officer)."""
    from webapp.mail import due_ids

    with _app_context():
        return enqueue_emails(due_ids(db.session))


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: anything still waiting (the queue was down, a worker died) goes out."""
    from webapp.mail import deliver, due_ids

    with _app_context():
        ids = due_ids(db.session)
        for i in range(0, len(ids), CHUNK):
            deliver(db.session, ids[i:i + CHUNK])
        if ids:
            log.info("the sweep sent %d waiting emails", len(ids))
