"""Bulk work without the garbage collector re-scanning everything already loaded."""

from __future__ import annotations

import gc
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
