"""Triage from history in the service: train (CLI, job), suggestions on create, the desk card, apply, auto-apply."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ticket_service.cli import main as guichet
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.runtime import get_database
from ticket_service.store.models import Person, Ticket, TicketEvent, TriageSuggestion
from tshelpers import ROOT, Api, Browser, migrated_app

DATA = ROOT / "benchmarks" / "data" / "triage_tickets.jsonl"
PRINTER = {"title": "Imprimante bloquée", "description": "L'imprimante du 2e étage affiche bourrage papier dans le bac 2."}
VPN = {"title": "VPN qui coupe", "description": "En télétravail le VPN se déconnecte toutes les dix minutes."}


def seed_history(app, per_template: int = 2) -> int:
    """Add closed tickets from the labelled set (two per template): the history the model learns from."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    kept, seen = [], {}
    for row in rows:
        seen[row["template"]] = seen.get(row["template"], 0) + 1
        if seen[row["template"]] <= per_template:
            kept.append(row)
    at = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
    with get_database(app).write() as db:
        requester = db.scalar(select(Person).where(Person.email == "lucas.petit@ferrand-associes.fr"))
        groups = app.extensions["guichet_context"].policies.groups
        for row in kept:
            db.add(Ticket(requester_id=requester.id, title=row["title"][:200], description=row["description"],
                          type="incident", category=row["category"], impact="low", urgency="medium", priority="P4",
                          status="closed", level=groups[row["group"]].level, group=row["group"], created_at=at,
                          updated_at=at, resolved_at=at, closed_at=at, paused_seconds=0.0))
    return len(kept)


def cli(app, *args):
    """Run ``guichet`` on the app's database and triage folder, as an operator would."""
    env = {"GUICHET_DATABASE_URL": app.config["DATABASE_URL"], "GUICHET_TRIAGE_DIR": app.config["TRIAGE_DIR"],
           "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": app.config["SITE_DIR"],
           "GUICHET_ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"]}
    return CliRunner().invoke(guichet, list(args), env=env)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, tmp_path_factory):
    with migrated_app(request.param, tmp_path_factory.mktemp(f"triage-{request.param}")) as application:
        yield application


def on_sqlite(app) -> bool:
    return app.config["DATABASE_URL"].startswith("sqlite")


@pytest.fixture(scope="module")
def trained(app):
    """Train once per database; the cross-validation (five more trainings, the same on any database) on SQLite only."""
    seeded = seed_history(app)
    result = cli(app, "triage", "train", *(() if on_sqlite(app) else ("--no-evaluate",)))
    assert result.exit_code == 0, result.output
    return seeded, result.output


@pytest.fixture
def policies(app):
    """Change the app's policies for one test, as another helpdesk.yml would."""
    ctx = app.extensions["guichet_context"]
    before = ctx.policies

    def change(**values):
        ctx.policies = replace(before, **values)

    yield change
    ctx.policies = before


@pytest.fixture
def auto_apply(policies):
    """Turn on triage.auto_apply_confidence for one test."""
    return lambda value: policies(triage_auto_apply=value)


def suggestions(app, ticket_id: int) -> dict[str, TriageSuggestion]:
    with get_database(app).reader() as db:
        return {s.field: s for s in db.scalars(select(TriageSuggestion).where(TriageSuggestion.ticket_id == ticket_id))}


def ticket(app, ticket_id: int) -> Ticket:
    with get_database(app).reader() as db:
        return db.get(Ticket, ticket_id)


def create(app, body: dict) -> int:
    response = Api(app, "employee_a").post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_without_a_model_tickets_are_created_without_suggestion(app):
    assert not Path(app.config["TRIAGE_DIR"]).exists()
    assert suggestions(app, create(app, PRINTER)) == {}


def test_training_is_refused_on_too_few_settled_tickets(app):
    result = cli(app, "triage", "train")  # the demo company has 5 closed tickets, TRIAGE_MIN_TICKETS is 20
    assert result.exit_code == 1
    assert "nothing trained: 5 resolved or closed tickets with a category, 20 needed" in result.output


def test_train_prints_the_counts_and_the_cross_validated_accuracy(app, trained):
    seeded, output = trained
    assert f"Trained on {seeded + 5} resolved or closed tickets" in output
    assert "category: 9 labels" in output and "group: 3 labels" in output
    if not on_sqlite(app):
        assert "cross-validated" not in output  # --no-evaluate
        return
    accuracy = re.search(r"category: .*\n\s+cross-validated accuracy ([\d.]+)% \(majority-class baseline ([\d.]+)%;",
                         output)
    assert accuracy and float(accuracy.group(1)) > float(accuracy.group(2)), output
    assert (Path(app.config["TRIAGE_DIR"]) / "manifest.json").is_file()


def test_a_new_ticket_gets_its_suggestions_stored(app, trained):
    stored = suggestions(app, create(app, PRINTER))
    assert stored["category"].value == "impression" and stored["group"].value == "support-n1"
    assert 0.5 <= stored["category"].confidence <= 1 and not stored["category"].applied
    manifest = json.loads((Path(app.config["TRIAGE_DIR"]) / "manifest.json").read_text(encoding="utf-8"))
    assert stored["category"].model_version == manifest["version"]


def test_the_api_gives_technicians_the_suggestions_and_employees_nothing(app, trained):
    ticket_id = create(app, VPN)
    shown = Api(app, "n1").get(f"/api/v1/tickets/{ticket_id}").get_json()["triage"]
    stored = suggestions(app, ticket_id)
    assert sorted(shown) == ["category", "group"]
    assert shown["category"] == {"value": stored["category"].value, "confidence": round(stored["category"].confidence, 3),
                                 "model": stored["category"].model_version, "applied": False, "auto": False,
                                 "pending": True}
    assert "triage" not in Api(app, "employee_a").get(f"/api/v1/tickets/{ticket_id}").get_json()


def test_the_desk_shows_the_suggestion_and_applies_it_with_csrf(app, trained):
    ticket_id = create(app, VPN)
    desk = Browser(app, "n1")
    page = desk.get(f"/desk/tickets/{ticket_id}").text
    card = re.search(r'<p id="triage-suggestion">(.*?)</p>', page, re.S).group(1)
    assert re.search(r"Suggestion : catégorie Réseau &amp; VPN \(\d+\s%\), groupe Systèmes et réseau \(\d+\s%\)",
                     " ".join(card.split())), card
    assert 'id="triage-apply"' in page
    forged = desk.client.post(f"/desk/tickets/{ticket_id}/tri/appliquer", data={"field": ["category", "group"]})
    assert forged.status_code == 400 and ticket(app, ticket_id).category is None
    applied = desk.submit(f"/desk/tickets/{ticket_id}/tri/appliquer", {"field": ["category", "group"]})
    assert applied.status_code == 303
    after = ticket(app, ticket_id)
    assert (after.category, after.group, after.level) == ("reseau-vpn", "systemes-n2", "N2")  # routed, not escalated
    assert after.escalation_count == 0
    with get_database(app).reader() as db:
        lines = {e.field: e for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))}
    assert (lines["level"].old, lines["level"].new) == ("N1", "N2") and lines["group"].new == "systemes-n2"
    assert lines["group"].reason.startswith("suggestion du tri (confiance") and lines["category"].actor_id is not None
    assert all(s.applied and not s.auto for s in suggestions(app, ticket_id).values())
    page = desk.get(f"/desk/tickets/{ticket_id}").text
    assert "Le ticket suit déjà la suggestion." in page and 'id="triage-apply"' not in page


def test_only_staff_apply_a_suggestion(app, trained):
    ticket_id = create(app, PRINTER)
    response = Browser(app, "employee_a").submit(f"/desk/tickets/{ticket_id}/tri/appliquer", {"field": "category"})
    assert response.status_code in (302, 303, 403)
    assert ticket(app, ticket_id).category is None
    assert not any(s.applied for s in suggestions(app, ticket_id).values())


def test_a_category_gone_from_helpdesk_yml_is_never_suggested(app, trained, policies):
    categories = dict(app.extensions["guichet_context"].policies.categories)
    del categories["impression"]
    policies(categories=categories)
    stored = suggestions(app, create(app, PRINTER))
    assert "category" not in stored and stored["group"].value == "support-n1"


def test_applying_a_field_without_suggestion_is_refused(app, trained):
    ticket_id = create(app, PRINTER)
    response = Api(app, "n1").post(f"/desk/tickets/{ticket_id}/tri/appliquer", data={"field": "impact"})
    assert response.status_code in (303, 400)  # the page's refusal: nothing changes
    assert not any(s.applied for s in suggestions(app, ticket_id).values())


def test_above_the_threshold_the_suggestion_is_applied_and_the_history_says_so(app, trained, auto_apply):
    auto_apply(0.5)
    ticket_id = create(app, PRINTER)
    assert ticket(app, ticket_id).category == "impression"
    assert suggestions(app, ticket_id)["category"].auto
    with get_database(app).reader() as db:
        line = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.field == "category"))
    assert line.actor_id is None and line.new == "impression"
    assert re.fullmatch(r"appliqué automatiquement par le tri \(confiance \d+\s%\)", line.reason), line.reason
    page = Browser(app, "n1").get(f"/desk/tickets/{ticket_id}").text
    assert "appliqué automatiquement par le tri (confiance" in page


def test_below_the_threshold_nothing_is_applied(app, trained, auto_apply):
    auto_apply(1.0)
    ticket_id = create(app, PRINTER)
    assert ticket(app, ticket_id).category is None
    assert not suggestions(app, ticket_id)["category"].applied


def test_the_job_retrains_the_model(app, trained):
    from ticket_service.jobs import run_now

    before = suggestions(app, create(app, PRINTER))["category"].model_version
    seed_history(app, per_template=1)  # more history: another model
    version = run_now(app, "triage.train")
    manifest = json.loads((Path(app.config["TRIAGE_DIR"]) / "manifest.json").read_text(encoding="utf-8"))
    assert version == manifest["version"] != before
    assert suggestions(app, create(app, PRINTER))["category"].model_version == version  # taken without a restart


def test_a_damaged_model_costs_the_suggestion_not_the_ticket(app, trained):
    folder = Path(app.config["TRIAGE_DIR"])
    (folder / "arrays.npz").write_bytes(b"broken")
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text(encoding="utf-8") + " ",
                                          encoding="utf-8")  # a new stamp: the service reloads, and fails to
    assert suggestions(app, create(app, PRINTER)) == {}


@pytest.mark.parametrize("value", ["1.5", "-0.1", "oui", "true"])
def test_a_bad_auto_apply_confidence_names_the_key_and_the_fix(tmp_path, value):
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    path = tmp_path / "helpdesk.yml"
    path.write_text(text.replace("auto_apply_confidence: null", f"auto_apply_confidence: {value}"), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"`triage.auto_apply_confidence` is .* — fix: write `triage: "
                                          r"\{auto_apply_confidence: 0.9\}`"):
        load_policies(path)


def test_the_shipped_file_only_suggests():
    assert load_policies(ROOT / "helpdesk.yml").triage_auto_apply is None
