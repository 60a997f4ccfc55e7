"""Academic years and the weeks of the weekly cycle.

A week is a dated period of its academic year: ``week_start`` is its Monday, and every
"earlier", "latest" and "current" compares those dates, never the week numbers (week 2
of 2026/27 comes after week 50, in January). The number is the LA's own, kept for the
report's name ("B2BreportWeek02"); the LAs this is built for number their weeks as ISO
weeks, so week 32 onwards (from early August) belongs to the autumn an academic year
starts in, and weeks 1 to 31 to the calendar year after.
"""

from __future__ import annotations

from datetime import date, timedelta

# ISO weeks from this one on fall in the calendar year the academic year starts in.
AUTUMN_FROM_WEEK = 32


def academic_year_of(day: date) -> int:
    """The academic year (by its starting calendar year) a date falls in: September on."""
    return day.year if day.month >= 9 else day.year - 1


def week_start(academic_year: int, week: int) -> date:
    """The Monday that week ``week`` of ``academic_year`` starts on."""
    if not 1 <= week <= 53:
        raise ValueError("a week is numbered 1 to 53")
    iso_year = academic_year if week >= AUTUMN_FROM_WEEK else academic_year + 1
    try:
        return date.fromisocalendar(iso_year, week, 1)
    except ValueError:  # week 53 of a year with 52: the week after week 52
        return date.fromisocalendar(iso_year, 52, 1) + timedelta(days=7)


def week_of(day: date) -> tuple[int, int]:
    """(academic year, week) of the week ``day`` falls in."""
    iso = day.isocalendar()
    return (iso.year if iso.week >= AUTUMN_FROM_WEEK else iso.year - 1), iso.week


def week_label(academic_year: int, week: int) -> str:
    """"Week 2, 2026/27 (from 05/01/2027)": the number people know and the date."""
    return (f"Week {week}, {academic_year}/{(academic_year + 1) % 100:02d} "
            f"(from {week_start(academic_year, week):%d/%m/%Y})")
