"""Announced delays on the test clock: the requester is mailed the new date and its reason (a real SMTP peer), sees
it in the portal and in every mail; the desk lists each announcement as tenu / non tenu / remplacé / en cours."""

from __future__ import annotations

from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mail_peer import empty_mailboxes, mail_config, peer  # noqa: F401  (peer: a fixture)
from ticket_service import create_app
from ticket_service.actions.delays import announce_delay
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.errors import Forbidden
from ticket_service.jobs import run_now
from ticket_service.store.models import AnnouncedDelay, Person
from tshelpers import ROLES, Browser, new_ticket

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)  # Monday 7 December 2026, 10:00 in Paris


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, peer):
    folder = tmp_path_factory.mktemp("delays-app")
    application = create_app(mail_config(db_url, folder, peer))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(autouse=True)
def clock(app, peer):
    """Each test starts on Monday morning with an empty outbox and mailbox."""
    empty_mailboxes(app, peer)
    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(MONDAY)
    yield ctx.clock
    ctx.clock = saved


def mails(app, clock, peer, notification: str) -> list:
    run_now(app, "outbox.deliver", clock=clock)
    return [(to, m) for to, m in peer.received if m["X-Guichet-Notification"] == notification]


def text_of(message) -> str:
    return next(p.get_content() for p in message.iter_parts() if p.get_content_type() == "text/plain")


def taken_ticket(api) -> int:
    ticket = new_ticket(api("employee_a"), title="Imprimante du 2e étage en panne")
    assert api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "in_progress"}).status_code == 200
    return ticket["id"]


def announce(api, ticket_id: int, due="2026-12-10T14:00", reason="pièce commandée", **extra):
    return api("n1").post(f"/api/v1/tickets/{ticket_id}/delays", json={"due_at": due, "reason": reason, **extra})


def test_an_announced_delay_is_mailed_to_the_requester_with_its_date_and_reason(app, api, peer, clock):
    ticket_id = taken_ticket(api)
    response = announce(api, ticket_id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["due_at"] == "2026-12-10T13:00:00Z" and body["state"] == "pending"  # 14:00 in Paris, in UTC
    [(to, message)] = mails(app, clock, peer, "delay_announced")
    assert to == [ROLES["employee_a"]]
    assert message["Subject"] == f"[#{ticket_id}] Nouveau délai annoncé : Imprimante du 2e étage en panne"
    text = text_of(message)
    assert "résolution prévue le jeudi 10 décembre 2026, 14:00" in text and "Raison : pièce commandée" in text
    mine = api("employee_a").get(f"/api/v1/tickets/{ticket_id}").get_json()
    assert mine["expected"]["resolution"] == {"due": "2026-12-10T13:00:00Z", "announced": True,
                                              "reason": "pièce commandée", "announced_at": "2026-12-07T09:00:00Z"}
    assert "announced_delays" not in mine  # who announced stays at the desk
    staff = api("n1").get(f"/api/v1/tickets/{ticket_id}").get_json()
    assert [d["reason"] for d in staff["announced_delays"]] == ["pièce commandée"]


def test_every_later_mail_carries_the_expected_date_the_sla_one_before_any_announcement(app, api, peer, clock):
    ticket = new_ticket(api("employee_a"), title="Écran qui clignote")
    [(_, ack)] = mails(app, clock, peer, "acknowledgement")
    assert "Première réponse attendue au plus tard le lundi 7 décembre 2026" in text_of(ack)  # the SLA's (P3: 4 h)
    clock.advance(minutes=5)
    assert announce(api, ticket["id"], reason="technicien en déplacement").status_code == 201
    api("n1").post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Je passe jeudi."})
    [(_, reply)] = mails(app, clock, peer, "reply")
    assert ("Résolution prévue le jeudi 10 décembre 2026, 14:00 (annoncée le 7 décembre 2026 : technicien en "
            "déplacement).") in text_of(reply)


def test_the_portal_and_the_desk_show_the_announcements(app, api, clock):
    ticket_id = taken_ticket(api)
    assert announce(api, ticket_id, due="2026-12-09T11:00", reason="attente du fournisseur").status_code == 201
    clock.advance(hours=1)
    desk = Browser(app, "n1")
    page = desk.get(f"/desk/tickets/{ticket_id}").text
    assert 'id="announce"' in page and 'type="datetime-local" name="due_at"' in page and "en cours" in page
    response = desk.submit(f"/desk/tickets/{ticket_id}/delai",
                           {"kind": "resolution", "due_at": "2026-12-10T14:00", "reason": "pièce commandée"})
    assert response.status_code in (302, 303)
    page = unescape(desk.get(f"/desk/tickets/{ticket_id}").text)
    section = page.split('id="delays"')[1].split("</section>")[0]
    assert "« pièce commandée »" in section and "remplacé" in section and "en cours" in section
    assert "Délai annoncé : résolution" in page  # the history line
    portal = unescape(Browser(app, "employee_a").get(f"/mes-demandes/{ticket_id}").text)
    promise = portal.split('id="promise"')[1].split("</dd>")[0]
    announced = "Résolution prévue le jeudi 10 décembre 2026, 14:00 (annoncée le 7 décembre 2026 : pièce commandée)"
    assert announced in promise
    listing = unescape(Browser(app, "employee_a").get("/mes-demandes").text)
    row = listing.split(f"/mes-demandes/{ticket_id}")[1].split("</tr>")[0]
    assert "résolution prévue le 10/12/2026 14:00 (délai annoncé)" in row


def test_the_first_response_can_be_announced_until_it_is_made_and_is_then_judged(app, api, database, clock):
    ticket = new_ticket(api("employee_a"))
    assert announce(api, ticket["id"], due="2026-12-07T15:00", reason="équipe en réunion",
                    kind="first_response").status_code == 201
    portal = unescape(Browser(app, "employee_a").get(f"/mes-demandes/{ticket['id']}").text)
    assert "Réponse attendue au plus tard le lundi 7 décembre 2026, 15:00 (annoncée le 7 décembre 2026 : " \
           "équipe en réunion)" in portal
    clock.advance(hours=2)
    api("n1").post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "Bonjour, je regarde."})
    [delay] = api("n1").get(f"/api/v1/tickets/{ticket['id']}").get_json()["announced_delays"]
    assert delay["met"] is True and delay["state"] == "met"
    again = announce(api, ticket["id"], due="2026-12-08T15:00", kind="first_response")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"


def test_met_or_missed_is_recorded_at_the_resolution_against_the_latest_announcement(app, api, clock):
    kept, late = taken_ticket(api), taken_ticket(api)
    for ticket_id in (kept, late):
        assert announce(api, ticket_id, due="2026-12-07T12:00", reason="redémarrage du serveur").status_code == 201
        assert announce(api, ticket_id, due="2026-12-08T12:00", reason="pièce commandée").status_code == 201
    resolution = {"to": "resolved", "note": "Pièce changée, tout fonctionne.", "kb_gap": True}
    clock.advance(hours=20)  # Tuesday 06:00: before the announced noon
    assert api("n1").post(f"/api/v1/tickets/{kept}/transitions", json=resolution).status_code == 200
    clock.advance(days=1)  # Wednesday: past it
    assert api("n1").post(f"/api/v1/tickets/{late}/transitions", json=resolution).status_code == 200
    states = {t: [d["state"] for d in api("n1").get(f"/api/v1/tickets/{t}").get_json()["announced_delays"]]
              for t in (kept, late)}
    assert states == {kept: ["superseded", "met"], late: ["superseded", "missed"]}
    page = unescape(Browser(app, "n1").get(f"/desk/tickets/{late}").text)
    assert "non tenu" in page.split('id="delays"')[1].split("</section>")[0]


def test_an_employee_cannot_announce_a_delay(app, api, database, clock):
    ticket_id = taken_ticket(api)
    response = api("employee_a").post(f"/api/v1/tickets/{ticket_id}/delays",
                                      json={"due_at": "2026-12-10T14:00", "reason": "je serai absente"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    with app.app_context(), database.writer() as db:  # the action refuses too, whatever the door
        employee = db.scalar(select(Person).where(Person.email == ROLES["employee_a"]))
        with pytest.raises(Forbidden):
            announce_delay(db, app.extensions["guichet_context"], employee, ticket_id, "2026-12-10T14:00", "absente")
    with database.reader() as db:
        assert db.scalars(select(AnnouncedDelay).where(AnnouncedDelay.ticket_id == ticket_id)).all() == []


@pytest.mark.parametrize("due, reason, field", [
    ("2026-12-07T09:59", "pièce commandée", "due_at"),  # one minute ago in Paris
    ("2026-12-07T08:30:00Z", "pièce commandée", "due_at"),  # with an offset: 09:30 in Paris, half an hour ago
    ("jeudi 14 h", "pièce commandée", "due_at"),
    ("2026-02-30T14:00", "pièce commandée", "due_at"),
    ("0001-01-01T00:30", "pièce commandée", "due_at"),  # before year 1 in UTC: unreadable, not a 500
    ("2028-12-10T14:00", "pièce commandée", "due_at"),  # beyond a year: a typing mistake
    ("2026-12-10T14:00", "   ", "reason"),
])
def test_a_bad_announcement_is_refused_with_a_422_naming_the_field(app, api, clock, due, reason, field):
    ticket_id = taken_ticket(api)
    response = announce(api, ticket_id, due=due, reason=reason)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_a_malformed_date_from_the_desk_form_is_a_message_not_an_error_page(app, api, clock):
    ticket_id = taken_ticket(api)
    desk = Browser(app, "n1")
    response = desk.submit(f"/desk/tickets/{ticket_id}/delai", {"due_at": "demain", "reason": "pièce commandée"},
                           follow_redirects=True)
    assert response.status_code < 500 and "illisible" in unescape(response.text)
