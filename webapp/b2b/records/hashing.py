"""A record's fingerprint: how an import tells a changed pupil from one held as before."""

from __future__ import annotations

import hashlib

from webapp.b2b.records.items import RECORD_ITEMS


def content_hash(items: dict[str, str | None]) -> str:
    """A fingerprint of a record's items (``None`` and ``""`` hash differently)."""
    return values_hash(tuple(map(items.get, RECORD_ITEMS)))


def values_hash(values: tuple[str | None, ...]) -> str:
    """``content_hash`` of the items' values in ``RECORD_ITEMS`` order."""
    joined = "\x1f".join(["\x00" if v is None else "\x01" + v for v in values])
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()
