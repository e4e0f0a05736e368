"""``guichet serve``: the site, the API and the pages under waitress."""

from __future__ import annotations

from pathlib import Path

import click

from search import SearchError

from ticket_service.cli.app import load_app


def _start_jobs(app) -> None:
    """Run the job loop (auto-close, purges, learning publish, outbox delivery) in a daemon thread of this process."""
    import threading

    from ticket_service.cli.jobs import make_worker

    worker = make_worker(app)  # a wrong job setting stops the start-up here, before serving
    threading.Thread(target=worker.run, args=(threading.Event(),), name="guichet-jobs", daemon=True).start()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--jobs/--no-jobs", "run_jobs", default=None,
              help="Run background jobs in this process (default: JOBS_IN_SERVE); --no-jobs when `guichet worker` runs.")
def serve(host: str, port: int, threads: int, run_jobs: bool | None):
    """Serve the site and the ticket service with waitress (refuses an unmigrated database)."""
    from waitress import serve as waitress_serve

    from ticket_service.runtime import get_database, get_files

    app = load_app()
    with app.app_context(), get_database(app).write() as session:
        get_files(app).sweep_orphans(session)
    publish_learned(app)
    _warm_suggestions(app)
    if app.config["JOBS_IN_SERVE"] if run_jobs is None else run_jobs:
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
