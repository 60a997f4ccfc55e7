"""The weekly cycle: when it runs, whether it publishes by itself, what it last did, and
"Run it now" (through the job queue, so the page does not wait)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.access import la_required
from webapp.b2b.audit import record
from webapp.b2b.intake import latest_runs
from webapp.extensions import db

bp = Blueprint("cycle", __name__, url_prefix="/la/cycle")


@bp.get("/")
@la_required
def index():
    return render_template("cycle/index.html", title="Weekly cycle",
                           runs=list(latest_runs(db.session)), la=current_user.la,
                           cron=current_app.config["B2B_CYCLE_CRON"],
                           drop_dir=current_app.config.get("B2B_DROP_DIR"))


@bp.post("/auto-publish")
@la_required(admin=True)
def auto_publish():
    la = current_user.la
    before = la.auto_publish
    la.auto_publish = not before
    record(db.session, current_user, "la.auto_publish", la, before={"auto_publish": before},
           after={"auto_publish": la.auto_publish})
    db.session.commit()
    flash("The weekly cycle will now publish reports by itself." if la.auto_publish else
          "The weekly cycle will now leave reports as drafts for you to publish.", "success")
    return redirect(url_for("cycle.index"))


@bp.post("/run")
@la_required
def run_now():
    from webapp.intake_jobs import run_cycle_task
    from webapp.jobs import bind_storage

    bind_storage(current_app._get_current_object())  # type: ignore[attr-defined]
    record(db.session, current_user, "cycle.requested", None)
    db.session.commit()
    try:
        run_cycle_task()
        flash("The weekly cycle has started. This page shows it when it has finished.",
              "success")
    except Exception:  # noqa: BLE001  (queue down: say so, do not pretend)
        current_app.logger.warning("could not queue the weekly cycle")
        flash("The job queue is not running, so the cycle could not start. Try again, or "
              "run `flask b2b cycle`.", "error")
    return redirect(url_for("cycle.index"))
