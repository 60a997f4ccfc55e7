"""Numbers from the query string or a form, range-checked: anything else is a 400, never
a 500 from an overflow in the database or in date arithmetic."""

from __future__ import annotations

from flask import abort, request
from werkzeug.datastructures import MultiDict

YEARS = (2000, 2100)  # academic years by their first calendar year
WEEKS = (1, 53)
IDS = (1, 2**31 - 1)  # a database id (PostgreSQL integer)
PAGES = (1, 100_000)


def int_param(name: str, bounds: tuple[int, int], default: int | None = None,
              source: MultiDict[str, str] | None = None) -> int | None:
    """The whole number ``name`` within ``bounds`` (inclusive), ``default`` when absent
    or blank; 400 when it is not a whole number or out of range."""
    raw = (request.values if source is None else source).get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
        abort(400)
    value = int(raw)
    if not bounds[0] <= value <= bounds[1]:
        abort(400)
    return value


def id_list(name: str, source: MultiDict[str, str] | None = None) -> list[int]:
    """Every value of ``name`` as a database id (a tampered one is a 400)."""
    out = []
    for raw in (request.form if source is None else source).getlist(name):
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 10
                and IDS[0] <= int(raw) <= IDS[1]):
            abort(400)
        out.append(int(raw))
    return out
