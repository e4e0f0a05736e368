"""The SLA watch as the system: each open ticket under its lock, its warnings and breach steps committed with it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.actions.automation import run_rules
from ticket_service.actions.unit import commit, rollback
from ticket_service.domain import sla, sla_watch
from ticket_service.domain.context import Context
from ticket_service.domain.vocabulary import OPEN
from ticket_service.store.models import Ticket


def watch_sla(db: Session, ctx: Context) -> dict[int, list[str]]:
    """Warn at risk, report breaches and run sla.on_breach once per ticket and target; return what was done by id."""
    now = ctx.clock.now()
    candidates = [tid for tid, states in sla.open_states(db, now, ctx.policies, ctx.calendar).items()
                  if sla.ticket_state(states) != "ok"]
    db.rollback()  # end the read; each ticket is its own transaction below
    done = {}
    for ticket_id in candidates:
        # the lock serialises two watchers on one ticket: the second reads the first one's marker rows
        ticket = db.scalar(select(Ticket).where(Ticket.id == ticket_id, Ticket.status.in_(OPEN)).with_for_update())
        steps = sla_watch.watch(db, ctx, ticket, now) if ticket is not None else []
        for kind in ("at_risk", "breached"):  # reported for the first time just now: the rules listening run once
            if any(step.endswith(f":{kind}") for step in steps):
                steps += [f"rule:{name}" for name, _ in run_rules(db, ctx, ticket, f"sla_{kind}")]
        if steps:
            commit(db)
            done[ticket_id] = steps
        else:
            rollback(db)
    return done
