"""The mail-out scenario on the demo company: each notification reaches a real SMTP peer at its moment.

A scripted day on a fixed clock; after each step the worker's job (``outbox.deliver``) runs, and the test checks
exactly which notifications arrived, to whom. Run with ``-s`` to see the subject lines it prints.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from mail_peer import Peer
from ticket_service.domain.clock import FixedClock
from ticket_service.jobs import run_now
from ticket_service.settings import DEFAULTS
from ticket_service.store.models import OutboxDelivery, OutboxEvent
from tshelpers import CSRF, ROLES, Api, migrated_app, new_ticket

START = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)  # a Monday, 9:00 in Paris: business hours
LINK = re.compile(r"https://guichet\.example\.org(/courriel/\S+)")


@pytest.fixture(params=["sqlite", "postgresql"])
def company(request, tmp_path):
    peer = Peer().start()
    intervals = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}
    with migrated_app(request.param, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=peer.port, SMTP_SECURITY="none",
                      MAIL_FROM="Support <support@ferrand-associes.fr>", PUBLIC_URL="https://guichet.example.org",
                      JOB_INTERVALS=intervals) as app:
        with app.extensions["guichet_db"].write() as db:  # the demo's own history is not the scenario's
            db.execute(delete(OutboxDelivery))
            db.execute(delete(OutboxEvent))
        try:
            yield app, peer
        finally:
            peer.stop()


class Scenario:
    """Drives the app's clock and the worker's delivery job, and keeps what each step received."""

    def __init__(self, app, peer):
        self.app, self.peer, self.at = app, peer, START
        self.ours: set[int] = set()  # the scenario's tickets
        self.ctx = app.extensions["guichet_context"]
        self.log: list[tuple[str, str, str]] = []  # (step, recipient, subject)
        self.others = 0  # mails about the demo's own tickets (the SLA watch also sees them)
        self.tick(timedelta())

    def tick(self, delta: timedelta) -> None:
        self.at += delta
        self.app.extensions["guichet_context"] = replace(self.ctx, clock=FixedClock(self.at))

    def step(self, name: str) -> dict[str, set[str]]:
        """Deliver the outbox now; return the notifications received since the last step, with their recipients."""
        self.peer.received.clear()
        run_now(self.app, "outbox.deliver", clock=FixedClock(self.at))
        got: dict[str, set[str]] = {}
        for recipients, message in self.peer.received:
            if int(message["Subject"][2:].split("]")[0]) not in self.ours:
                self.others += 1
                continue
            got.setdefault(message["X-Guichet-Notification"], set()).update(recipients)
            self.log.append((name, recipients[0], message["Subject"]))
            assert "\n" not in message["Subject"] and message["Message-ID"]
        self.last = list(self.peer.received)
        return got

    def link(self, notification: str, to: str, label: str) -> str:
        for recipients, message in self.last:
            if message["X-Guichet-Notification"] == notification and recipients == [to]:
                text = message.get_body(("plain",)).get_content()
                return LINK.search(text.split(label)[1]).group(1)
        raise AssertionError(f"no {notification} mail to {to}")

    def click(self, path: str, **fields) -> None:
        visitor = self.app.test_client()
        page = visitor.get(path)
        assert page.status_code == 200 and 'id="link-form"' in page.text, page.text
        assert visitor.post(path, data={"csrf_token": CSRF.search(page.text).group(1), **fields}).status_code == 303


def test_every_notification_arrives_at_its_moment_on_the_demo_data(company):
    app, peer = company
    run = Scenario(app, peer)
    claire, lucas, julie, karim, marc = (ROLES[r] for r in ("employee_a", "employee_b", "n1", "n1_bis", "approver_2"))
    employee, tech, other = Api(app, "employee_a"), Api(app, "n1"), Api(app, "employee_b")

    printer = new_ticket(employee, title="Imprimante du 2e étage hors ligne", description="Elle n'imprime plus rien.")
    run.ours.add(printer["id"])
    assert run.step("1. demande créée") == {"acknowledgement": {claire}}
    url = f"/api/v1/tickets/{printer['id']}"
    run.tick(timedelta(minutes=10))
    tech.post(url + "/comments", json={"body": "Je regarde la file d'impression."})
    assert run.step("2. réponse publique") == {"reply": {claire}}
    tech.post(url + "/delays", json={"due_at": "2026-12-09T14:00", "reason": "pièce commandée"})
    assert run.step("2b. délai annoncé") == {"delay_announced": {claire}}
    tech.post(url + "/transitions", json={"to": "waiting", "reason": "L'imprimante affiche-t-elle un code ?"})
    assert run.step("3. en attente") == {"waiting": {claire}}
    run.tick(timedelta(days=2))  # Wednesday 9:10: 19 business hours on hold (waiting.reminder_after)
    run_now(app, "tickets.waiting_reminder", clock=FixedClock(run.at))
    assert run.step("3b. rappel d'attente") == {"waiting_reminder": {claire}}
    employee.post(url + "/comments", json={"body": "Code E-52."})
    assert run.step("4. le demandeur répond") == {}
    tech.post(url + "/transitions", json={"to": "resolved", "note": "Bac 2 remis en place.", "kb_gap": True})
    assert run.step("5. résolue") == {"resolved": {claire}}
    run.click(run.link("resolved", claire, "C'est résolu :"))  # « C'est résolu » from the mail
    assert run.step("6. confirmée depuis le courriel") == {"closed": {claire}}
    run.click(run.link("closed", claire, "traitement :"), rating="5")  # the survey, from the closed mail
    assert employee.get(url).get_json()["satisfaction_rating"] == 5

    access = new_ticket(other, type="access_request", catalogue_item="vpn-nomade", title="VPN en déplacement")
    run.ours.add(access["id"])
    assert run.step("7. demande d'accès") == {"acknowledgement": {lucas}, "approval_requested": {marc}}
    run.click(run.link("approval_requested", marc, "Valider :"), comment="OK pour la mission.")
    assert other.get(f"/api/v1/tickets/{access['id']}").get_json()["status"] == "new"
    assert run.step("8. validée depuis le courriel") == {}

    outage = new_ticket(employee, title="Messagerie coupée", description="Outlook ne se connecte plus.")
    run.ours.add(outage["id"])
    run.step("9. incident signalé")
    public = {"public_title": "Messagerie indisponible", "public_text": "La messagerie est coupée pour tous."}
    tech.post(f"/api/v1/tickets/{outage['id']}/publication", json=public)
    assert other.post(f"/api/v1/incidents/{outage['id']}/join").status_code == 201  # « moi aussi »
    tech.post(f"/api/v1/tickets/{outage['id']}/publication", json={**public, "major": True})
    assert run.step("10. incident majeur déclaré") == {"major_incident_opened": {claire, lucas, julie, karim}}
    tech.post(f"/api/v1/tickets/{outage['id']}/transitions",
              json={"to": "resolved", "note": "Serveur redémarré.", "kb_gap": True})
    assert run.step("11. incident majeur résolu") == {"resolved": {claire},
                                                      "major_incident_resolved": {lucas, julie, karim}}

    urgent = new_ticket(employee, title="Agence de Lyon sans réseau", description="Plus rien ne passe.",
                        impact="high", urgency="high")  # P1: first response within 30 business minutes
    assert urgent["priority"] == "P1"
    run.ours.add(urgent["id"])
    run.step("12. P1 créé")
    run.tick(timedelta(minutes=25))  # past 75 % of the first-response target
    run_now(app, "sla.watch", clock=FixedClock(run.at))
    got = run.step("13. SLA à risque")
    assert set(got) == {"sla_at_risk"} and julie in got["sla_at_risk"]
    run.tick(timedelta(minutes=10))  # past the target: breach, and the group lead is told
    run_now(app, "sla.watch", clock=FixedClock(run.at))
    got = run.step("14. SLA dépassé")
    assert set(got) == {"sla_breached"} and julie in got["sla_breached"]
    assert run.step("15. rien de plus") == {}

    assert {s.split("]")[0] for _, _, s in run.log} == {f"[#{t['id']}" for t in (printer, access, outage, urgent)}
    print(f"\n{len(run.log)} mails of the scenario ({run.others} more about the demo's own tickets' SLA)")
    print("\n".join(f"{step:<34} {to:<40} {subject}" for step, to, subject in run.log))
