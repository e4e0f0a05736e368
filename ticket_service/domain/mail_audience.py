"""Who the mails beyond the requester's go to: the approvers asked to decide, the people a major incident concerns.

And which mails a person may switch off: the essential ones (what they must answer or act on) always go.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ticket_service.domain.directory import MANAGER, manager_of
from ticket_service.domain.policies import Policies
from ticket_service.domain.errors import invalid
from ticket_service.store.models import Approval, IncidentFollower, MailOptOut, Person, Ticket, TicketLink

# Every mail Guichet sends, classed: essential ones cannot be switched off (a question, a decision, a deadline),
# optional ones can (news the person can also read in the portal or the desk).
ESSENTIAL = ("acknowledgement", "reply", "waiting", "resolved", "approval_requested", "sla_at_risk", "sla_breached",
             "delay_announced", "waiting_reminder")
OPTIONAL = ("closed", "major_incident_opened", "major_incident_resolved", "monthly_summary",
            "rule_notice")  # an automation rule's notice: news the desk and the portal show too


def may_switch_off(notification: str) -> bool:
    """True when a person may choose not to receive this notification."""
    return notification in OPTIONAL


def wanted(notification: str, switched_off: set[str] | frozenset[str]) -> bool:
    """True when the mail goes: always for an essential one, else unless the person switched it off."""
    return not may_switch_off(notification) or notification not in switched_off


def check_switched_off(names: set[str]) -> None:
    """Refuse a preference that names an unknown or an essential mail (422 naming them and what may be chosen)."""
    wrong = sorted(n for n in names if not may_switch_off(n))
    if wrong:
        raise invalid("Ces courriels ne peuvent pas être désactivés : " + ", ".join(wrong) + ".",
                      {"switched_off": "choisir parmi " + ", ".join(OPTIONAL)})


def opted_out(db: Session, emails: list[str]) -> set[tuple[str, str]]:
    """Return (lower-case e-mail, notification) for each optional mail these people switched off."""
    if not emails:
        return set()
    rows = db.execute(select(Person.email, MailOptOut.notification).join(MailOptOut, MailOptOut.person_id == Person.id)
                      .where(func.lower(Person.email).in_([e.lower() for e in emails])))
    return {(email.lower(), notification) for email, notification in rows}


def approvers_to_ask(db: Session, policies: Policies, ticket: Ticket) -> list[Person]:
    """Return the designated approvers of an access request awaiting approval who have not decided yet."""
    item = policies.catalogue.get(ticket.catalogue_item or "")
    if ticket.type != "access_request" or ticket.status != "awaiting_approval" or item is None or not item.approvers:
        return []
    decided = select(Approval.approver_id).where(Approval.ticket_id == ticket.id)
    listed = and_(Person.email.in_(item.approvers), Person.role == "approver")
    manager = manager_of(db, ticket.requester_id) if MANAGER in item.approvers else None
    if manager is not None:  # the requester's manager, whatever their role (the directory names them)
        listed = or_(listed, Person.id == manager.id)
    return list(db.scalars(select(Person).where(
        listed, Person.active.is_(True), Person.id != ticket.requester_id, Person.id.not_in(decided)).order_by(Person.id)))


def incident_audience(db: Session, policies: Policies, ticket: Ticket) -> list[Person]:
    """Return, once each, the people a major incident concerns: its group and assignee (staff), its requester, the
    employees who joined it (« moi aussi ») and the requesters of the tickets linked to it."""
    group = policies.groups.get(ticket.group)
    emails = list(group.members) if group else []
    staff = set(db.scalars(select(Person.id).where(func.lower(Person.email).in_([e.lower() for e in emails])))) if emails else set()
    if ticket.assignee_id is not None:
        staff.add(ticket.assignee_id)
    joined = set(db.scalars(select(IncidentFollower.person_id).where(IncidentFollower.ticket_id == ticket.id)))
    linked = set(db.scalars(select(Ticket.requester_id).join(TicketLink, TicketLink.source_id == Ticket.id).where(
        TicketLink.target_id == ticket.id)))
    ids = staff | joined | linked | {ticket.requester_id}
    return list(db.scalars(select(Person).where(Person.id.in_(ids), Person.active.is_(True)).order_by(Person.id)))


def is_staff_of(policies: Policies, ticket: Ticket, person: Person) -> bool:
    """True for a technician of the incident's group or its assignee: their link goes to the desk."""
    group = policies.groups.get(ticket.group)
    return person.id == ticket.assignee_id or (group is not None and person.email.lower() in group.members)
