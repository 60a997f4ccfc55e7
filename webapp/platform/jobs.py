"""The job queue: huey, with SQLite storage by default and Redis when ``REDIS_URL`` is set.

The tasks live in ``webapp.tasks``; run the worker with ``huey_consumer webapp.worker.huey``
(``make run`` does), which registers every task and hands this module the app factory.
Tasks create the app lazily, the first time the worker needs one. The database, not the
queue, is the record of work to do (``outbound_email``, ``upload``): when the queue is down,
:func:`try_enqueue` says so and the periodic sweeps find the work later.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.storage import SqliteStorage

from webapp.config import default_config
from webapp.extensions import db
from webapp.platform.db_setup import write_transactions

log = logging.getLogger(__name__)

NAME = "b2b-sync"


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
_factory: Callable[[], Flask] | None = None


def set_app_factory(factory: Callable[[], Flask]) -> None:
    """How the worker makes its app (``webapp.worker`` passes ``create_app``)."""
    global _factory
    _factory = factory


def use_app(app: Flask | None) -> None:
    """Run tasks in this app (the tests' app); ``None`` goes back to creating one."""
    global _app
    _app = app


def _get_app() -> Flask:
    global _app
    if _app is None:
        if _factory is None:
            raise RuntimeError("no app for the job queue: start the worker as "
                               "huey_consumer webapp.worker.huey")
        _app = _factory()
    return _app


@contextmanager
def app_context() -> Iterator[Flask]:
    """The app a task runs in: the caller's, if there is one, else the worker's. A task's
    transactions take SQLite's write lock when they begin (``write_transactions``): two
    worker threads that each read and then write would otherwise fail at once with
    "database is locked" instead of waiting their turn."""
    with write_transactions():
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


def in_process_consumer(app: Flask, workers: int = 2):
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


def try_enqueue(task: Callable[..., object], *args: object, what: str) -> bool:
    """Hand ``task(*args)`` to the worker. ``False`` (and a log line naming ``what``) if
    the queue is down: the work stays recorded in the database for a sweep or a person."""
    if has_app_context():
        bind_storage(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        task(*args)
    except Exception as e:  # noqa: BLE001  (any failure of the queue's storage)
        log.warning("job queue unavailable; %s: %s", what, e)
        return False
    return True
