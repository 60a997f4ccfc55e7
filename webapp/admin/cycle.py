"""The weekly cycle: when it runs, whether it publishes by itself, what it last did, and
"Run it now" (through the job queue, so the page does not wait)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.auth.access import la_required
from webapp.b2b.intake.cycle import latest_runs
from webapp.b2b.intake.uploads import failed_uploads
from webapp.extensions import db
from webapp.platform.audit import record

bp = Blueprint("cycle", __name__, url_prefix="/la/cycle")


@bp.get("/")
@la_required
def index():
    return render_template("cycle/index.html", title="Weekly cycle",
                           runs=list(latest_runs(db.session)), la=current_user.la,
                           failed=failed_uploads(db.session, current_user.la_id),
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
    from webapp.platform.jobs import try_enqueue
    from webapp.tasks.intake import run_cycle_task

    record(db.session, current_user, "cycle.requested", None)
    db.session.commit()
    if try_enqueue(run_cycle_task, what="the weekly cycle not started"):
        flash("The weekly cycle has started. This page shows it when it has finished.",
              "success")
    else:  # queue down: say so, do not pretend
        flash("The job queue is not running, so the cycle could not start. Try again, or "
              "run `flask b2b cycle`.", "error")
    return redirect(url_for("cycle.index"))
