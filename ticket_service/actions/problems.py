"""« Créer un problème » : open a problem for recurring incidents and link them to it, in one commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, locked_ticket
from ticket_service.domain import problems
from ticket_service.domain.access import load_ticket
from ticket_service.domain.context import Context
from ticket_service.store import idempotency
from ticket_service.store.models import Person, Ticket


def create_problem(db: Session, ctx: Context, actor: Person, incident_ids: list[int], title: str | None = None, *,
                   key: str | None = None) -> Ticket:
    """Open the problem and link every incident (all or nothing); a repeated key returns the first problem."""
    ids = sorted(set(incident_ids))
    digest = idempotency.fingerprint({"incidents": ids, "title": title or ""})
    if key is not None:
        replay = idempotency.replayed_id(db, actor.id, key, "problems", digest)
        if replay is not None:
            return load_ticket(db, ctx, actor, replay)
    incidents = [locked_ticket(db, ctx, actor, i) for i in ids]
    problem = problems.open_problem(db, ctx, actor, incidents, title, ctx.clock.now())
    if key is not None:
        idempotency.remember(db, actor.id, key, "problems", digest, problem.id)
    commit(db)
    return problem
