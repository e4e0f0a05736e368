"""Load the demo company « Ferrand & Associés » (people, a month of tickets and help sessions), once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit
from ticket_service.demo.tickets import load_demo
from ticket_service.domain.context import Context


def load(db: Session, ctx: Context, password: str, method: str) -> dict:
    """Create the demo data that is not there yet and commit it with its events."""
    result = load_demo(db, ctx, password, method, now=ctx.clock.now())
    commit(db)
    return result
