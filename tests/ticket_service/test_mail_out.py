"""Mail out: API actions put notifications in the outbox; the delivery job sends them to a real SMTP peer (aiosmtpd)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from mail_peer import Peer, empty_mailboxes, mail_config, peer, self_signed  # noqa: F401  (peer: a fixture)
from ticket_service import build_app, create_app
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.kb_manifest import MANIFEST_VERSION
from ticket_service.jobs import run_now
from ticket_service.notify import smtp
from ticket_service.notify.smtp import MailConfigError
from ticket_service.notify.tokens import ticket_of, ticket_of_message_id
from ticket_service.settings import DEFAULTS
from ticket_service.store.models import OutboxDelivery, OutboxEvent
from tshelpers import ROLES, ROOT, new_ticket

SENDER = "Support Ferrand <support@ferrand-associes.fr>"


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, peer):
    from search import load_articles
    from search.index import build_index
    from search.store import save_index

    folder = tmp_path_factory.mktemp("mail-app")
    kb = ROOT / "tests" / "fixtures" / "kb_good" / "kb"  # a small KB: its lexical index builds in about a second
    articles = load_articles(kb)
    save_index(build_index(articles, encoder=None, progress=False), folder / "index")
    manifest = {"version": MANIFEST_VERSION, "kb_revision": "kbrev-mail",  # what the site build writes: the URLs
                "articles": {a.id: {"audience": "employees", "url": f"kb/{a.id}/"} for a in articles}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    application = create_app(mail_config(db_url, folder, peer, MAIL_FROM=SENDER, KB_DIR=str(kb),
                                         INDEX_DIR=str(folder / "index"), MANIFEST_PATH=str(folder / "manifest.json")))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(autouse=True)
def empty_outbox(app, peer):
    """Each test starts with an empty outbox and mailbox, the SMTP peer up and SMTP set."""
    empty_mailboxes(app, peer)
    if peer.controller is None:
        peer.start()
    app.config["SMTP_HOST"] = "127.0.0.1"


def deliver(app, clock):
    return run_now(app, "outbox.deliver", clock=clock)


def mail_row(database, event_name: str, ticket_id: int):
    with database.reader() as db:
        event = db.scalars(select(OutboxEvent).where(OutboxEvent.name == event_name,
                                                     OutboxEvent.ticket_id == ticket_id)).one()
        return event.id, db.get(OutboxDelivery, (event.id, "mail"))


def parts(message: EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def test_a_new_request_is_acknowledged_in_french_with_a_stable_id_and_a_signed_reply_address(app, api, database, peer,
                                                                                              users):
    ticket = new_ticket(api("employee_a"), title="Imprimante du 2e étage hors ligne")
    event_id, row = mail_row(database, "ticket.created", ticket["id"])
    assert row is None  # pending until the delivery job runs
    clock = FixedClock(datetime.now(timezone.utc))
    deliver(app, clock)
    assert len(peer.received) == 1
    recipients, message = peer.received[0]
    assert recipients == [ROLES["employee_a"]]
    assert message["Subject"] == f"[#{ticket['id']}] Demande reçue : Imprimante du 2e étage hors ligne"
    assert message.get_content_type() == "multipart/alternative"
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    assert "Première réponse attendue au plus tard" in body["text/plain"]
    assert f'href="https://guichet.example.org/mes-demandes/{ticket["id"]}"' in body["text/html"]
    assert message["Message-ID"].startswith(f"<guichet.{event_id}-acknowledgement-{users['employee_a']}.{ticket['id']}.")
    assert message["Message-ID"].endswith("@ferrand-associes.fr>")  # signed: the mail-in door threads replies by it
    assert ticket_of_message_id(app.config["SECRET_KEY"], message["Message-ID"]) == ticket["id"]
    assert message["References"] == f"<guichet.ticket.{ticket['id']}@ferrand-associes.fr>"
    reply_to = message["Reply-To"].addresses[0]
    assert reply_to.domain == "ferrand-associes.fr" and reply_to.username.startswith("support+")
    token = reply_to.username.removeprefix("support+")
    assert ticket_of(app.config["SECRET_KEY"], token) == ticket["id"]
    signature = token.partition(".")[2]
    assert ticket_of(app.config["SECRET_KEY"], f"{ticket['id'] + 1}.{signature}") is None  # another ticket's id
    assert ticket_of("another-secret", token) is None
    assert mail_row(database, "ticket.created", ticket["id"])[1].status == "delivered"
    deliver(app, clock)
    assert len(peer.received) == 1  # delivered once: the next run has nothing to send


def test_the_acknowledgement_offers_the_two_best_articles_for_the_request(app, api, peer):
    new_ticket(api("employee_a"), title="Ma boîte aux lettres est pleine",
               description="Outlook dit que ma boîte aux lettres est pleine, je ne peux plus envoyer de mail.")
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    body = parts(peer.received[0][1])
    assert "ces articles peuvent vous aider" in body["text/plain"]
    assert "Outlook : « Votre boîte aux lettres est pleine »" in body["text/plain"]
    assert 'href="https://guichet.example.org/kb/boite-pleine/"' in body["text/html"]
    assert 1 <= body["text/html"].count("<li><a href=") <= 2


def test_html_escapes_what_people_typed(app, api, database, peer):
    ticket = new_ticket(api("employee_a"), title="<script>alert(1)</script> écran")
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    html = parts(peer.received[0][1])["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in peer.received[0][1]["Subject"]  # a subject is plain text
    assert ticket["id"]


def test_smtp_down_keeps_the_mail_pending_with_the_error_then_delivers_it_when_the_server_is_back(app, api, database,
                                                                                                   peer):
    employee, tech = api("employee_a"), api("n1")
    ticket = new_ticket(employee)
    clock = FixedClock(datetime.now(timezone.utc))
    deliver(app, clock)
    peer.received.clear()
    peer.stop()
    body = {"body": "Redémarrez le poste, s'il vous plaît."}
    assert tech.post(f"/api/v1/tickets/{ticket['id']}/comments", json=body).status_code == 201
    deliver(app, clock)
    _, row = mail_row(database, "ticket.commented", ticket["id"])
    assert (row.status, row.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in row.last_error
    peer.start()
    deliver(app, clock)  # its retry is not due yet: still waiting, nothing sent
    assert peer.received == [] and mail_row(database, "ticket.commented", ticket["id"])[1].attempts == 1
    clock.advance(hours=2)
    deliver(app, clock)
    _, row = mail_row(database, "ticket.commented", ticket["id"])
    assert (row.status, row.attempts) == ("delivered", 2)
    [(_, message)] = peer.received
    assert message["Subject"].startswith(f"[#{ticket['id']}] Réponse du support")
    assert "Redémarrez le poste, s'il vous plaît." in parts(message)["text/plain"]


def test_without_smtp_host_mails_wait_in_the_outbox_and_leave_once_it_is_set(app, api, database, peer):
    app.config["SMTP_HOST"] = None
    ticket = new_ticket(api("employee_b"))
    clock = FixedClock(datetime.now(timezone.utc))
    for _ in range(3):
        deliver(app, clock)
    assert mail_row(database, "ticket.created", ticket["id"])[1] is None  # no try counted, nothing dead
    assert peer.received == []
    app.config["SMTP_HOST"] = "127.0.0.1"
    deliver(app, clock)
    assert [to for to, _ in peer.received] == [[ROLES["employee_b"]]]


def test_internal_notes_and_the_requesters_own_replies_send_nothing_and_resolution_asks_to_confirm(app, api, peer):
    employee, tech = api("employee_a"), api("n1")
    ticket = new_ticket(employee)
    url = f"/api/v1/tickets/{ticket['id']}"
    assert tech.post(url + "/comments", json={"body": "Note interne.", "internal": True}).status_code == 201
    assert employee.post(url + "/comments", json={"body": "Précision de ma part."}).status_code == 201
    assert tech.post(url + "/transitions", json={"to": "resolved", "note": "Pilote réinstallé.",
                                                 "kb_gap": True}).status_code == 200
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    kinds = [message["X-Guichet-Notification"] for _, message in peer.received]
    assert kinds == ["acknowledgement", "resolved"]
    text = parts(peer.received[1][1])["text/plain"]
    assert "Pilote réinstallé." in text and "C'est résolu" in text and "Ce n'est pas résolu" in text


def test_waiting_on_the_requester_sends_the_question(app, api, peer):
    ticket = new_ticket(api("employee_a"))
    response = api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                              json={"to": "waiting", "reason": "Pouvez-vous envoyer une capture d'écran ?"})
    assert response.status_code == 200
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    message = peer.received[-1][1]
    assert message["Subject"].startswith(f"[#{ticket['id']}] En attente de votre réponse")
    assert "Pouvez-vous envoyer une capture d'écran ?" in parts(message)["text/plain"]


def test_an_sla_warning_goes_to_each_recipient_the_watch_named_with_a_desk_link(app, api, database, peer, users):
    from ticket_service.domain.events import SlaAtRisk, SlaBreached
    from ticket_service.store.outbox import append

    ticket = new_ticket(api("employee_a"))
    now = datetime.now(timezone.utc)
    due = datetime(2026, 12, 3, 13, 0, tzinfo=timezone.utc)
    with database.write() as db:  # what the SLA watch commits (jobs/sla_watch.py)
        append(db, [SlaAtRisk(ticket["id"], None, now, target="resolution", due=due,
                              recipients=(users["n1"], users["n1_bis"])),
                    SlaBreached(ticket["id"], None, now, target="first_response", due=due, recipients=(users["n1"],))])
    deliver(app, FixedClock(now))
    staff = [(to, m) for to, m in peer.received if m["X-Guichet-Notification"].startswith("sla_")]
    assert [(to, m["X-Guichet-Notification"]) for to, m in staff] == [
        ([ROLES["n1"]], "sla_at_risk"), ([ROLES["n1_bis"]], "sla_at_risk"), ([ROLES["n1"]], "sla_breached")]
    assert staff[0][1]["Subject"] == f"[#{ticket['id']}] SLA à risque (résolution) : Écran noir au démarrage"
    assert staff[2][1]["Subject"].startswith(f"[#{ticket['id']}] SLA dépassé (première réponse)")
    text = parts(staff[0][1])["text/plain"]
    assert "jeudi 3 décembre 2026, 14:00" in text  # the due time in the calendar's zone (Europe/Paris)
    assert f"https://guichet.example.org/desk/tickets/{ticket['id']}" in text
    assert len({m["Message-ID"] for _, m in staff}) == 3


def test_english_templates_and_an_instance_override(app, api, peer, tmp_path):
    languages, instance = app.config["LANGUAGES"], app.instance_path
    override = tmp_path / "mail" / "en"
    override.mkdir(parents=True)
    (override / "acknowledgement.subject.txt").write_text("Ticket {{ ticket.id }} logged")
    app.config["LANGUAGES"], app.instance_path = ("en", "fr"), str(tmp_path)
    try:
        ticket = new_ticket(api("employee_a"))
        deliver(app, FixedClock(datetime.now(timezone.utc)))
    finally:
        app.config["LANGUAGES"], app.instance_path = languages, instance
    message = peer.received[0][1]
    assert message["Subject"] == f"Ticket {ticket['id']} logged"
    assert "We have received your request" in parts(message)["text/plain"]


def test_starttls_with_authentication_against_a_real_server(tmp_path):
    cert, key = self_signed(tmp_path)
    server = Peer(tls=(cert, key), credentials=("guichet", "s3cret")).start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, "claire@example.org", "Essai"
        message.set_content("Bonjour")
        config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "starttls", "MAIL_FROM": SENDER,
                  "SMTP_USERNAME": "guichet", "SMTP_PASSWORD": "s3cret", "SMTP_CA_FILE": str(cert)}
        smtp.send(smtp.load(config), message)
        assert [to for to, _ in server.received] == [["claire@example.org"]]
        with pytest.raises(Exception, match="535|uthentication"):
            smtp.send(smtp.load({**config, "SMTP_PASSWORD": "wrong"}), message)
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            smtp.send(smtp.load({**config, "SMTP_CA_FILE": None}), message)  # an untrusted certificate is refused
        assert len(server.received) == 1
    finally:
        server.stop()


def test_starttls_refuses_a_server_that_does_not_offer_it(peer):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "claire@example.org", "Essai"
    message.set_content("Bonjour")
    with pytest.raises(Exception, match="STARTTLS"):
        smtp.send(smtp.load({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": peer.port, "SMTP_SECURITY": "starttls",
                             "MAIL_FROM": SENDER}), message)
    assert peer.received == []


@pytest.mark.parametrize("name, value, named", [("SMTP_SECURITY", "ssl", "SMTP_SECURITY"),
                                                 ("SMTP_PORT", "smtp", "SMTP_PORT"),
                                                 ("MAIL_FROM", "guichet", "MAIL_FROM")])
def test_a_bad_mail_setting_from_the_environment_stops_the_start_up_naming_it(monkeypatch, tmp_path, name, value,
                                                                              named):
    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(f"GUICHET_{name}", value)
    with pytest.raises(MailConfigError, match=named):
        build_app()


def test_the_admin_page_lists_the_outbox_and_retries_a_failed_mail_with_csrf(app, api, database, peer):
    from tshelpers import Browser

    ticket = new_ticket(api("employee_a"), title="Badge refusé à l'accueil")
    clock = FixedClock(datetime.now(timezone.utc))
    peer.stop()
    deliver(app, clock)
    event_id, row = mail_row(database, "ticket.created", ticket["id"])
    assert row.status == "failed"
    admin = Browser(app, "admin")
    page = admin.get("/admin/courriels")
    assert page.status_code == 200
    line = page.text.split(f'id="mail-{event_id}"')[1].split("</tr>")[0]
    assert ROLES["employee_a"] in line and "Badge refusé à l&#39;accueil" in line
    assert "en échec" in line and "ConnectionRefusedError" in line and f'id="retry-{event_id}"' in line
    assert Browser(app, "employee_a").get("/admin/courriels").status_code == 403
    assert admin.client.post(f"/admin/courriels/{event_id}/renvoyer").status_code == 400  # no CSRF token
    assert mail_row(database, "ticket.created", ticket["id"])[1].attempts == 1
    assert Browser(app, "n1").submit(f"/admin/courriels/{event_id}/renvoyer").status_code == 403
    assert admin.submit(f"/admin/courriels/{event_id}/renvoyer").status_code == 303
    row = mail_row(database, "ticket.created", ticket["id"])[1]
    assert (row.status, row.attempts) == ("failed", 0)
    peer.start()
    deliver(app, FixedClock(row.next_attempt_at))
    assert mail_row(database, "ticket.created", ticket["id"])[1].status == "delivered"
    assert [m["Subject"] for _, m in peer.received] == [f"[#{ticket['id']}] Demande reçue : Badge refusé à l'accueil"]
    assert admin.submit(f"/admin/courriels/{event_id}/renvoyer").status_code == 404  # nothing left to retry
    assert mail_row(database, "ticket.created", ticket["id"])[1].status == "delivered"


def test_without_smtp_the_admin_page_shows_what_would_go_out(app, api):
    from tshelpers import Browser

    app.config["SMTP_HOST"] = None
    ticket = new_ticket(api("employee_b"), title="Wi-Fi invités coupé")
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    page = Browser(app, "admin").get("/admin/courriels")
    assert 'id="no-smtp"' in page.text
    assert f"[#{ticket['id']}] Demande reçue : Wi-Fi invités coupé" in page.text and "en attente" in page.text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_notification_renders_in_both_languages_text_and_html(app, api, database, users, language):
    from dataclasses import replace

    from ticket_service.notify import compose, mail

    ticket = new_ticket(api("employee_a"))
    comment = api("n1").post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Réponse."}).get_json()
    events = {"acknowledgement": ("ticket.created", {}), "reply": ("ticket.commented", {"comment_id": comment["id"]}),
              "waiting": ("ticket.transitioned", {"new": "waiting", "reason": "Capture ?"}),
              "resolved": ("ticket.resolved", {}), "closed": ("ticket.closed", {}),
              "sla_at_risk": ("sla.at_risk", {"target": "resolution", "due": "2026-12-03T13:00:00+00:00",
                                              "recipients": [users["n1"]]}),
              "sla_breached": ("sla.lead_notified", {"target": "resolution", "recipients": [users["n2"]]}),
              "delay_announced": ("ticket.delay_announced", {"kind": "resolution", "due": "2026-12-10T13:00:00Z",
                                                             "reason": "pièce commandée"}),
              "waiting_reminder": ("ticket.waiting_reminder", {"waiting_since": "2026-12-07T09:00:00Z",
                                                               "reason": "Capture ?"}),
              "rule_notice": ("rule.notice", {"rule": "vpn-n2", "template": "rule_notice", "recipients": [users["n1"]]})}
    assert set(compose.NOTIFICATIONS) - set(events) == {"approval_requested", "major_incident_opened",
                                                        "major_incident_resolved",  # test_mail_audience renders these
                                                        "monthly_summary"}  # and test_monthly_summary this one
    with app.app_context():
        setting = replace(mail.setting(app), language=language)
    with database.reader() as db:
        for notification, (name, payload) in events.items():
            [m] = compose.mails_for(db, setting, 1, name, ticket["id"], payload)
            assert m.notification == notification and m.subject.startswith(f"[#{ticket['id']}]")
            assert m.text.strip() and m.html.lstrip().startswith("<!doctype html>")
            assert f'lang="{language}"' in m.html and "{{" not in m.text + m.html


def test_the_signed_links_of_a_resolved_mail_ask_for_a_click_then_act_once_and_expire(app, api, database, peer):
    import re

    from tshelpers import CSRF

    employee, tech = api("employee_a"), api("n1")
    links_of = {}
    for _ in range(2):
        ticket = new_ticket(employee)
        tech.post(f"/api/v1/tickets/{ticket['id']}/transitions",
                  json={"to": "resolved", "note": "Pilote réinstallé.", "kb_gap": True})
        links_of[ticket["id"]] = None
    deliver(app, FixedClock(datetime.now(timezone.utc)))
    for _, message in peer.received:
        if message["X-Guichet-Notification"] == "resolved":
            text = parts(message)["text/plain"]
            links_of[int(message["Subject"][2:].split("]")[0])] = dict(
                re.findall(r"(C'est résolu|Ce n'est pas résolu) : (https://guichet\.example\.org/courriel/\S+)", text))
    (first, first_links), (second, second_links) = links_of.items()
    assert set(first_links) == {"C'est résolu", "Ce n'est pas résolu"}
    confirm = first_links["C'est résolu"].removeprefix("https://guichet.example.org")
    visitor = app.test_client()  # no session: a mail gateway, or the requester's phone
    page = visitor.get(confirm)
    assert page.status_code == 200 and 'id="link-form"' in page.text
    assert employee.get(f"/api/v1/tickets/{first}").get_json()["status"] == "resolved"  # opening changed nothing
    assert visitor.post(confirm).status_code == 400  # no CSRF token: refused
    assert employee.get(f"/api/v1/tickets/{first}").get_json()["status"] == "resolved"
    answer = visitor.post(confirm, data={"csrf_token": CSRF.search(page.text).group(1)})
    assert answer.status_code == 303
    assert employee.get(f"/api/v1/tickets/{first}").get_json()["status"] == "closed"
    assert 'id="link-done"' in visitor.get(confirm).text  # used: no form any more
    reopen = second_links["Ce n'est pas résolu"].removeprefix("https://guichet.example.org")
    page = visitor.get(reopen)
    visitor.post(reopen, data={"csrf_token": CSRF.search(page.text).group(1), "reason": "Toujours l'écran noir."})
    assert employee.get(f"/api/v1/tickets/{second}").get_json()["status"] == "in_progress"
    token = reopen.rsplit("/", 1)[1]
    forged = visitor.get(f"/courriel/{token[:-3]}abc")
    assert forged.status_code == 400 and 'id="link-problem"' in forged.text
    from dataclasses import replace

    ctx = app.extensions["guichet_context"]
    later = datetime.now(timezone.utc) + timedelta(days=DEFAULTS["MAIL_LINK_DAYS"], hours=1)
    app.extensions["guichet_context"] = replace(ctx, clock=FixedClock(later))  # the app's clock, past the link's date
    try:
        expired = visitor.get(reopen)
        assert expired.status_code == 410 and "expiré" in expired.text
    finally:
        app.extensions["guichet_context"] = ctx


def test_a_broken_instance_template_is_recorded_as_the_error_and_shown_on_the_admin_page(app, api, database, tmp_path):
    from tshelpers import Browser

    override = tmp_path / "mail" / "fr"
    override.mkdir(parents=True)
    (override / "acknowledgement.subject.txt").write_text("Demande {{ ticket.id ")
    instance, app.instance_path = app.instance_path, str(tmp_path)
    try:
        ticket = new_ticket(api("employee_a"))
        deliver(app, FixedClock(datetime.now(timezone.utc)))
        page = Browser(app, "admin").get("/admin/courriels")
    finally:
        app.instance_path = instance
    row = mail_row(database, "ticket.created", ticket["id"])[1]
    assert (row.status, row.attempts) == ("failed", 1) and "TemplateSyntaxError" in row.last_error
    assert page.status_code == 200 and "Gabarit en erreur" in page.text
