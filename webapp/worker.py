"""What the job worker runs: ``huey_consumer webapp.worker.huey``.

Importing the task modules here registers every task (email, packs, intake, the weekly
cycle) with the one queue, and the worker is handed the app factory to run them in.
"""

from webapp import create_app
from webapp.platform.jobs import huey, set_app_factory
from webapp.tasks import email, intake, packs  # noqa: F401  (registers the tasks)

set_app_factory(create_app)

__all__ = ["huey"]
