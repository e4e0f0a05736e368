"""What the request form needs from the service: expected response, « Finalement c'est résolu », metrics, banner."""

from __future__ import annotations

import uuid

from tshelpers import new_ticket


def test_expected_response_is_for_the_requester_and_staff(api):
    ticket = new_ticket(api("employee_a"), impact="medium", urgency="high")
    body = api("employee_a").get(f"/api/v1/tickets/{ticket['id']}/expected-response").get_json()
    assert body["priority"] == "P2" and body["first_response_due"].endswith("Z") and body["business_hours"]["first_response"] == 1
    assert api("n1").get(f"/api/v1/tickets/{ticket['id']}/expected-response").status_code == 200
    assert api("employee_b").get(f"/api/v1/tickets/{ticket['id']}/expected-response").status_code == 404
    access = new_ticket(api("employee_a"), type="access_request", catalogue_item="dossier-comptabilite")
    assert api("approver").get(f"/api/v1/tickets/{access['id']}").status_code == 200
    assert api("approver").get(f"/api/v1/tickets/{access['id']}/expected-response").status_code == 404


def test_self_resolution_closes_the_requesters_new_ticket_and_counts_the_article(api):
    owner = api("employee_a")
    ticket = new_ticket(owner)
    before = api(None).get("/api/v1/articles/imprimante-hors-connexion/stats").get_json()["resolved_count"]
    response = owner.post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={"article_id": "imprimante-hors-connexion"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "closed" and body["closed_at"] and "demandeur" in body["resolution_note"]
    assert api(None).get("/api/v1/articles/imprimante-hors-connexion/stats").get_json()["resolved_count"] == before + 1
    history = api("n1").get(f"/api/v1/tickets/{ticket['id']}/history").get_json()["items"]
    assert any(h["field"] == "status" and h["new"] == "closed" and h["reason"] for h in history)
    again = owner.post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={})
    assert again.status_code == 409


def test_self_resolution_is_refused_to_others_and_once_a_technician_took_it(api):
    ticket = new_ticket(api("employee_a"))
    assert api("employee_b").post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={}).status_code == 404
    assert api("n1").post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={}).status_code == 403
    assert api("employee_a").post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={"article_id": "../x"}).status_code == 422
    assert api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "in_progress"}).status_code == 200
    assert api("employee_a").post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={}).status_code == 409


def test_metrics_endpoint_counts_a_confirmed_and_a_failed_deflection(api):
    a, sid_ok, sid_ticket = api("employee_b", fresh=True), "ok-" + uuid.uuid4().hex[:20], "tk-" + uuid.uuid4().hex[:20]
    before = {f["key"]: f["value"] for f in api("admin").get("/api/v1/metrics/deflection").get_json()["figures"]}
    shown = {"type": "suggestions_shown", "query": "vpn -7200",
             "suggestions": [{"id": "vpn-forticlient-erreur-credentials", "rank": 1, "score": 0.7, "category": "reseau-vpn"}]}
    solved = {"type": "solved", "article": "vpn-forticlient-erreur-credentials", "source": "form"}
    assert a.post("/api/v1/events", json={"session": sid_ok, "events": [{"id": uuid.uuid4().hex, **shown}, {"id": uuid.uuid4().hex, **solved}]}).status_code == 202
    after = {f["key"]: f["value"] for f in api("admin").get("/api/v1/metrics/deflection").get_json()["figures"]}
    assert after["confirmed"] == before["confirmed"] + 1
    # The same person then creates a ticket from another session: both sessions now count as no deflection.
    a.post("/api/v1/events", json={"session": sid_ticket, "events": [{"id": uuid.uuid4().hex, **shown}]})
    new_ticket(a, help_session_id=sid_ticket)
    final = {f["key"]: f["value"] for f in api("admin").get("/api/v1/metrics/deflection").get_json()["figures"]}
    assert final["confirmed"] == before["confirmed"] and final["none"] == before["none"] + 2


def test_metrics_query_validation(api):
    tech = api("n1")
    assert tech.get("/api/v1/metrics/deflection?since=2026-13-01").status_code == 422
    assert tech.get("/api/v1/metrics/deflection?since=2026-11-20&until=2026-11-01").status_code == 422
    assert tech.get("/api/v1/metrics/deflection?window_hours=0").status_code == 422
    body = tech.get("/api/v1/metrics/deflection?since=2026-11-01&until=2026-11-30&window_hours=48").get_json()
    assert body["window_hours"] == 48 and body["period"]["since"] == "2026-11-01T00:00:00Z"
    assert all(f["definition"] for f in body["figures"])


def test_banner_feed_is_public_fields_only_readable_anonymously_and_refreshed_on_publication(api):
    anonymous = api(None)
    before = anonymous.get("/api/v1/incidents/major")
    assert before.status_code == 200 and before.headers["Cache-Control"].startswith("no-store")
    tech = api("n1")
    incident = new_ticket(tech, title="PRIVÉ-serveur-exchange-03", description="Détails internes du serveur.")
    tech.post(f"/api/v1/tickets/{incident['id']}/publication",
              json={"public_title": "Messagerie indisponible", "public_text": "Inutile d'ouvrir une demande.", "major": True})
    items = anonymous.get("/api/v1/incidents/major").get_json()["items"]  # the cache was dropped by the publication
    mine = next(i for i in items if i["id"] == incident["id"])
    assert set(mine) == {"id", "title", "text", "major", "status", "since"} and mine["title"] == "Messagerie indisponible"
    assert "PRIVÉ" not in anonymous.get("/api/v1/incidents/major").get_data(as_text=True)
    assert anonymous.post(f"/api/v1/incidents/{incident['id']}/join").status_code == 401  # joining needs a person
    assert api("employee_b").post(f"/api/v1/incidents/{incident['id']}/join").status_code == 201
