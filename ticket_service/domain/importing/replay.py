"""Replay a past ticket's timeline through the live rules, each step at its own instant.

The ticket, its history rows, replies, pauses, escalations, assignments, resolution with its articles, reopenings,
closure and rating are written by the same domain functions a live ticket meets, so every report and the learning
review read an imported ticket like a live one. Only two things differ, both because the file is the truth of the
past: a reply never moves the ticket (waiting periods and reopenings are stated by the file), and people the file
names who have no account are created inactive, without a password (an employee, or a technician when they acted
as one).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain import sla, tickets, transitions
from ticket_service.domain.context import Context
from ticket_service.domain.errors import DomainError
from ticket_service.domain.history import record
from ticket_service.domain.importing.records import LineProblems, Step, TicketRecord
from ticket_service.domain.vocabulary import ENDED, NEXT_LEVEL, STAFF_ROLES
from ticket_service.store.models import Comment, Person, Ticket

DEFAULT_NOTE = "Résolution reprise de l'ancien outil (ticket importé)."
DEFAULT_ESCALATION = "Escalade reprise de l'ancien outil (motif non renseigné)."
DEFAULT_REOPEN = "Résolution refusée (reprise de l'ancien outil)."
CONFIRMED = "résolution confirmée par le demandeur"
AUTO_CLOSED = "clôture automatique sans réponse du demandeur"
CLOSED_UNRESOLVED = "clos sans résolution dans l'ancien outil"
FIELD_NAMES = {"articles": "article", "article_id": "article", "rating": "score", "body": "text"}


class Replay:
    """Write imported tickets into a session (the caller decides whether the transaction commits)."""

    def __init__(self, db: Session, ctx: Context):
        self.db, self.ctx = db, ctx
        self._people: dict[str, Person] = {}
        self._new: list[str] = []  # e-mails created by the ticket being replayed (forgotten if it is rolled back)
        self.people_created = 0

    def existing(self, external_id: str) -> int | None:
        """Return the id of the ticket already imported under this external id."""
        return self.db.scalar(select(Ticket.id).where(Ticket.external_id == external_id))

    def forget(self) -> None:
        """Drop the people the last (rolled back) ticket created from the cache."""
        for email in self._new:
            self._people.pop(email, None)
        self.people_created -= len(self._new)
        self._new = []

    def person(self, email: str, staff: bool, field: str, *, create_staff: bool | None = None) -> Person:
        """Return the account of an e-mail, created inactive when unknown; refuse a non-technician acting as one."""
        create_staff = staff if create_staff is None else create_staff
        found = self._people.get(email)
        if found is None:
            found = self.db.scalar(select(Person).where(func.lower(Person.email) == email))
            if found is None:
                found = Person(email=email, name=display_name(email), role="technician" if create_staff else "employee",
                               active=False, session_epoch=0, password_hash=None, created_at=self.ctx.clock.now())
                self.db.add(found)
                self.db.flush()
                self._new.append(email)
                self.people_created += 1
            self._people[email] = found
        if staff and found.role not in STAFF_ROLES:
            raise LineProblems([(field, f"{email} n'est pas technicien (rôle {found.role}) : il ne peut pas faire cela")])
        return found

    def ticket(self, rec: TicketRecord) -> Ticket:
        """Create the ticket and replay its steps; raise LineProblems at the first refusal (the caller rolls back)."""
        self._new = []
        staff = set(rec.staff) | {s.data["by"] for s in rec.steps if s.kind in ("reply", "reopen", "wait_end")
                                  and s.data.get("by") and s.data["by"] != rec.requester}
        requester = self.person(rec.requester, False, "requester", create_staff=rec.requester in staff)
        v = rec.values
        data = {k: v[k] for k in ("type", "title", "description", "category", "catalogue_item", "item_fields", "impact",
                                  "urgency") if v.get(k) is not None}
        try:
            ticket = tickets.create_ticket(self.db, self.ctx, requester, data, now=rec.created, channel="import")
        except DomainError as exc:
            raise LineProblems(_problems(exc, "")) from None
        ticket.external_id = rec.external_id
        policies = self.ctx.policies
        if v["group"] != ticket.group:  # created in that group: no history row, as a live ticket's first group
            ticket.group, ticket.level = v["group"], policies.groups[v["group"]].level
        if v.get("priority") and v["priority"] != ticket.priority:  # the old tool's priority, not our matrix's
            ticket.priority = v["priority"]
            sla.compute_dues(ticket, policies, self.ctx.calendar)
        for step in rec.steps:
            try:
                getattr(self, "_" + step.kind)(ticket, step, requester, staff)
            except DomainError as exc:
                raise LineProblems(_problems(exc, step.field)) from None
        self.db.flush()
        self._new = []
        return ticket

    # --- one method per kind of step -----------------------------------------------------------------------

    def _actor(self, ticket: Ticket, step: Step, key: str = "by") -> Person:
        """Return who did a step: the person named, else the ticket's assignee at that moment."""
        email = step.data.get(key)
        if email:
            return self.person(email, True, f"{step.field}.{key}")
        if ticket.assignee_id is not None:
            return self.db.get(Person, ticket.assignee_id)
        raise LineProblems([(f"{step.field}.{key}", "obligatoire : le ticket n'est assigné à personne à ce moment")])

    def _assign(self, ticket: Ticket, step: Step, requester: Person, staff: set) -> None:
        actor = self.person(step.data["by"], True, f"{step.field}.by")
        to = self.person(step.data["to"], True, f"{step.field}.to")
        if ticket.status in ENDED:
            raise LineProblems([(step.field, "le ticket est déjà clos")])
        group = step.data.get("group")
        if group and group != ticket.group:
            if self.ctx.policies.groups[group].level != ticket.level:
                raise LineProblems([(f"{step.field}.group", f"groupe d'un autre niveau que {ticket.level} : "
                                                             "passez par escalated")])
            record(self.db, ticket, actor, "group", ticket.group, group, now=step.at)
            ticket.group = group
        if ticket.assignee_id != to.id:
            record(self.db, ticket, actor, "assignee_id", ticket.assignee_id, to.id, now=step.at)
            ticket.assignee_id = to.id
        ticket.updated_at = step.at

    def _qualify(self, ticket, step, requester, staff) -> None:
        if ticket.status != "new":
            raise LineProblems([(step.field, f"le ticket n'est plus nouveau à ce moment (« {ticket.status} »)")])
        transitions.transition(self.db, self.ctx, ticket, self._actor(ticket, step), "in_progress", now=step.at)

    def _wait_start(self, ticket, step, requester, staff) -> None:
        transitions.transition(self.db, self.ctx, ticket, self._actor(ticket, step), "waiting", now=step.at)

    def _wait_end(self, ticket, step, requester, staff) -> None:
        if ticket.status != "waiting":
            raise LineProblems([(step.field, f"le ticket n'est plus en attente à ce moment (« {ticket.status} »)")])
        email = step.data.get("by")
        actor = self.person(email, email != requester.email, f"{step.field}_by") if email else requester
        reason = "réponse du demandeur" if actor.id == requester.id else None
        transitions.transition(self.db, self.ctx, ticket, actor, "in_progress", reason=reason, now=step.at)

    def _reply(self, ticket, step, requester, staff) -> None:
        author = self.person(step.data["by"], step.data["by"] in staff, f"{step.field}.by")
        internal = step.data["internal"]
        tickets.may_write(ticket, author, internal=internal)
        self.db.add(Comment(ticket_id=ticket.id, author_id=author.id, body=step.data["text"], internal=internal,
                            created_at=step.at))
        if author.role in STAFF_ROLES and author.id != requester.id and not internal and ticket.first_response_at is None:
            ticket.first_response_at = step.at
        ticket.updated_at = step.at

    def _escalate(self, ticket, step, requester, staff) -> None:
        level = step.data["level"]
        if NEXT_LEVEL.get(ticket.level) != level:
            raise LineProblems([(f"{step.field}.level", f"le ticket est au niveau {ticket.level} à ce moment : "
                                                         f"l'escalade mène à {NEXT_LEVEL.get(ticket.level, 'aucun')}")])
        actor = self._actor(ticket, step)
        reason = step.data.get("reason") or DEFAULT_ESCALATION
        if len(reason) < 10:
            reason = f"{reason} (escalade importée)"
        transitions.escalate(self.db, self.ctx, ticket, actor, reason, now=step.at)
        group = step.data.get("group")
        if group and group != ticket.group:  # another group of that level than the first one
            record(self.db, ticket, actor, "group", ticket.group, group, reason, now=step.at)
            ticket.group = group

    def _resolve(self, ticket, step, requester, staff) -> None:
        articles = step.data["articles"]
        transitions.transition(self.db, self.ctx, ticket, self._actor(ticket, step), "resolved", now=step.at,
                               note=step.data.get("note") or DEFAULT_NOTE, articles=articles, kb_gap=not articles)

    def _reopen(self, ticket, step, requester, staff) -> None:
        email = step.data.get("by")
        actor = self.person(email, email in staff, f"{step.field}.by") if email else requester
        reason = step.data.get("reason")
        transitions.transition(self.db, self.ctx, ticket, actor, "in_progress", reason=reason or DEFAULT_REOPEN,
                               now=step.at)
        if reason and actor.id == requester.id:  # « Ce n'est pas résolu » keeps the reason as a reply too
            self.db.add(Comment(ticket_id=ticket.id, author_id=actor.id, body=reason, internal=False, created_at=step.at))

    def _confirm(self, ticket, step, requester, staff) -> None:
        transitions.transition(self.db, self.ctx, ticket, requester, "closed", reason=CONFIRMED, now=step.at)

    def _close(self, ticket, step, requester, staff) -> None:
        reason = AUTO_CLOSED if ticket.status == "resolved" else CLOSED_UNRESOLVED
        transitions.transition(self.db, self.ctx, ticket, None, "closed", reason=reason, now=step.at)

    def _rate(self, ticket, step, requester, staff) -> None:
        tickets.rate(self.db, self.ctx, ticket, requester, step.data["score"], step.data.get("comment"), now=step.at)


def display_name(email: str) -> str:
    """Return a readable name for an account made from an e-mail (« marie.dupont@… » → « Marie Dupont »)."""
    local = email.split("@", 1)[0]
    words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
    return " ".join(w.capitalize() for w in words)[:200] or email[:200]


def _problems(exc: DomainError, prefix: str) -> list[tuple[str, str]]:
    """Name a refusal of the live rules by the file's field."""
    if exc.fields:
        return [(f"{prefix}.{FIELD_NAMES.get(k, k)}" if prefix else k, f"{v} ({exc.message})" if prefix else str(v))
                for k, v in exc.fields.items()]
    return [(prefix or "ticket", exc.message)]
