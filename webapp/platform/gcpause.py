"""Bulk work without the cyclic garbage collector walking what it need not: the objects
already loaded (imports, comparisons) or every object (a PDF rendering)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Leave the objects that exist now out of the collector's scans until the end.

    An import or a comparison makes and drops millions of small objects; each full
    collection they trigger walked the whole application as well (modules, SQLAlchemy's
    metadata, templates), about a quarter of an LA import's time. Frozen objects are
    still freed as usual when unused; only cycles among them wait until the end.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_gc_lock = threading.Lock()
_gc_pausing = 0  # renderings in progress that paused the cyclic garbage collector
_gc_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while WeasyPrint renders (webapp.exports.pdf),
    back on after the last of the renderings in progress, in any thread.

    WeasyPrint makes millions of short-lived objects; the collector kept walking them:
    a quarter of a 300-pupil report's CPU time (2 s of 8.5). Nearly all of them go by
    reference counting anyway, so memory hardly grows (measured: +6 MB on 250 MB); what
    is left in cycles is collected once the collector is back on."""
    global _gc_pausing, _gc_was_enabled
    with _gc_lock:
        if _gc_pausing == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausing += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausing -= 1
            if _gc_pausing == 0 and _gc_was_enabled:
                gc.enable()
