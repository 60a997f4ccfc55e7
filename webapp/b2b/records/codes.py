"""Code sets (ethnicity, SEN, exclusions, attendance, ...) loaded from
``b2b/records/data/*.csv``.

They are data, not literals scattered through the code: an LA that needs a newer list
replaces the CSV file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files("webapp.b2b.records").joinpath("data", f"{name}.csv").read_text("utf-8")
    return tuple(csv.DictReader(text.splitlines()))


@cache
def codes(name: str) -> dict[str, str]:
    """Code -> description for one code set (``ethnicity``, ``sen_need``, ...)."""
    return {r["code"]: r["description"] if "description" in r else r["meaning"]
            for r in _rows(name)}


@cache
def ethnicity_main_code() -> dict[str, str]:
    """Extended ethnicity code -> the main code it refines (main codes map to themselves)."""
    return {r["code"]: r["main_code"] for r in _rows("ethnicity")}


def is_ethnicity_refinement(a: str, b: str) -> bool:
    """True when one code is an extended code of the other (WENG refines WBRI)."""
    mains = ethnicity_main_code()
    return (mains.get(a) == b and a != b) or (mains.get(b) == a and a != b)


@dataclass(frozen=True)
class AttendanceCode:
    code: str
    meaning: str
    first_year: int | None  # academic year it came into use (2024 = 2024/25)
    last_year: int | None  # last academic year it was valid


@cache
def attendance_codes() -> tuple[AttendanceCode, ...]:
    return tuple(
        AttendanceCode(
            r["code"],
            r["meaning"],
            int(r["first_year"]) if r["first_year"] else None,
            int(r["last_year"]) if r["last_year"] else None,
        )
        for r in _rows("attendance_code")
    )


def attendance_codes_for(academic_year: int) -> dict[str, AttendanceCode]:
    """The attendance codes valid in an academic year (by its starting calendar year)."""
    return {
        c.code: c
        for c in attendance_codes()
        if (c.first_year is None or academic_year >= c.first_year)
        and (c.last_year is None or academic_year <= c.last_year)
    }


@cache
def exclusion_instruction(category: str) -> str:
    for r in _rows("exclusion_category"):
        if r["code"] == category:
            return r["instruction"]
    return "Please confirm the details of this exclusion."
