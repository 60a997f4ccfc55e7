"""``flask b2b demo``: a realistic fictional LA, loaded once."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import case, select

from webapp.demo.loader import DEMO_LA_NUMBER, load_demo
from webapp.extensions import db
from webapp.models import User


@click.command("demo")
@click.option("--schools", default=22, show_default=True, help="How many schools.")
@click.option("--pupils", default=240, show_default=True, help="Pupils per school.")
def demo_command(schools: int, pupils: int) -> None:
    """Load a fictional LA (schools, both sides' data, reports, accounts) once."""
    if current_app.config["B2B_PRODUCTION"]:
        raise click.ClickException(
            "The demo LA is not loaded in production (FLASK_B2B_PRODUCTION is on): its "
            "accounts have a published password. Invite real people with `b2b user add`.")
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
    la_first = case((User.role == "la_admin", 0), (User.role == "la_officer", 1), else_=2)
    shown = db.session.scalars(select(User).order_by(la_first, User.email).limit(4))
    for u in shown:
        where = u.school.title if u.school else ("LA admin" if u.role == "la_admin"
                                                 else "LA officer")
        click.echo(f"  {u.email:34} {where}")
    click.echo("  office@<estab>.school.example      every other demo school "
               "(e.g. office@2007.school.example)")
