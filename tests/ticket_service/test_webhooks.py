"""Outbound webhooks end to end: API action → outbox → webhooks.deliver → a real HTTP receiver on loopback (W-01..W-06)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from ticket_service import create_app
from ticket_service.actions.webhooks import enable_endpoint
from ticket_service.domain.clock import FixedClock
from ticket_service.jobs import run_now
from ticket_service.notify.signing import verify
from ticket_service.settings import DEFAULTS
from ticket_service.store.models import (
    OutboxDelivery, OutboxEvent, Person, WebhookDelivery, WebhookEndpointState,
)
from tshelpers import ROOT, Browser, app_config, new_ticket
from webhook_peer import Answer, Receiver

NO_SCHEDULES = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ENV = "GUICHET_WEBHOOK_SUPERVISION_SECRET"
BASE = 30.0  # WEBHOOK_BACKOFF_SECONDS in these tests


@pytest.fixture(scope="module")
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, receiver):
    folder = tmp_path_factory.mktemp("webhooks-app")
    helpdesk = folder / "helpdesk.yml"
    helpdesk.write_text((ROOT / "helpdesk.yml").read_text(encoding="utf-8") + f"""
webhooks:
  allow: [127.0.0.1/32]  # the loopback receiver, opened for the tests only
  endpoints:
    - name: supervision
      url: {receiver.url('/hook')}
      events: [ticket.created, ticket.commented, ticket.resolved]
      secret_env: {ENV}
    - name: equipe
      url: {receiver.url('/teams')}
      events: [sla.breached]
      secret_env: {ENV}
      format: teams
""", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV, SECRET)
        application = create_app(app_config(db_url, folder, HELPDESK_CONFIG=str(helpdesk), JOB_INTERVALS=NO_SCHEDULES,
                                            WEBHOOK_TIMEOUT_SECONDS=1, WEBHOOK_BACKOFF_SECONDS=BASE,
                                            WEBHOOK_MAX_ATTEMPTS=4, PUBLIC_URL="https://guichet.example.org"))
        yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(autouse=True)
def clean(app, receiver, monkeypatch):
    """Each test starts with empty outbox and deliveries, every endpoint on, the receiver answering 204."""
    monkeypatch.setenv(ENV, SECRET)
    with app.extensions["guichet_db"].write() as db:
        for table in (WebhookDelivery, WebhookEndpointState, OutboxDelivery, OutboxEvent):
            db.execute(delete(table))
    receiver.reset()


@pytest.fixture
def jail(monkeypatch, receiver):
    """W-01/W-03 network jail: a connection to anything but the loopback receiver fails the test (no off-box connect)."""
    real_connect, real_create = socket.socket.connect, socket.create_connection
    seen = []

    def check(address):
        seen.append(tuple(address[:2]))
        assert address[0] == "127.0.0.1" and address[1] == receiver.port, f"connection to blocked target {address}"

    def connect(sock, address):
        check(address)
        return real_connect(sock, address)

    def create_connection(address, *args, **kwargs):
        check(address)
        return real_create(address, *args, **kwargs)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


def run(app, clock) -> dict:
    """One round of the job runner: owe the outbox events, then send what is due."""
    run_now(app, "outbox.deliver", clock=clock)
    return run_now(app, "webhooks.deliver", clock=clock)


def rows(database) -> list[WebhookDelivery]:
    with database.reader() as db:
        return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def now_clock() -> FixedClock:
    return FixedClock(datetime.now(timezone.utc).replace(microsecond=0))


def test_W04_a_new_ticket_reaches_the_receiver_signed_per_standard_webhooks(app, api, database, receiver, jail):
    ticket = new_ticket(api("employee_a"), title="VPN coupé <script>x</script>",
                        description="Mot de passe du coffre : ne pas envoyer")
    assert receiver.received == []  # W-06: creating a ticket never waits on a receiver (the outbox is asynchronous)
    clock = now_clock()
    assert run(app, clock) == {"delivered": 1, "failed": 0, "dead": 0}
    (got,) = receiver.received
    assert got.path == "/hook" and got.headers["content-type"] == "application/json"
    assert verify([SECRET], got.headers, got.body, clock.now()) == got.headers["webhook-id"]
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    payload = json.loads(got.body)
    assert payload["type"] == "ticket.created" and payload["data"]["ticket"]["id"] == ticket["id"]
    assert payload["data"]["ticket"]["title"] == "VPN coupé <script>x</script>"  # JSON, the receiver escapes
    assert payload["data"]["ticket"]["url"] == f"https://guichet.example.org/desk/tickets/{ticket['id']}"
    assert "coffre" not in got.body.decode()  # W-06: the description stays home
    (row,) = rows(database)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 1, 204)
    assert run(app, clock) == {"delivered": 0, "failed": 0, "dead": 0}  # once delivered, never again
    assert len(receiver.received) == 1


def test_an_upgrade_does_not_replay_old_history_to_the_endpoints(app, database, receiver, jail):
    old = datetime.now(timezone.utc) - timedelta(hours=25)
    with database.write() as db:
        db.add(OutboxEvent(name="ticket.created", ticket_id=None, actor_id=None, at=old, payload="{}"))
    assert run(app, now_clock())["delivered"] == 0
    assert rows(database) == [] and receiver.received == []


def test_W06_internal_notes_are_never_sent(app, api, receiver, jail):
    ticket = new_ticket(api("employee_a"))
    clock = now_clock()
    run(app, clock)
    receiver.reset()
    tech = api("n1")
    for internal in (True, False):
        response = tech.post(f"/api/v1/tickets/{ticket['id']}/comments",
                             json={"body": "Note interne : le mot de passe admin est X", "internal": internal})
        assert response.status_code == 201, response.get_json()
    run(app, clock)
    (got,) = receiver.received  # only the public comment
    payload = json.loads(got.body)
    assert payload["type"] == "ticket.commented" and payload["data"]["internal"] is False
    assert "mot de passe" not in got.body.decode()  # comment bodies are never in the payload


def test_W05_500_k_times_then_200_backs_off_with_jitter_under_one_webhook_id(app, api, database, receiver, jail):
    receiver.reset(Answer(500, body=b"oops"), Answer(503), Answer(500))
    new_ticket(api("employee_a"))
    clock = now_clock()
    delays = []
    for attempt in (1, 2, 3):
        assert run(app, clock)["failed"] == 1
        (row,) = rows(database)
        assert (row.status, row.attempts) == ("failed", attempt)
        delay = (row.next_attempt_at - clock.now()).total_seconds()
        ceiling = BASE * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling  # exponential, half of it random (jitter)
        delays.append(delay)
        clock.at += timedelta(seconds=delay - 1)
        assert run(app, clock)["failed"] == 0 and len(receiver.received) == attempt  # not due yet: nothing sent
        clock.at += timedelta(seconds=1)
    assert run(app, clock)["delivered"] == 1
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 4 and len(ids) == 1  # the same webhook-id on every try
    (row,) = rows(database)
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("delivered", 4, 204, None)


def test_W05_a_delivery_is_set_aside_after_the_last_try_and_the_admin_can_redeliver_it(app, api, database, receiver,
                                                                                       jail):
    receiver.reset(default=Answer(500, body=b"<script>alert('x')</script>" * 10_000))
    new_ticket(api("employee_a"))
    clock = now_clock()
    for _ in range(4):
        run(app, clock)
        clock.at += timedelta(hours=7)
    (row,) = rows(database)
    assert (row.status, row.attempts, row.last_status) == ("dead", 4, 500)
    assert len(row.last_error) <= 300  # W-06: a huge reply is cut to a short excerpt
    admin = Browser(app, "admin")
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200 and f'id="delivery-{row.id}"' in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text  # shown escaped, never as HTML
    assert Browser(app, "employee_a").get("/admin/webhooks").status_code == 403
    assert admin.client.post(f"/admin/webhooks/envois/{row.id}/renvoyer").status_code == 400  # no CSRF token
    assert Browser(app, "n1").submit(f"/admin/webhooks/envois/{row.id}/renvoyer").status_code == 403
    assert admin.submit(f"/admin/webhooks/envois/{row.id}/renvoyer").status_code == 303
    receiver.reset()
    run(app, clock)
    (row,) = rows(database)
    assert (row.status, row.attempts) == ("delivered", 1)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_W05_410_disables_the_endpoint_and_holds_later_events_until_an_admin_enables_it(app, api, database, receiver,
                                                                                       jail):
    receiver.reset(Answer(410))
    new_ticket(api("employee_a"))
    clock = now_clock()
    assert run(app, clock)["dead"] == 1
    with database.reader() as db:
        state = db.get(WebhookEndpointState, "supervision")
        assert state.disabled_at is not None and "410" in state.reason
    new_ticket(api("employee_a"))
    clock.at += timedelta(days=1)
    run(app, clock)
    assert len(receiver.received) == 1  # the second event waits: nothing is lost, nothing sent
    assert [r.status for r in rows(database)] == ["dead", "pending"]
    with database.writer() as db:
        admin = db.scalar(select(Person).where(Person.role == "admin"))
        enable_endpoint(db, app.extensions["guichet_context"], admin, "supervision")
    assert run(app, clock)["delivered"] == 1
    assert [r.status for r in rows(database)] == ["dead", "delivered"]


def test_W03_a_302_to_the_metadata_address_is_a_failure_never_followed(app, api, database, receiver, jail):
    receiver.reset(Answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    new_ticket(api("employee_a"))
    assert run(app, now_clock())["failed"] == 1
    (row,) = rows(database)
    assert row.last_status == 302 and "redirect not followed" in row.last_error
    assert len(receiver.received) == 1 and all(address[0] == "127.0.0.1" for address in jail)


def test_W06_a_receiver_that_never_answers_or_trickles_is_cut_off_at_the_timeout(app, api, database, receiver, jail):
    receiver.reset(Answer(200, delay=3), Answer(200, body=b"x" * 50, trickle=True))
    new_ticket(api("employee_a"))
    clock = now_clock()
    assert run(app, clock)["failed"] == 1
    (row,) = rows(database)
    assert row.last_status is None and "timeout" in row.last_error
    clock.at += timedelta(minutes=5)
    assert run(app, clock)["failed"] == 1  # the trickling one: headers came, the body did not in time
    (row,) = rows(database)
    assert row.attempts == 2 and "timeout" in row.last_error


def test_W05_a_crash_between_send_and_mark_sends_again_under_the_same_webhook_id(app, api, database, receiver,
                                                                                jail, monkeypatch):
    import ticket_service.jobs.webhooks as job

    new_ticket(api("employee_a"))
    clock = now_clock()

    def crash(*args, **kwargs):
        raise SystemExit("worker killed after the POST, before the mark")
    monkeypatch.setattr(job, "record", crash)
    with pytest.raises(SystemExit):
        run(app, clock)
    monkeypatch.undo()
    assert run(app, clock)["delivered"] == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # at least once; receivers dedupe on it


def test_W05_a_worker_killed_9_mid_send_is_resumed_under_the_same_webhook_id(app, api, database, db_url, receiver,
                                                                            tmp_path):
    """A real `guichet worker` subprocess is SIGKILLed while the receiver holds its request: nothing is lost."""
    from ticket_service.store.jobs import enqueue

    new_ticket(api("employee_a"))
    clock = now_clock()
    run_now(app, "outbox.deliver", clock=clock)  # owed, not sent
    with database.write() as db:
        enqueue(db, "webhooks.deliver", {}, run_at=clock.now() - timedelta(seconds=1), max_attempts=1)
    env = {**os.environ, "GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", ENV: SECRET,
           "GUICHET_HELPDESK_CONFIG": app.config["HELPDESK_CONFIG"], "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"), "GUICHET_JOB_INTERVALS": json.dumps(NO_SCHEDULES)}
    child = subprocess.Popen([sys.executable, "-m", "ticket_service", "worker", "--once"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.on_request = lambda got: os.kill(child.pid, signal.SIGKILL)  # mid-send: the request came, no answer
    try:
        assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    receiver.on_request = None
    (row,) = rows(database)
    assert (row.status, row.attempts) == ("pending", 0)  # the killed try left no mark: still owed
    assert run_now(app, "webhooks.deliver", clock=clock)["delivered"] == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.webhook_id
    assert rows(database)[0].status == "delivered"


def test_W01_a_name_resolving_to_a_private_address_is_refused_before_any_connection(app, api, database, receiver,
                                                                                   jail, monkeypatch):
    from ticket_service.notify import webhook_http

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))])  # EVERY answer is checked
    with pytest.raises(webhook_http.TargetRefused, match="10.1.2.3"):
        webhook_http.post("https://hooks.example.org/x", b"{}", {}, timeout=1,
                          allow=app.extensions["guichet_context"].policies.webhooks.allow)
    assert jail == []  # no socket was opened


def test_W02_dns_rebinding_cannot_switch_the_pinned_address(app, receiver, jail, monkeypatch):
    """The name resolves once (to the allowed receiver); a later answer (a rebinding to 10.x) is never asked for."""
    from ticket_service.domain.webhook_targets import parse_allow
    from ticket_service.notify import webhook_http

    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])
    calls = []

    def rebinding(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    reply = webhook_http.post(f"http://hooks.example.org:{receiver.port}/pinned", b"{}", {}, timeout=1,
                              allow=parse_allow(["127.0.0.1/32"]))
    assert reply.status == 204 and calls == ["hooks.example.org"]
    assert jail == [("127.0.0.1", receiver.port)]
    assert receiver.received[0].headers["host"] == f"hooks.example.org:{receiver.port}"  # Host is the name


def test_W01_at_send_time_a_target_that_left_the_allow_list_is_refused(app, api, database, receiver, jail,
                                                                       monkeypatch):
    from dataclasses import replace

    from ticket_service.domain.webhook_targets import AllowList

    ctx = app.extensions["guichet_context"]
    new_ticket(api("employee_a"))
    policies = replace(ctx.policies, webhooks=replace(ctx.policies.webhooks, allow=AllowList()))
    monkeypatch.setitem(app.extensions, "guichet_context", replace(ctx, policies=policies))
    assert run(app, now_clock())["failed"] == 1
    (row,) = rows(database)
    assert "target refused" in row.last_error and "loopback" in row.last_error
    assert jail == [] and receiver.received == []


def test_teams_format_escapes_the_title_and_links_the_desk(app, api, receiver, jail):
    from ticket_service.jobs.outbox import Message
    from ticket_service.notify import webhooks

    message = Message(1, "sla.breached", 7, None, datetime(2026, 12, 2, tzinfo=timezone.utc), {"target": "resolution"})
    ticket = {"id": 7, "title": "**Imprimante** <b>@channel</b>", "priority": "P2", "status": "in_progress",
              "url": "https://guichet.example.org/desk/tickets/7"}
    teams = webhooks.teams(message, ticket)
    assert teams["type"] == "message" and teams["summary"] == "SLA dépassé"
    card = teams["attachments"][0]["content"]
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    text = card["body"][0]["text"]
    assert "SLA dépassé · \\#7" in text and "<b>" not in text and "\\*\\*Imprimante" in text
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Ouvrir la demande", "url": ticket["url"]}]
    text = webhooks.slack(message, ticket)["text"]
    assert "&lt;b&gt;@channel&lt;/b&gt;" in text and text.endswith("|Ouvrir la demande>")


def test_W02_https_to_the_pinned_address_checks_the_certificate_of_the_host_name(tmp_path, monkeypatch):
    """TLS goes to the checked address but with SNI and the certificate check of the URL's host name."""
    from ticket_service.domain.webhook_targets import parse_allow
    from ticket_service.notify import webhook_http

    cert, key = tmp_path / "hooks.crt", tmp_path / "hooks.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=hooks.example.org", "-addext", "subjectAltName=DNS:hooks.example.org", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    server = Receiver().start(tls=(cert, key))
    try:
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))])
        allow = parse_allow(["127.0.0.1/32"])
        reply = webhook_http.post(server.url("/tls", host="hooks.example.org", scheme="https"), b"{}", {},
                                  timeout=1, allow=allow, ca_file=str(cert))
        assert reply.status == 204 and server.received[0].headers["host"] == f"hooks.example.org:{server.port}"
        with pytest.raises(webhook_http.SendError, match="TLS"):  # same address, another name: the cert does not match
            webhook_http.post(server.url("/tls", host="other.example.org", scheme="https"), b"{}", {}, timeout=1,
                              allow=allow, ca_file=str(cert))
        with pytest.raises(webhook_http.SendError, match="TLS"):  # the system roots do not trust a self-signed one
            webhook_http.post(server.url("/tls", host="hooks.example.org", scheme="https"), b"{}", {}, timeout=1,
                              allow=allow)
        assert len(server.received) == 1
        server.reset(Answer(200, body=b"x" * 50, trickle=True))  # W-06 over TLS: the watchdog cuts the trickle
        with pytest.raises(webhook_http.SendError, match="timeout"):
            webhook_http.post(server.url("/tls", host="hooks.example.org", scheme="https"), b"{}", {}, timeout=1,
                              allow=allow, ca_file=str(cert))
    finally:
        server.stop()


def test_the_cli_makes_a_valid_secret_and_lists_endpoints_and_dead_deliveries(app, api, database, db_url, receiver,
                                                                              jail, tmp_path):
    from click.testing import CliRunner

    from ticket_service.cli import main as guichet
    from ticket_service.domain.webhooks import decode_secret

    runner = CliRunner()
    made = runner.invoke(guichet, ["webhooks", "secret"], catch_exceptions=False).output.strip()
    assert len(decode_secret(made)) == 32 and made != runner.invoke(guichet, ["webhooks", "secret"]).output.strip()
    receiver.reset(Answer(410))
    new_ticket(api("employee_a"))
    run(app, now_clock())
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path / "site"),
           "GUICHET_HELPDESK_CONFIG": app.config["HELPDESK_CONFIG"], ENV: SECRET}
    listed = runner.invoke(guichet, ["webhooks", "list", "--status", "dead"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert "supervision" in listed.output and "OFF since" in listed.output and "equipe" in listed.output
    (row,) = rows(database)
    assert f"{row.id:>7}  supervision" in listed.output and "410" in listed.output
    assert SECRET.removeprefix("whsec_") not in listed.output
    assert "No deliveries." in runner.invoke(guichet, ["webhooks", "list", "--status", "pending"], env=env).output
