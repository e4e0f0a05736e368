"""SLA clocks in business hours: due instants, pauses (waiting, approval, resolved) and breach/at-risk flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import DONE, OPEN
from ticket_service.store.models import Ticket

RUNNING = ("new", "in_progress")  # the clock ticks only in these states
PAUSED = ("waiting", "awaiting_approval", "resolved")


def _targets(policies: Policies, ticket: Ticket) -> tuple[float, float]:
    row = policies.targets(ticket.priority, ticket.catalogue_item)  # a catalogue item may set its own
    return row["first_response"] * 3600, row["resolution"] * 3600


def compute_dues(ticket: Ticket, policies: Policies, cal: BusinessCalendar) -> None:
    """Set the due instants from creation, the priority's targets and the business time spent paused."""
    first, resolution = _targets(policies, ticket)
    ticket.first_response_due = cal.add_business_seconds(ticket.created_at, first)
    ticket.resolution_due = cal.add_business_seconds(ticket.created_at, resolution + ticket.paused_seconds)
    ticket.resolution_at_risk = cal.add_business_seconds(
        ticket.created_at, resolution * policies.at_risk_ratio + ticket.paused_seconds)


def pause(ticket: Ticket, now: datetime, *, keep_due: bool = False) -> None:
    """Stop the resolution clock (entering waiting/approval, or resolved when keep_due to judge the breach)."""
    if ticket.waiting_since is None:
        ticket.waiting_since = now
    if not keep_due:
        ticket.resolution_due = ticket.resolution_at_risk = None


def resume(ticket: Ticket, now: datetime, policies: Policies, cal: BusinessCalendar) -> None:
    """Restart the clock, adding the business time spent paused, and recompute the dues."""
    if ticket.waiting_since is not None:
        ticket.paused_seconds = (ticket.paused_seconds or 0.0) + cal.business_seconds_between(ticket.waiting_since, now)
        ticket.waiting_since = None
    compute_dues(ticket, policies, cal)


TARGETS = ("first_response", "resolution")
_STATE_COLUMNS = (Ticket.id, Ticket.status, Ticket.priority, Ticket.catalogue_item, Ticket.created_at,
                  Ticket.first_response_at, Ticket.first_response_due, Ticket.resolved_at, Ticket.resolution_due,
                  Ticket.resolution_at_risk)


@dataclass(frozen=True)
class TargetState:
    """Where one SLA target of a ticket stands: ``ok``, ``at_risk`` or ``breached``, with its instants."""

    state: str
    due: datetime | None
    at_risk_at: datetime | None


def target_states(ticket: Ticket, now: datetime, policies: Policies, cal: BusinessCalendar) -> dict[str, TargetState]:
    """Return the state of each target: the one computation behind the desk queues, the clocks and the SLA watch."""
    first_target, _ = _targets(policies, ticket)
    met, fr_due = ticket.first_response_at, ticket.first_response_due
    fr_risk = None
    if fr_due is not None and (met or now) > fr_due:
        first = "breached"
    elif fr_due is not None and met is None and ticket.status in RUNNING:
        fr_risk = cal.add_business_seconds(ticket.created_at, first_target * policies.at_risk_ratio)
        first = "at_risk" if now >= fr_risk else "ok"
    else:
        first = "ok"
    finished = ticket.resolved_at if ticket.status in DONE else None
    due, risk = ticket.resolution_due, ticket.resolution_at_risk
    if finished is not None:
        resolution = "breached" if due is not None and finished > due else "ok"
    elif ticket.status not in RUNNING or due is None:  # paused (waiting on the requester, an approval): no tick
        resolution = "ok"
    elif now > due:
        resolution = "breached"
    else:
        resolution = "at_risk" if risk is not None and now >= risk else "ok"
    return {"first_response": TargetState(first, fr_due, fr_risk), "resolution": TargetState(resolution, due, risk)}


def ticket_state(states: dict[str, TargetState]) -> str:
    """Return a ticket's queue: ``breached`` if any target is, else ``at_risk`` if any is, else ``ok``."""
    kinds = {s.state for s in states.values()}
    return "breached" if "breached" in kinds else "at_risk" if "at_risk" in kinds else "ok"


def open_states(db, now: datetime, policies: Policies, cal: BusinessCalendar) -> dict[int, dict[str, TargetState]]:
    """Return the target states of every open ticket, by ticket id."""
    # plain rows of the columns target_states reads (a desk page pays this): a third of loading whole tickets
    rows = db.execute(select(*_STATE_COLUMNS).where(Ticket.status.in_(OPEN)).order_by(Ticket.id))
    return {row.id: target_states(row, now, policies, cal) for row in rows}


def queue_ids(db, now: datetime, policies: Policies, cal: BusinessCalendar) -> dict[str, list[int]]:
    """Return the ids of the open tickets in the « à risque » and « dépassé » queues."""
    queues = {"at_risk": [], "breached": []}
    for ticket_id, states in open_states(db, now, policies, cal).items():
        state = ticket_state(states)
        if state != "ok":
            queues[state].append(ticket_id)
    return queues


def sla_view(ticket: Ticket, now: datetime, policies: Policies, cal: BusinessCalendar) -> dict:
    """Return the clocks as shown on a ticket: due instants, paused, breached and at-risk flags."""
    first_target, resolution_target = _targets(policies, ticket)
    states = target_states(ticket, now, policies, cal)
    met, fr_due, due = ticket.first_response_at, ticket.first_response_due, ticket.resolution_due
    fr_breached, fr_at_risk = states["first_response"].state == "breached", states["first_response"].state == "at_risk"
    res_breached, res_at_risk = states["resolution"].state == "breached", states["resolution"].state == "at_risk"
    finished = ticket.resolved_at if ticket.status in DONE else None
    paused = ticket.status in ("waiting", "awaiting_approval")
    elapsed = cal.business_seconds_between(ticket.created_at, ticket.waiting_since or finished or now) - (ticket.paused_seconds or 0)
    return {
        "first_response": {"due": _iso(fr_due), "met_at": _iso(met), "breached": fr_breached, "at_risk": bool(fr_at_risk),
                           "target_hours": first_target / 3600},
        "resolution": {"due": _iso(due), "paused": bool(paused), "breached": res_breached, "at_risk": bool(res_at_risk),
                       "target_hours": resolution_target / 3600, "elapsed_business_hours": round(max(elapsed, 0) / 3600, 2)},
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def auto_close_due(resolved_at: datetime, policies: Policies, cal: BusinessCalendar) -> datetime:
    """Return when a resolved ticket closes by itself: N full business days later."""
    return cal.add_business_seconds(resolved_at, policies.auto_close_business_days * cal.day_seconds())
