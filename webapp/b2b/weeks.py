"""Academic years and the weeks of the weekly cycle."""

from __future__ import annotations

from datetime import date


def academic_year_of(day: date) -> int:
    """The academic year (by its starting calendar year) a date falls in: September on."""
    return day.year if day.month >= 9 else day.year - 1
