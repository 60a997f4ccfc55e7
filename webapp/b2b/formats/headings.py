"""The LA's own extract as the LA has it: which column of a CSV is which item.

A real ONE export does not use our column names. Headings people commonly use ("Legal
Surname", "Date of Birth", "Gender", "Post Code", "UPN") are recognised without help; the
rest, and any column's date format, are said by a mapping (a small TOML file, or the one
the LA saved on its upload page)::

    [columns]
    "Pupil Surname" = "surname"
    "DfE Number" = "laestab"

    [dates]
    dob = "%d.%m.%Y"

A column that is neither ours, nor a common heading, nor mapped refuses the file, naming
the column and the item it most looks like.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from datetime import datetime

from webapp.b2b.formats import ImportRefused
from webapp.b2b.records.headings import COMMON_HEADINGS, fold
from webapp.b2b.records.items import RECORD_ITEMS

# What a column of the pupils CSV may hold besides the record's items.
EXTRA = ("laestab", "school_name")
TARGETS = frozenset(RECORD_ITEMS) | frozenset(EXTRA)
DATE_ITEMS = frozenset({"dob", "start_date", "leave_date"})

@dataclass(frozen=True)
class ColumnMapping:
    """Which item each named column holds (folded heading -> item), and the format of
    date columns that are not ISO or DD/MM/YYYY (item -> ``strptime`` format)."""

    columns: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)

    def item_for(self, heading: str) -> str | None:
        key = fold(heading)
        plain = heading.strip().lower()
        if key in self.columns:
            return self.columns[key]
        if plain in TARGETS:  # our own column names
            return plain
        return COMMON_HEADINGS.get(key)

    def date(self, item: str, raw: str) -> str:
        """A date column's value as ISO when its format is mapped, else as given."""
        fmt = self.dates.get(item)
        if fmt is None or not raw.strip():
            return raw
        try:
            return datetime.strptime(raw.strip(), fmt).date().isoformat()
        except ValueError:
            return raw  # the item's own check then says it is not a date


NO_MAPPING = ColumnMapping()


def load_mapping(text: str) -> ColumnMapping:
    """A mapping from its TOML text; ``ValueError`` saying what is wrong with it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"the mapping is not valid TOML: {e}") from None
    unknown = set(data) - {"columns", "dates"}
    if unknown:
        raise ValueError(f"the mapping has sections it does not use: {', '.join(sorted(unknown))}"
                         " (only [columns] and [dates])")
    columns = data.get("columns", {})
    dates = data.get("dates", {})
    if not isinstance(columns, dict) or not isinstance(dates, dict):
        raise ValueError("[columns] and [dates] each list name = value pairs")
    out_cols: dict[str, str] = {}
    for heading, item in columns.items():
        if not isinstance(item, str) or item not in TARGETS:
            raise ValueError(f"column {heading!r} is mapped to {item!r}, which is not an item "
                             f"(items: {', '.join(sorted(TARGETS))})")
        out_cols[fold(heading)] = item
    out_dates: dict[str, str] = {}
    for item, fmt in dates.items():
        if item not in DATE_ITEMS:
            raise ValueError(f"[dates] names {item!r}: only {', '.join(sorted(DATE_ITEMS))} "
                             "are dates")
        if not isinstance(fmt, str) or "%" not in fmt:
            raise ValueError(f"the date format of {item} must be a strptime format such as "
                             "\"%d.%m.%Y\"")
        out_dates[item] = fmt
    return ColumnMapping(out_cols, out_dates)


def resolve_header(header: list[str], mapping: ColumnMapping) -> list[str]:
    """The item of each column, in order; refuses an unknown column (naming the closest
    item), a repeated one, or a header without the school (laestab) or a pupil key."""
    items: list[str] = []
    for heading in header:
        item = mapping.item_for(heading)
        if item is None:
            raise ImportRefused(_unknown(heading), "line 1")
        items.append(item)
    repeated = sorted({i for i in items if items.count(i) > 1})
    if repeated:
        raise ImportRefused("more than one column holds " + ", ".join(repeated), "line 1")
    if "laestab" not in items:
        raise ImportRefused("no column says the pupil's school: add a laestab column (LA "
                            "number and establishment number), or map yours to laestab",
                            "line 1")
    if "upn" not in items and not {"surname", "dob"} <= set(items):
        raise ImportRefused("no column holds the UPN, or the surname and date of birth: "
                            "a pupil cannot be matched without them", "line 1")
    return items


def _unknown(heading: str) -> str:
    key = fold(heading)
    choices = {**{k: v for k, v in COMMON_HEADINGS.items()}, **{t: t for t in TARGETS},
               **{t.replace("_", " "): t for t in TARGETS}}
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    shown = "".join(ch if ch.isprintable() else "?" for ch in heading.strip())[:60]
    if close:
        return (f"column '{shown}' is not one the importer knows; it looks like "
                f"{choices[close[0]]}: add it to the mapping (\"{shown}\" = "
                f"\"{choices[close[0]]}\")")
    return f"column '{shown}' is not one the importer knows: add it to the mapping"
