"""Engine tuning that depends on the database in use."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, _record):
    """WAL, foreign keys and a busy timeout on every SQLite connection.

    WAL lets readers work while one writer commits; the busy timeout makes a second
    writer wait instead of failing with "database is locked".
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Turn off pysqlite's own transaction handling; BEGIN is issued in _on_begin.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


_writing: ContextVar[bool] = ContextVar("writing", default=False)


@contextmanager
def write_transactions() -> Iterator[None]:
    """Outside a request (the job worker, the CLI): transactions begun in this block take
    SQLite's write lock at once, as a request that changes data does."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    # A request (or a job) that changes data takes the write lock when its transaction
    # starts: a deferred transaction that read first and then tries to write can fail at
    # once with "database is locked" (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn.
    if _writing.get() or (has_request_context()
                          and request.method not in ("GET", "HEAD", "OPTIONS")):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
