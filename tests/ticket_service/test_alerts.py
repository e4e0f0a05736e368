"""Monitoring alerts → tickets: source tokens, Alertmanager and generic bodies, repeats, recovery, major incidents,
bad input, and a concurrent burst that must not open two tickets for one fingerprint (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ticket_service import create_app
from ticket_service.actions.alerts import add_source, revoke_source
from ticket_service.cli import main as guichet
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.store.models import AlertSource, AlertTicket, Comment, Person, Ticket, TicketLink, utcnow
from tshelpers import ROOT, app_config, new_ticket

URL = "/api/v1/alerts"


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    """The app with one source that keeps its tickets open on recovery (kuma) besides the defaults."""
    folder = tmp_path_factory.mktemp("alerts-app")
    helpdesk = folder / "helpdesk.yml"
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    assert "  sources: {}" in text
    kuma = ("  sources:\n    kuma: {resolve_on_recovery: false, category: reseau-vpn}\n"
            "    zabbix-major: {attach_to_open_major: true}")
    helpdesk.write_text(text.replace("  sources: {}", kuma), encoding="utf-8")
    application = create_app(app_config(db_url, folder, HELPDESK_CONFIG=str(helpdesk)))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(scope="module")
def tokens(database) -> dict[str, str]:
    made = {}
    for name in ("prometheus", "kuma", "burst", "zabbix-major"):
        with database.write() as db:
            made[name] = add_source(db, name, utcnow()).token
    return made


def post(app, token: str | None, body, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().post(URL, json=body, headers=headers, **kw)


def generic(fingerprint: str, status: str = "firing", **extra) -> dict:
    return {"fingerprint": fingerprint, "status": status, "title": f"Disque plein sur {fingerprint}",
            "description": "Le volume /var dépasse 95 %.", "severity": "critical", "service": "stockage", **extra}


def ticket_of(database, ticket_id: int) -> Ticket:
    with database.reader() as db:
        return db.get(Ticket, ticket_id)


def notes(database, ticket_id: int) -> list[str]:
    with database.reader() as db:
        return list(db.scalars(select(Comment.body).where(Comment.ticket_id == ticket_id).order_by(Comment.id)))


def test_a_missing_wrong_revoked_or_personal_token_is_refused_with_401(app, database, tokens, api):
    for token in (None, "gca_nope", "gct_fuzz-not-a-source"):
        response = post(app, token, generic("auth-1"))
        assert response.status_code == 401, token
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # a source's token opens only its door: not a person, so every other endpoint refuses it
    response = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {tokens['prometheus']}"})
    assert response.status_code == 401
    # a signed-in technician's session is no source either (and no CSRF token is asked of this door)
    assert api("n1").post(URL, json=generic("auth-2")).status_code == 401
    with database.write() as db:
        token = add_source(db, "revoked", utcnow()).token
    assert post(app, token, generic("auth-3")).status_code == 200
    with database.write() as db:
        revoke_source(db, "revoked", utcnow())
    assert post(app, token, generic("auth-4")).status_code == 401


def test_generic_alert_opens_one_ticket_then_notes_repeats_then_resolves_on_recovery(app, database, tokens):
    response = post(app, tokens["prometheus"], generic("srv-01"))
    assert response.status_code == 200, response.get_json()
    (item,) = response.get_json()["items"]
    assert item["result"] == "created"
    ticket = ticket_of(database, item["ticket_id"])
    assert (ticket.channel, ticket.type, ticket.status) == ("monitoring", "incident", "new")
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("high", "high", "P1")  # alerts.severities.critical
    assert ticket.title == "[stockage] Disque plein sur srv-01"
    with database.reader() as db:
        requester = db.get(Person, ticket.requester_id)
    assert not requester.active and requester.password_hash is None  # cannot sign in, gets no mail
    for repeat in (1, 2):
        again = post(app, tokens["prometheus"], generic("srv-01")).get_json()["items"][0]
        assert (again["result"], again["ticket_id"]) == ("repeated", ticket.id)
    assert notes(database, ticket.id)[-1].startswith("Alerte toujours active (répétition n° 2)")
    done = post(app, tokens["prometheus"], generic("srv-01", "resolved")).get_json()["items"][0]
    assert (done["result"], done["ticket_id"]) == ("resolved", ticket.id)
    ticket = ticket_of(database, ticket.id)
    assert ticket.status == "resolved" and ticket.resolution_note.startswith("Alerte rétablie")
    assert not ticket.kb_gap and ticket.first_contact_resolution is None
    assert notes(database, ticket.id)[-1].startswith("Alerte rétablie")
    # a second recovery finds nothing open; a new firing is a new incident
    assert post(app, tokens["prometheus"], generic("srv-01", "resolved")).get_json()["items"][0]["result"] == "ignored"
    fresh = post(app, tokens["prometheus"], generic("srv-01")).get_json()["items"][0]
    assert fresh["result"] == "created" and fresh["ticket_id"] != ticket.id


def alertmanager(*alerts) -> dict:
    return {"version": "4", "groupKey": '{}:{alertname="NoeudInjoignable"}', "status": "firing", "receiver": "guichet",
            "groupLabels": {"alertname": "NoeudInjoignable"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093", "truncatedAlerts": 0, "alerts": list(alerts)}


def am_alert(fingerprint: str, status: str = "firing", **labels) -> dict:
    return {"status": status, "fingerprint": fingerprint,
            "labels": {"alertname": "NoeudInjoignable", "instance": f"{fingerprint}:9100", "severity": "warning",
                       "job": "node", **labels},
            "annotations": {"summary": "Le nœud ne répond plus", "description": "Aucune métrique depuis 5 minutes."},
            "startsAt": "2026-12-03T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0"}


def test_alertmanager_groups_open_one_ticket_per_fingerprint_and_a_kept_open_source_only_notes_recovery(
        app, database, tokens):
    body = alertmanager(am_alert("a1b2c3d4e5f60001"), am_alert("a1b2c3d4e5f60002"))
    first = post(app, tokens["kuma"], body).get_json()
    assert [i["result"] for i in first["items"]] == ["created", "created"]
    ids = [i["ticket_id"] for i in first["items"]]
    ticket = ticket_of(database, ids[0])
    assert ticket.title == "[node] NoeudInjoignable : Le nœud ne répond plus (a1b2c3d4e5f60001:9100)"
    assert "instance = a1b2c3d4e5f60001:9100" in ticket.description and "0001-01-01" not in ticket.description
    assert (ticket.impact, ticket.urgency, ticket.category) == ("medium", "medium", "reseau-vpn")
    second = post(app, tokens["kuma"], alertmanager(am_alert("a1b2c3d4e5f60001"),
                                                    am_alert("a1b2c3d4e5f60002", "resolved"))).get_json()
    assert [(i["result"], i["ticket_id"]) for i in second["items"]] == [("repeated", ids[0]), ("recovered", ids[1])]
    assert ticket_of(database, ids[1]).status == "new"  # alerts.sources.kuma.resolve_on_recovery: false
    # the same fingerprint from another source is another alert
    other = post(app, tokens["prometheus"], alertmanager(am_alert("a1b2c3d4e5f60001"))).get_json()["items"][0]
    assert other["result"] == "created" and other["ticket_id"] not in ids


def test_a_ticket_the_desk_resolved_lets_the_next_firing_open_a_new_one(app, database, tokens, api):
    first = post(app, tokens["prometheus"], generic("desk-1")).get_json()["items"][0]["ticket_id"]
    response = api("n1").post(f"/api/v1/tickets/{first}/transitions",
                              json={"to": "resolved", "note": "Volume agrandi de 20 Go.", "kb_gap": True})
    assert response.status_code == 200, response.get_json()
    again = post(app, tokens["prometheus"], generic("desk-1")).get_json()["items"][0]
    assert again["result"] == "created" and again["ticket_id"] != first
    with database.reader() as db:
        rows = db.scalars(select(AlertTicket).where(AlertTicket.fingerprint == "desk-1").order_by(AlertTicket.id)).all()
    assert [r.open for r in rows] == [None, 1]


def test_an_alert_is_attached_to_an_open_major_incident_by_field_or_label(app, database, tokens, api):
    tech = api("n1")
    major = new_ticket(api("employee_a"), title="Messagerie indisponible", description="Plus aucun mail ne part.")
    response = tech.post(f"/api/v1/tickets/{major['id']}/publication", json={
        "public_title": "Messagerie indisponible", "public_text": "Nous rétablissons le service.", "major": True})
    assert response.status_code == 201, response.get_json()
    by_field = post(app, tokens["prometheus"], generic("mail-1", major_incident=major["id"])).get_json()["items"][0]
    assert by_field["major_incident"] == major["id"]
    by_label = post(app, tokens["prometheus"],
                    alertmanager(am_alert("mail000000000002", major_incident=str(major["id"])))).get_json()["items"][0]
    assert by_label["major_incident"] == major["id"]
    # a repeat does not link twice; a ticket that is no open major incident is not linked at all
    post(app, tokens["prometheus"], generic("mail-1", major_incident=major["id"]))
    plain = new_ticket(api("employee_a"))
    assert post(app, tokens["prometheus"], generic("mail-3", major_incident=plain["id"])).get_json()["items"][0][
        "major_incident"] is None
    with database.reader() as db:
        links = db.scalars(select(TicketLink).where(TicketLink.target_id == major["id"])).all()
    assert sorted((l.source_id, l.kind) for l in links) == sorted(
        [(by_field["ticket_id"], "related"), (by_label["ticket_id"], "related")])
    response = tech.get(f"/api/v1/tickets/{by_field['ticket_id']}/links")
    assert response.status_code == 200 and str(major["id"]) in str(response.get_json())
    # alerts.sources.zabbix-major.attach_to_open_major: the newest open major incident, without naming it
    auto = post(app, tokens["zabbix-major"], generic("zbx-major-1")).get_json()["items"][0]
    assert auto["major_incident"] == major["id"]
    assert post(app, tokens["prometheus"], generic("not-attached")).get_json()["items"][0]["major_incident"] is None


@pytest.mark.parametrize("body, status, field", [
    (b"{not json", 400, None),
    (b"[1, 2]", 400, None),
    ({"fingerprint": "x", "status": "firing"}, 422, "title"),
    ({**generic("x"), "status": "burning"}, 422, "status"),
    ({**generic("x"), "colour": "red"}, 400, "colour"),
    ({**generic("x"), "major_incident": "12"}, 422, "major_incident"),
    ({"alerts": []}, 422, "alerts"),
    ({"alerts": [{"status": "firing", "labels": {"a": 1}}]}, 422, "alerts[0].labels"),
    ({"alerts": [{"status": "firing"}]}, 422, "alerts[0].fingerprint"),
    ({"alerts": ["x"]}, 422, "alerts[0]"),
])
def test_bad_bodies_get_the_error_envelope(app, tokens, body, status, field):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['prometheus']}"}
    if isinstance(body, bytes):
        response = client.post(URL, data=body, headers=headers, content_type="application/json")
    else:
        response = client.post(URL, json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    if field:
        assert field in error["fields"]


def test_a_burst_of_1000_concurrent_alerts_opens_exactly_one_ticket_per_fingerprint(app, database, tokens):
    fingerprints = [f"burst-{n}" for n in range(8)]
    per_thread, threads = 125, 8
    statuses, results, lock, busy = Counter(), Counter(), threading.Lock(), []

    def send(worker: int):
        client = app.test_client()
        for n in range(per_thread):
            body = generic(fingerprints[(worker + n) % len(fingerprints)], severity="warning")
            for _ in range(5):  # 503 (database busy past BUSY_TIMEOUT_MS on a loaded box) is retryable, as senders do
                response = client.post(URL, json=body, headers={"Authorization": f"Bearer {tokens['burst']}"})
                if response.status_code != 503:
                    break
                with lock:
                    busy.append(response.get_json()["error"]["code"])
            with lock:
                statuses[response.status_code] += 1
                if response.status_code == 200:
                    results[response.get_json()["items"][0]["result"]] += 1

    pool = [threading.Thread(target=send, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert statuses == {200: 1000}, busy
    # a 503 rolled its whole request back: the retries neither lost an alert nor counted one twice
    assert results == {"created": len(fingerprints), "repeated": 1000 - len(fingerprints)}
    with database.reader() as db:
        source = db.scalar(select(AlertSource).where(AlertSource.name == "burst"))
        opened = db.scalar(select(func.count()).select_from(Ticket).where(Ticket.requester_id == source.person_id))
        repeats = db.scalar(select(func.sum(AlertTicket.repeats)).where(AlertTicket.source_id == source.id))
    assert opened == len(fingerprints) and repeats == 1000 - len(fingerprints)


def test_the_cli_prints_a_token_once_lists_and_revokes_it(app, db_url, tmp_path):
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_HELPDESK_CONFIG": str(ROOT / "helpdesk.yml"),
           "GUICHET_KB_DIR": str(ROOT / "kb"), "GUICHET_SECRET_KEY": "test", "GUICHET_INSTANCE_PATH": str(tmp_path)}
    runner = CliRunner()
    added = runner.invoke(guichet, ["alerts", "token", "add", "zabbix"], env=env)
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[0]
    assert token.startswith("gca_") and len(token) > 40
    with app.extensions["guichet_db"].reader() as db:
        stored = db.scalar(select(AlertSource).where(AlertSource.name == "zabbix"))
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert post(app, token, generic("zbx-1")).status_code == 200
    again = runner.invoke(guichet, ["alerts", "token", "add", "zabbix"], env=env)
    assert again.exit_code != 0 and "revoke" in again.output
    listed = runner.invoke(guichet, ["alerts", "token", "list"], env=env)
    assert "zabbix" in listed.output and "open alert tickets: 1" in listed.output
    assert runner.invoke(guichet, ["alerts", "token", "revoke", "zabbix"], env=env).exit_code == 0
    assert post(app, token, generic("zbx-1")).status_code == 401
    assert runner.invoke(guichet, ["alerts", "token", "add", "Not Valid"], env=env).exit_code != 0


@pytest.mark.parametrize("section, key", [
    ("alerts:\n  severities:\n    critical: {impact: huge, urgency: high}\n", "alerts.severities.critical.impact"),
    ("alerts:\n  default_severity: fatal\n", "alerts.default_severity"),
    ("alerts:\n  resolve_on_recovery: yes-please\n", "alerts.resolve_on_recovery"),
    ("alerts:\n  sources:\n    kuma: {close: true}\n", "alerts.sources.kuma.close"),
    ("alerts:\n  sources:\n    kuma: {category: nowhere}\n", "alerts.sources.kuma.category"),
])
def test_a_bad_alerts_section_names_the_key(tmp_path, section, key):
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    start = text.index("\nalerts:\n")
    end = text.index("  sources: {}", start) + len("  sources: {}")
    path = tmp_path / "helpdesk.yml"
    path.write_text(text[:start] + "\n" + section + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError, match=f"`{key}`"):
        load_policies(path)


def test_the_database_refuses_a_second_open_row_for_a_fingerprint_but_keeps_any_number_of_past_ones(app, database,
                                                                                                     tokens):
    """The guard the burst relies on, on every backend (SQLite serialises writers anyway; PostgreSQL needs it)."""
    from sqlalchemy.exc import IntegrityError

    ticket_id = post(app, tokens["prometheus"], generic("guard-0")).get_json()["items"][0]["ticket_id"]
    with database.reader() as db:
        source_id = db.scalar(select(AlertSource.id).where(AlertSource.name == "prometheus"))
    now = utcnow()

    def row(open_marker):
        return AlertTicket(source_id=source_id, fingerprint="guard-1", ticket_id=ticket_id, open=open_marker,
                           repeats=0, first_seen=now, last_seen=now)

    with database.write() as db:
        db.add_all([row(None), row(None), row(1)])
    with pytest.raises(IntegrityError):
        with database.write() as db:
            db.add(row(1))


def test_a_large_alertmanager_group_is_read_up_to_its_own_limit(app, database, tokens):
    padding = "x" * 900  # 300 alerts of about 1.3 kB: past MAX_JSON_BYTES (256 kB), within ALERTS_MAX_JSON_BYTES
    group = alertmanager(*[am_alert(f"big{n % 3:013d}", description=padding) for n in range(300)])
    response = post(app, tokens["prometheus"], group)
    assert response.status_code == 200, response.get_json()
    assert Counter(i["result"] for i in response.get_json()["items"]) == {"created": 3, "repeated": 297}
    too_big = alertmanager(*[am_alert(f"big{n:013d}", description=padding) for n in range(900)])
    response = post(app, tokens["prometheus"], too_big)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


def test_the_desk_shows_an_alert_ticket_with_its_notes_and_system_resolution(app, tokens):
    from tshelpers import Browser

    ticket_id = post(app, tokens["prometheus"], generic("desk-page"))
    ticket_id = ticket_id.get_json()["items"][0]["ticket_id"]
    post(app, tokens["prometheus"], generic("desk-page"))
    post(app, tokens["prometheus"], generic("desk-page", "resolved"))
    page = Browser(app, "n1").get(f"/desk/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "Supervision (prometheus)" in page.text and "répétition n° 1" in page.text
    assert "Alerte rétablie" in page.text


def test_schemathesis_bodies_sent_with_a_source_token_never_get_a_server_error(app, tokens):
    """The I-11 fuzz reaches this parser only with a source's token (people get 401 before it)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/alerts"]["POST"]
    seen = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(headers={"Authorization": f"Bearer {tokens['prometheus']}"})
        assert response.status_code < 500 or response.status_code == 503, (case.as_curl_command(), response.text[:300])
        assert response.status_code in (200, 400, 413, 415, 422, 503), response.text[:300]
        seen.add(response.status_code)

    fuzz()
    assert 200 in seen, f"no generated body was absorbed: {seen} (the document and the parser disagree)"
