"""The pack task: an LA-wide audit pack built by the worker, its progress in a job file."""

from __future__ import annotations

from webapp.exports.packs import PackJob, run_pack_job, save_job
from webapp.extensions import db
from webapp.platform.jobs import app_context, huey, try_enqueue


@huey.task()
def build_pack_task(token: str) -> str | None:
    """The worker's side of :func:`start_pack`."""
    with app_context():
        job = run_pack_job(db.session, token)
        return job.status if job else None


def start_pack(job: PackJob) -> bool:
    """Queue the job; ``False`` (and the job marked failed) if the queue is down."""
    if try_enqueue(build_pack_task, job.token, what="pack not started"):
        return True
    job.status, job.error = "failed", "The job queue is not running"
    save_job(job)
    return False
