"""Automation rules inside the actions: after a person's (or the clock's) change, the matching rules run as the system.

They run in file order, in the same transaction as the change that triggered them (the calling action commits).
What a rule changes never runs the rules again: the session carries the depth, and a nested run does nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ticket_service.domain import rule_effects
from ticket_service.domain.automation import matches, rules_for
from ticket_service.domain.context import Context
from ticket_service.store.models import Ticket

_DEPTH = "guichet.rules_depth"
MAX_DEPTH = 1  # a rule's own changes do not re-run rules


def run_rules(db: Session, ctx: Context, ticket: Ticket, trigger: str) -> list[tuple[str, list[str]]]:
    """Run the rules listening to ``trigger`` that match the ticket, each seeing the previous ones' changes.

    Returns (rule name, steps done) for each rule that matched; nothing when called from inside a rule's run.
    """
    rules = rules_for(ctx.policies.automation, trigger)
    if not rules or db.info.get(_DEPTH, 0) >= MAX_DEPTH or ticket is None:
        return []
    now = ctx.clock.now()
    db.info[_DEPTH] = db.info.get(_DEPTH, 0) + 1
    try:
        done, facts = [], rule_effects.facts_of(db, ctx, ticket, now)
        for rule in rules:
            if matches(rule, facts):
                done.append((rule.name, rule_effects.apply(db, ctx, ticket, rule, trigger, now)))
                facts = rule_effects.facts_of(db, ctx, ticket, now)  # the next rules see this one's changes
        db.flush()
        return done
    finally:
        db.info[_DEPTH] -= 1
