"""Durable background jobs: a queue in the database, workers that claim jobs under a lease, periodic schedules.

Run by ``guichet worker`` or, by default, in a thread of ``guichet serve``. Jobs commit their own work.
"""

from ticket_service.jobs import builtin as _builtin  # noqa: F401  (registers the built-in jobs)
from ticket_service.jobs import monthly_summary as _monthly_summary  # noqa: F401  (registers reports.monthly_summary)
from ticket_service.jobs import report_refresh as _report_refresh  # noqa: F401  (registers reports.refresh)
from ticket_service.jobs import retention as _retention  # noqa: F401  (registers tickets.retention)
from ticket_service.jobs import sla_watch as _sla_watch  # noqa: F401  (registers sla.watch)
from ticket_service.jobs import waiting_reminder as _waiting_reminder  # noqa: F401  (its job)
from ticket_service.jobs import triage as _triage  # noqa: F401  (registers triage.train)
from ticket_service.jobs import webhooks as _webhooks  # noqa: F401  (registers webhooks.deliver and its subscriber)
from ticket_service.jobs import directory_sync as _directory_sync  # noqa: F401  (registers directory.sync)
from ticket_service.jobs import mail_fetch as _mail_fetch  # noqa: F401  (registers mail.fetch)
from ticket_service.jobs.outbox import SUBSCRIBERS, Message, deliverer, subscriber
from ticket_service.jobs.registry import HANDLERS, job
from ticket_service.jobs.runner import Worker, run_now
from ticket_service.jobs.schedule import JobConfigError

__all__ = ["HANDLERS", "JobConfigError", "Message", "SUBSCRIBERS", "Worker", "deliverer", "job", "run_now", "subscriber"]
