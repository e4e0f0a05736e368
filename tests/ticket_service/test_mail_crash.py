"""D-07: a worker killed -9 between sending a mail and marking its delivery loses no mail, and sends at most one
duplicate, under the same Message-ID (issue « acts on its own », Done when)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from mail_peer import Peer
from ticket_service import create_app
from ticket_service.domain.clock import SYSTEM_CLOCK, FixedClock
from ticket_service.jobs import Worker
from ticket_service.settings import DEFAULTS
from ticket_service.store.jobs import enqueue
from ticket_service.store.models import OutboxDelivery
from tshelpers import ROOT, Api, app_config, new_ticket

NO_SCHEDULES = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}

SENDER = "support@ferrand-associes.fr"


@pytest.fixture()
def peer():
    server = Peer().start()
    yield server
    server.stop()


def test_a_kill_between_send_and_mark_resends_once_under_the_same_message_id(db_url, users, database, tmp_path, peer):
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": peer.port, "SMTP_SECURITY": "none", "MAIL_FROM": SENDER}
    app = create_app(app_config(db_url, tmp_path, JOB_INTERVALS=NO_SCHEDULES, **mail))
    try:
        with database.write() as db:  # earlier tests' deliveries are not this test's business
            db.query(OutboxDelivery).filter(OutboxDelivery.subscriber == "mail").delete()
        employee = Api(app, "employee_a")
        tickets = [new_ticket(employee, title=f"Écran noir n° {n}", description="Plus d'image au démarrage.")["id"]
                   for n in range(3)]
        with database.write() as db:
            enqueue(db, "outbox.deliver", {}, run_at=SYSTEM_CLOCK.now(), max_attempts=5)
        env = {**os.environ, "GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": app.config["SECRET_KEY"],  # the Message-ID is signed with it
              
               "GUICHET_SITE_DIR": str(tmp_path / "site"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
               "GUICHET_JOB_INTERVALS": json.dumps(NO_SCHEDULES), "GUICHET_FAULT_CRASH": "mail.after_send",
               **{f"GUICHET_{k}": str(v) for k, v in mail.items()}}
        child = subprocess.Popen([sys.executable, "-m", "ticket_service", "worker", "--once"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert child.wait(timeout=120) == -signal.SIGKILL, child.stderr.read()
        finally:
            child.stdout.close()
            child.stderr.close()
        first = [m["Message-ID"] for _, m in peer.received]
        assert len(first) == 1, "killed right after the first mail left"

        later = FixedClock(SYSTEM_CLOCK.now() + timedelta(seconds=float(app.config["JOB_LEASE_SECONDS"]) + 1))
        Worker(app, clock=later).drain()  # another worker takes the dead one's job after its lease
        sent = Counter(m["Message-ID"] for _, m in peer.received)
        assert sent[first[0]] == 2, "the unmarked mail goes again, under the same Message-ID"
        assert all(count == 1 for mid, count in sent.items() if mid != first[0]), "no other mail twice"
        subjects = " ".join(m["Subject"] for _, m in peer.received)
        assert all(f"{t}" in subjects for t in tickets), subjects  # every request acknowledged
        with database.reader() as db:
            states = set(db.scalars(select(OutboxDelivery.status).where(OutboxDelivery.subscriber == "mail")))
        assert states == {"delivered"}
    finally:
        app.extensions["guichet_db"].dispose()
