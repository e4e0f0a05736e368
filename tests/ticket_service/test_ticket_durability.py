"""kill -9 of the real server during concurrent creates (D-01, D-05, D-11): every 201 survives, retries never duplicate."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import select

import servers
from servers import free_port
from ticket_service.auth.identity import hash_token
from ticket_service.store.db import Database
from ticket_service.store.models import ApiToken, Person, Ticket
from tshelpers import ROLES, ROOT

TOKEN = "gct_durabilite-" + uuid.uuid4().hex


def start_server(env: dict, port: int):
    """Run `guichet serve` from the project root and wait until it accepts connections."""
    return servers.start_server(env, port, ROOT)


def post_ticket(port: int, title: str, key: str) -> int | None:
    """POST one ticket; return its id on 201, None when the server died or answered otherwise."""
    body = json.dumps({"title": title, "description": "Créé pendant le test de durabilité."})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("POST", "/api/v1/tickets", body=body, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key})
        response = conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return json.loads(data)["id"] if response.status == 201 else None


@pytest.mark.timeout(180)  # a hung server or client fails the test instead of the whole run; ~15 s normally
def test_every_acknowledged_ticket_survives_sigkill(db_url, database, tmp_path):
    with database.write() as db:
        person = db.scalar(select(Person).where(Person.email == ROLES["employee_b"]))
        db.add(ApiToken(person_id=person.id, token_hash=hash_token(TOKEN), name="durabilité"))
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance")}
    acknowledged: dict[str, int] = {}  # key → id
    unanswered: dict[str, str] = {}  # key → title
    lock = threading.Lock()
    rounds = 3
    for round_ in range(rounds):
        port = free_port()
        server = start_server(env, port)
        stop = threading.Event()

        def client(worker: int):
            n = 0
            while not stop.is_set():
                key, title = str(uuid.uuid4()), f"durabilité r{round_} w{worker} n{n}"
                n += 1
                ticket_id = post_ticket(port, title, key)
                with lock:
                    if ticket_id is not None:
                        acknowledged[key] = ticket_id
                    else:
                        unanswered[key] = title
                if ticket_id is None:
                    return

        threads = [threading.Thread(target=client, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.3, 1.0))
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for t in threads:
            t.join()
        server.stderr.close()
    assert len(acknowledged) > 10, "the server acknowledged too few tickets to test anything"
    check = Database(db_url)
    try:
        if check.is_sqlite:
            raw = sqlite3.connect(db_url.removeprefix("sqlite:///"))
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            raw.close()
        with check.reader() as db:
            stored = set(db.scalars(select(Ticket.id).where(Ticket.title.like("durabilité %"))))
        missing = set(acknowledged.values()) - stored
        assert not missing, f"acknowledged with 201 but lost after SIGKILL: {sorted(missing)}"
        # D-05: the clients retry what got no answer with the same key: committed ones replay, none duplicates.
        port = free_port()
        server = start_server(env, port)
        try:
            for key, title in unanswered.items():
                assert post_ticket(port, title, key) is not None
        finally:
            server.terminate()
            server.wait(timeout=10)
            server.stderr.close()
        with check.reader() as db:
            titles = list(db.scalars(select(Ticket.title).where(Ticket.title.like("durabilité %"))))
        assert len(titles) == len(set(titles)) == len(acknowledged) + len(unanswered)
    finally:
        check.dispose()
