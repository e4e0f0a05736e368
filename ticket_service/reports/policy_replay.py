"""``guichet policies replay``: read the period's tickets as they were created, and say what a proposal changes.

Read-only: the tickets are read in one transaction that writes nothing; the comparison is domain.replay's.
"""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal, format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain.replay import Comparison, PastTicket
from ticket_service.store.models import Person, Ticket, TicketEvent

AS_CREATED = ("type", "category", "impact", "urgency")  # fields people may edit later: the history keeps the first
SHOWN = 10  # ticket numbers listed per line; the JSON lists them all


def past_tickets(db: Session, since: datetime, until: datetime) -> list[PastTicket]:
    """Return the tickets created in [since, until) as they were created (the first old value of each edited field)."""
    rows = db.execute(select(Ticket, Person.department, Person.site).join(Person, Person.id == Ticket.requester_id)
                      .where(Ticket.created_at >= since, Ticket.created_at < until).order_by(Ticket.id)).all()
    ids = [t.id for t, _, _ in rows]
    first_old: dict[tuple[int, str], str | None] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for ticket_id, name, old in db.execute(
                select(TicketEvent.ticket_id, TicketEvent.field, TicketEvent.old)
                .where(TicketEvent.ticket_id.in_(chunk), TicketEvent.field.in_(AS_CREATED)).order_by(TicketEvent.id)):
            first_old.setdefault((ticket_id, name), old)
    tickets = []
    for t, department, site in rows:
        created = {name: first_old.get((t.id, name), getattr(t, name)) for name in AS_CREATED}
        tickets.append(PastTicket(
            id=t.id, created_at=t.created_at, title=t.title, description=t.description, channel=t.channel or "api",
            catalogue_item=t.catalogue_item, department=department, site=site, status=t.status,
            first_response_at=t.first_response_at, resolved_at=t.resolved_at, paused_seconds=t.paused_seconds or 0.0,
            **created))
    return tickets


def to_json(result: Comparison, since: datetime, until: datetime, config: str) -> dict:
    """Return the comparison as plain JSON (English keys, numbers as numbers) for CI."""
    def side(s):
        return {"first_response_breached": s.first_response_breached, "resolution_breached": s.resolution_breached,
                "resolved": s.resolved, "resolution_compliance": None if s.compliance is None else round(s.compliance, 4),
                "rules": dict(sorted(s.rules.items())), "tags": dict(sorted(s.tags.items()))}
    return {
        "config": config, "since": since.isoformat(), "until": until.isoformat(), "tickets": result.tickets,
        "current": side(result.current), "proposed": side(result.proposed),
        "differences": {
            "resolution_breached": result.proposed.resolution_breached - result.current.resolution_breached,
            "first_response_breached": result.proposed.first_response_breached - result.current.first_response_breached,
            "priority_changes": [{"ticket": i, "current": a, "proposed": b} for i, a, b in result.priority_changes],
            "group_changes": [{"ticket": i, "current": a, "proposed": b} for i, a, b in result.group_changes],
            "category_changes": [{"ticket": i, "current": a, "proposed": b} for i, a, b in result.category_changes],
            "newly_breached": result.newly_breached, "no_longer_breached": result.no_longer_breached,
        },
    }


def render_text(result: Comparison, since: datetime, until: datetime, config: str, locale: str, zone) -> str:
    """Return the comparison in French for a person: what would have been different, numbers in French formats."""
    from babel.dates import format_date

    def n(value) -> str:
        return format_decimal(value, locale=locale)

    def pct(value) -> str:
        return "—" if value is None else format_percent(value, locale=locale)

    def tickets(count: int) -> str:
        return f"{n(count)} ticket{'s' if count > 1 else ''}"

    def listed(changes) -> str:
        shown = ", ".join(f"n° {i} {a or '—'} → {b or '—'}" for i, a, b in changes[:SHOWN])
        return f" ({shown}{', …' if len(changes) > SHOWN else ''})" if changes else ""

    cur, new = result.current, result.proposed
    day = lambda moment: format_date(moment.astimezone(zone), "d MMMM y", locale=locale)  # noqa: E731
    lines = [f"Rejeu de {tickets(result.tickets)} créés du {day(since)} au {day(until)} avec {config} "
             "(rien n'est écrit).", ""]
    if not result.tickets:
        return "\n".join(lines + ["Aucun ticket dans la période : rien à comparer."]) + "\n"
    delta = new.resolution_breached - cur.resolution_breached
    word = "de plus" if delta > 0 else "de moins"
    lines.append(f"Délai de résolution dépassé (résolus ou encore ouverts) : {n(cur.resolution_breached)} → "
                 f"{n(new.resolution_breached)}"
                 + (f" ({tickets(abs(delta))} {word})" if delta else " (inchangé)")
                 + (f" ; nouveaux : {', '.join(f'n° {i}' for i in result.newly_breached[:SHOWN])}"
                    if result.newly_breached else ""))
    delta = new.first_response_breached - cur.first_response_breached
    word = "de plus" if delta > 0 else "de moins"
    lines.append(f"Délai de première réponse dépassé : {n(cur.first_response_breached)} → "
                 f"{n(new.first_response_breached)}" + (f" ({tickets(abs(delta))} {word})" if delta else " (inchangé)"))
    lines.append(f"Respect du délai de résolution : {pct(cur.compliance)} → {pct(new.compliance)} "
                 f"(sur {tickets(new.resolved)} résolus)")
    lines.append(f"Priorité différente : {tickets(len(result.priority_changes))}{listed(result.priority_changes)}")
    lines.append(f"Routé vers un autre groupe : {tickets(len(result.group_changes))}{listed(result.group_changes)}")
    lines.append(f"Catégorie différente : {tickets(len(result.category_changes))}{listed(result.category_changes)}")
    names = list(dict.fromkeys([*cur.rules, *new.rules]))
    if names:
        lines.append("Règles d'automatisation (tickets concernés, actuel → proposé) :")
        lines += [f"  « {name} » : {n(cur.rules.get(name, 0))} → {n(new.rules.get(name, 0))}" for name in names]
    return "\n".join(lines) + "\n"
