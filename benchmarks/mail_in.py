"""Mail-in figures: mails taken in per second from a Maildir, against the create action alone in the same run.

    .venv/bin/python -m benchmarks.mail_in [--mails 300]

Both runs use a fresh SQLite database in a temporary folder. The baseline calls ``actions.tickets.create_ticket``
with the same titles and texts; the mail-in run parses each mail, dedupes it, creates the ticket through the same
action, stores the original .eml (fsync) and records the mail, then moves it to cur/. The difference is the cost
of the door itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

SENDER = "claire.rousseau@ferrand-associes.fr"


def make_app(folder: Path):
    from ticket_service import create_app
    from ticket_service.demo.tickets import ensure_people
    from ticket_service.settings import DEFAULTS
    from ticket_service.store.db import Database, upgrade

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    database = Database(url)
    upgrade(database)
    with database.write() as session:
        ensure_people(session, "bench-password", "pbkdf2:sha256:1000")
    database.dispose()
    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "SITE_DIR": str(folder / "site"),
                       "ATTACHMENTS_DIR": str(folder / "att"), "MAIL_FROM": "support@ferrand-associes.fr",
                       "MAIL_IN_PER_SENDER_HOUR": 10 ** 6,
                       "JOB_INTERVALS": {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}})


def texts(count: int) -> list[tuple[str, str]]:
    return [(f"Demande n° {i} : imprimante", f"Bonjour,\nl'imprimante {i} ne répond plus.\n\n-- \nClaire")
            for i in range(count)]


def baseline(folder: Path, count: int) -> list[float]:
    """Milliseconds per ticket made by the create action alone."""
    from sqlalchemy import select

    from ticket_service.actions.tickets import create_ticket
    from ticket_service.runtime import get_ctx, get_database
    from ticket_service.store.models import Person

    app = make_app(folder)
    with app.app_context():
        ctx = get_ctx()
    times = []
    with get_database(app).writer() as db:
        person = db.scalar(select(Person).where(Person.email == SENDER))
        for title, text in texts(count):
            start = time.perf_counter()
            create_ticket(db, ctx, person, {"title": title, "description": text}, channel="mail")
            times.append((time.perf_counter() - start) * 1000)
    return times


def mail_in(folder: Path, count: int) -> list[float]:
    """Milliseconds per mail taken in from a Maildir (parse, dedupe, create, .eml, record, move to cur/)."""
    from ticket_service.channels.intake import intake_for, own_addresses, take
    from ticket_service.channels.maildir import MaildirSource
    from ticket_service.runtime import get_ctx

    app = make_app(folder)
    box = folder / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for i, (title, text) in enumerate(texts(count)):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, "support@ferrand-associes.fr", title
        message["Message-ID"] = f"<bench-{i}@client.test>"
        message.set_content(text)
        (box / "new" / f"{1_700_000_000 + i}.M{i}.bench").write_bytes(message.as_bytes())
    with app.app_context():
        ctx = get_ctx()
    source = MaildirSource(box)
    intake, own = intake_for(app, source.name), own_addresses(app)
    times = []
    for key, raw in source.waiting():
        start = time.perf_counter()
        outcome = take(app, ctx, intake, raw, own)
        source.mark(key)
        times.append((time.perf_counter() - start) * 1000)
        assert outcome.kind == "ticket", outcome
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=300, help="mails (and baseline tickets) per run")
    args = parser.parse_args(argv)
    rows = []
    for name, run in (("create action alone (baseline)", baseline), ("mail in from a Maildir", mail_in)):
        with tempfile.TemporaryDirectory(prefix="guichet-bench-mail-") as folder:
            times = run(Path(folder), args.mails)
        median = statistics.median(times)
        rows.append((name, median, statistics.quantiles(times, n=20)[-1] if len(times) > 1 else median,
                     1000 / median))
    print(f"{args.mails} mails, SQLite (synchronous=FULL), {os.cpu_count()} CPU(s)\n")
    print("| run | median ms | p95 ms | per second (median) | ratio to baseline |")
    print("|---|---|---|---|---|")
    for name, median, p95, rate in rows:
        print(f"| {name} | {median:.1f} | {p95:.1f} | {rate:.0f} | {median / rows[0][1]:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
