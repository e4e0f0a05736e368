"""Every change of assignee, group, level, priority or status has its history row, whoever makes it (person, rule,
system): each action is walked and the tickets before and after are compared with the rows it wrote."""

from __future__ import annotations

import inspect
import io

from sqlalchemy import func, select

from tshelpers import ROLES

from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import workflow
from ticket_service.domain.clock import FixedClock
from ticket_service.runtime import get_ctx, get_files
from ticket_service.store.models import Person, Ticket, TicketEvent

AUDITED = ("assignee_id", "group", "level", "priority", "status")
ARTICLE = "poste-lent"


def _snapshot(db) -> dict[int, tuple]:
    return {row[0]: row[1:] for row in db.execute(select(Ticket.id, *(getattr(Ticket, f) for f in AUDITED)))}


def _text(value):
    return None if value is None else str(value)


class Walk:
    """Run actions one by one on the real database and check the history rows each one wrote."""

    def __init__(self, app):
        self.app = app
        self.database = app.extensions["guichet_db"]
        self.walked: set[str] = set()
        with self.database.reader() as db:
            self.people = {role: db.scalar(select(Person).where(Person.email == email)) for role, email in ROLES.items()}

    def __call__(self, name: str, role: str | None, action, *args, **kwargs):
        """Run ``action(db, ctx, actor, *args)`` and assert each audited field it changed has one matching row."""
        self.walked.add(name)
        with self.app.test_request_context(), self.database.writer() as db:
            ctx = get_ctx()
            before, last = _snapshot(db), db.scalar(select(func.max(TicketEvent.id))) or 0
            actor = db.get(Person, self.people[role].id) if role else None
            result = action(db, ctx, *((actor,) if role else ()), *args, **kwargs)
        with self.database.reader() as db:
            after = _snapshot(db)
            rows = db.scalars(select(TicketEvent).where(TicketEvent.id > last)).all()
        written = {(r.ticket_id, r.field, r.old, r.new) for r in rows}
        changed = 0
        for ticket_id, values in after.items():
            old = before.get(ticket_id, (None,) * len(AUDITED))
            for field, was, now in zip(AUDITED, old, values):
                if was != now and (ticket_id in before or field == "status"):  # a new ticket records its first status
                    changed += 1
                    assert (ticket_id, field, _text(was), _text(now)) in written, (name, ticket_id, field, was, now)
        return result, changed


def _new(walk, role="employee_a", **fields):
    body = {"title": "Écran noir au démarrage", "description": "Le poste reste sur un écran noir.", **fields}
    created, _ = walk("create_ticket", role, ticket_actions.create_ticket, body)
    return created.ticket.id


def test_every_action_records_each_field_it_changes(app):
    walk = Walk(app)
    t = _new(walk)
    assert walk("take", "n1", workflow.take, t)[1] == 2  # status and assignee
    walk("update_ticket", "n1", ticket_actions.update_ticket, t, {"impact": "high", "urgency": "high"})
    walk("update_ticket", "n1", ticket_actions.update_ticket, t, {"assignee_id": walk.people["n1_bis"].id})
    assert walk("escalate", "n1", workflow.escalate, t, "Réinitialisation côté serveur nécessaire.")[1] == 3  # level, group, assignee
    walk("take", "n2", workflow.take, t)
    walk("comment", "n2", ticket_actions.comment, t, "Pouvez-vous redémarrer le poste ?")
    walk("move", "n2", workflow.move, t, "waiting", question="Le message s'affiche-t-il encore ?")
    assert walk("comment", "employee_a", ticket_actions.comment, t, "Oui, toujours.")[1] == 1  # resumes the work
    walk("attach", "employee_a", lambda db, ctx, actor, ticket_id: ticket_actions.attach(
        db, ctx, get_files(), actor, ticket_id, ("capture.txt", io.BytesIO(b"ecran noir"))), t)
    walk("link_article", "n2", ticket_actions.link_article, t, ARTICLE)
    walk("move", "n2", workflow.move, t, "resolved", note="Pilote graphique réinstallé.", articles=[ARTICLE])
    walk("reopen", "employee_a", workflow.reopen, t, "L'écran est de nouveau noir ce matin.")
    walk("move", "n2", workflow.move, t, "resolved", note="Carte graphique remplacée.", articles=[ARTICLE])
    walk("move", "employee_a", workflow.move, t, "closed", reason="résolution confirmée par le demandeur")
    walk("rate", "employee_a", ticket_actions.rate, t, 5, None)

    # Assignment in bulk, merge into another ticket, self-resolution, cancellation.
    a, b = _new(walk), _new(walk, "employee_b")
    walk("assign_many", "n1", ticket_actions.assign_many, [a, b], walk.people["n1"].id)
    assert walk("merge", "n1", ticket_actions.merge, a, b)[1] == 1
    walk("link", "n1", ticket_actions.link, b, _new(walk), "related")
    walk("self_resolve", "employee_a", workflow.self_resolve, _new(walk), ARTICLE)
    walk("move", "employee_a", workflow.move, _new(walk), "cancelled", reason="Finalement réglé.")

    # A problem resolved with its incidents: the rule moves the incidents too.
    problem = _new(walk, "n2", type="problem")
    incident = _new(walk)
    walk("link_many_to_problem", "n2", ticket_actions.link_many_to_problem, [incident], problem)
    walk("publish", "n2", ticket_actions.publish, incident, {"public_title": "Écrans noirs", "public_text": "Nous cherchons.",
                                                           "published": True, "major": True})
    walk("join_incident", "employee_b", ticket_actions.join_incident, incident)
    assert walk("move", "n2", workflow.move, problem, "resolved", note="Mise à jour du pilote déployée.",
                articles=[ARTICLE], resolve_incidents=True)[1] == 2

    # Access requests: the approvers' quorum moves the ticket (the system acts).
    access = _new(walk, "employee_a", type="access_request", catalogue_item="logiciel-paie",
                  description="Préparer les fiches de paie.")
    for approver in ("approver", "approver_2"):
        walk("decide", approver, workflow.decide, access, "approved", None)
    refused = _new(walk, "employee_a", type="access_request", catalogue_item="crm-clients", description="Fiches clients.")
    assert walk("decide", "approver", workflow.decide, refused, "rejected", "Pas pour ce poste.")[1] == 1
    with app.extensions["guichet_db"].reader() as db:
        assert (db.get(Ticket, access).status, db.get(Ticket, refused).status) == ("new", "rejected")

    # Auto-close: the clock moves past the delay and the system closes the resolved ticket.
    late = _new(walk)
    walk("move", "n1", workflow.move, late, "resolved", note="Redémarrage du service.", kb_gap=True)
    ctx = app.extensions["guichet_context"]
    clock, ctx.clock = ctx.clock, FixedClock(ctx.clock.now().replace(year=ctx.clock.now().year + 1))
    try:
        assert late in walk("auto_close", None, workflow.auto_close)[0]
    finally:
        ctx.clock = clock

    everything = {name for module in (ticket_actions, workflow) for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if fn.__module__ == module.__name__ and not name.startswith("_")}
    assert everything - walk.walked == set()  # a new action joins this walk


def test_the_history_explains_every_ticket_of_the_demo(app):
    """Replaying each ticket's rows from its creation gives today's assignee, group, level, priority and status."""
    policies = app.extensions["guichet_context"].policies
    unknown = object()  # the priority a ticket was created with is not a change, so it has no row
    with app.extensions["guichet_db"].reader() as db:
        rows = db.scalars(select(TicketEvent).where(TicketEvent.field.in_(AUDITED)).order_by(TicketEvent.id)).all()
        for ticket in db.scalars(select(Ticket)):
            state = {"assignee_id": None, "group": policies.default_group, "level": "N1", "priority": unknown,
                     "status": None}
            for row in (r for r in rows if r.ticket_id == ticket.id):
                if state[row.field] is not unknown:
                    assert row.old == _text(state[row.field]), (ticket.id, row.field, row.old, state[row.field])
                state[row.field] = row.new
            for field in AUDITED:
                if state[field] is not unknown:
                    assert state[field] == _text(getattr(ticket, field)), (ticket.id, ticket.title, field)
