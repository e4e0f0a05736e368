"""``guichet worker`` and ``guichet jobs``: run background jobs, look at the queue, retry dead jobs."""

from __future__ import annotations

import json

import click

from ticket_service.cli.app import load_app
from ticket_service.store.jobs import STATUSES as JOB_STATUSES


def make_worker(app):
    """Build the app's job worker; a wrong job setting becomes a one-line error."""
    from ticket_service.jobs import JobConfigError, Worker

    try:
        return Worker(app)
    except JobConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _load_job_modules(app) -> None:
    from ticket_service.jobs import JobConfigError
    from ticket_service.jobs.schedule import load_modules

    try:
        load_modules(app.config)
    except JobConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--poll", type=click.FloatRange(0.05, 3600), help="Seconds between looks for due jobs when idle "
              "(default: JOB_POLL_SECONDS).")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit (e.g. from cron).")
def worker(poll, once):
    """Run background jobs: housekeeping, outbox delivery, retries. SIGTERM or Ctrl+C stops after the current job."""
    import logging
    import signal
    import threading

    app = load_app()
    job_worker = make_worker(app)
    if poll is not None:
        job_worker.poll = poll
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            ran = job_worker.drain(stop)
            click.echo(f"Ran {ran} job{'' if ran == 1 else 's'}.")
        else:
            click.echo(f"Worker {job_worker.id} running (every {job_worker.poll:g} s when idle; SIGTERM stops it).",
                       err=True)
            job_worker.run(stop)
            click.echo("Worker stopped.", err=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.group()
def jobs():
    """The background job queue (run by `guichet worker` or `guichet serve`)."""


@jobs.command("list")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs in this state.")
@click.option("--name", help="Only jobs of this name (e.g. tickets.auto_close).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def jobs_list(status, name, limit):
    """List jobs, newest first, with their attempts and last error."""
    from sqlalchemy import select

    from ticket_service.runtime import get_database
    from ticket_service.store.models import Job

    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if status:
        query = query.where(Job.status == status)
    if name:
        query = query.where(Job.name == name)
    with get_database(load_app()).reader() as session:
        rows = session.scalars(query).all()
    if not rows:
        click.echo("No jobs.")
        return
    click.echo(f"{'id':>7}  {'name':<20} {'status':<8} tries  {'run at (UTC)':<19}  last error")
    for job in rows:
        error = (job.last_error or "").strip().splitlines()[-1:] or [""]
        tries = f"{job.attempts}/{job.max_attempts}"
        click.echo(f"{job.id:>7}  {job.name:<20} {job.status:<8} {tries:<5}  "
                   f"{job.run_at:%Y-%m-%d %H:%M:%S}  {error[0][:100]}".rstrip())


@jobs.command("retry")
@click.argument("job_id", type=int)
def jobs_retry(job_id):
    """Queue a dead job again, its attempts reset (fix the cause first: `guichet jobs list --status dead`)."""
    from ticket_service.jobs.control import retry_dead
    from ticket_service.runtime import get_database

    name = retry_dead(get_database(load_app()), job_id)
    if name is None:
        raise click.ClickException(f"No dead job {job_id}: `guichet jobs list --status dead` lists them.")
    click.echo(f"Job {job_id} ({name}) queued again.")


@jobs.command("enqueue")
@click.argument("name")
@click.option("--payload", default="{}", show_default=True, help="JSON object handed to the job.")
def jobs_enqueue(name, payload):
    """Queue a job to run now (e.g. learning.publish), for the next worker that polls."""
    from ticket_service.jobs import HANDLERS
    from ticket_service.jobs.control import enqueue_now
    from ticket_service.runtime import get_database

    app = load_app()
    _load_job_modules(app)  # their job names are known too
    if name not in HANDLERS:
        raise click.ClickException(f"Unknown job {name!r}; known jobs: {', '.join(sorted(HANDLERS))}.")
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--payload") from None
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--payload")
    job_id = enqueue_now(get_database(app), name, data, int(app.config["JOB_MAX_ATTEMPTS"]))
    click.echo(f"Job {job_id} ({name}) queued.")


@jobs.command("schedule")
def jobs_schedule():
    """Show the periodic jobs and when each runs next."""
    from sqlalchemy import select

    from ticket_service.runtime import get_database
    from ticket_service.store.models import JobSchedule

    with get_database(load_app()).reader() as session:
        rows = session.scalars(select(JobSchedule).order_by(JobSchedule.name)).all()
    if not rows:
        click.echo("No schedule yet: the first worker (or `guichet serve`) writes it from JOB_INTERVALS.")
    for row in rows:
        click.echo(f"{row.name:<20} every {row.interval_seconds:>6} s  next {row.next_run_at:%Y-%m-%d %H:%M:%S} UTC")
