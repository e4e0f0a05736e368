"""RGPD: a subject-access export, forgetting a person (canaries found nowhere after), retention of closed tickets."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import String, Text, func, select

from ticket_service.actions import people as people_actions
from ticket_service.actions.privacy import apply_retention
from ticket_service.cli import main as guichet
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.runtime import get_ctx, get_files
from ticket_service.store.models import Base, InboundMail, LearnedPair, Person, Ticket
from tshelpers import FAST_HASH, PASSWORD, ROLES, ROOT, Api, migrated_app

CANARY = "canari"  # in the person's name, address and every text they left: found nowhere after `forget`
NAME, EMAIL = "Zéphyrine Canarinoir", "zephyrine.canari@exemple.fr"


def signed_in(app, email: str) -> Api:
    client = Api(app)
    response = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    client.csrf = response.get_json()["csrf_token"]
    return client


def leftovers(db) -> list[str]:
    """Every table.column whose text still holds the canary."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)):
                if db.scalar(select(func.count()).select_from(table).where(func.lower(column).contains(CANARY))):
                    found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def company(request, tmp_path):
    with migrated_app(request.param, tmp_path, demo=True, INDEX_DIR=str(tmp_path / "index")) as app:
        yield app, tmp_path


def cli_env(app, tmp_path) -> dict:
    return {"GUICHET_DATABASE_URL": app.config["DATABASE_URL"], "GUICHET_ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"],
            "GUICHET_INSTANCE_PATH": str(tmp_path / "instance"), "GUICHET_SECRET_KEY": "rgpd",
            "GUICHET_INDEX_DIR": str(tmp_path / "index"), "GUICHET_SITE_DIR": str(tmp_path / "site")}


def test_forget_leaves_no_trace_and_keeps_the_counts(company):
    app, tmp_path = company
    database = app.extensions["guichet_db"]
    with app.app_context(), database.writer() as db:
        people_actions.create_person(db, EMAIL, NAME, "employee", _hash(), site="Lyon", department="Canari Compta")
    me = signed_in(app, EMAIL)
    ticket = me.post("/api/v1/tickets", json={
        "title": "Imprimante du bureau de Zéphyrine Canarinoir", "description":
        "CANARI-DESC : rappelez-moi au 06 12 34 56 78 ou à zephyrine.canari@exemple.fr"}).get_json()
    tid = ticket["id"]
    assert me.post(f"/api/v1/tickets/{tid}/comments", json={"body": "CANARI-COMMENT : toujours en panne"}).status_code == 201
    upload = me.post(f"/api/v1/tickets/{tid}/attachments",
                     data={"file": (io.BytesIO(b"CANARI-FILE contenu"), "canari-photo.txt")},
                     content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    tech = Api(app, "n1")
    assert tech.post(f"/api/v1/tickets/{tid}/comments",
                     json={"body": "Bonjour Zéphyrine Canarinoir, je passe à 14 h."}).status_code == 201
    event = {"id": "e" * 32, "type": "suggestions_shown", "query": "canari imprimante bloquée", "abstained": True,
             "suggestions": []}
    assert me.post("/api/v1/events", json={"session": "sess-zz-rgpd-000001", "events": [event]}).status_code == 202
    Api(app).post("/api/v1/session", json={"email": EMAIL, "password": "faux"})  # a failure counted by address
    with app.app_context(), database.writer() as db:
        db.add(LearnedPair(source=f"ticket:{tid}", text="imprimante de Zéphyrine Canarinoir CANARI-PAIR",
                           articles='["imprimante-hors-connexion"]', decision="approved",
                           decided_by=db.scalar(select(Person.id).where(Person.email == ROLES["n1"]))))
        db.add(InboundMail(mailbox="maildir:test", raw_sha256="a" * 64, body_sha256="b" * 64, sender=EMAIL,
                           subject="Imprimante CANARI", received_at=get_ctx().clock.now(), outcome="quarantined",
                           reason="unknown_sender", raw=b"From: " + EMAIL.encode() + b"\r\n\r\nCANARI-MAIL"))
        db.commit()
        before = db.scalar(select(func.count()).select_from(Ticket))
        created = db.get(Ticket, tid).created_at
        assert len(leftovers(db)) >= 8  # the canaries are really there to be found

    runner = CliRunner()
    exported = runner.invoke(guichet, ["people", "export", EMAIL], env=cli_env(app, tmp_path))
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["person"]["name"] == NAME and data["tickets"][0]["id"] == tid
    assert [a["filename"] for a in data["tickets"][0]["attachments"]] == ["canari-photo.txt"]
    assert data["help_events"][0]["query"] == "canari imprimante bloquée"

    forgot = runner.invoke(guichet, ["people", "forget", EMAIL, "--yes"], env=cli_env(app, tmp_path))
    assert forgot.exit_code == 0, forgot.output
    assert "1 request(s) anonymised, 1 file(s) removed" in forgot.output
    with app.app_context(), database.reader() as db:
        assert leftovers(db) == [], leftovers(db)
        assert db.scalar(select(InboundMail.raw).where(InboundMail.raw_sha256 == "a" * 64)) is None
        assert db.scalar(select(func.count()).select_from(Ticket)) == before  # the statistics keep every ticket
        assert db.get(Ticket, tid).created_at == created and db.get(Ticket, tid).anonymised_at is not None
    files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert not [p for p in files if CANARY.encode() in p.read_bytes().lower()]
    published = [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
    assert not [p for p in published if CANARY.encode() in p.read_bytes().lower()]
    assert Api(app).post("/api/v1/session", json={"email": EMAIL, "password": PASSWORD}).status_code == 401
    again = runner.invoke(guichet, ["people", "export", EMAIL], env=cli_env(app, tmp_path))
    assert again.exit_code == 1 and "Aucune personne" in again.output


def test_retention_anonymises_only_old_closed_tickets(company):
    app, _tmp = company
    database = app.extensions["guichet_db"]
    with app.app_context(), database.writer() as db:
        ctx = get_ctx()
        now = ctx.clock.now()
        old, recent = db.scalars(select(Ticket).order_by(Ticket.id).limit(2)).all()
        requester = db.get(Person, old.requester_id)
        for ticket, closed in ((old, now - timedelta(days=800)), (recent, now - timedelta(days=30))):
            ticket.status, ticket.closed_at = "closed", closed
            ticket.description = f"Écrire à {requester.email} ou appeler {requester.name}."
        db.commit()
        old_id, recent_id, recent_text = old.id, recent.id, recent.description
        assert apply_retention(db, ctx, get_files(app), 24, dry_run=True) == [old_id]
        assert db.get(Ticket, old_id).anonymised_at is None  # a dry run changes nothing
        assert apply_retention(db, ctx, get_files(app), 24) == [old_id]
        kept = db.get(Ticket, old_id)
        assert requester.email not in kept.description and requester.name not in kept.description
        assert "[anonymisé]" in kept.description and db.get(Person, kept.requester_id).active is False
        assert db.get(Ticket, recent_id).description == recent_text
        later = FixedClock(now + timedelta(days=1))
        from dataclasses import replace
        assert apply_retention(db, replace(ctx, clock=later), get_files(app), 24) == []  # once only


def test_a_wrong_retention_names_the_key(tmp_path):
    source = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    path = tmp_path / "helpdesk.yml"
    path.write_text(source.replace("closed_tickets_months: 24", "closed_tickets_months: deux ans"), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"retention\.closed_tickets_months.*between 1 and 240"):
        load_policies(path)


def _hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method=FAST_HASH)
