"""The state machine, resolution rules, escalation, reopen, problems, auto-close, satisfaction and FCR (both databases)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ticket_service.domain import tickets, transitions
from ticket_service.domain.approvals import decide
from ticket_service.store.models import Person, Ticket, TicketEvent
from tshelpers import new_ticket

STATES = ("new", "in_progress", "waiting", "awaiting_approval", "resolved", "closed", "rejected", "cancelled")

# The specification, written independently of transitions.TRANSITIONS: (from, to) → (as requester, as technician).
# Every pair not listed must answer 409 to both.
EXPECTED = {
    ("new", "in_progress"): (403, 200),
    ("new", "waiting"): (403, 200),
    ("new", "resolved"): (403, 200),
    ("new", "cancelled"): (200, 200),
    ("in_progress", "waiting"): (403, 200),
    ("in_progress", "resolved"): (403, 200),
    ("in_progress", "cancelled"): (200, 200),
    ("waiting", "in_progress"): (200, 200),
    ("waiting", "resolved"): (403, 200),
    ("waiting", "cancelled"): (200, 200),
    ("resolved", "closed"): (200, 403),
    ("resolved", "in_progress"): (200, 200),
    ("awaiting_approval", "cancelled"): (200, 200),
    # system-only moves: approval outcome, merge, auto-close
    ("awaiting_approval", "new"): (403, 403),
    ("awaiting_approval", "rejected"): (403, 403),
    ("new", "closed"): (403, 403),
    ("in_progress", "closed"): (403, 403),
    ("waiting", "closed"): (403, 403),
}


def ctx_of(app):
    return app.extensions["guichet_context"]


def make_in_state(app, database, users, state: str) -> int:
    """Create a ticket for employee_a and drive it into ``state`` with the domain functions."""
    ctx = ctx_of(app)
    with database.write() as db:
        requester = db.get(Person, users["employee_a"])
        tech = db.get(Person, users["n1"])
        kind = {"awaiting_approval": "access_request", "rejected": "access_request"}.get(state, "incident")
        data = {"title": f"Ticket en état {state}", "description": "Préparé pour le test.", "type": kind}
        if kind == "access_request":
            data["catalogue_item"] = "dossier-comptabilite"
        ticket = tickets.create_ticket(db, ctx, requester, data)
        path = {"new": [], "in_progress": ["in_progress"], "waiting": ["in_progress", "waiting"],
                "resolved": ["in_progress", "resolved"], "closed": ["in_progress", "resolved", "closed"],
                "cancelled": ["cancelled"], "awaiting_approval": [], "rejected": []}[state]
        for step in path:
            actor = requester if step in ("closed", "cancelled") else tech
            extra = {"note": "Résolu pour le test.", "kb_gap": True} if step == "resolved" else {}
            transitions.transition(db, ctx, ticket, actor, step, **extra)
        if state == "rejected":
            decide(db, ctx, ticket, db.get(Person, users["approver"]), "rejected", "non")
        assert ticket.status == state
        return ticket.id


def payload(frm: str, to: str) -> dict:
    if to == "resolved":
        return {"to": to, "note": "Une note de résolution suffisante.", "kb_gap": True}
    return {"to": to, "reason": "motif du changement"}


@pytest.mark.parametrize("frm", STATES)
def test_state_machine_table(app, database, users, api, frm):
    for to in STATES:
        for index, role in enumerate(("employee_a", "n1")):
            ticket_id = make_in_state(app, database, users, frm)
            response = api(role).post(f"/api/v1/tickets/{ticket_id}/transitions", json=payload(frm, to))
            expected = EXPECTED.get((frm, to), (409, 409))[index]
            assert response.status_code == expected, (frm, to, role, response.get_json())
            if expected == 200:
                assert response.get_json()["status"] == to
            else:
                assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_the_specification_matches_the_code():
    human = {pair for pair, codes in EXPECTED.items() if 200 in codes}
    # self-service is the requester's « Finalement c'est résolu », never a /transitions move
    code = {pair for pair, who in transitions.TRANSITIONS.items() if who - {transitions.SYSTEM, transitions.SELF_SERVICE}}
    assert human == code
    assert set(EXPECTED) == set(transitions.TRANSITIONS)


def test_resolving_requires_a_note_and_articles_or_the_kb_gap_flag(app, api):
    tech = api("n1")
    ticket = new_ticket(api("employee_a"))
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    cases = [
        ({"to": "resolved"}, {"note", "articles"}),
        ({"to": "resolved", "note": "court"}, {"note", "articles"}),
        ({"to": "resolved", "note": "Note assez longue ici."}, {"articles"}),
        ({"to": "resolved", "note": "Note assez longue ici.", "articles": ["poste-lent"], "kb_gap": True}, {"articles"}),
        ({"to": "resolved", "note": "Note assez longue ici.", "articles": ["../etc/passwd"]}, {"articles"}),
    ]
    for body, fields in cases:
        response = tech.post(url, json=body)
        assert response.status_code == 422, body
        assert set(response.get_json()["error"]["fields"]) == fields
    response = tech.post(url, json={"to": "resolved", "note": "Redémarrage du service d'impression.",
                                    "articles": ["imprimante-hors-connexion", "imprimante-hors-connexion"]})
    assert response.status_code == 200
    links = tech.get(f"/api/v1/tickets/{ticket['id']}/articles").get_json()["items"]
    assert links == [{"article_id": "imprimante-hors-connexion", "kb_revision": "kbrev-test", "created_at": links[0]["created_at"]}]
    body = response.get_json()
    assert body["first_contact_resolution"] is True and body["kb_gap"] is False
    assert api("employee_a").post(url, json={"to": "closed"}).status_code == 200
    stats = api(None).get("/api/v1/articles/imprimante-hors-connexion/stats").get_json()
    assert stats["resolved_count"] >= 1


def test_escalation_needs_a_reason_and_climbs_n1_n2_n3(app, api):
    tech = api("n1")
    ticket = new_ticket(api("employee_a"))
    url = f"/api/v1/tickets/{ticket['id']}/escalations"
    assert tech.post(url, json={}).get_json()["error"]["fields"] == {"reason": "champ obligatoire"}
    assert tech.post(url, json={"reason": "trop"}).status_code == 422
    assert api("employee_a").post(url, json={"reason": "Je veux un N2 tout de suite."}).status_code == 403
    first = tech.post(url, json={"reason": "Droits administrateur nécessaires."}).get_json()
    assert (first["level"], first["group"]) == ("N2", "systemes-n2")
    second = api("n2").post(url, json={"reason": "Panne matérielle : prestataire."}).get_json()
    assert (second["level"], second["group"], second["escalation_count"]) == ("N3", "alpes-infogerance", 2)
    assert api("n3").post(url, json={"reason": "Encore plus haut, impossible."}).status_code == 409
    history = tech.get(f"/api/v1/tickets/{ticket['id']}/history").get_json()["items"]
    levels = [(e["old"], e["new"], e["reason"]) for e in history if e["field"] == "level"]
    assert levels == [("N1", "N2", "Droits administrateur nécessaires."), ("N2", "N3", "Panne matérielle : prestataire.")]
    done = api("n3").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                          json={"to": "resolved", "note": "Carte RAID remplacée.", "kb_gap": True}).get_json()
    assert done["first_contact_resolution"] is False


def test_requester_reply_resumes_waiting_and_reopens_a_resolution(app, api):
    employee, tech = api("employee_a"), api("n1")
    ticket = new_ticket(employee)
    url = f"/api/v1/tickets/{ticket['id']}"
    tech.post(url + "/transitions", json={"to": "waiting", "reason": "capture d'écran demandée"})
    assert employee.post(url + "/comments", json={"body": "Voici la capture."}).status_code == 201
    assert tech.get(url).get_json()["status"] == "in_progress"
    tech.post(url + "/transitions", json={"to": "resolved", "note": "Pilote réinstallé.", "kb_gap": True})
    assert employee.post(url + "/transitions", json={"to": "in_progress"}).status_code == 422  # reason required
    assert employee.post(url + "/comments", json={"body": "Toujours en panne ce matin."}).status_code == 201
    reopened = tech.get(url).get_json()
    assert (reopened["status"], reopened["reopen_count"], reopened["first_contact_resolution"]) == ("in_progress", 1, False)


def test_problem_groups_incidents_and_offers_then_resolves_them(app, api):
    tech = api("n2")
    problem = new_ticket(tech, type="problem", title="Coupures Wi-Fi à Lyon", description="Analyse de cause.")
    incidents = [new_ticket(api("employee_a"), title=f"Wi-Fi coupé {i}") for i in range(2)]
    for incident in incidents:
        response = tech.post(f"/api/v1/tickets/{incident['id']}/links", json={"target_id": problem["id"], "kind": "caused_by"})
        assert response.status_code == 201
    assert tech.post(f"/api/v1/tickets/{incidents[0]['id']}/links",
                     json={"target_id": problem["id"], "kind": "caused_by"}).status_code == 409
    not_problem = tech.post(f"/api/v1/tickets/{problem['id']}/links", json={"target_id": incidents[0]["id"], "kind": "caused_by"})
    assert not_problem.status_code == 422
    url = f"/api/v1/tickets/{problem['id']}/transitions"
    resolved = tech.post(url, json={"to": "resolved", "note": "Firmware des bornes corrigé.", "kb_gap": True}).get_json()
    assert sorted(resolved["open_incidents"]) == sorted(i["id"] for i in incidents)  # offered
    tech.post(url, json={"to": "in_progress", "reason": "on recommence"})
    resolved = tech.post(url, json={"to": "resolved", "note": "Firmware des bornes corrigé.", "kb_gap": True,
                                    "resolve_incidents": True}).get_json()
    assert resolved["open_incidents"] == []
    for incident in incidents:
        assert tech.get(f"/api/v1/tickets/{incident['id']}").get_json()["status"] == "resolved"


def test_auto_close_after_the_configured_business_days(app, database, users):
    ctx = ctx_of(app)
    resolved_at = datetime(2026, 12, 23, 10, 0, tzinfo=timezone.utc)  # Wednesday; 25/12 and 01/01 are holidays
    with database.write() as db:
        requester, tech = db.get(Person, users["employee_a"]), db.get(Person, users["n1"])
        ticket = tickets.create_ticket(db, ctx, requester, {"title": "Souris", "description": "Ne marche plus."},
                                         now=resolved_at - timedelta(hours=1))
        transitions.transition(db, ctx, ticket, tech, "resolved", now=resolved_at, note="Piles changées.", kb_gap=True)
        ticket_id = ticket.id
    with database.write() as db:  # 5 business days: 23, 24, 28, 29, 30 December → due 31/12 10:00 UTC
        assert ticket_id not in transitions.auto_close(db, ctx, now=datetime(2026, 12, 31, 9, 59, tzinfo=timezone.utc))
        assert ticket_id in transitions.auto_close(db, ctx, now=datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc))
        ticket = db.get(Ticket, ticket_id)
        assert ticket.status == "closed" and ticket.first_contact_resolution is True
        event = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id.desc())).first()
        assert (event.actor_id, event.old, event.new) == (None, "resolved", "closed")


def test_satisfaction_once_by_the_requester_after_resolution(app, api):
    employee, tech = api("employee_a"), api("n1")
    ticket = new_ticket(employee)
    url = f"/api/v1/tickets/{ticket['id']}/satisfaction"
    assert employee.post(url, json={"rating": 5}).status_code == 409  # not resolved yet
    tech.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "resolved", "note": "Câble remplacé.", "kb_gap": True})
    employee.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "closed"})
    assert tech.post(url, json={"rating": 5}).status_code == 403
    for bad in (0, 6, "5", True, None):
        assert employee.post(url, json={"rating": bad}).status_code == 422
    response = employee.post(url, json={"rating": 4, "comment": "Bien, un peu long."})
    assert response.status_code == 201 and response.get_json()["satisfaction_rating"] == 4
    assert employee.post(url, json={"rating": 1}).status_code == 409


def test_update_recomputes_priority_and_audits_old_to_new(app, api):
    tech = api("n1")
    ticket = new_ticket(api("employee_a"), impact="low", urgency="low")
    assert ticket["priority"] == "P4"
    response = tech.patch(f"/api/v1/tickets/{ticket['id']}", json={"impact": "high", "urgency": "high"})
    assert response.get_json()["priority"] == "P1"
    history = tech.get(f"/api/v1/tickets/{ticket['id']}/history").get_json()["items"]
    changes = {(e["field"], e["old"], e["new"]) for e in history}
    assert {("impact", "low", "high"), ("urgency", "low", "high"), ("priority", "P4", "P1")} <= changes
    assert all(e["actor_id"] and e["at"] for e in history)
    assert tech.patch(f"/api/v1/tickets/{ticket['id']}", json={"group": "systemes-n2"}).status_code == 422
    assert tech.patch(f"/api/v1/tickets/{ticket['id']}", json={"assignee_id": 10**6}).status_code == 422


def test_taking_a_ticket_in_hand_assigns_it_and_answers_first(api):
    ticket = new_ticket(api("employee_a"))
    taken = api("n1_bis").post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "in_progress"}).get_json()
    assert taken["assignee"]["name"] == "Karim Benali" and taken["first_response_at"]
    assert taken["sla"]["first_response"]["met_at"] == taken["first_response_at"]
