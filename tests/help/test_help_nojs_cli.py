"""The no-JavaScript request form (CSRF enforced), `guichet report deflection`, `guichet events purge`, migration 0002."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import inspect, select

from ticket_service.cli import main as guichet
from ticket_service.store.db import Database, upgrade
from ticket_service.domain.help_events import purge
from ticket_service.store.models import HelpEvent, Ticket, utcnow
from tshelpers import PASSWORD, ROLES


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_nojs_form_signs_in_and_creates_the_ticket_once(app, database):
    client = app.test_client()
    page = client.get("/aide/formulaire?titre=Imprimante%20%3Cb%3E").get_data(as_text=True)
    assert 'name="password"' in page and "Imprimante &lt;b&gt;" in page  # escaped, sign-in fields shown
    form = {"csrf_token": token(page), "form_key": "cle-formulaire-001", "email": ROLES["employee_b"], "password": PASSWORD,
            "title": "Imprimante sans JavaScript", "description": "Elle ne répond plus.", "urgency": "high", "impact": "low",
            "type": "incident"}
    done = client.post("/aide/formulaire", data=form)
    assert done.status_code == 201, done.get_data(as_text=True)
    body = done.get_data(as_text=True)
    number = re.search(r"Demande n° (\d+) créée", body).group(1)
    assert f'href="/mes-demandes/{number}"' in body and "priorité P3" in body
    # the same form resent (double click, back + resend) gives the same ticket
    page = client.get("/aide/formulaire").get_data(as_text=True)
    again = client.post("/aide/formulaire", data={**form, "csrf_token": token(page)})
    assert re.search(r"Demande n° (\d+) créée", again.get_data(as_text=True)).group(1) == number
    with database.reader() as db:
        ticket = db.get(Ticket, int(number))
        assert (ticket.title, ticket.urgency) == ("Imprimante sans JavaScript", "high")


def test_nojs_form_refuses_a_post_without_csrf_token(app, database):
    client = app.test_client()
    client.get("/aide/formulaire")
    response = client.post("/aide/formulaire", data={"email": ROLES["employee_b"], "password": PASSWORD,
                                                     "title": "CSRF-forge", "description": "forgé ailleurs"})
    assert response.status_code in (400, 403)
    with database.reader() as db:
        assert db.scalar(select(Ticket).where(Ticket.title == "CSRF-forge")) is None


def test_nojs_form_shows_errors_and_keeps_the_text(app):
    client = app.test_client()
    page = client.get("/aide/formulaire").get_data(as_text=True)
    wrong = client.post("/aide/formulaire", data={"csrf_token": token(page), "email": ROLES["employee_b"], "password": "faux",
                                                  "title": "Mon <script>", "description": "x"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 401 and "incorrect" in text and "Mon &lt;script&gt;" in text and "<script>" not in text


def _seed(database):
    now = utcnow()
    with database.write() as db:
        db.add_all([HelpEvent(event_id=f"cli-{i}", session_id="cli-session-1", type=kind, at=now - timedelta(days=days),
                              query=query, article_id=article, data=data, received_at=now)
                    for i, (kind, days, query, article, data) in enumerate([
                        ("suggestions_shown", 100, "vieille requête", None, '{"suggestions": []}'),
                        ("page_feedback", 100, None, "poste-lent", '{"helpful": false, "reason": "vieux"}'),
                        ("suggestions_shown", 1, "requête récente", None, '{"suggestions": []}')])])


def test_purge_blanks_old_query_texts_and_reasons_only(database):
    _seed(database)
    with database.write() as db:
        assert purge(db, 90) == 2
    with database.reader() as db:
        rows = {e.event_id: e for e in db.scalars(select(HelpEvent).where(HelpEvent.event_id.like("cli-%")))}
    assert rows["cli-0"].query is None and json.loads(rows["cli-1"].data) == {"helpful": False}
    assert rows["cli-2"].query == "requête récente"


def test_report_command_table_json_csv(db_url, tmp_path):
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_SECRET_KEY": "x", "GUICHET_SITE_DIR": str(tmp_path),
           "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    runner = CliRunner()
    assert runner.invoke(guichet, ["demo", "load"], env=env, catch_exceptions=False).exit_code == 0
    table = runner.invoke(guichet, ["report", "deflection"], env=env, catch_exceptions=False)
    assert table.exit_code == 0 and "Taux d'évitement" in table.output and "fenêtre 24 h" in table.output
    assert "Entonnoir par fiche" in table.output and "Recherches infructueuses" in table.output
    data = json.loads(runner.invoke(guichet, ["report", "deflection", "--json", "--window", "48"], env=env).output)
    figures = {f["key"]: f for f in data["figures"]}
    assert data["window_hours"] == 48 and figures["sessions"]["value"] >= 40 and figures["confirmed"]["value"] > 0
    assert figures["none"]["value"] > 0 and all(f["definition"] for f in data["figures"])
    rows = runner.invoke(guichet, ["report", "deflection", "--csv"], env=env).output.splitlines()
    assert rows[0] == "section;clé;valeur;définition;fenêtre (h);début (Europe/Paris);fin (Europe/Paris)" and len(rows) > 50
    assert runner.invoke(guichet, ["report", "deflection", "--json", "--csv"], env=env).exit_code == 2
    purged = runner.invoke(guichet, ["events", "purge", "--days", "0"], env=env, catch_exceptions=False)
    assert purged.exit_code == 0 and "Purged" in purged.output


def test_migration_0002_goes_down_and_up_again(db_url):
    from alembic import command

    from ticket_service.store.db import _alembic_config

    database = Database(db_url)
    try:
        with database.engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0001")
        assert "help_events" not in inspect(database.engine).get_table_names()
        upgrade(database)
        assert "help_events" in inspect(database.engine).get_table_names()
    finally:
        database.dispose()
