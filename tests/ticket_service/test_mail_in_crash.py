"""E-01: the importer killed -9 again and again while it takes in 500 Maildir mails, then run to the end:
exactly 500 tickets (not 1,000), each with its original .eml, nothing left in new/."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from email.message import EmailMessage

from sqlalchemy import func, select

from ticket_service.demo.tickets import ensure_people
from ticket_service.store.db import Database, upgrade
from ticket_service.store.models import Attachment, InboundMail, Ticket
from tshelpers import FAST_HASH, PASSWORD, ROLES, ROOT

MAILS = 500
POINTS = ("mail_in.before_mark", "mail_in.after_create")


def maildir(folder):
    for sub in ("new", "cur", "tmp"):
        (folder / sub).mkdir(parents=True)
    for i in range(MAILS):
        message = EmailMessage()
        message["From"], message["To"] = ROLES["employee_a" if i % 2 else "employee_b"], "support@ferrand-associes.fr"
        message["Subject"], message["Message-ID"] = f"Demande n° {i}", f"<crash-{i}@client.test>"
        message.set_content(f"Texte de la demande {i}.")
        (folder / "new" / f"{1_700_000_000 + i}.M{i}P1.test").write_bytes(message.as_bytes())
    return folder


def fetch(db_url, folder, tmp_path, **env):
    command = [sys.executable, "-m", "ticket_service", "mail", "fetch", "--maildir", str(folder)]
    environment = {**os.environ, "GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "crash-secret",
                   "GUICHET_SITE_DIR": str(tmp_path / "site"), "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "files"),
                   "GUICHET_MAIL_FROM": "support@ferrand-associes.fr", "GUICHET_MAIL_IN_PER_SENDER_HOUR": "100000",
                   "GUICHET_HELPDESK_CONFIG": str(ROOT / "helpdesk.yml"), **env}
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


def test_E01_kill_9_between_commit_and_mark_then_import_again_gives_500_tickets_not_1000(tmp_path):
    """E-01: random SIGKILLs at the two crash points (after the ticket's commit, after the mail's commit).

    SQLite only: 500 imports take ~30 s here, ~50 s on PostgreSQL, and the dedupe that decides the outcome (the
    unique hash, the create's idempotency key) runs on PostgreSQL in test_mail_in.py's variants.
    """
    db_url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    database = Database(db_url)
    upgrade(database)
    with database.write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    database.dispose()
    folder = maildir(tmp_path / "Maildir")
    chance = random.Random(16)
    kills = 0
    while kills < 4:
        run = fetch(db_url, folder, tmp_path, GUICHET_FAULT_CRASH=POINTS[kills % 2],
                    GUICHET_FAULT_CRASH_AT=str(chance.randint(40, 110)))
        if run.returncode != -signal.SIGKILL:
            break
        kills += 1
    assert kills == 4, "every run should have been killed before the end"
    left = len(list((folder / "new").iterdir()))
    assert 0 < left < MAILS  # some work was done, some remains, one mail per kill committed but not marked
    final = fetch(db_url, folder, tmp_path)
    assert final.returncode == 0, final.stderr[-2000:]
    database = Database(db_url)
    try:
        with database.reader() as db:
            tickets = db.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "mail"))
            titles = db.scalar(select(func.count(func.distinct(Ticket.title))).where(Ticket.channel == "mail"))
            recorded = db.scalar(select(func.count()).select_from(InboundMail).where(InboundMail.outcome == "ticket"))
            originals = db.scalar(select(func.count()).select_from(Attachment).where(
                Attachment.filename == "courriel-original.eml"))
    finally:
        database.dispose()
    assert (tickets, titles, recorded, originals) == (MAILS, MAILS, MAILS, MAILS)
    assert not list((folder / "new").iterdir()) and len(list((folder / "cur").iterdir())) == MAILS
