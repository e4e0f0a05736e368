"""The SLA watch on a clock the tests drive: at risk then breached across business hours and a French holiday,
pauses, once-only with two workers, the desk queues from the same computation, sla.on_breach with history rows."""

from __future__ import annotations

from html import unescape

import json
import re
import threading
from dataclasses import replace
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import workflow
from ticket_service.domain import sla
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import HANDLERS
from ticket_service.store.db import Database
from ticket_service.store.models import OutboxEvent, Person, Ticket, TicketEvent
from tshelpers import ROLES, ROOT

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def clock(app):
    """Put a FixedClock in the app's Context for one test."""
    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(paris(2026, 7, 13, 16, 0))
    yield ctx.clock
    ctx.clock = saved


def act(app, action, role, *args, **kwargs):
    with app.app_context(), app.extensions["guichet_db"].writer() as db:
        actor = db.scalar(select(Person).where(Person.email == ROLES[role]))
        return action(db, app.extensions["guichet_context"], actor, *args, **kwargs)


def open_ticket(app, impact="high", urgency="medium", take=True) -> int:
    """Create a ticket as an employee (P2 by default) and let N1 take it (the first response)."""
    created = act(app, ticket_actions.create_ticket, "employee_a",
                  {"title": "Imprimante hors service", "description": "Plus rien ne sort depuis ce matin.",
                   "type": "incident", "impact": impact, "urgency": urgency})
    if take:
        act(app, workflow.take, "n1", created.ticket.id)
    return created.ticket.id


def watch(app, clock, database=None):
    return HANDLERS["sla.watch"](app, database or app.extensions["guichet_db"], {}, clock)


def sla_events(app, ticket_id) -> list[tuple[str, dict]]:
    with app.extensions["guichet_db"].reader() as db:
        rows = db.scalars(select(OutboxEvent).where(OutboxEvent.ticket_id == ticket_id, OutboxEvent.name.like("sla.%"))
                          .order_by(OutboxEvent.id))
        return [(r.name, json.loads(r.payload)) for r in rows]


def state(app, ticket_id, clock) -> dict[str, str]:
    ctx = app.extensions["guichet_context"]
    with app.extensions["guichet_db"].reader() as db:
        states = sla.target_states(db.get(Ticket, ticket_id), clock.now(), ctx.policies, ctx.calendar)
    return {k: v.state for k, v in states.items()}


def test_a_p2_ticket_goes_at_risk_then_breached_across_the_14_july_holiday(app, clock, users):
    ticket_id = open_ticket(app)  # Monday 13 July 16:00: 2 business hours left that day, Tuesday 14 July is a holiday
    group = app.extensions["guichet_context"].policies.groups["support-n1"]
    with app.extensions["guichet_db"].reader() as db:
        due = db.get(Ticket, ticket_id).resolution_due
        members = set(db.scalars(select(Person.id).where(Person.email.in_(group.members))))
    assert due == paris(2026, 7, 15, 14, 30)  # 8 business hours: 2 on Monday, none on the 14th, 6 on Wednesday
    clock.at = paris(2026, 7, 14, 17, 0)  # the holiday: nothing ticks
    assert ticket_id not in watch(app, clock)
    assert state(app, ticket_id, clock) == {"first_response": "ok", "resolution": "ok"}
    clock.at = paris(2026, 7, 15, 12, 29)  # 5 h 59 of 8: under 0.75
    assert ticket_id not in watch(app, clock)
    clock.at = paris(2026, 7, 15, 12, 30)  # 6 h of 8: at risk
    assert watch(app, clock)[ticket_id] == ["resolution:at_risk"]
    name, payload = sla_events(app, ticket_id)[0]
    assert name == "sla.at_risk" and payload["target"] == "resolution"
    assert set(payload["recipients"]) == members | {users["n1"]}
    assert ticket_id not in watch(app, clock)  # warned once
    clock.at = paris(2026, 7, 15, 14, 31)
    assert watch(app, clock)[ticket_id] == ["resolution:breached", "notify_group_lead"]
    assert ticket_id not in watch(app, clock)
    names = [n for n, _ in sla_events(app, ticket_id)]
    assert names == ["sla.at_risk", "sla.breached", "sla.lead_notified"]
    lead = sla_events(app, ticket_id)[2][1]
    assert lead["recipients"] == [users["n1"]] and lead["group"] == "support-n1"  # julie.martin: the first member


def test_a_ticket_waiting_on_the_requester_does_not_advance(app, clock):
    ticket_id = open_ticket(app)
    act(app, workflow.move, "n1", ticket_id, "waiting", question="Quel est le modèle de l'imprimante ?")
    clock.at = paris(2026, 7, 20, 17, 0)  # a week later, still waiting
    assert ticket_id not in watch(app, clock)
    assert state(app, ticket_id, clock)["resolution"] == "ok"
    act(app, workflow.move, "n1", ticket_id, "in_progress")  # paused from the start: all 8 hours left
    with app.extensions["guichet_db"].reader() as db:
        assert db.get(Ticket, ticket_id).resolution_due == paris(2026, 7, 21, 15, 30)  # 1 h on the 20th, 7 on the 21st
    clock.at = paris(2026, 7, 21, 13, 29)
    assert ticket_id not in watch(app, clock)
    clock.at = paris(2026, 7, 21, 13, 31)
    assert watch(app, clock)[ticket_id] == ["resolution:at_risk"]


def test_two_workers_watching_at_once_warn_once(app, clock, db_url):
    ids = [open_ticket(app) for _ in range(3)]
    clock.at = paris(2026, 7, 15, 13, 0)
    start, errors = threading.Barrier(2), []

    def work():
        engine = Database(db_url)  # each worker its own engine, like two processes
        try:
            start.wait()
            watch(app, clock, engine)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for ticket_id in ids:
        assert [n for n, _ in sla_events(app, ticket_id)] == ["sla.at_risk"]


def test_the_desk_queues_are_the_watchs_computation(app, clock, api):
    at_risk, breached, fine = open_ticket(app), open_ticket(app, take=False), open_ticket(app, impact="low", urgency="low")
    clock.at = paris(2026, 7, 15, 13, 0)  # at_risk's resolution at risk; breached has had no first response
    ctx = app.extensions["guichet_context"]
    with app.extensions["guichet_db"].reader() as db:
        computed = sla.queue_ids(db, clock.now(), ctx.policies, ctx.calendar)
    assert at_risk in computed["at_risk"] and breached in computed["breached"]
    assert fine not in computed["at_risk"] + computed["breached"]

    def listed(queue):
        page = api("n1").get(f"/desk?queue={queue}").get_data(as_text=True)
        return {int(i) for i in re.findall(r"/desk/tickets/(\d+)", page)}

    assert listed("at_risk") == set(computed["at_risk"])
    assert listed("breached") == set(computed["breached"])
    for name in ("at_risk", "breached"):  # the API's filter too
        items = api("n1").get(f"/api/v1/tickets?sla={name}&per_page=100").get_json()["items"]
        assert {t["id"] for t in items} == set(computed[name])
    done = watch(app, clock)
    warned = {tid for tid, steps in done.items() if any(s.endswith(":at_risk") for s in steps)}
    reported = {tid for tid, steps in done.items() if any(s.endswith(":breached") for s in steps)}
    assert {at_risk} <= warned <= set(computed["at_risk"]) | set(computed["breached"])
    assert breached in reported and reported <= set(computed["breached"])


def test_a_p1_breach_notifies_the_lead_and_raises_the_level_in_the_history_as_the_rule(app, clock, users, api):
    ticket_id = open_ticket(app, impact="high", urgency="high")  # P1: 4 business hours
    clock.at = paris(2026, 7, 15, 10, 31)  # 2 h Monday + 2 h 01 Wednesday
    assert watch(app, clock)[ticket_id] == ["resolution:breached", "notify_group_lead", "raise_level"]
    with app.extensions["guichet_db"].reader() as db:
        ticket = db.get(Ticket, ticket_id)
        assert (ticket.level, ticket.group, ticket.assignee_id) == ("N2", "systemes-n2", None)
        rows = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.at == clock.now())
                          .order_by(TicketEvent.id)).all()
    assert [(r.field, r.new) for r in rows] == [
        ("sla", "resolution: breached"), ("sla", "notify_group_lead: julie.martin@ferrand-associes.fr"),
        ("level", "N2"), ("group", "systemes-n2"), ("assignee_id", None)]
    assert all(r.actor_id is None and r.reason.startswith("règle SLA") for r in rows)
    assert "ticket.escalated" in _names(app, ticket_id)
    page = unescape(api("n2").get(f"/desk/tickets/{ticket_id}").get_data(as_text=True))
    assert "Engagement (SLA)" in page and "délai de résolution dépassé" in page
    assert "responsable du groupe prévenu : julie.martin@ferrand-associes.fr" in page
    english = unescape(api("n2").get(f"/desk/tickets/{ticket_id}?lang=en").get_data(as_text=True))
    assert "resolution target missed" in english and "group lead notified: julie.martin@" in english
    api("n2").get(f"/desk/tickets/{ticket_id}?lang=fr")  # the cookie keeps the last ?lang=
    clock.at = paris(2026, 7, 16, 18, 0)
    assert ticket_id not in watch(app, clock)  # the breach ran its steps once


def test_reassign_on_breach_hands_the_ticket_to_the_named_group(app, clock):
    ctx = app.extensions["guichet_context"]
    saved = ctx.policies
    ctx.policies = replace(saved, on_breach={"P4": (("reassign", "alpes-infogerance"),)})
    try:
        ticket_id = open_ticket(app, impact="low", urgency="low")  # P4: 45 business hours
        clock.at = paris(2026, 7, 24, 12, 0)
        assert watch(app, clock)[ticket_id][-1] == "reassign:alpes-infogerance"
    finally:
        ctx.policies = saved
    with app.extensions["guichet_db"].reader() as db:
        ticket = db.get(Ticket, ticket_id)
        assert (ticket.group, ticket.level) == ("alpes-infogerance", "N3")
        reasons = db.scalars(select(TicketEvent.reason).where(TicketEvent.ticket_id == ticket_id,
                                                              TicketEvent.field == "group")).all()
    assert reasons == ["règle SLA : délai de résolution dépassé (P4)"]


def _names(app, ticket_id):
    with app.extensions["guichet_db"].reader() as db:
        return set(db.scalars(select(OutboxEvent.name).where(OutboxEvent.ticket_id == ticket_id)))


@pytest.mark.parametrize("on_breach, key, fix", [
    ({"P1": ["call_the_boss"]}, "sla.on_breach.P1", "notify_group_lead, raise_level or {reassign: <group id>}"),
    ({"P1": [{"reassign": "nobody"}]}, "sla.on_breach.P1.reassign", "name one of: support-n1, systemes-n2"),
    ({"P9": ["raise_level"]}, "sla.on_breach.P9", "use P1, P2, P3 or P4"),
    ({"P2": []}, "sla.on_breach.P2", "non-empty list"),
])
def test_a_bad_on_breach_is_refused_at_start_up_naming_the_key_and_the_fix(tmp_path, on_breach, key, fix):
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    data["sla"]["on_breach"] = on_breach
    path = tmp_path / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policies(path)
    assert f"`{key}`" in str(err.value) and fix in str(err.value) and "fix:" in str(err.value)


def test_the_worker_runs_sla_watch_from_its_schedule_in_helpdesk_yml(app, clock):
    from ticket_service.jobs import Worker

    worker = Worker(app, clock=clock)
    assert worker.intervals["sla.watch"] == 300  # helpdesk.yml jobs.every
    worker.intervals = {"sla.watch": 300}
    ticket_id = open_ticket(app)
    assert worker.run_once() is False, "a new schedule first runs one interval later"
    clock.at = paris(2026, 7, 15, 12, 31)
    assert worker.drain() == 1  # the tick's one job, claimed and run
    assert [n for n, _ in sla_events(app, ticket_id)] == ["sla.at_risk"]
    clock.at = paris(2026, 7, 15, 12, 40)
    assert worker.drain() == 1 and [n for n, _ in sla_events(app, ticket_id)] == ["sla.at_risk"]
