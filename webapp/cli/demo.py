"""``flask b2b demo``: a realistic fictional LA, loaded once."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from webapp.b2b.demo import DEMO_LA_NUMBER, load_demo
from webapp.extensions import db
from webapp.models import User


@click.command("demo")
@click.option("--schools", default=22, show_default=True, help="How many schools.")
@click.option("--pupils", default=240, show_default=True, help="Pupils per school.")
def demo_command(schools: int, pupils: int) -> None:
    """Load a fictional LA (schools, both sides' data, reports, accounts) once."""
    password = os.environ.get("DEMO_PASSWORD", "b2b-demo-password")
    workdir = Path(current_app.instance_path) / "demo-files"
    if db.session.scalar(select(User).where(User.email == "officer@la.example")) is None:
        with click.progressbar(length=schools, label="Building demo schools",
                               file=sys.stderr, hidden=not sys.stderr.isatty()) as bar:
            load_demo(db.session, workdir, schools=schools, pupils=pupils,
                      password=password, today=date.today(), progress=bar.update)
        click.echo(f"Demo LA {DEMO_LA_NUMBER} loaded; data files in {workdir}.")
    else:
        click.echo("Demo data already loaded.")
    click.echo("Demo sign-ins (password from DEMO_PASSWORD, default 'b2b-demo-password'):")
    for u in db.session.scalars(select(User).order_by(User.role.desc(), User.email).limit(6)):
        where = u.school.title if u.school else "LA"
        click.echo(f"  {u.email:40} {u.role:11} {where}")
    click.echo("  ... and office@<estab>.school.example for every demo school")
