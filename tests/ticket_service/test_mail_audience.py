"""Mails beyond the requester's: approvals with signed approve/reject links, major incidents to the people concerned,
the survey link of the closed mail; each delivered to a real SMTP peer (aiosmtpd) and parsed."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from test_mail_out import app, deliver, empty_outbox, parts, peer  # noqa: F401  (fixtures: one app, one SMTP peer)
from ticket_service.domain import mail_audience
from ticket_service.domain.clock import FixedClock
from ticket_service.notify import compose
from ticket_service.settings import DEFAULTS
from tshelpers import CSRF, ROLES, new_ticket

BASE = "https://guichet.example.org"
LINK = re.compile(r"https://guichet\.example\.org(/courriel/\S+)")


def now() -> FixedClock:
    return FixedClock(datetime.now(timezone.utc))


def received(peer, notification: str) -> dict[str, object]:  # noqa: F811
    """Return the received mails of one notification, by recipient address."""
    found = {}
    for recipients, message in peer.received:
        if message["X-Guichet-Notification"] == notification:
            assert len(recipients) == 1
            found[recipients[0]] = message
    return found


def click(client, path: str, **fields):
    """Open a mail link, then submit its one form with the page's CSRF token."""
    page = client.get(path)
    assert page.status_code == 200 and 'id="link-form"' in page.text, page.text
    return client.post(path, data={"csrf_token": CSRF.search(page.text).group(1), **fields})


def test_every_notification_is_classed_essential_or_optional():
    assert set(mail_audience.ESSENTIAL) | set(mail_audience.OPTIONAL) == set(compose.NOTIFICATIONS)
    assert not set(mail_audience.ESSENTIAL) & set(mail_audience.OPTIONAL)
    everything = frozenset(compose.NOTIFICATIONS)
    assert {n for n in compose.NOTIFICATIONS if mail_audience.wanted(n, everything)} == set(mail_audience.ESSENTIAL)
    assert mail_audience.may_switch_off("closed") and not mail_audience.may_switch_off("approval_requested")


def test_an_access_request_asks_each_designated_approver_with_signed_links_that_need_a_click(app, api, peer):
    ticket = new_ticket(api("employee_a"), type="access_request", catalogue_item="logiciel-paie",  # quorum 2
                        title="Accès au logiciel de paie", description="Pour la clôture de décembre.")
    deliver(app, now())
    asked = received(peer, "approval_requested")
    assert set(asked) == {ROLES["approver"], ROLES["approver_2"]}
    assert set(received(peer, "acknowledgement")) == {ROLES["employee_a"]}
    message = asked[ROLES["approver"]]
    assert message["Subject"] == f"[#{ticket['id']}] Validation demandée : Accès au logiciel de paie"
    body = parts(message)
    assert "Claire Rousseau" in body["text/plain"] and "Pour la clôture de décembre." in body["text/html"]
    approve, reject = (LINK.search(line).group(1) for line in body["text/plain"].splitlines()
                       if line.startswith(("Valider :", "Refuser :")))
    assert f'href="{BASE}{approve}"' in body["text/html"]
    visitor = app.test_client()  # no session: the approver's phone, or a gateway that prefetches links
    assert visitor.get(approve).status_code == 200 and visitor.get(reject).status_code == 200
    assert api("employee_a").get(f"/api/v1/tickets/{ticket['id']}").get_json()["status"] == "awaiting_approval"
    assert visitor.post(approve).status_code == 400  # no CSRF token
    assert click(visitor, approve, comment="D'accord.").status_code == 303
    decisions = api("employee_a").get(f"/api/v1/tickets/{ticket['id']}/approvals").get_json()["items"]
    assert [d["decision"] for d in decisions] == ["approved"]
    assert 'id="link-done"' in visitor.get(approve).text and 'id="link-form"' not in visitor.get(reject).text
    other = parts(asked[ROLES["approver_2"]])["text/plain"]
    other_reject = next(LINK.search(line).group(1) for line in other.splitlines() if line.startswith("Refuser :"))
    assert click(visitor, other_reject, comment="Pas pour ce poste.").status_code == 303
    assert api("employee_a").get(f"/api/v1/tickets/{ticket['id']}").get_json()["status"] == "rejected"


def test_a_tampered_or_expired_approval_link_gives_a_french_page_and_changes_nothing(app, api, peer):
    ticket = new_ticket(api("employee_a"), type="access_request", catalogue_item="vpn-nomade")  # approver: marc
    deliver(app, now())
    [message] = received(peer, "approval_requested").values()
    approve = LINK.search(parts(message)["text/plain"].split("Valider :")[1]).group(1)
    visitor = app.test_client()
    forged = visitor.get(approve[:-4] + "abcd")
    assert forged.status_code == 400 and "pas valide" in forged.text and 'id="link-form"' not in forged.text
    assert visitor.post(approve[:-4] + "abcd").status_code == 400
    ctx = app.extensions["guichet_context"]
    later = datetime.now(timezone.utc) + timedelta(days=DEFAULTS["MAIL_LINK_DAYS"], hours=1)
    app.extensions["guichet_context"] = replace(ctx, clock=FixedClock(later))
    try:
        page = visitor.get(approve)
        assert page.status_code == 410 and "Ce lien a expiré" in page.text and 'id="link-form"' not in page.text
    finally:
        app.extensions["guichet_context"] = ctx
    assert api("employee_a").get(f"/api/v1/tickets/{ticket['id']}/approvals").get_json()["items"] == []


def test_a_major_incident_mails_the_people_concerned_once_when_declared_and_when_resolved(app, api, users, peer):
    tech = api("n1")
    incident = new_ticket(api("employee_a"), title="Plus de messagerie", description="Outlook ne se connecte plus.")
    linked = new_ticket(api("approver_2"), title="Messagerie en panne", description="Idem.")
    assert tech.post(f"/api/v1/tickets/{linked['id']}/links",
                     json={"target_id": incident["id"], "kind": "related"}).status_code == 201
    url = f"/api/v1/tickets/{incident['id']}/publication"
    public = {"public_title": "Messagerie indisponible", "public_text": "La messagerie est coupée pour tous."}
    assert tech.post(url, json=public).status_code < 300  # published, not major: no announcement
    assert api("employee_b").post(f"/api/v1/incidents/{incident['id']}/join").status_code == 201
    deliver(app, now())
    assert received(peer, "major_incident_opened") == {}
    peer.received.clear()
    tech.post(url, json={**public, "major": True})
    tech.post(url, json={**public, "public_text": "Retour prévu vers 15 h.", "major": True})  # an edit: no resend
    deliver(app, now())
    opened = received(peer, "major_incident_opened")
    concerned = {ROLES[r] for r in ("n1", "n1_bis", "employee_a", "employee_b", "approver_2")}
    assert set(opened) == concerned and len(peer.received) == len(concerned)
    staff, employee = parts(opened[ROLES["n1"]]), parts(opened[ROLES["employee_b"]])
    subject = f"[#{incident['id']}] Incident majeur en cours : Messagerie indisponible"
    assert opened[ROLES["employee_b"]]["Subject"] == subject
    assert f"{BASE}/desk/tickets/{incident['id']}" in staff["text/plain"]
    assert "Outlook ne se connecte plus" not in employee["text/plain"] + employee["text/html"]  # public text only
    assert len({m["Message-ID"] for m in opened.values()}) == len(concerned)
    peer.received.clear()
    tech.post(f"/api/v1/tickets/{incident['id']}/transitions",
              json={"to": "resolved", "note": "Serveur redémarré.", "kb_gap": True})
    deliver(app, now())
    deliver(app, now())  # a second run sends nothing more
    assert set(received(peer, "resolved")) == {ROLES["employee_a"]}  # the requester: the mail with its links
    resolved = received(peer, "major_incident_resolved")
    assert set(resolved) == concerned - {ROLES["employee_a"]} and len(peer.received) == len(concerned)
    assert "Serveur redémarré" not in parts(resolved[ROLES["employee_b"]])["text/plain"]  # internal to the desk


def test_the_closed_mail_carries_a_signed_survey_link_to_a_click_through_rating(app, api, peer):
    employee, tech = api("employee_a"), api("n1")
    ticket = new_ticket(employee)
    tech.post(f"/api/v1/tickets/{ticket['id']}/transitions",
              json={"to": "resolved", "note": "Câble changé.", "kb_gap": True})
    employee.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "closed"})
    deliver(app, now())
    [closed] = received(peer, "closed").values()
    text = parts(closed)["text/plain"]
    rate = LINK.search(text.split("traitement :")[1]).group(1)
    assert f'href="{BASE}{rate}"' in parts(closed)["text/html"]
    visitor = app.test_client()
    assert visitor.post(rate, data={"rating": "5"}).status_code == 400  # no CSRF token
    assert employee.get(f"/api/v1/tickets/{ticket['id']}").get_json()["satisfaction_rating"] is None
    assert click(visitor, rate, rating="4", comment="Rapide.").status_code == 303
    assert employee.get(f"/api/v1/tickets/{ticket['id']}").get_json()["satisfaction_rating"] == 4
    assert 'id="link-done"' in visitor.get(rate).text  # rated once: no form any more


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_new_notifications_render_in_both_languages_text_and_html(app, api, database, language):
    from ticket_service.notify import mail

    access = new_ticket(api("employee_a"), type="access_request", catalogue_item="vpn-nomade")
    incident = new_ticket(api("employee_a"))
    api("n1").post(f"/api/v1/tickets/{incident['id']}/publication",
                   json={"public_title": "Panne", "public_text": "Texte public.", "major": True})
    with app.app_context():
        setting = replace(mail.setting(app), language=language)
    at = datetime.now(timezone.utc)
    cases = {"approval_requested": ("ticket.created", access["id"], {}),
             "major_incident_opened": ("incident.published", incident["id"], {"published": True, "major": True}),
             "major_incident_resolved": ("ticket.resolved", incident["id"], {})}
    with database.reader() as db:
        for notification, (name, ticket_id, payload) in cases.items():
            mails = [m for m in compose.mails_for(db, setting, 1, name, ticket_id, payload, at=at)
                     if m.notification == notification]
            assert mails, notification
            for m in mails:
                assert m.subject.startswith(f"[#{ticket_id}]") and "\n" not in m.subject
                assert m.text.strip() and m.html.lstrip().startswith("<!doctype html>")
                assert f'lang="{language}"' in m.html and "{{" not in m.text + m.html


def test_line_breaks_typed_in_a_title_or_a_name_never_become_headers(app, api, database, peer, users):
    """E-06: a title or a display name carrying CR/LF and a Bcc line leaves as one line, to its one recipient."""
    from sqlalchemy import update

    from ticket_service.store.models import Person, Ticket

    ticket = new_ticket(api("employee_a"), type="access_request", catalogue_item="vpn-nomade")
    with database.write() as db:  # as a directory sync or an inbound mail could write them
        db.execute(update(Ticket).where(Ticket.id == ticket["id"]).values(title="VPN\r\nBcc: eve@evil.test"))
        db.execute(update(Person).where(Person.id == users["approver_2"]).values(name="Marc\r\nBcc: eve@evil.test"))
    try:
        deliver(app, now())
    finally:
        with database.write() as db:
            db.execute(update(Person).where(Person.id == users["approver_2"]).values(name="Marc Dubois"))
    assert sorted(to for recipients, _ in peer.received for to in recipients) == sorted(
        [ROLES["employee_a"], ROLES["approver_2"]])
    for _, message in peer.received:
        assert message["Bcc"] is None and "\n" not in message["Subject"] and "\n" not in str(message["To"])
