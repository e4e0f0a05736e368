"""``GET /metrics``: Prometheus families of requests, suggestions, tickets, jobs, outbox, SLA and mail; refused (404
envelope) to any address outside METRICS_ALLOWED, the client's address when PROXY_COUNT proxies are trusted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from search import load_or_build
from ticket_service import create_app
from ticket_service.domain.policies import PolicyError
from ticket_service.store import jobs as queue
from ticket_service.store.models import OutboxDelivery, OutboxEvent, SlaNotice
from tshelpers import ROOT, Api, app_config, new_ticket

FAMILIES = ("guichet_http_request_duration_seconds", "guichet_suggest_duration_seconds", "guichet_suggest_abstentions",
            "guichet_tickets_created", "guichet_jobs_due", "guichet_jobs_oldest_due_age_seconds",
            "guichet_outbox_lag_seconds", "guichet_sla_breaches", "guichet_mail_failures")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("index")
    load_or_build(folder, ROOT / "tests" / "fixtures" / "kb_good" / "kb")
    return folder


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, index_dir):
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), INDEX_DIR=str(index_dir)))
    yield application
    application.extensions["guichet_db"].dispose()


def scrape(app, **kw) -> dict:
    response = app.test_client().get("/metrics", **kw)
    assert response.status_code == 200, response.text
    assert response.content_type.startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families, name, **labels) -> float:
    return sum(s.value for s in families[name].samples
               if s.name.startswith(name) and all(s.labels.get(k) == v for k, v in labels.items())
               and not s.name.endswith(("_created", "_bucket", "_sum")))


def test_refused_from_another_address_with_the_404_envelope(app):
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "guichet_" not in response.text


def test_scrape_shows_every_family_with_figures_from_the_database(app, database):
    client = Api(app, "employee_a")
    ticket = new_ticket(client)
    assert client.get("/api/v1/suggest?q=imprimante+hors+ligne").status_code == 200
    assert client.get("/api/v1/suggest?q=ab").status_code == 200  # too short: an abstention without the index
    assert client.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
    now = app.extensions["guichet_context"].clock.now()
    with database.write() as db:
        queue.enqueue(db, "tickets.auto_close", run_at=now - timedelta(minutes=10), max_attempts=3)
        db.add(SlaNotice(ticket_id=ticket["id"], target="resolution", kind="breached", at=now))
        event = OutboxEvent(name="ticket_created", ticket_id=ticket["id"], at=now, payload="{}",
                            created_at=now - timedelta(minutes=5))
        db.add(event)
        db.flush()
        db.add(OutboxDelivery(event_id=event.id, subscriber="mail", status="dead", attempts=10))
        db.commit()

    families = scrape(app)
    assert set(FAMILIES) <= set(families), sorted(families)
    assert value(families, "guichet_tickets_created", channel="api") >= 1
    assert value(families, "guichet_jobs_due") >= 1
    assert value(families, "guichet_jobs_oldest_due_age_seconds") >= 600
    assert value(families, "guichet_sla_breaches", target="resolution") == 1
    assert value(families, "guichet_mail_failures", status="dead") == 1
    assert value(families, "guichet_outbox_lag_seconds", subscriber="mail") >= 0
    assert value(families, "guichet_suggest_abstentions", reason="too_short") >= 1
    routes = {s.labels.get("route") for s in families["guichet_http_request_duration_seconds"].samples}
    assert {"/api/v1/tickets/<int:ticket_id>", "/api/v1/tickets", "/api/v1/suggest"} <= routes, routes
    assert not any(re.search(rf"/{ticket['id']}(/|$)", r or "") for r in routes), routes  # the rule, not the path
    assert any(s.name == "guichet_suggest_duration_seconds_count" and s.value >= 1
               for s in families["guichet_suggest_duration_seconds"].samples)


def test_behind_the_proxy_the_forwarded_client_address_decides(tmp_path, db_url, index_dir):
    app = create_app(app_config(db_url, tmp_path, INDEX_DIR=str(index_dir), PROXY_COUNT=1,
                                METRICS_ALLOWED="10.0.5.0/24"))
    try:
        client = app.test_client()
        assert client.get("/metrics", headers={"X-Forwarded-For": "10.0.5.7"}).status_code == 200
        # nginx itself (127.0.0.1) is no longer enough: anyone outside would come through it
        assert client.get("/metrics").status_code == 404
        # a client's own X-Forwarded-For entry is not believed: only the last hop, nginx's, is
        assert client.get("/metrics", headers={"X-Forwarded-For": "10.0.5.7, 203.0.113.9"}).status_code == 404
    finally:
        app.extensions["guichet_db"].dispose()


def test_a_bad_allowed_network_stops_the_start_naming_the_setting(tmp_path, db_url):
    with pytest.raises(PolicyError, match="METRICS_ALLOWED: 'pas-une-adresse'"):
        create_app(app_config(db_url, tmp_path, METRICS_ALLOWED="127.0.0.1/32, pas-une-adresse"))
