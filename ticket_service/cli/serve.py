"""``guichet serve``: the site, the API and the pages under waitress (one process) or gunicorn (``--workers N``)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from search import SearchError

from ticket_service.cli.app import load_app


def _start_jobs(app):
    """Run the job loop (auto-close, purges, learning publish, outbox delivery) in a daemon thread of this process.

    Return the event that stops it and the thread, so a gunicorn worker can stop its loop before it exits.
    """
    import threading

    from ticket_service.cli.jobs import make_worker

    worker = make_worker(app)  # a wrong job setting stops the start-up here, before serving
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="guichet-jobs", daemon=True)
    thread.start()
    return stop, thread


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Threads per process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes: 1 serves with waitress; more pre-fork gunicorn gthread workers (Linux, macOS).")
@click.option("--proxy-count", type=click.IntRange(0, 10), default=None,
              help="Reverse proxies in front (nginx: 1) whose X-Forwarded-For/Proto/Host are trusted "
                   "(default: PROXY_COUNT, 0).")
@click.option("--graceful-timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="gunicorn: seconds a stopping worker gets to finish its requests.")
@click.option("--access-log", default=None, metavar="PATH",
              help="gunicorn: write one access line per request there ('-' for stderr), with the worker's pid.")
@click.option("--jobs/--no-jobs", "run_jobs", default=None,
              help="Run background jobs in this process (default: JOBS_IN_SERVE); --no-jobs when `guichet worker` runs.")
def serve(host: str, port: int, threads: int, workers: int, proxy_count: int | None, graceful_timeout: int,
          access_log: str | None, run_jobs: bool | None):
    """Serve the site and the ticket service (refuses an unmigrated database)."""
    from ticket_service.runtime import get_database, get_files

    if proxy_count is not None:  # through the environment, so that every gunicorn worker's app sees it too
        os.environ["GUICHET_PROXY_COUNT"] = str(proxy_count)
    if workers > 1:
        from ticket_service.cli.gunicorn_server import prepare_metrics_dir

        prepare_metrics_dir()  # before prometheus_client is imported: it picks its storage at import
    app = load_app()
    with app.app_context(), get_database(app).write() as session:
        get_files(app).sweep_orphans(session)
    publish_learned(app)
    jobs_on = bool(app.config["JOBS_IN_SERVE"] if run_jobs is None else run_jobs)
    if workers > 1:
        from ticket_service.cli.gunicorn_server import run_gunicorn

        get_database(app).dispose()  # no pooled connection may cross the fork
        click.echo(f"Guichet is running on http://{host}:{port}/ with {workers} gunicorn workers (Ctrl+C to stop)",
                   err=True)
        run_gunicorn(host=host, port=port, workers=workers, threads=threads, graceful_timeout=graceful_timeout,
                     access_log=access_log, run_jobs=jobs_on)
        return
    from waitress import serve as waitress_serve

    _warm_suggestions(app)
    if jobs_on:
        _start_jobs(app)
    click.echo(f"Guichet is running on http://{host}:{port}/  (Ctrl+C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="guichet")


def _warm_suggestions(app) -> None:
    """Load the suggestion index and run one query before serving: a cold start made the first requests wait ~1 s."""
    try:
        app.extensions["guichet.suggester"].suggest("imprimante hors ligne", lang=None, audience="employees", k=5)
    except SearchError as exc:  # no site build yet: /api/v1/suggest answers 503 until there is one
        click.echo(f"Suggestions are not ready yet: {exc}", err=True)


def publish_learned(app) -> Path | None:
    """Write the approved past requests beside the index (a fresh build folder has none yet)."""
    from ticket_service.jobs import run_now

    try:
        return run_now(app, "learning.publish")  # the job the worker also runs periodically
    except OSError as exc:
        click.echo(f"Warning: the learned requests could not be written beside the index: {exc}", err=True)
        return None
