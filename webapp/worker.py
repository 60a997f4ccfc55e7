"""What the job worker runs: ``huey_consumer webapp.worker.huey``.

Importing the task modules here registers every task (email, packs, intake, the weekly
cycle) with the one queue.
"""

from webapp import intake_jobs  # noqa: F401
from webapp.exports import packs  # noqa: F401
from webapp.jobs import huey

__all__ = ["huey"]
