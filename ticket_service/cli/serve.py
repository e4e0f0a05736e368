"""``guichet serve``: the site, the API and the pages under waitress."""

from __future__ import annotations

from pathlib import Path

import click

from search import SearchError

from ticket_service.cli.app import load_app


def _start_auto_close(app, every: float = 600.0) -> None:
    """Close stale resolved tickets in the background every ten minutes (idempotent, safe with several processes)."""
    import logging
    import threading

    from ticket_service.runtime import get_ctx
    from ticket_service.runtime import get_database
    from ticket_service.domain.transitions import auto_close

    def loop():
        while not stop.wait(every):
            try:
                with app.app_context(), get_database(app).write() as session:
                    auto_close(session, get_ctx())
            except Exception:  # a busy database or a bug must not kill the loop; try again later
                logging.getLogger(__name__).exception("auto-close failed")

    stop = threading.Event()
    threading.Thread(target=loop, name="guichet-auto-close", daemon=True).start()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int):
    """Serve the site and the ticket service with waitress (refuses an unmigrated database)."""
    from waitress import serve as waitress_serve

    from ticket_service.store.files import sweep_orphans
    from ticket_service.runtime import get_database

    app = load_app()
    with app.app_context(), get_database(app).write() as session:
        sweep_orphans(session)
    publish_learned(app)
    _warm_suggestions(app)
    _start_auto_close(app)
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
    from ticket_service.runtime import get_database
    from ticket_service.domain.learning import publish

    try:
        with get_database(app).reader() as session:
            return publish(session, Path(app.config["INDEX_DIR"]))
    except OSError as exc:
        click.echo(f"Warning: the learned requests could not be written beside the index: {exc}", err=True)
        return None
