"""Journeys that start in a received mail: Chromium follows the signed links of the mails `guichet serve` sent to a
real SMTP peer, to « C'est résolu » and to an approval, each a page that asks for one click first."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time

import pytest
from desk_browser import DEMO_PASSWORD, ROOT, shot, sign_in
from servers import free_port, running_service


def _mail_peer():
    """Return the SMTP peer module of the mail tests (tests/ticket_service/mail_peer.py), loaded once."""
    if "mail_peer" not in sys.modules:
        spec = importlib.util.spec_from_file_location("mail_peer", ROOT / "tests" / "ticket_service" / "mail_peer.py")
        sys.modules["mail_peer"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["mail_peer"]


Peer = _mail_peer().Peer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
D = "@ferrand-associes.fr"
MAIL_WAIT = 20.0  # seconds: serve hands the outbox to SMTP every second here


@pytest.fixture(scope="module")
def mailing_service(tmp_path_factory):
    """Serve the demo company with SMTP to a local aiosmtpd peer and its public URL on loopback."""
    peer = Peer().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"GUICHET_INSTANCE_PATH": str(tmp_path_factory.mktemp("mail-instance")),
           "GUICHET_SITE_DIR": str(tmp_path_factory.mktemp("mail-site")), "GUICHET_DEMO_MODE": "true",
           "GUICHET_DEMO_PASSWORD": DEMO_PASSWORD, "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
           "GUICHET_KB_REVISION": "browser-test", "GUICHET_PUBLIC_URL": base, "GUICHET_SMTP_HOST": "127.0.0.1",
           "GUICHET_SMTP_PORT": str(peer.port), "GUICHET_SMTP_SECURITY": "none",
           "GUICHET_MAIL_FROM": "Support <support@ferrand-associes.fr>",
           "GUICHET_JOB_INTERVALS": json.dumps({"outbox.deliver": 1})}
    try:
        with running_service(env, cwd=ROOT, port=port, demo=True) as served:
            yield served, peer
    finally:
        peer.stop()


def signed_in(chromium, base: str, email: str):
    """Return (page, csrf token) of a person signed in through the form."""
    context = chromium.new_context(base_url=base, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, email)
    return page, page.request.get("/api/v1/session").json()["csrf_token"]


def api(page, csrf: str, path: str, body: dict) -> dict:
    response = page.request.post(path, data=json.dumps(body),
                                 headers={"X-CSRFToken": csrf, "Content-Type": "application/json"})
    assert response.ok, response.text()
    return response.json()


def mail_link(peer, ticket_id: int, notification: str, to: str, label: str) -> str:
    """Wait for the mail, then return the address after ``label`` in its text part."""
    deadline = time.monotonic() + MAIL_WAIT
    while time.monotonic() < deadline:
        for recipients, message in list(peer.received):
            if (message["X-Guichet-Notification"] == notification and recipients == [to]
                    and message["Subject"].startswith(f"[#{ticket_id}]")):
                text = message.get_body(("plain",)).get_content()
                return re.search(r"(http://127\.0\.0\.1:\d+/courriel/\S+)", text.split(label)[1]).group(1)
        time.sleep(0.1)
    raise AssertionError(f"no {notification} mail for #{ticket_id} to {to} within {MAIL_WAIT} s")


def fresh_page(chromium, base: str):
    """A browser with no session: the phone on which the mail is read."""
    page = chromium.new_context(base_url=base, locale="fr-FR").new_page()
    page.set_default_timeout(10_000)
    return page


def test_from_the_resolved_mail_to_cest_resolu(chromium, mailing_service):
    base, peer = mailing_service
    employee, employee_csrf = signed_in(chromium, base, f"emma.lefebvre{D}")
    tech, tech_csrf = signed_in(chromium, base, f"julie.martin{D}")
    ticket = api(employee, employee_csrf, "/api/v1/tickets",
                 {"title": "Souris sans fil muette", "description": "La souris ne répond plus."})
    api(tech, tech_csrf, f"/api/v1/tickets/{ticket['id']}/transitions",
        {"to": "resolved", "note": "Piles changées.", "kb_gap": True})
    link = mail_link(peer, ticket["id"], "resolved", f"emma.lefebvre{D}", "C'est résolu :")
    phone = fresh_page(chromium, base)
    phone.goto(link)
    assert "Confirmez-vous que le problème est résolu" in phone.locator("#link-form").inner_text()
    assert employee.request.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "resolved"  # opening: nothing
    shot(phone, "mail-link-resolved")
    phone.get_by_role("button", name="C'est résolu").click()
    phone.wait_for_load_state()
    assert "Merci ! Votre demande est close." in phone.locator(".flash-success").inner_text()
    assert employee.request.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "closed"
    assert phone.locator("#link-done").is_visible()


def test_from_the_approval_mail_to_the_decision(chromium, mailing_service):
    base, peer = mailing_service
    employee, csrf = signed_in(chromium, base, f"emma.lefebvre{D}")
    ticket = api(employee, csrf, "/api/v1/tickets", {"title": "VPN pour la mission à Lyon", "description": "3 jours.",
                                                     "type": "access_request", "catalogue_item": "vpn-nomade"})
    link = mail_link(peer, ticket["id"], "approval_requested", f"marc.dubois{D}", "Valider :")
    phone = fresh_page(chromium, base)
    phone.goto(link)
    assert "Validez-vous cette demande" in phone.locator("#link-form").inner_text()
    phone.get_by_label("Commentaire (facultatif)").fill("Accord pour la mission.")
    shot(phone, "mail-link-approval")
    phone.get_by_role("button", name="Valider la demande").click()
    phone.wait_for_load_state()
    assert "Demande validée." in phone.locator(".flash-success").inner_text()
    assert employee.request.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "new"
    phone.goto(link)  # the same link again: nothing left to decide
    assert phone.locator("#link-done").is_visible() and phone.locator("#link-form").count() == 0
