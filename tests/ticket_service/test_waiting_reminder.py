"""« En attente de votre réponse » reminder on the test clock: one mail (real SMTP peer) per waiting period after
waiting.reminder_after business hours — weekends do not count — and none once the requester has answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from mail_peer import empty_mailboxes, mail_config, peer  # noqa: F401  (peer: a fixture)
from ticket_service import create_app
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import HANDLERS, run_now
from ticket_service.store.models import Ticket
from tshelpers import ROLES, ROOT, new_ticket

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")
QUESTION = "Pouvez-vous envoyer une capture de l'erreur ?"


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, peer):
    folder = tmp_path_factory.mktemp("reminder-app")
    application = create_app(mail_config(db_url, folder, peer))
    yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture
def clock(app, peer):
    """Each test starts on Thursday 10 December 2026 at 16:00 in Paris, with an empty outbox and mailbox."""
    empty_mailboxes(app, peer)
    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(paris(2026, 12, 10, 16, 0))
    yield ctx.clock
    ctx.clock = saved


def waiting_ticket(api) -> int:
    ticket = new_ticket(api("employee_a"), title="Erreur au lancement de la paie")
    moved = api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "waiting", "reason": QUESTION})
    assert moved.status_code == 200, moved.get_json()
    return ticket["id"]


def remind(app, clock, peer, at: datetime) -> list:
    """Run the reminder job at ``at``, deliver, and return the reminder mails received so far."""
    clock.at = at
    HANDLERS["tickets.waiting_reminder"](app, app.extensions["guichet_db"], {}, clock)
    run_now(app, "outbox.deliver", clock=clock)
    return [(to, m) for to, m in peer.received if m["X-Guichet-Notification"] == "waiting_reminder"]


def test_one_reminder_after_the_business_hours_weekends_left_out(app, api, peer, clock):
    ticket_id = waiting_ticket(api)  # 19 business hours: Thursday 2 h + Friday 9 h 30 + Monday 7 h 30 → 16:00
    assert remind(app, clock, peer, paris(2026, 12, 11, 11, 0)) == []  # 19 clock hours later: not business ones
    assert remind(app, clock, peer, paris(2026, 12, 12, 16, 0)) == []  # Saturday: 48 clock hours, still 11 h 30
    assert remind(app, clock, peer, paris(2026, 12, 14, 15, 59)) == []
    [(to, message)] = remind(app, clock, peer, paris(2026, 12, 14, 16, 0))
    assert to == [ROLES["employee_a"]]
    assert message["Subject"] == f"[#{ticket_id}] Rappel : en attente de votre réponse : Erreur au lancement de la paie"
    text = next(p.get_content() for p in message.iter_parts() if p.get_content_type() == "text/plain")
    assert "depuis le jeudi 10 décembre 2026, 16:00" in text and QUESTION in text
    assert "Sans réponse de votre part, la demande reste en pause" in text
    assert len(remind(app, clock, peer, paris(2026, 12, 15, 10, 0))) == 1  # once per waiting period


def test_no_reminder_once_the_requester_answered_and_one_more_for_a_new_waiting_period(app, api, peer, clock):
    ticket_id = waiting_ticket(api)
    clock.at = paris(2026, 12, 11, 9, 0)
    answer = api("employee_a").post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Voici la capture."})
    assert answer.status_code == 201
    assert remind(app, clock, peer, paris(2026, 12, 15, 10, 0)) == []  # answered: back in progress, nothing to remind
    again = api("n1").post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "waiting", "reason": QUESTION})
    assert again.status_code == 200  # Tuesday 10:00: a new waiting period
    assert remind(app, clock, peer, paris(2026, 12, 16, 18, 0)) == []  # Tuesday 8 h + Wednesday 9 h 30
    assert remind(app, clock, peer, paris(2026, 12, 17, 9, 59)) == []
    assert len(remind(app, clock, peer, paris(2026, 12, 17, 10, 0))) == 1  # Thursday 10:00: 19 business hours
    with app.extensions["guichet_db"].reader() as db:
        assert db.get(Ticket, ticket_id).status == "waiting"  # a reminder closes nothing


def test_the_reminder_job_is_scheduled_from_helpdesk_yml():
    policies = load_policies(ROOT / "helpdesk.yml")
    assert policies.waiting_reminder_hours == 19 and policies.job_intervals["tickets.waiting_reminder"] == 600


@pytest.mark.parametrize("waiting", [{"reminder_after": 0}, {"reminder_after": "2 jours"}, {"reminder_after": True},
                                     {"reminder_after": 900}, ["reminder_after"]])
def test_a_bad_waiting_reminder_after_is_refused_naming_the_key_and_the_fix(tmp_path, waiting):
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    data["waiting"] = waiting
    path = tmp_path / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policies(path)
    assert "`waiting" in str(err.value) and "reminder_after: 19" in str(err.value)


def test_the_resolved_mail_says_the_day_auto_close_will_close_the_request(app, api, peer, clock):
    ticket = new_ticket(api("employee_a"), title="Souris sans fil muette")
    resolution = {"to": "resolved", "note": "Piles changées, la souris répond.", "kb_gap": True}
    assert api("n1").post(f"/api/v1/tickets/{ticket['id']}/transitions", json=resolution).status_code == 200
    run_now(app, "outbox.deliver", clock=clock)
    [message] = [m for _, m in peer.received if m["X-Guichet-Notification"] == "resolved"]
    text = next(p.get_content() for p in message.iter_parts() if p.get_content_type() == "text/plain")
    # resolved Thursday 10 December at 16:00, five business days (tickets.auto_close): Thursday 17 at 16:00
    assert "Sans réponse de votre part, la demande sera close le jeudi 17 décembre 2026." in text
