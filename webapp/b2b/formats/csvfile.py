"""Our documented CSV formats (``docs/formats.md``): pupils, exclusions, attendance.

UTF-8 (a byte-order mark is allowed); the header must name exactly the required columns,
plus any of the optional ones; dates ISO or DD/MM/YYYY.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO

from webapp.b2b.formats import (
    ImportRefused,
    ParsedAttendance,
    ParsedExclusion,
    ParsedPupil,
    SchoolRef,
)
from webapp.b2b.formats.headings import NO_MAPPING, ColumnMapping, resolve_header
from webapp.b2b.records.items import RECORD_ITEMS
from webapp.b2b.records.normalise import ITEM_FORMS, BadValue, code, code_list, is_digits, iso_date

PUPIL_COLUMNS: tuple[str, ...] = (
    "laestab", "upn", "surname", "forename", "middle_names", "sex", "dob",
    "address_saon", "address_paon", "address_street", "address_locality", "address_town",
    "address_county", "postcode", "uprn", "ethnicity", "first_language", "sen_provision",
    "nc_year", "reg_group", "enrol_status", "start_date", "leave_date",
)
# Items the LA extract may carry as well; a file without them simply does not supply them.
PUPIL_OPTIONAL: tuple[str, ...] = tuple(
    i for i in RECORD_ITEMS if i not in PUPIL_COLUMNS
) + ("school_name",)

EXCLUSION_COLUMNS: tuple[str, ...] = (
    "laestab", "upn", "category", "start_date", "end_date", "sessions",
    "reason1", "reason2", "reason3", "term", "academic_year",
)
ATTENDANCE_COLUMNS: tuple[str, ...] = (
    "laestab", "upn", "academic_year", "sessions_possible", "sessions_attended",
    "sessions_authorised", "sessions_unauthorised", "attendance_start_date", "marks",
)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_utf8(data: bytes) -> None:
    """Refuse bytes that are not UTF-8, naming the line of the first bad byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ImportRefused(f"the file is not valid UTF-8 (byte 0x{data[e.start]:02x} in "
                            "this line; save it as UTF-8)", f"line {line}") from None


def _rows(source: IO[bytes], required: tuple[str, ...], optional: tuple[str, ...] = (),
          mapping: ColumnMapping | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row as {column: raw value}. With ``mapping`` (the pupils CSV): a header of our
    own column names must be exactly ours, as always; any other header is the LA's own
    extract, each column resolved to an item by the mapping or the common headings."""
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, strict=True)
    try:
        try:
            header = next(reader)
        except StopIteration:
            raise ImportRefused("the file is empty", "line 1") from None
        ours = {h.strip().lower() for h in header} <= set(required) | set(optional)
        if mapping is not None and (mapping.columns or not ours):
            header = resolve_header(header, mapping)
            required = ()
            optional = tuple(header)
        header = [h.strip().lower() for h in header]
        missing = [c for c in required if c not in header]
        unknown = [c for c in header if c not in required and c not in optional]
        dupes = {c for c in header if header.count(c) > 1}
        if missing or unknown or dupes:
            parts = []
            if missing:
                parts.append("missing columns: " + ", ".join(missing))
            if unknown:
                parts.append("unknown columns: " + ", ".join(unknown[:10]))
            if dupes:
                parts.append("repeated columns: " + ", ".join(sorted(dupes)))
            raise ImportRefused("the header is wrong (" + "; ".join(parts) + ")", "line 1")
        for row in reader:
            line = reader.line_num
            joined = "".join(row)  # one test over the row instead of one per value
            if not joined.strip():
                continue
            if _CONTROL.search(joined):
                raise ImportRefused("a value contains a control character", f"line {line}")
            if len(row) != len(header):
                raise ImportRefused(f"expected {len(header)} columns, found {len(row)}",
                                    f"line {line}")
            yield line, dict(zip(header, row, strict=True))
    except UnicodeDecodeError as e:
        raise ImportRefused(f"the file is not valid UTF-8 (byte {e.start} of the bad "
                            "block: 0x" + e.object[e.start:e.start + 1].hex() + ")",
                            f"line {reader.line_num + 1}") from None
    except csv.Error as e:
        raise ImportRefused(f"the CSV is malformed ({e})", f"line {reader.line_num}") from None


def _laestab(value: str, where: str) -> str:
    v = value.strip()
    if not (is_digits(v) and len(v) == 7):
        raise ImportRefused("laestab must be 7 digits (LA number + establishment number)",
                            where)
    return v


def read_pupils_csv(source: IO[bytes], mapping: ColumnMapping = NO_MAPPING
                    ) -> Iterator[ParsedPupil]:
    """Yield each pupil row of the pupils CSV: ours, or the LA's own extract with its own
    headings (``mapping``, and the common headings it recognises)."""
    schools: dict[tuple[str, str | None], SchoolRef] = {}  # one per school, not per row
    for line, row in _rows(source, PUPIL_COLUMNS, PUPIL_OPTIONAL, mapping):
        where = f"line {line}"
        laestab = _laestab(row.pop("laestab"), where)
        name = row.pop("school_name", "").strip() or None
        items: dict[str, str | None] = {}
        for col, raw in row.items():
            if mapping.dates and col in mapping.dates:
                raw = mapping.date(col, raw)
            try:
                items[col] = ITEM_FORMS[col](raw)
            except BadValue as e:
                raise ImportRefused(f"{col} {e}", where) from None
        if not items.get("upn") and not (items.get("surname") and items.get("dob")):
            raise ImportRefused("a pupil needs a UPN, or at least a surname and date of birth",
                                where)
        school = schools.get((laestab, name))
        if school is None:
            school = schools[(laestab, name)] = SchoolRef(laestab, name)
        yield ParsedPupil(school, items, where)


def read_exclusions_csv(source: IO[bytes]) -> Iterator[ParsedExclusion]:
    for line, row in _rows(source, EXCLUSION_COLUMNS):
        where = f"line {line}"
        laestab = _laestab(row["laestab"], where)
        upn = code(row["upn"])
        category = code(row["category"])
        if category not in ("PERM", "FIXD", "LNCH"):
            raise ImportRefused("category must be PERM, FIXD or LNCH", where)
        try:
            start = iso_date(row["start_date"])
            end = iso_date(row["end_date"])
        except BadValue as e:
            raise ImportRefused(f"a date {e}", where) from None
        if not start:
            raise ImportRefused("start_date is required", where)
        if end and end < start:
            raise ImportRefused("end_date is before start_date", where)
        reasons = code_list(",".join(row[f"reason{i}"] for i in (1, 2, 3)))
        sessions = row["sessions"].strip()
        if sessions and not is_digits(sessions.replace(".", "", 1)):
            raise ImportRefused("sessions is not a number", where)
        yield ParsedExclusion(SchoolRef(laestab), upn, {
            "category": category, "start_date": start, "end_date": end,
            "sessions": sessions, "reasons": reasons, "term": row["term"].strip(),
            "academic_year": row["academic_year"].strip(),
        }, where)


def read_attendance_csv(source: IO[bytes]) -> Iterator[ParsedAttendance]:
    for line, row in _rows(source, ATTENDANCE_COLUMNS):
        where = f"line {line}"
        laestab = _laestab(row["laestab"], where)
        items: dict[str, str | int | None] = {}
        year = row["academic_year"].strip()
        if not (len(year) == 7 and year[4] == "/" and is_digits(year[:4])):
            raise ImportRefused("academic_year must look like 2024/25", where)
        items["academic_year"] = year
        for col in ("sessions_possible", "sessions_attended", "sessions_authorised",
                    "sessions_unauthorised"):
            v = row[col].strip()
            if v and not is_digits(v):
                raise ImportRefused(f"{col} is not a whole number", where)
            items[col] = int(v) if v else None
        try:
            items["attendance_start_date"] = iso_date(row["attendance_start_date"]) or None
        except BadValue as e:
            raise ImportRefused(f"attendance_start_date {e}", where) from None
        items["marks"] = row["marks"].strip() or None
        yield ParsedAttendance(SchoolRef(laestab), code(row["upn"]), items, where)
