"""``flask b2b token ...``, ``flask b2b cycle`` and ``flask b2b intake``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from webapp.auth.api_tokens import create_token, revoke_token
from webapp.b2b.intake.uploads import process_queued, scan_drop_folder
from webapp.cli.common import school_by_laestab, year_option
from webapp.extensions import db
from webapp.models import ApiToken, LocalAuthority, School


def _school_or_la(laestab: str | None, for_la: bool) -> tuple[School | None, LocalAuthority]:
    """The school named by LAESTAB, or (with --la) none; and the LA either way."""
    if bool(laestab) == for_la:
        raise click.UsageError("Give a LAESTAB or --la (one of them).")
    if laestab:
        school = school_by_laestab(laestab)
        return school, school.la
    la = db.session.scalar(select(LocalAuthority).order_by(LocalAuthority.id))
    if la is None:
        raise click.ClickException("No local authority yet: import some data first.")
    return None, la


@click.group("token")
def token_group() -> None:
    """API tokens for machine senders."""


@token_group.command("create")
@click.argument("laestab", required=False)
@click.option("--la", "for_la", is_flag=True, help="A token for the LA's own ONE extract.")
@click.option("--label", default="", help="What the token is for (shown in lists).")
def token_create(laestab: str | None, for_la: bool, label: str) -> None:
    """Create a token for one school (LAESTAB) or, with --la, for the LA extract."""
    school, la = _school_or_la(laestab, for_la)
    token, raw = create_token(db.session, la=la, school=school, label=label, actor="cli")
    click.echo(f"Token {token.id} for {school.title if school else 'the LA extract'}:")
    click.echo(raw)
    click.echo("Keep it now: it is shown only once.", err=True)


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token {token_id}.")
    if revoke_token(db.session, token, "cli"):
        click.echo(f"Token {token_id} revoked.")
    else:
        click.echo(f"Token {token_id} was already revoked.")


@token_group.command("list")
@click.option("--json", "as_json", is_flag=True)
def token_list(as_json: bool) -> None:
    """List tokens (never their secrets)."""
    rows = [{"id": t.id, "prefix": t.prefix, "label": t.label, "scope": t.side,
             "school": t.school.laestab if t.school else None, "active": t.active,
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
            for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id))]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:>4} {r['prefix']}…  {'active ' if r['active'] else 'revoked'} "
                   f"{r['scope']:6} {r['school'] or '':8} {r['label']}")


@click.command("intake")
def intake_command() -> None:
    """Import queued uploads and the drop folder's files now."""
    n = process_queued(db.session)
    click.echo(f"{n} queued uploads processed.")
    drop = current_app.config.get("B2B_DROP_DIR")
    if drop:
        for r in scan_drop_folder(db.session, Path(drop), min_age_seconds=0):
            click.echo(f"{r.file}: {r.outcome}" + (f" ({r.reason})" if r.reason else ""))


@click.command("cycle")
@click.option("--week", type=click.IntRange(1, 53), default=None,
              help="Default: this week (ISO week number).")
@year_option
def cycle_command(week: int | None, year: int | None) -> None:
    """Run the weekly cycle now: import what arrived, compare, publish or tell the LA."""
    from webapp.tasks.intake import run_cycle_now

    try:
        run = run_cycle_now(academic_year=year, week=week, trigger="cli")
    except Exception as e:  # noqa: BLE001
        click.echo(f"The cycle failed ({type(e).__name__}); it is safe to run it again.",
                   err=True)
        sys.exit(1)
    steps = run.steps or {}
    click.echo(f"Cycle for week {run.week} of {run.academic_year}/"
               f"{(run.academic_year + 1) % 100:02d}: {run.status}. "
               + ", ".join(f"{k.replace('_', ' ')}: {v if not isinstance(v, list) else len(v)}"
                           for k, v in steps.items()))


@click.command("purge")
def purge_command() -> None:
    """Apply the retention periods (docs/security.md): expired copies, old reports, old
    imports. The audit log is kept."""
    from webapp.platform.retention import purge

    cfg = current_app.config
    r = purge(db.session, copy_days=cfg["B2B_COPY_DAYS"],
              report_years=cfg.get("B2B_RETENTION_YEARS", 2),
              import_days=cfg.get("B2B_IMPORT_RETENTION_DAYS", 400))
    click.echo(f"Removed: {r.copies} expired copies, {r.reports} old reports, "
               f"{r.batches} old import batches, {r.uploads} old uploads, "
               f"{r.returns} expired ticked reports sent back.")




@click.group("user")
def user_group() -> None:
    """Accounts: invite people, disable them."""


@user_group.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--school", "laestab", help="LAESTAB of the school the person works at.")
@click.option("--la", "for_la", is_flag=True, help="An LA officer account.")
@click.option("--admin", is_flag=True, help="An LA admin account (with --la).")
def user_add(email: str, name: str, laestab: str | None, for_la: bool, admin: bool) -> None:
    """Invite someone: the account is created and a single-use link emailed to set a
    password."""
    from webapp.auth.accounts import AccountError, invite_user
    from webapp.auth.email import queue_invitation
    from webapp.platform.mail import batch_ids
    from webapp.tasks.email import send_now

    school, la = _school_or_la(laestab, for_la)
    role = "school" if school else ("la_admin" if admin else "la_officer")
    try:
        user, token = invite_user(db.session, email=email, name=name, role=role, la=la,
                                  school=school, actor="cli")
    except AccountError as e:
        raise click.ClickException(str(e)) from None
    batch = queue_invitation(db.session, user, token)
    db.session.commit()
    send_now(batch_ids(db.session, batch))  # no worker needed at the command line
    click.echo(f"Invited {user.email} ({role}); the link to set a password was emailed.")


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account; its sessions end at once."""
    from webapp.auth.accounts import set_active
    from webapp.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account {email}.")
    set_active(db.session, user, False, "cli")
    click.echo(f"{user.email} can no longer sign in.")


commands: list = [token_group, intake_command, cycle_command, purge_command, user_group]
