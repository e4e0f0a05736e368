"""One rule for every door: the API, the desk and portal pages, the no-JS form and the actions themselves agree."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from tshelpers import Api
from web_fixtures import app, browser, new_ticket  # noqa: F401  (fixtures)

from ticket_service.actions import workflow
from ticket_service.domain.errors import Invalid
from ticket_service.runtime import get_ctx
from ticket_service.store.models import Attachment, OutboxEvent, Person, Ticket, TicketEvent

ARTICLE = "poste-lent"  # an article of kb/
UNKNOWN = "fiche-qui-n-existe-pas"


def _ticket(app, ticket_id: int) -> Ticket:
    with app.extensions["guichet_db"].reader() as session:
        return session.get(Ticket, ticket_id)


def _outbox(app, ticket_id: int) -> list[tuple[str, dict]]:
    with app.extensions["guichet_db"].reader() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.ticket_id == ticket_id).order_by(OutboxEvent.id))
        return [(row.name, json.loads(row.payload)) for row in rows]


def _stats(app, article: str) -> int:
    return Api(app).get(f"/api/v1/articles/{article}/stats").get_json()["resolved_count"]


# --- a linked article must exist in the KB, whatever the channel ----------------------------------------------------


def test_the_api_refuses_to_resolve_or_link_with_an_article_that_is_not_in_the_kb(app):
    ticket = new_ticket(app, "employee_a")
    n1 = Api(app, "n1")
    url = f"/api/v1/tickets/{ticket}"
    resolve = {"to": "resolved", "note": "Redémarrage du service effectué.", "articles": [UNKNOWN]}
    response = n1.post(f"{url}/transitions", json=resolve)
    assert response.status_code == 422 and UNKNOWN in response.get_json()["error"]["fields"]["articles"]
    response = n1.post(f"{url}/articles", json={"article_id": UNKNOWN})
    assert response.status_code == 422 and "article_id" in response.get_json()["error"]["fields"]
    assert n1.post(f"{url}/articles", json={"article_id": ARTICLE}).status_code == 201
    assert _ticket(app, ticket).status == "new"


def test_the_desk_refuses_an_unknown_article_and_links_a_known_one(app, browser):
    ticket = new_ticket(app, "employee_a")
    desk = browser("n1")
    form = {"note": "Redémarrage du service effectué.", "articles": [UNKNOWN]}
    page = desk.submit(f"/desk/tickets/{ticket}/resoudre", form, follow_redirects=True)
    assert "Fiche inconnue" in page.text and _ticket(app, ticket).status == "new"
    desk.submit(f"/desk/tickets/{ticket}/resoudre", {**form, "articles": [ARTICLE]})
    assert _ticket(app, ticket).status == "resolved"


def test_self_resolution_with_an_unknown_article_is_refused_and_not_counted(app):
    before = _stats(app, UNKNOWN)
    employee = Api(app, "employee_a")
    ticket = employee.post("/api/v1/tickets", json={"title": "Imprimante muette", "description": "Rien ne sort."}).get_json()
    response = employee.post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={"article_id": UNKNOWN})
    assert response.status_code == 422 and "article_id" in response.get_json()["error"]["fields"]
    assert _ticket(app, ticket["id"]).status == "new" and _stats(app, UNKNOWN) == before


# --- self-resolution is a real transition ------------------------------------------------------------------------


def test_self_resolution_goes_through_the_state_machine_with_history_and_events(app):
    before = _stats(app, ARTICLE)
    employee = Api(app, "employee_a")
    ticket = employee.post("/api/v1/tickets", json={"title": "Wi-Fi capricieux", "description": "Coupe souvent."}).get_json()
    response = employee.post(f"/api/v1/tickets/{ticket['id']}/self-resolution", json={"article_id": ARTICLE})
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    with app.extensions["guichet_db"].reader() as session:
        lines = [(e.field, e.old, e.new, e.reason) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket["id"]).order_by(TicketEvent.id))]
    assert ("status", "new", "closed", "résolu par le demandeur (libre-service)") in lines
    assert ("article", None, ARTICLE, None) in lines
    names = [name for name, _ in _outbox(app, ticket["id"])]
    assert names[0] == "ticket.created" and "ticket.resolved" in names and "ticket.closed" in names
    resolved = dict(_outbox(app, ticket["id"]))["ticket.resolved"]
    assert resolved == {"articles": [ARTICLE], "kb_gap": False, "self_service": True}
    assert _stats(app, ARTICLE) == before + 1
    # the requester's shortcut is not a /transitions move: new → closed stays the system's there
    other = employee.post("/api/v1/tickets", json={"title": "Souris", "description": "Ne clique plus."}).get_json()
    assert employee.post(f"/api/v1/tickets/{other['id']}/transitions", json={"to": "closed"}).status_code == 403


# --- an escalation needs its reason everywhere ------------------------------------------------------------------


def test_an_escalation_needs_a_reason_through_the_api_the_desk_and_the_action(app, browser):
    ticket = new_ticket(app, "employee_a")
    response = Api(app, "n1").post(f"/api/v1/tickets/{ticket}/escalations", json={"reason": "trop"})
    assert response.status_code == 422
    page = browser("n1").submit(f"/desk/tickets/{ticket}/escalader", {"reason": "   court   "}, follow_redirects=True)
    assert "Motivez l" in page.text
    with app.app_context(), app.extensions["guichet_db"].writer() as session:
        tech = session.scalar(select(Person).where(Person.email == "julie.martin@ferrand-associes.fr"))
        with pytest.raises(Invalid):
            workflow.escalate(session, get_ctx(), tech, ticket, " " * 20)
    assert _ticket(app, ticket).level == "N1"
    browser("n1").submit(f"/desk/tickets/{ticket}/escalader", {"reason": "Besoin des droits d'administration N2."})
    assert _ticket(app, ticket).level == "N2"


# --- an approver decides, never writes on someone else's request ----------------------------------------------


def test_an_approver_cannot_attach_a_file_to_the_request_through_any_door(app, browser):
    requester = Api(app, "employee_a")
    ticket = requester.post("/api/v1/tickets", json={"title": "Accès compta", "description": "Pour la clôture.",
                                                     "type": "access_request",
                                                     "catalogue_item": "dossier-comptabilite"}).get_json()
    approver = Api(app, "approver")
    assert approver.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200  # the approver sees the request
    response = approver.post(f"/api/v1/tickets/{ticket['id']}/attachments",
                             data={"file": (io.BytesIO(b"faux document"), "note.txt")}, content_type="multipart/form-data")
    assert response.status_code == 403
    page = browser("approver").submit(f"/mes-demandes/{ticket['id']}/repondre",
                                      {"body": "", "file": (io.BytesIO(b"faux"), "note.txt")},
                                      content_type="multipart/form-data", follow_redirects=True)
    assert page.status_code == 200 and "Seul le demandeur" in page.text
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket["id"])) == 0
    mine = requester.post(f"/api/v1/tickets/{ticket['id']}/attachments",
                          data={"file": (io.BytesIO(b"justificatif"), "justif.txt")}, content_type="multipart/form-data")
    assert mine.status_code == 201


# --- one idempotent create for the API and the no-JS form --------------------------------------------------------


def test_the_same_key_makes_one_ticket_through_the_api_and_through_the_no_js_form(app, browser):
    employee = Api(app, "employee_b")
    body = {"title": "Téléphone sans tonalité", "description": "Le poste fixe ne sonne plus."}
    first = employee.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "cle-unique-0001"})
    again = employee.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "cle-unique-0001"})
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == again.get_json()["id"]
    client = browser("employee_b")
    form = {"title": "Casque muet", "description": "Plus de son dans le casque.", "form_key": "cle-formulaire-42"}
    pages = [client.submit("/aide/formulaire", form) for _ in range(2)]
    numbers = {re.search(r"Demande n° (\d+) créée", p.text).group(1) for p in pages}
    assert len(numbers) == 1
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.title == "Casque muet")) == 1
    created = [name for name, data in _outbox(app, int(numbers.pop())) if name == "ticket.created"]
    assert created == ["ticket.created"]  # one event for one ticket, however often the form was sent


# --- the outbox holds what was committed, nothing of what was refused --------------------------------------------


def test_a_refused_action_leaves_no_event_and_a_committed_one_leaves_its_events(app):
    ticket = new_ticket(app, "employee_a")
    n1 = Api(app, "n1")
    before = _outbox(app, ticket)
    refused = n1.post(f"/api/v1/tickets/{ticket}/transitions", json={"to": "resolved", "note": "court"})
    assert refused.status_code == 422 and _outbox(app, ticket) == before
    assert n1.post(f"/api/v1/tickets/{ticket}/comments", json={"body": "Je regarde."}).status_code == 201
    assert n1.post(f"/api/v1/tickets/{ticket}/transitions", json={"to": "in_progress"}).status_code == 200
    names = [name for name, _ in _outbox(app, ticket)][len(before):]
    assert names == ["ticket.commented", "ticket.transitioned"]
    assert _outbox(app, ticket)[-1][1] == {"old": "new", "new": "in_progress", "reason": None}


# --- time comes from the Context's clock ------------------------------------------------------------------------


def test_actions_take_their_time_from_the_context_clock(app):
    from dataclasses import replace
    from datetime import datetime, timezone

    from ticket_service.actions import tickets as ticket_actions
    from ticket_service.domain.clock import FixedClock

    at = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday morning, whatever today is
    with app.app_context(), app.extensions["guichet_db"].writer() as session:
        ctx = replace(get_ctx(), clock=FixedClock(at))
        person = session.scalar(select(Person).where(Person.email == "claire.rousseau@ferrand-associes.fr"))
        created = ticket_actions.create_ticket(session, ctx, person, {"title": "Badge refusé",
                                                                      "description": "La porte reste fermée."})
        ticket_id = created.ticket.id
    ticket = _ticket(app, ticket_id)
    assert ticket.created_at == at and ticket.first_response_due > at
    with app.extensions["guichet_db"].reader() as session:
        event = session.scalar(select(OutboxEvent).where(OutboxEvent.ticket_id == ticket_id))
    assert (event.name, event.at) == ("ticket.created", at)
