"""The employee portal: own requests only, public conversation only, resolution confirmed or refused, rating, approvals."""

from __future__ import annotations

import io

from web_fixtures import new_ticket
from sqlalchemy import select

from ticket_service.store.models import Approval, Attachment, Comment, Ticket

CANARY_NOTE = "CANARY-NOTE-7f3a"
CANARY_OTHER = "CANARY-OTHER-91bc"


def _ticket(app, ticket_id):
    with app.extensions["guichet_db"].reader() as session:
        return session.get(Ticket, ticket_id)


def test_my_requests_lists_only_mine_with_status_priority_promise(app, browser):
    mine = new_ticket(app, "employee_a", title="Souris sans fil muette", impact="low", urgency="high")
    new_ticket(app, "employee_b", title=f"Clavier {CANARY_OTHER}")
    page = browser("employee_a").get("/mes-demandes")
    assert page.status_code == 200
    assert "Souris sans fil muette" in page.text and f"/mes-demandes/{mine}" in page.text
    assert CANARY_OTHER not in page.text and "Lucas Petit" not in page.text
    assert "Nouveau" in page.text and "P3" in page.text and "résolution visée avant le" in page.text


def test_another_employees_request_is_404_on_every_portal_route(app, browser):
    other = new_ticket(app, "employee_b", title=f"Écran {CANARY_OTHER}")
    client = browser("employee_a")
    page = client.get(f"/mes-demandes/{other}")
    assert page.status_code == 404 and CANARY_OTHER not in page.text
    for action in ("repondre", "resolu", "non-resolu", "evaluer", "decision"):
        response = client.submit(f"/mes-demandes/{other}/{action}", {"body": "x", "reason": "x", "rating": "5"})
        assert response.status_code == 404, action
    assert client.get("/mes-demandes/999999").status_code == 404


def test_internal_notes_never_reach_the_requester(app, browser, ids):
    ticket = new_ticket(app, "employee_a", title="Wifi instable")
    tech = browser("n1")
    assert tech.submit(f"/desk/tickets/{ticket}/commentaire", {"body": f"Note {CANARY_NOTE}", "internal": "1"}).status_code == 303
    assert tech.submit(f"/desk/tickets/{ticket}/commentaire", {"body": "Bonjour, pouvez-vous redémarrer ?"}).status_code == 303
    desk = tech.get(f"/desk/tickets/{ticket}")
    assert CANARY_NOTE in desk.text and "Note interne" in desk.text and "Réponse publique" in desk.text
    portal = browser("employee_a").get(f"/mes-demandes/{ticket}")
    assert "pouvez-vous redémarrer" in portal.text
    assert CANARY_NOTE not in portal.text and "Note interne" not in portal.text
    assert CANARY_NOTE not in browser("employee_a").get("/mes-demandes").text


def test_reply_with_attachment_resumes_a_waiting_request(app, browser):
    ticket = new_ticket(app, "employee_a", title="Imprimante bloquée")
    tech = browser("n1")
    tech.submit(f"/desk/tickets/{ticket}/prendre")
    tech.submit(f"/desk/tickets/{ticket}/statut", {"to": "waiting", "body": "Quel est le message affiché ?"})
    assert _ticket(app, ticket).status == "waiting"
    client = browser("employee_a")
    response = client.client.post(f"/mes-demandes/{ticket}/repondre", data={
        "csrf_token": client.token(), "body": "Voici la capture", "file": (io.BytesIO(b"%PDF-1.4 capture"), "capture.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert _ticket(app, ticket).status == "in_progress"
    page = client.get(f"/mes-demandes/{ticket}")
    assert "Voici la capture" in page.text and "capture.pdf" in page.text
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Attachment).where(Attachment.ticket_id == ticket)).internal is False


def test_rejected_upload_leaves_no_comment(app, browser):
    ticket = new_ticket(app, "employee_a", title="Fichier refusé")
    client = browser("employee_a")
    response = client.client.post(f"/mes-demandes/{ticket}/repondre", data={
        "csrf_token": client.token(), "body": "piège", "file": (io.BytesIO(b"<script>x</script>"), "x.html")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Type de fichier non accepté" in response.text
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Comment).where(Comment.ticket_id == ticket)) is None


def test_confirm_resolution_then_rate(app, browser):
    ticket = new_ticket(app, "employee_a", title="Mot de passe expiré")
    browser("n1").submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Mot de passe réinitialisé avec vous.", "kb_gap": "1"})
    client = browser("employee_a")
    page = client.get(f"/mes-demandes/{ticket}")
    assert "C'est résolu" in page.text and "Ce n'est pas résolu" in page.text
    assert client.submit(f"/mes-demandes/{ticket}/resolu").status_code == 303
    assert _ticket(app, ticket).status == "closed"
    assert client.submit(f"/mes-demandes/{ticket}/evaluer", {"rating": "4", "comment": "Rapide"}).status_code == 303
    assert _ticket(app, ticket).satisfaction_rating == 4
    again = client.submit(f"/mes-demandes/{ticket}/evaluer", {"rating": "1"}, follow_redirects=True)
    assert "déjà évalué" in again.text and _ticket(app, ticket).satisfaction_rating == 4


def test_not_resolved_reopens_with_a_reason(app, browser):
    ticket = new_ticket(app, "employee_a", title="Teams sans micro")
    browser("n1").submit(f"/desk/tickets/{ticket}/resoudre", {"note": "Pilote audio réinstallé.", "kb_gap": "1"})
    client = browser("employee_a")
    empty = client.submit(f"/mes-demandes/{ticket}/non-resolu", {"reason": ""}, follow_redirects=True)
    assert "Dites ce qui ne va pas encore" in empty.text and _ticket(app, ticket).status == "resolved"
    client.submit(f"/mes-demandes/{ticket}/non-resolu", {"reason": "Toujours pas de micro"})
    reopened = _ticket(app, ticket)
    assert reopened.status == "in_progress" and reopened.reopen_count == 1


def test_approver_sees_and_approves_an_access_request(app, browser, ids):
    ticket = new_ticket(app, "employee_b", title="Accès compta", type="access_request", catalogue_item="dossier-comptabilite")
    approver = browser("approver")
    assert f"/mes-demandes/{ticket}" in approver.get("/mes-demandes/a-valider").text
    page = approver.get(f"/mes-demandes/{ticket}")
    assert page.status_code == 200 and "Valider" in page.text and "Lucas Petit" in page.text
    assert approver.submit(f"/mes-demandes/{ticket}/decision", {"decision": "approved", "comment": "OK"}).status_code == 303
    assert _ticket(app, ticket).status == "new"
    with app.extensions["guichet_db"].reader() as session:
        assert session.scalar(select(Approval).where(Approval.ticket_id == ticket)).comment == "OK"
    assert f"/mes-demandes/{ticket}" not in approver.get("/mes-demandes/a-valider").text


def test_approver_cannot_open_other_requests_and_employees_cannot_decide(app, browser):
    incident = new_ticket(app, "employee_b", title="Incident privé")
    assert browser("approver").get(f"/mes-demandes/{incident}").status_code == 404
    access = new_ticket(app, "employee_b", title="Accès CRM", type="access_request", catalogue_item="crm-clients")
    assert browser("approver_2").get(f"/mes-demandes/{access}").status_code == 404  # not designated for crm-clients
    assert browser("employee_a").get(f"/mes-demandes/{access}").status_code == 404
    assert "Aucune demande" in browser("employee_a").get("/mes-demandes/a-valider").text


def test_requester_reject_flow_shows_the_decision(app, browser):
    access = new_ticket(app, "employee_a", title="Accès paie", type="access_request", catalogue_item="crm-clients")
    browser("approver").submit(f"/mes-demandes/{access}/decision", {"decision": "rejected", "comment": "Pas pour ce poste"})
    page = browser("employee_a").get(f"/mes-demandes/{access}")
    assert "Refusé" in page.text and "Pas pour ce poste" in page.text
