"""``guichet doctor``: check an installation and print what to fix, one line per check."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import click

OK, WARN, FAIL = "ok", "warn", "FAIL"


class Report:
    """The checks' lines, printed as they come; failures decide the exit code."""

    def __init__(self):
        self.failures = 0

    def line(self, level: str, name: str, message: str) -> None:
        self.failures += level == FAIL
        click.echo(f"{level:<4}  {name:<11} {message}")


def _secret(report: Report, instance: Path) -> bool:
    """Tell whether a signing secret exists (environment, instance config or the instance file), without making one."""
    from flask import Config

    config = Config(str(instance))
    config.from_pyfile("config.py", silent=True)
    file = instance / "secret_key"
    if os.environ.get("GUICHET_SECRET_KEY") or config.get("SECRET_KEY"):
        report.line(OK, "secret", "SECRET_KEY is set")
        return True
    if file.is_file() and file.read_text().strip():
        mode = stat.S_IMODE(file.stat().st_mode)
        if mode & 0o077:
            report.line(FAIL, "secret", f"{file} is readable by others (mode {mode:o}): chmod 600 {file}")
        else:
            report.line(OK, "secret", f"{file} (mode {mode:o})")
        return True
    report.line(FAIL, "secret", f"no SECRET_KEY and no {file}: set GUICHET_SECRET_KEY, or start `guichet serve` once "
                                "as the service user (it writes the file)")
    return False


def _instance(report: Report, instance: Path) -> None:
    """The instance folder must exist, be writable by the service user and not by others."""
    if not instance.is_dir():
        report.line(FAIL, "instance", f"{instance} does not exist: mkdir -p {instance} (owned by the service user)")
        return
    info = instance.stat()
    mode = stat.S_IMODE(info.st_mode)
    # Judged on the mode bits, not os.access: run as root, access() says yes to everything, the service user would not.
    writable = (mode & 0o200 and info.st_uid == os.geteuid()) or (mode & 0o020 and info.st_gid in os.getgroups())
    if not writable:
        report.line(FAIL, "instance", f"{instance} is not writable by this user (mode {mode:o}, owner uid "
                                      f"{info.st_uid}): chown the folder to the service user and chmod u+rwx")
    elif mode & 0o002:
        report.line(FAIL, "instance", f"{instance} is writable by everyone (mode {mode:o}): chmod o-w {instance}")
    else:
        report.line(OK, "instance", f"{instance} (mode {mode:o})")


def _database(report: Report, app) -> None:
    from ticket_service.runtime import get_database
    from ticket_service.store.db import StorageError, check_storage, current_revision, head_revision

    database = get_database(app)
    try:
        check_storage(database, bool(app.config["ALLOW_ASYNC_COMMIT"]))
        found = current_revision(database)
    except StorageError as exc:
        report.line(FAIL, "database", str(exc))
        return
    except Exception as exc:  # unreachable server, wrong credentials, not a database file
        report.line(FAIL, "database", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]} "
                                      "(check GUICHET_DATABASE_URL and that the server runs)")
        return
    report.line(OK, "database", f"{database.engine.dialect.name} answers")
    wanted = head_revision()
    if found != wanted:
        report.line(FAIL, "migrations", f"database at {found or 'empty'}, code at {wanted}: back up, then run "
                                        "`guichet db upgrade`")
    else:
        report.line(OK, "migrations", f"at {wanted}")
    _clock(report, database)


def _clock(report: Report, database) -> None:
    """Several hosts share limits and leases by time: their clocks must agree with the database server's."""
    if database.is_sqlite:
        offset = None
    else:
        with database.engine.connect() as conn:
            server = conn.exec_driver_sql("SELECT now()").scalar()
        offset = abs((datetime.now(timezone.utc) - server).total_seconds())
    synced = None
    if shutil.which("timedatectl"):
        shown = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                               text=True, timeout=10)
        synced = shown.stdout.strip() == "yes" if shown.returncode == 0 else None
    if offset is not None and offset > 5:
        report.line(FAIL, "clock", f"{offset:.0f} s apart from the database server: enable NTP (systemd-timesyncd "
                                   "or chrony) on both")
    elif synced is False:
        report.line(WARN, "clock", "not synchronised by NTP (timedatectl): enable systemd-timesyncd or chrony")
    else:
        report.line(OK, "clock", "agrees with the database server" if offset is not None else "system clock in use")


def _site(report: Report, app) -> None:
    from search import SearchError

    site = Path(app.config["SITE_DIR"])
    if not (site / "index.html").is_file():
        report.line(FAIL, "site", f"no built site in {site}: run `make site` (or `mkdocs build --strict`)")
    else:
        report.line(OK, "site", str(site))
    try:
        app.extensions["guichet.suggester"].holder.get()
    except SearchError as exc:
        report.line(FAIL, "index", f"{str(exc)[:200]}: the site build writes it (`make site`)")
    else:
        report.line(OK, "index", f"loaded from {app.config['INDEX_DIR']}")


def _mail(report: Report, app) -> None:
    from ticket_service.notify.smtp import load

    settings = load(app.config)
    if not settings.host:
        report.line(WARN, "mail", "SMTP_HOST unset: notifications wait in the outbox (set GUICHET_SMTP_HOST, "
                                  "docs/exploitation-courriels.md)")
        return
    try:
        with socket.create_connection((settings.host, settings.port), timeout=5):
            pass
    except OSError as exc:
        report.line(FAIL, "mail", f"cannot reach {settings.host}:{settings.port} ({exc}): check SMTP_HOST, "
                                  "SMTP_PORT and the firewall")
        return
    report.line(OK, "mail", f"{settings.host}:{settings.port} ({settings.security}) answers; sender {settings.sender}")


def _timezone(report: Report, app) -> None:
    from ticket_service.runtime import get_ctx

    with app.app_context():
        zone = get_ctx().policies.timezone
    local = datetime.now().astimezone().tzname()
    report.line(OK, "timezone", f"business calendar in {zone} (this host: {local}; dates are stored in UTC)")


@click.command()
def doctor():
    """Check config, secrets, database, migrations, site and index, mail, instance folder, clock and time zone."""
    from ticket_service import build_app
    from ticket_service.domain.policies import PolicyError
    from ticket_service.notify.smtp import MailConfigError

    report = Report()
    from flask import Flask

    # The folder build_app will use, found the way Flask finds it, before anything is built (or written) there.
    instance = Path(Flask("ticket_service", instance_path=os.environ.get("GUICHET_INSTANCE_PATH") or None).instance_path)
    _instance(report, instance)
    if not _secret(report, instance):
        # build_app would write a new secret into the instance folder: the doctor only looks, so it lends one.
        os.environ["GUICHET_SECRET_KEY"] = "doctor-only-" + os.urandom(8).hex()
    try:
        app = build_app()
    except (PolicyError, MailConfigError, ValueError) as exc:
        report.line(FAIL, "config", f"{exc}")
        raise SystemExit(1) from None
    report.line(OK, "config", f"helpdesk.yml valid ({app.config['HELPDESK_CONFIG']})")
    click.get_current_context().call_on_close(app.extensions["guichet_db"].dispose)
    _database(report, app)
    with app.app_context():
        _site(report, app)
    _mail(report, app)
    _timezone(report, app)
    click.echo("All is well." if not report.failures else f"{report.failures} problem(s) to fix.")
    raise SystemExit(1 if report.failures else 0)
