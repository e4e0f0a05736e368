"""Limits and caches shared by every process through the database: sign-in delays per account and address, the
per-address cap, the events limit and the banner feed (issue: several workers and hosts; catalogue A-10)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from servers import free_port, start_server
from ticket_service import create_app
from ticket_service.actions.limits import purge_counters
from ticket_service.domain.clock import FixedClock
from ticket_service.store.models import LimitCounter, Ticket
from tshelpers import PASSWORD, ROLES, ROOT, Api, app_config

START = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


@pytest.fixture()
def limited(db_url, users, tmp_path, database):
    """A second app on the fixture's database, with small limits and a clock the test moves."""
    with database.write() as db:
        db.query(LimitCounter).delete()
    app = create_app(app_config(db_url, tmp_path, LOGIN_MAX_FAILURES=3, LOGIN_FIRST_DELAY_SECONDS=30,
                                LOGIN_WINDOW_SECONDS=900, EVENTS_PER_MINUTE=4))
    clock = app.extensions["guichet_context"].clock = FixedClock(START)
    yield app, clock
    app.extensions["guichet_db"].dispose()


def client_from(app, address: str) -> Api:
    client = Api(app)
    client.client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client: Api, role: str, password: str):
    return client.post("/api/v1/session", json={"email": ROLES[role], "password": password})


def test_a_stranger_cannot_lock_the_account_out(limited):
    app, _clock = limited
    stranger = client_from(app, "203.0.113.9")
    statuses = [sign_in(stranger, "n2", "faux").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    assert sign_in(stranger, "n2", PASSWORD).status_code == 429  # the stranger's address waits, right password or not
    assert sign_in(client_from(app, "192.0.2.10"), "n2", PASSWORD).status_code == 200  # the owner, elsewhere


def test_delays_grow_then_a_success_clears_them(limited):
    app, clock = limited
    client = client_from(app, "192.0.2.20")
    assert [sign_in(client, "n1", "faux").status_code for _ in range(3)] == [401, 401, 401]
    waiting = sign_in(client, "n1", "faux")
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "30"
    clock.advance(seconds=31)
    assert sign_in(client, "n1", "faux").status_code == 401  # one try after the wait, then twice as long
    assert sign_in(client, "n1", "faux").headers["Retry-After"] == "60"
    clock.advance(seconds=61)
    assert sign_in(client, "n1", PASSWORD).status_code == 200
    other = client_from(app, "192.0.2.20")
    assert [sign_in(other, "n1", "faux").status_code for _ in range(3)] == [401, 401, 401]  # counted afresh


def test_an_address_trying_many_accounts_is_capped(limited):
    app, clock = limited
    client = client_from(app, "198.51.100.7")
    roles = ["employee_a", "employee_b", "n1", "n2", "n3", "admin"]
    statuses = [sign_in(client, roles[i % len(roles)], "faux").status_code for i in range(16)]
    assert statuses[:15] == [401] * 15 and statuses[15] == 429  # 3 × 5 failures per address and window
    assert sign_in(client_from(app, "198.51.100.8"), "employee_a", PASSWORD).status_code == 200
    clock.advance(seconds=901)
    assert sign_in(client, "employee_b", PASSWORD).status_code == 200


def event_batch(session: str, n: int) -> dict:
    import uuid

    return {"session": session, "events": [
        {"id": uuid.uuid4().hex, "type": "article_opened", "article": "imprimante-hors-connexion", "rank": 1,
         "source": "form"} for _ in range(n)]}


def test_the_events_limit_is_one_count_for_two_apps(limited, db_url, tmp_path):
    app, clock = limited
    twin = create_app(app_config(db_url, tmp_path / "twin", EVENTS_PER_MINUTE=4))
    twin.extensions["guichet_context"].clock = clock
    try:
        first, second = client_from(app, "192.0.2.30"), client_from(twin, "192.0.2.30")
        assert first.post("/api/v1/events", json=event_batch("sess-shared-limit-0001", 3)).status_code == 202
        refused = second.post("/api/v1/events", json=event_batch("sess-shared-limit-0001", 2))
        assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_events"
        assert second.post("/api/v1/events", json=event_batch("sess-shared-limit-0001", 1)).status_code == 202
        clock.advance(seconds=61)
        assert second.post("/api/v1/events", json=event_batch("sess-shared-limit-0001", 4)).status_code == 202
    finally:
        twin.extensions["guichet_db"].dispose()


def test_the_banner_changes_at_once_in_every_app(limited, db_url, tmp_path, database, users):
    app, _clock = limited
    twin = create_app(app_config(db_url, tmp_path / "twin", BANNER_CACHE_SECONDS=3600))
    try:
        reader = twin.test_client()
        before = {i["title"] for i in reader.get("/api/v1/incidents/major").get_json()["items"]}
        with app.app_context():
            from ticket_service.runtime import get_database

            with get_database(app).write() as db:  # a write through the ORM in the other app
                ticket = Ticket(title="Messagerie indisponible (test bannière)", description="Panne.",
                                requester_id=users["n1"], type="incident", impact="high", urgency="high", priority="P1", group="support-n1",
                                published=True, major=True, public_title="Messagerie",
                                public_text="La messagerie est indisponible.", status="in_progress")
                db.add(ticket)
        after = {i["title"] for i in reader.get("/api/v1/incidents/major").get_json()["items"]}
        assert "Messagerie" in after - before
    finally:
        twin.extensions["guichet_db"].dispose()


def test_idle_counters_are_purged(limited, database):
    app, clock = limited
    client = client_from(app, "192.0.2.40")
    sign_in(client, "n3", "faux")
    with database.writer() as db:
        assert purge_counters(db, START) == 0  # still in its window
    with database.writer() as db:
        assert purge_counters(db, clock.advance(days=2)) >= 2
        assert db.query(LimitCounter).count() == 0


def test_two_real_servers_share_the_sign_in_count(db_url, users, tmp_path):
    """Two `guichet serve` processes on one database: failures on one count on the other."""
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "deux-processus", "GUICHET_LOGIN_MAX_FAILURES": "3",
           "GUICHET_COOKIE_SECURE": "false",
           "GUICHET_SITE_DIR": str(tmp_path / "site"), "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"),
           "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att")}
    ports = [free_port(), free_port()]
    servers = [start_server(env, port, ROOT, threads=2) for port in ports]
    try:
        def attempt(port: int, password: str) -> int:
            with requests.Session() as web:
                base = f"http://127.0.0.1:{port}"
                token = web.get(f"{base}/api/v1/session", timeout=30).json()["csrf_token"]
                return web.post(f"{base}/api/v1/session", json={"email": ROLES["employee_b"], "password": password},
                                headers={"X-CSRFToken": token}, timeout=30).status_code

        statuses = [attempt(ports[i % 2], "faux") for i in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert attempt(ports[1], PASSWORD) == 429
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
            server.stderr.close()
