"""L-01, correctness half: suggestions and ticket creates at once against the real `guichet serve` (bounded count and
deadline). Every request is answered 200/201 (no 5xx, no "database is locked"), every acknowledged ticket is stored
exactly once. Latencies under the same load are measured by `benchmarks/mixed_storm.py`, not asserted here."""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

import servers
from test_ticket_durability import free_port
from ticket_service.store.db import Database
from ticket_service.store.models import Ticket
from tshelpers import ROOT, add_api_token

pytestmark = pytest.mark.slow

QUERIES = ["le vpn me dit mot de passe incorrect", "imprimante hors ligne", "mon pc rame", "outlook redemande le mot de passe",
           "teams on m'entend pas", "bitlocker demande une clé", "wifi refuse mon mot de passe", "boite mail pleine"]
SUGGEST_CLIENTS, SUGGESTS_EACH = 10, 40  # 400 suggestions
CREATE_CLIENTS, CREATES_EACH = 4, 12  # 48 tickets
DEADLINE = 120.0  # seconds: a stuck server fails the test instead of hanging CI


def test_suggestions_and_creates_together_are_all_answered_and_nothing_is_lost(db_url, built_kb_site, tmp_path):
    token = "gct_storm-" + uuid.uuid4().hex
    add_api_token(db_url, token, name="L-01")
    build = built_kb_site / "build"
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(build / "site"),
           "GUICHET_INDEX_DIR": str(build / "index"), "GUICHET_MANIFEST_PATH": str(build / "manifest.json"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
           "GUICHET_SUGGEST_PER_SECOND": "10000", "GUICHET_SUGGEST_BURST": "10000"}  # capacity, not the limiter (L-02)
    port = free_port()
    server = servers.start_server(env, port, ROOT, threads=8)
    statuses: Counter = Counter()
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    start = time.monotonic()

    def call(conn, method, path, body=None, extra=None):
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", **(extra or {})})
        response = conn.getresponse()
        return response.status, response.read()

    def suggester(worker: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(SUGGESTS_EACH):
            if time.monotonic() - start > DEADLINE:
                break
            status, _ = call(conn, "GET", "/api/v1/suggest?q=" + quote(QUERIES[(worker + n) % len(QUERIES)]))
            with lock:
                statuses[("suggest", status)] += 1
        conn.close()

    def creator(worker: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(CREATES_EACH):
            if time.monotonic() - start > DEADLINE:
                break
            title = f"tempête {worker}-{n}"
            body = json.dumps({"title": title, "description": "Créée pendant la tempête mixte (L-01)."})
            status, data = call(conn, "POST", "/api/v1/tickets", body,
                                {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
            with lock:
                statuses[("create", status)] += 1
                if status == 201:
                    acknowledged[title] = json.loads(data)["id"]
        conn.close()

    threads = [threading.Thread(target=suggester, args=(w,)) for w in range(SUGGEST_CLIENTS)]
    threads += [threading.Thread(target=creator, args=(w,)) for w in range(CREATE_CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=DEADLINE + 30)
    finally:
        server.terminate()
        server.wait(timeout=15)
        server.stderr.close()
    assert statuses == Counter({("suggest", 200): SUGGEST_CLIENTS * SUGGESTS_EACH,
                                ("create", 201): CREATE_CLIENTS * CREATES_EACH}), statuses
    database = Database(db_url)
    try:
        with database.reader() as db:
            stored = db.execute(select(Ticket.title, func.count()).where(Ticket.title.like("tempête %"))
                                .group_by(Ticket.title)).all()
    finally:
        database.dispose()
    assert {title: count for title, count in stored} == {title: 1 for title in acknowledged}
