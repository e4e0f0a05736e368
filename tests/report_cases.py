"""A hand-built month of tickets for the dashboard's known-answer tests, made through the actions on a FixedClock.

The desk's calendar is Monday–Friday 08:30–18:00 Europe/Paris (9.5 business hours a day, UTC+1 in November 2026)
with French holidays (Wednesday 11 November); Alpes Infogérance, the N3 provider, works 09:00–17:00.
Every expected value of the tests is worked out by hand in the comments of ``build`` and of the tests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ticket_service.domain.clock import FixedClock
from ticket_service.store.models import Person
from tshelpers import ROLES

PARIS = timezone(timedelta(hours=1))  # Paris in November 2026 (and after 25 October)


def local(day: str, hour: str) -> datetime:
    """Return an instant given in Paris local time (« 2026-11-09 », « 19:00 »)."""
    return datetime.fromisoformat(f"{day}T{hour}:00").replace(tzinfo=PARIS)


class Desk:
    """Run actions as a test role at a given local instant."""

    def __init__(self, app, database):
        self.app, self.database = app, database

    def do(self, when: datetime, role: str, action, *args, **kwargs):
        """Call ``action(session, ctx, person, *args)`` at ``when`` and return its result."""
        from ticket_service.runtime import get_ctx

        with self.app.app_context(), self.database.writer() as session:
            person = session.scalar(select(Person).where(Person.email == ROLES[role]))
            return action(session, replace(get_ctx(), clock=FixedClock(when)), person, *args, **kwargs)


RESOLVE = {"note": "Corrigé sur le poste.", "kb_gap": True}


def build(app, database) -> dict[str, int]:
    """Make the seven tickets of the month; return their ids by name."""
    from ticket_service.actions import tickets as t
    from ticket_service.actions import workflow as w

    desk = Desk(app, database)

    def create(when, category, impact="low", urgency="medium", role="employee_a"):
        data = {"title": f"Cas {category} {when:%d %H:%M}", "description": "Un cas du mois de novembre.",
                "category": category, "impact": impact, "urgency": urgency}
        return desk.do(when, role, t.create_ticket, data).ticket.id

    ids = {}
    # T5, spanning October and November: P4, created Friday 30 October 17:00, taken Monday 2 November 09:00,
    # resolved 11:00. First response: Fri 17:00–18:00 + Mon 08:30–09:00 = 1.5 h. Resolution: 1 h + 2.5 h = 3.5 h.
    ids["spanning"] = create(local("2026-10-30", "17:00"), "poste-de-travail")
    desk.do(local("2026-11-02", "09:00"), "n1", w.take, ids["spanning"])
    desk.do(local("2026-11-02", "11:00"), "n1", w.move, ids["spanning"], "resolved", **RESOLVE)

    # T2, a pause: P3 (low impact, high urgency: 4 h / 24 h), created Monday 2 November 10:00, taken 10:30, a question
    # puts it « en attente » at 12:00 until the requester's answer Tuesday 14:00, resolved 16:00.
    # Gross Mon 10:00–18:00 8 h + Tue 08:30–16:00 7.5 h = 15.5 h; paused Mon 6 h + Tue 5.5 h = 11.5 h; net 4 h.
    ids["pause"] = create(local("2026-11-02", "10:00"), "impression", urgency="high")
    desk.do(local("2026-11-02", "10:30"), "n1", w.take, ids["pause"])
    desk.do(local("2026-11-02", "12:00"), "n1", w.move, ids["pause"], "waiting", question="Quel modèle d'imprimante ?")
    desk.do(local("2026-11-03", "14:00"), "employee_a", w.move, ids["pause"], "in_progress")
    desk.do(local("2026-11-03", "16:00"), "n1", w.move, ids["pause"], "resolved", **RESOLVE)

    # T3, a reopen: P4, created Tuesday 3 November 09:00, taken 09:30, resolved 11:00, refused by the requester
    # Wednesday 4 November 10:00, resolved again 12:00. Gross Tue 9 h + Wed 3.5 h = 12.5 h; the resolved pause
    # Tue 11:00–18:00 7 h + Wed 08:30–10:00 1.5 h = 8.5 h; net 4 h. Rated 2 on Thursday 5 November.
    ids["reopen"] = create(local("2026-11-03", "09:00"), "poste-de-travail")
    desk.do(local("2026-11-03", "09:30"), "n1", w.take, ids["reopen"])
    desk.do(local("2026-11-03", "11:00"), "n1", w.move, ids["reopen"], "resolved", **RESOLVE)
    desk.do(local("2026-11-04", "10:00"), "employee_a", w.reopen, ids["reopen"], "L'écran clignote encore.")
    desk.do(local("2026-11-04", "12:00"), "n1", w.move, ids["reopen"], "resolved", **RESOLVE)
    desk.do(local("2026-11-05", "08:00"), "employee_a", t.rate, ids["reopen"], 2, "Il a fallu rouvrir")

    # T4, two escalations to the provider: P2 (medium impact, high urgency: 1 h / 8 h), created Thursday 5 November
    # 09:00, taken 09:30, to N2 at 10:00, to Alpes Infogérance (N3) at 11:00, resolved by it Friday 6 November 10:00.
    # Desk clock Thu 9 h + Fri 1.5 h = 10.5 h > 8 h: breached. With the provider (its 09:00–17:00 calendar):
    # Thu 11:00–17:00 6 h + Fri 09:00–10:00 1 h = 7 h ≤ its OLA of 8 h (on the desk's calendar it would be 8.5 h).
    ids["escalated"] = create(local("2026-11-05", "09:00"), "reseau-vpn", impact="medium", urgency="high")
    desk.do(local("2026-11-05", "09:30"), "n1", w.take, ids["escalated"])
    desk.do(local("2026-11-05", "10:00"), "n1", w.escalate, ids["escalated"], "Le commutateur ne répond plus.")
    desk.do(local("2026-11-05", "11:00"), "n2", w.escalate, ids["escalated"], "Carte du commutateur à remplacer.")
    desk.do(local("2026-11-06", "10:00"), "n3", w.move, ids["escalated"], "resolved", **RESOLVE)

    # T1, business-hour edges and a holiday: P4, created Monday 9 November 19:00 (after closing), taken Tuesday 10
    # November 08:45 (first response 0.25 h), resolved Thursday 12 November 09:30 across Armistice (Wednesday 11):
    # Tue 9.5 h + Wed 0 + Thu 1 h = 10.5 h. Rated 4 « Rapide, merci » on Thursday 12 November 10:00.
    ids["holiday"] = create(local("2026-11-09", "19:00"), "poste-de-travail")
    desk.do(local("2026-11-10", "08:45"), "n1", w.take, ids["holiday"])
    desk.do(local("2026-11-12", "09:30"), "n1", w.move, ids["holiday"], "resolved", **RESOLVE)
    desk.do(local("2026-11-12", "10:00"), "employee_a", t.rate, ids["holiday"], 4, "Rapide, merci")

    # T7, self-service: created Monday 16 November 10:00, closed by the requester at 10:05, rated 5.
    ids["self_service"] = create(local("2026-11-16", "10:00"), "messagerie")
    desk.do(local("2026-11-16", "10:05"), "employee_a", w.self_resolve, ids["self_service"], None)
    desk.do(local("2026-11-16", "10:10"), "employee_a", t.rate, ids["self_service"], 5, None)

    # T6, a critical incident still open: P1 (4 h), created Monday 30 November 09:00, taken 09:10, published as a
    # major incident, joined by another employee. At the end of the month (1 December 00:00 Paris): 15 h old,
    # 9 business hours (09:00–18:00) spent, beyond its 4 h.
    ids["critical"] = create(local("2026-11-30", "09:00"), "reseau-vpn", impact="high", urgency="high")
    desk.do(local("2026-11-30", "09:10"), "n1", w.take, ids["critical"])
    desk.do(local("2026-11-30", "09:20"), "n1", t.publish, ids["critical"],
            {"published": True, "major": True, "public_title": "Réseau coupé", "public_text": "Le réseau est coupé."})
    desk.do(local("2026-11-30", "09:30"), "employee_b", t.join_incident, ids["critical"])
    return ids


def run_report(db_url: str, tmp_path, *args):
    """Run ``guichet report <args>`` against the database, as the team lead would (click's runner)."""
    from click.testing import CliRunner

    from ticket_service.cli import main as guichet

    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path),
           "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"), "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    return CliRunner().invoke(guichet, ["report", *args], env=env, catch_exceptions=False)

