"""guichet import tickets: problems named FILE:LINE: field, dry run and refused files write nothing, a second import
changes nothing, GLPI's CSV export, and imported resolutions with a fiche offered to the learning review."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ticket_service.actions.importing import import_tickets
from ticket_service.domain import learning
from ticket_service.domain.clock import FixedClock
from ticket_service.store.models import Comment, OutboxEvent, Person, Ticket, TicketEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
JULIE, CLAIRE = "julie.martin@ferrand-associes.fr", "claire.rousseau@ferrand-associes.fr"


def ticket(external_id: str, **extra) -> dict:
    base = {"external_id": external_id, "title": "Écran noir au démarrage", "description": "Rien ne s'affiche.",
            "requester": CLAIRE, "category": "poste-de-travail", "created": "2026-09-01T09:00:00+02:00",
            "resolved": {"at": "2026-09-01T10:00:00+02:00", "by": JULIE, "article": "ecran-deuxieme-ecran-non-detecte"}}
    return {**base, **extra}


def lines(*objs) -> list[str]:
    return [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs]


@pytest.fixture(scope="module")
def run(app):
    ctx = app.extensions["guichet_context"]
    ctx.clock = FixedClock(NOW)
    database = app.extensions["guichet_db"]

    def go(content, *, dry_run=False, fmt="jsonl", filename="past.jsonl"):
        with database.writer() as session:
            return import_tickets(session, ctx, content, filename=filename, fmt=fmt, dry_run=dry_run)
    return go


def counts(app) -> tuple[int, int, int, int]:
    with app.extensions["guichet_db"].reader() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Ticket, TicketEvent, Comment, Person))


def test_every_bad_line_is_named_by_file_line_and_field(run, app):
    before = counts(app)
    report = run(lines(
        ticket("E-1"),
        "{pas du json",
        ticket("E-3", category="inconnue", requester="pas-une-adresse", created="hier"),
        ticket("E-4", resolved={"at": "2026-08-01T10:00:00+02:00", "by": JULIE}),  # before its creation
        ticket("E-5", resolved={"at": "2026-09-01T10:00:00+02:00", "by": JULIE, "article": "fiche-qui-n-existe-pas"}),
        ticket("E-6", resolved={"at": "2026-09-01T10:00:00+02:00", "by": CLAIRE}),  # an employee cannot resolve
        ticket("E-1"),
    ), dry_run=True)
    assert report.errors[0].startswith("past.jsonl:2: json: ligne illisible")
    assert "past.jsonl:3: category: catégorie inconnue" in "\n".join(report.errors)
    assert any(e.startswith("past.jsonl:3: requester: adresse e-mail attendue") for e in report.errors)
    assert any(e.startswith("past.jsonl:3: created: date ISO 8601 attendue") for e in report.errors)
    assert "past.jsonl:4: resolved.at: avant la création du ticket" in report.errors
    assert any(e.startswith("past.jsonl:5: resolved.article: Fiche inconnue de la base") for e in report.errors)
    assert any(e.startswith(f"past.jsonl:6: resolved.by: {CLAIRE} n'est pas technicien") for e in report.errors)
    assert "past.jsonl:7: external_id: « E-1 » déjà vu ligne 1" in report.errors
    assert report.bad_lines == 6 and report.imported == 1 and not report.written
    assert counts(app) == before  # a dry run writes nothing


def test_a_bad_line_in_a_real_run_writes_nothing(run, app):
    before = counts(app)
    report = run(lines(ticket("R-1", assigned=[{"to": "nouveau.tech@ferrand-associes.fr", "at": "2026-09-01T09:05:00+02:00"}]),
                       ticket("R-2", escalated=[{"level": "N3", "at": "2026-09-01T09:30:00+02:00", "by": JULIE}])))
    assert report.errors == ["past.jsonl:2: escalated[0].level: le ticket est au niveau N1 à ce moment : "
                             "l'escalade mène à N2"]
    assert not report.written and counts(app) == before  # R-1 and the account it made are rolled back too


def test_a_second_import_changes_nothing(run, app):
    content = lines(ticket("I-1", replies=[{"by": JULIE, "at": "2026-09-01T09:20:00+02:00", "text": "Je regarde."}],
                           confirmed={"at": "2026-09-01T11:00:00+02:00"},
                           rating={"score": 5, "at": "2026-09-01T11:05:00+02:00"}),
                    ticket("I-2", resolved=None))
    first = run(content)
    assert (first.imported, first.errors, first.written) == (2, [], True)
    after = counts(app)
    second = run(content)
    assert (second.imported, second.skipped, second.errors) == (0, 2, [])
    assert counts(app) == after
    with app.extensions["guichet_db"].reader() as s:
        t = s.scalar(select(Ticket).where(Ticket.external_id == "I-1"))
        fields = [e.field for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))]
        assert (t.status, t.satisfaction_rating, t.first_contact_resolution) == ("closed", 5, True)
        assert t.created_at == datetime(2026, 9, 1, 7, 0, tzinfo=timezone.utc)
        assert fields == ["status", "article", "status", "status", "satisfaction_rating"]
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 0  # the past sends no mail


def test_imported_resolutions_with_a_fiche_are_learning_candidates(run, app):
    report = run(lines(ticket("L-1", title="Le deuxième écran reste noir"), ticket("L-2", resolved={
        "at": "2026-09-01T10:00:00+02:00", "by": JULIE})))
    assert report.imported == 2
    with app.extensions["guichet_db"].reader() as s:
        ids = {s.scalar(select(Ticket.id).where(Ticket.external_id == e)) for e in ("L-1", "L-2")}
        found = {c.ticket_id: c for c in learning.candidates(s, limit=200)}
    with_fiche, without = sorted(ids)
    assert found[with_fiche].articles == ["ecran-deuxieme-ecran-non-detecte"]
    assert found[with_fiche].text.startswith("Le deuxième écran reste noir")
    assert without not in found  # resolved with no fiche: a knowledge gap, nothing to learn


def test_glpi_csv_export(run, app):
    content = (FIXTURES / "glpi-tickets.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    report = run(content, fmt="glpi-csv", filename="glpi.csv")
    assert (report.errors, report.imported) == ([], 2)
    with app.extensions["guichet_db"].reader() as s:
        closed = s.scalar(select(Ticket).where(Ticket.external_id == "glpi-812"))
        open_ = s.scalar(select(Ticket).where(Ticket.external_id == "glpi-813"))
        assert (closed.status, closed.category, closed.priority, closed.kb_gap, closed.satisfaction_rating) == (
            "closed", "impression", "P3", True, 4)
        assert closed.description == "Bourrage papier ; voyant orange"
        assert closed.resolved_at == datetime(2026, 9, 14, 8, 40, tzinfo=timezone.utc)
        assert (open_.status, open_.type, open_.priority, open_.category) == ("new", "service_request", "P4",
                                                                              "poste-de-travail")
        assert s.get(Person, open_.assignee_id).email == "karim.benali@ferrand-associes.fr"


def test_glpi_problems_name_the_column(run):
    content = ["ID;Titre;Date d'ouverture;Demandeur - Demandeur;Catégorie\n",
               "900;Souris cassée;14/09/2026 09:12;claire.rousseau@ferrand-associes.fr;Cafetière\n",
               "901;Clavier;2026-09-31 10:00;claire.rousseau@ferrand-associes.fr;Impression\n"]
    report = run(content, fmt="glpi-csv", filename="glpi.csv", dry_run=True)
    assert report.errors == [
        "glpi.csv:2: Catégorie: « Cafetière » ne correspond à aucune catégorie de helpdesk.yml",
        "glpi.csv:3: Date d'ouverture: date illisible « 2026-09-31 10:00 » (AAAA-MM-JJ HH:MM)",
    ]
