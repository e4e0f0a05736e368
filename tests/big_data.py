"""Seed a database with a large, realistic-looking helpdesk history (catalogue L-03), and read query plans.

Rows go in through SQLAlchemy Core in batches: the point is the volume the pages must stay fast on, not the
lifecycle (which the other tests exercise). Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, select

from ticket_service.store.models import Comment, HelpEvent, Person, Ticket, TicketEvent, searchable_text

CATEGORIES = ["poste-de-travail", "impression", "messagerie", "reseau-vpn", "comptes-acces", "logiciels-metier",
              "telephonie-visio", "securite", "arrivees-departs"]
TYPES = ["incident", "incident", "incident", "service_request", "access_request", "problem"]
OPEN = ["new", "in_progress", "waiting", "awaiting_approval"]
WORDS = ("imprimante outlook vpn teams écran mot de passe wifi lent bloqué erreur fichier partage accès "
         "synchronisation onedrive poste démarrage mise à jour licence badge téléphone réunion").split()
HELP_TYPES = ["suggestions_shown", "suggestions_shown", "article_opened", "solved", "ticket_created"]
BATCH = 5_000


def _batches(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(session, *, people: int, tickets: int, comments: int, help_events: int = 0, seed: int = 7,
         now: datetime | None = None) -> dict:
    """Add ``people`` employees, ``tickets`` tickets over two years, ``comments`` comments and help events.

    Returns the ids of the first and last seeded tickets.
    """
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    staff = [p.id for p in session.scalars(select(Person).where(Person.role == "technician"))]
    start = session.scalar(select(Person.id).order_by(Person.id.desc())) or 0
    session.execute(insert(Person), [
        {"email": f"salarie{i}@example.test", "name": f"Salarié {i}", "role": "employee", "site": "Lyon",
         "active": True, "session_epoch": 0, "created_at": now}
        for i in range(people)])
    employees = list(range(start + 1, start + people + 1))
    ticket_start = session.scalar(select(Ticket.id).order_by(Ticket.id.desc())) or 0

    def ticket_rows():
        for i in range(tickets):
            created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            recent = (now - created).days < 20
            status = rng.choice(OPEN) if recent and rng.random() < 0.6 else rng.choice(["closed"] * 9 + ["cancelled"])
            done = status in ("closed", "cancelled")
            title = " ".join(rng.sample(WORDS, 4)).capitalize()
            description = title + " depuis ce matin."
            yield {"requester_id": rng.choice(employees), "title": title, "description": description,
                   "search_text": searchable_text(title, description),
                   "type": rng.choice(TYPES), "category": rng.choice(CATEGORIES), "impact": "low", "urgency": "medium",
                   "priority": rng.choice(["P2", "P3", "P3", "P4", "P4"]), "status": status,
                   "level": rng.choice(["N1", "N1", "N1", "N2", "N3"]), "group": "support",
                   "assignee_id": rng.choice(staff) if staff and status != "new" else None,
                   "created_at": created, "updated_at": created + timedelta(hours=3),
                   "resolved_at": created + timedelta(hours=5) if done else None,
                   "closed_at": created + timedelta(days=3) if done else None,
                   "first_response_at": created + timedelta(hours=1),
                   "resolution_due": None if done else created + timedelta(days=2),
                   "paused_seconds": 0.0, "kb_gap": rng.random() < 0.02, "escalation_count": 0, "reopen_count": 0,
                   "published": False, "major": False,
                   "satisfaction_rating": rng.choice([None, None, 4, 5, 3]) if done else None}

    for batch in _batches(ticket_rows()):
        session.execute(insert(Ticket), batch)
    ticket_ids = range(ticket_start + 1, ticket_start + tickets + 1)

    def comment_rows():
        for _ in range(comments):
            ticket = rng.choice(ticket_ids)
            yield {"ticket_id": ticket, "author_id": rng.choice(staff or employees), "body": "Pouvez-vous redémarrer ?",
                   "internal": rng.random() < 0.3, "created_at": now - timedelta(minutes=rng.randrange(1_000_000))}

    for batch in _batches(comment_rows()):
        session.execute(insert(Comment), batch)
    for batch in _batches({"ticket_id": t, "actor_id": None, "at": now, "field": "status", "old": None,
                           "new": "new", "reason": None} for t in ticket_ids):
        session.execute(insert(TicketEvent), batch)

    def help_rows():
        for i in range(help_events):
            at = now - timedelta(minutes=rng.randrange(200_000))
            yield {"event_id": f"big-{seed}-{i}", "session_id": f"s{i // 4}", "person_id": rng.choice(employees),
                   "type": rng.choice(HELP_TYPES), "at": at, "article_id": None, "received_at": at}

    for batch in _batches(help_rows()):
        session.execute(insert(HelpEvent), batch)
    return {"first_ticket": ticket_start + 1, "last_ticket": ticket_start + tickets}


class StatementLog:
    """Record the SELECT statements an engine runs (with their parameters) while active."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def sqlite_plan(connection, statement: str, parameters) -> list[str]:
    """Return SQLite's EXPLAIN QUERY PLAN lines of one statement."""
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    return [row[-1] for row in rows]


BIG_TABLES = ("tickets", "comments", "ticket_events", "help_events", "people", "attachments", "article_links")
_FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(BIG_TABLES)})$")  # "SCAN t USING INDEX …" walks an index: not one


def full_scans(connection, statements) -> list[tuple[str, str]]:
    """Return ``(table, statement)`` for every read of a whole big table among ``(statement, parameters)``."""
    return [(line.split()[1], statement) for statement, parameters in statements
            for line in sqlite_plan(connection, statement, parameters) if _FULL_SCAN.match(line)]
