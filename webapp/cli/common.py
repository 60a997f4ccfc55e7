"""What the commands share: the ``--year`` option, and finding a school or its report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import click
from sqlalchemy import select

from webapp.b2b.weeks import academic_year_of
from webapp.extensions import db
from webapp.models import Report, School

F = TypeVar("F", bound=Callable[..., object])


def year_option(f: F) -> F:
    """``--year``: the academic year by its first calendar year, default this one."""
    return click.option(
        "--year", "year", type=int, default=None,
        help="Academic year by its first calendar year (2026 = 2026/27); default: this one.",
    )(f)


def academic_year(year: int | None) -> int:
    """The ``--year`` given, or the academic year today falls in."""
    return year if year is not None else academic_year_of(date.today())


def school_by_laestab(laestab: str) -> School:
    """The school with this LAESTAB, or a usage error saying there is none."""
    school = db.session.scalar(select(School).where(School.laestab == laestab.strip()))
    if school is None:
        raise click.ClickException(f"No school with LAESTAB {laestab}.")
    return school


def report_for(laestab: str, week: int, year: int | None) -> Report:
    """The school's report for the week, or an error saying how to make one."""
    school = school_by_laestab(laestab)
    report = db.session.scalar(select(Report).where(
        Report.school_id == school.id, Report.week == week,
        Report.academic_year == academic_year(year)))
    if report is None:
        raise click.ClickException(
            f"No report for {school.laestab} in week {week}. "
            f"Run `flask b2b compare --week {week}` first.")
    return report
