"""The ``guichet`` command: knowledge-base authoring and serving the service."""

from __future__ import annotations

from pathlib import Path

import click

from search import SearchError, scaffold_article
from search.cli import resolve_config, run_check

from ticket_service.settings import PROJECT_ROOT

KB_OPTION = click.option(
    "--kb", "kb_dir", type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "kb", show_default=True, help="Knowledge-base folder.",
)


@click.group()
def main():
    """Guichet: the IT helpdesk's command line."""


@main.group()
def kb():
    """Write and check knowledge-base articles."""


@kb.command("check")
@KB_OPTION
@click.option("--strict", is_flag=True, help="Count warnings (stale reviews) as errors.")
def kb_check(kb_dir: Path, strict: bool):
    """Validate every article; exit 1 when any error is found."""
    if run_check(kb_dir, None, strict):
        raise SystemExit(1)


@kb.command("new")
@KB_OPTION
@click.argument("title")
@click.option("--category", "-c", required=True, help="Category id from helpdesk.yml.")
@click.option("--type", "article_type", default="solution", show_default=True,
              type=click.Choice(["procedure", "solution", "faq", "known-error", "policy"]))
@click.option("--audience", default="employees", show_default=True,
              type=click.Choice(["employees", "technicians"]))
@click.option("--owner", default="Équipe support N1", show_default=True)
@click.option("--id", "article_id", help="Article id (default: made from the title).")
def kb_new(kb_dir: Path, title: str, category: str, article_type: str, audience: str, owner: str, article_id: str | None):
    """Create a new article with valid front matter and the sections its type requires."""
    config = resolve_config(kb_dir, None)
    try:
        path = scaffold_article(kb_dir, config, title=title, category=category, article_type=article_type,
                                audience=audience, owner=owner, article_id=article_id)
    except SearchError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created {path}: fill in the symptoms and sections, then run `guichet kb check`.")


def _app(verify: bool = True):
    """Build the app from instance config and GUICHET_* env; policy or storage problems become one-line errors."""
    from ticket_service import build_app
    from ticket_service.store.db import StorageError, check_schema, check_storage
    from ticket_service.runtime import get_database
    from ticket_service.domain.policies import PolicyError

    try:
        app = build_app()
        database = get_database(app)
        click.get_current_context().call_on_close(database.dispose)  # close pooled connections on exit
        if verify:  # the same checks as create_app
            check_storage(database, bool(app.config["ALLOW_ASYNC_COMMIT"]))
            check_schema(database)
        return app
    except (PolicyError, StorageError) as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Create or migrate the database to the latest schema (safe to run every start)."""
    from ticket_service.store.db import check_storage, current_revision, head_revision, upgrade
    from ticket_service.runtime import get_database

    app = _app(verify=False)
    database = get_database(app)
    before = current_revision(database)
    upgrade(database)
    check_storage(database, bool(app.config["ALLOW_ASYNC_COMMIT"]))
    after = head_revision()
    click.echo(f"Database at revision {after}" + (" (already up to date)." if before == after else f" (was {before or 'empty'})."))


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path):
    """Write a consistent copy of the live SQLite database to TARGET (safe while the service runs)."""
    from ticket_service.store.backup import backup_sqlite
    from ticket_service.store.db import StorageError
    from ticket_service.runtime import get_database

    try:
        tickets = backup_sqlite(get_database(_app()), target)
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {target} ({tickets} tickets, integrity checked). Restore: stop the service, "
               "then replace the database file (and delete its -wal and -shm files).")


@main.group()
def demo():
    """Demo data."""


@demo.command("load")
def demo_load():
    """Load « Ferrand & Associés »: people, groups and a month of tickets (idempotent)."""
    from ticket_service.runtime import get_ctx
    from ticket_service.runtime import get_database
    from ticket_service.demo.tickets import load_demo

    app = _app()
    with app.app_context(), get_database(app).write() as session:
        result = load_demo(session, get_ctx(), app.config["DEMO_PASSWORD"], app.config["PASSWORD_HASH_METHOD"])
    click.echo(f"Demo: {result['people']} people, {result['tickets_created']} new tickets. "
               f"Sign in e.g. as julie.martin@ferrand-associes.fr (technicienne N1) or claire.rousseau@ferrand-associes.fr "
               f"with the password from DEMO_PASSWORD.")


@main.group()
def users():
    """People and API tokens."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["employee", "approver", "technician", "admin"]), default="employee", show_default=True)
@click.option("--site")
@click.password_option(help="Password (prompted when omitted).")
def users_add(email: str, name: str, role: str, site: str | None, password: str):
    """Create a local account (technicians' levels and groups come from helpdesk.yml)."""
    from sqlalchemy import func, select

    from ticket_service.auth.identity import hash_password
    from ticket_service.runtime import get_database
    from ticket_service.store.models import Person

    app = _app()
    with app.app_context(), get_database(app).write() as session:
        if session.scalar(select(Person).where(func.lower(Person.email) == email.lower())):
            raise click.ClickException(f"{email} already exists: use `guichet users disable` to remove access.")
        session.add(Person(email=email.lower(), name=name, role=role, site=site, active=True, session_epoch=0,
                           password_hash=hash_password(password)))
    click.echo(f"Created {email} ({role}).")


@users.command("disable")
@click.argument("email")
def users_disable(email: str):
    """Disable an account and end all its sessions and tokens at once."""
    from sqlalchemy import func, select, update

    from ticket_service.runtime import get_database
    from ticket_service.store.models import ApiToken, Person

    app = _app()
    with get_database(app).write() as session:
        person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower()))
        if person is None:
            raise click.ClickException(f"No account {email}: check the address with your directory.")
        person.active = False
        person.session_epoch += 1
        session.execute(update(ApiToken).where(ApiToken.person_id == person.id).values(revoked=True))
    click.echo(f"Disabled {email}; its sessions and API tokens no longer work.")


@users.command("token")
@click.argument("email")
@click.option("--name", default="intégration", show_default=True, help="What the token is for.")
def users_token(email: str, name: str):
    """Create an API token for an integration (shown once; only its hash is stored)."""
    from sqlalchemy import func, select

    from ticket_service.auth.identity import hash_token, new_api_token
    from ticket_service.runtime import get_database
    from ticket_service.store.models import ApiToken, Person

    app = _app()
    token = new_api_token()
    with get_database(app).write() as session:
        person = session.scalar(select(Person).where(func.lower(Person.email) == email.lower(), Person.active.is_(True)))
        if person is None:
            raise click.ClickException(f"No active account {email}: create it with `guichet users add`.")
        session.add(ApiToken(person_id=person.id, token_hash=hash_token(token), name=name))
    click.echo(token)


@main.group()
def tickets():
    """Ticket housekeeping."""


@tickets.command("autoclose")
def tickets_autoclose():
    """Close resolved tickets left unanswered past auto_close_business_days (run it hourly from cron)."""
    from ticket_service.runtime import get_ctx
    from ticket_service.runtime import get_database
    from ticket_service.domain.transitions import auto_close

    app = _app()
    with app.app_context(), get_database(app).write() as session:
        closed = auto_close(session, get_ctx())
    click.echo(f"Closed {len(closed)} ticket(s).")


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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int):
    """Serve the site and the ticket service with waitress (refuses an unmigrated database)."""
    from waitress import serve as waitress_serve

    from ticket_service.store.files import sweep_orphans
    from ticket_service.runtime import get_database

    app = _app()
    with app.app_context(), get_database(app).write() as session:
        sweep_orphans(session)
    _publish_learned(app)
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


def _publish_learned(app) -> Path | None:
    """Write the approved past requests beside the index (a fresh build folder has none yet)."""
    from ticket_service.runtime import get_database
    from ticket_service.domain.learning import publish

    try:
        with get_database(app).reader() as session:
            return publish(session, Path(app.config["INDEX_DIR"]))
    except OSError as exc:
        click.echo(f"Warning: the learned requests could not be written beside the index: {exc}", err=True)
        return None


@main.group()
def learning():
    """Past requests the suggestion index learns from (approved at /desk/apprentissage)."""


@learning.command("publish")
def learning_publish():
    """Write the approved pairs into the index folder's history.jsonl (done by serve and by each decision)."""
    from ticket_service.runtime import get_database
    from ticket_service.domain.learning import approved

    app = _app()
    path = _publish_learned(app)
    if path is None:
        raise SystemExit(1)
    with get_database(app).reader() as session:
        count = len(approved(session))
    click.echo(f"{count} approved pair(s) written to {path}")


# --- issue 5: deflection report and event retention ----------------------------------------------------------


@main.group()
def report():
    """Reports for the team lead."""


@report.command("deflection")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC); default: 30 days before --until.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC); default: now.")
@click.option("--window", "window_hours", type=click.FloatRange(1, 720), help="Ticket window in hours (default: DEFLECTION_WINDOW_HOURS).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every figure with its definition).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV rows: section, key, value, definition, window, period.")
def report_deflection(since, until, window_hours, as_json, as_csv):
    """Deflection figures (DESIGN §3.5) recomputed from raw events and tickets, each with its definition and window."""
    import json
    from datetime import timedelta

    from ticket_service.runtime import get_database
    from ticket_service.reports.deflection import deflection_report, render_csv, render_table, to_json
    from ticket_service.store.models import UTC

    if as_json and as_csv:
        raise click.UsageError("Choose one of --json and --csv.")
    app = _app()
    since = since.replace(tzinfo=UTC) if since else None
    until = until.replace(tzinfo=UTC) + timedelta(days=1) if until else None
    window_hours = window_hours or float(app.config["DEFLECTION_WINDOW_HOURS"])
    with get_database(app).reader() as session:
        result = deflection_report(session, since=since, until=until, window_hours=window_hours)
    if as_json:
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(render_csv(result), nl=False)
    else:
        click.echo(render_table(result))


@main.group()
def events():
    """Help-session events."""


@events.command("purge")
@click.option("--days", type=click.IntRange(0, 3650), help="Retention in days (default: QUERY_RETENTION_DAYS).")
def events_purge(days):
    """Blank typed query texts and feedback reasons older than the retention (run it daily from cron)."""
    from ticket_service.runtime import get_database
    from ticket_service.domain.help_events import purge

    app = _app()
    days = int(app.config["QUERY_RETENTION_DAYS"]) if days is None else days
    with get_database(app).write() as session:
        touched = purge(session, days)
    click.echo(f"Purged the texts of {touched} event(s) older than {days} day(s).")
